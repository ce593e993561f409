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
#include "tests/conformance/conformance_host.h"
#include "tests/conformance/tier.h"

namespace trinity::conformance {
namespace {

class MpkTier : public Tier {
 public:
  std::string Name() const override { return "mpk"; }

  Outcome Run(const Program& program) override {
    Outcome out;
    std::shared_ptr<const Module> module = LoadProgram(program, out.setup_error);
    if (!module) return out;
    InstanceOptions options = ProgramOptions(program, out.output);
    const bool mpk = isolation::MpkAvailable();
    auto isolated = isolation::CreateIsolatedInstance(
        module, ConformanceHost(), options,
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
      out.trap = ToTrapInfo(result.error());
    }
    if (mpk && isolation::ReadPkru() != pkru) out.setup_error = "PKRU changed by the call";
    return out;
  }
};

TierRegistration registration(std::make_unique<MpkTier>());

}  // namespace
}  // namespace trinity::conformance
