// The reference tier: runs conformance programs on the bytecode interpreter through the
// public embedding API, exactly as a host would. Also defines the host functions the
// suite's `import fn` programs link against.
#include <memory>
#include <string>

#include "runtime/trinity.h"
#include "tests/conformance/tier.h"

namespace trinity::conformance {
namespace {

// host_add keeps ints as ints so programs can tell a host result from a float promotion.
HostFunctions ConformanceHostFunctions() {
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

class InterpreterTier : public Tier {
 public:
  std::string Name() const override { return "interpreter"; }

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
    auto instance = Instance::Create(module.value(), ConformanceHostFunctions(), options);
    if (!instance.ok()) {
      out.setup_error = "instance creation failed: " + instance.error();
      return out;
    }
    auto result = instance.value()->Start();
    if (!result.ok()) {
      const Trap& trap = result.error();
      out.trap = TrapInfo{std::string(TrapKindName(trap.kind)), trap.line, trap.message,
                          trap.ToString()};
    }
    return out;
  }
};

TierRegistration registration(std::make_unique<InterpreterTier>());

}  // namespace
}  // namespace trinity::conformance
