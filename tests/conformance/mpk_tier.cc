// The MPK tier: runs conformance programs on instances in MPK isolation domains (tagged
// memory, checked WRPKRU gates, fault containment) through the isolation layer's public
// API, as an embedder asking for isolation would. Where the CPU or kernel lacks protection
// keys it runs them unisolated (IsolationPolicy::kPreferred says so once on stderr), so
// the suite still checks the fallback path; either way PKRU must come back unchanged.
#include <memory>
#include <string>

#include "isolation/mpk_isolation.h"
#include "isolation/pkru.h"
#include "runtime/trinity.h"
#include "tests/conformance/tier.h"

namespace trinity::conformance {
namespace {

// The same host functions as the interpreter tier.
HostFunctions MpkHostFunctions() {
  HostFunctions host;
  host.Register("host_add", 2, [](HostArgs args) -> Result<HostValue, std::string> {
    if (args.IsInt(0) && args.IsInt(1)) {
      return HostValue::Int(static_cast<int64_t>(static_cast<uint64_t>(args.Int(0)) +
                                                 static_cast<uint64_t>(args.Int(1))));
    }
    return HostValue::Float(args.Number(0) + args.Number(1));
  });
  host.Register("host_fail", 1, [](HostArgs args) -> Result<HostValue, std::string> {
    return Err(std::string(args.String(0)));
  });
  return host;
}

class MpkTier : public Tier {
 public:
  std::string Name() const override { return "mpk"; }

  Outcome Run(const Program& program) override {
    Outcome out;
    auto module = LoadModule(program.module);
    if (!module.ok()) {
      out.setup_error = "load failed: " + module.error().ToString();
      return out;
    }
    InstanceOptions options;
    options.limits = program.limits;
    options.print = [&out](std::string_view text) { out.output.append(text); };
    const bool mpk = isolation::MpkAvailable();
    auto isolated = isolation::CreateIsolatedInstance(
        module.value(), MpkHostFunctions(), options,
        mpk ? isolation::IsolationPolicy::kRequired : isolation::IsolationPolicy::kPreferred);
    if (!isolated.ok()) {
      out.setup_error = "isolated instance creation failed: " + isolated.error();
      return out;
    }
    // Read after creation: the first domain of the process opens the pool's keys in this
    // thread's host PKRU, once.
    const uint32_t pkru = mpk ? isolation::ReadPkru() : 0;
    auto result = isolated.value().instance->Start();
    if (!result.ok()) {
      const Trap& trap = result.error();
      out.trap = TrapInfo{std::string(TrapKindName(trap.kind)), trap.line, trap.message,
                          trap.ToString()};
    }
    if (mpk && isolation::ReadPkru() != pkru) out.setup_error = "PKRU changed by the call";
    return out;
  }
};

TierRegistration registration(std::make_unique<MpkTier>());

}  // namespace
}  // namespace trinity::conformance
