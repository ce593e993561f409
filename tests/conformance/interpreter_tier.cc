// The reference tier: runs conformance programs on the bytecode interpreter through the
// public embedding API, exactly as a host would.
#include <memory>
#include <string>

#include "runtime/trinity.h"
#include "tests/conformance/conformance_host.h"
#include "tests/conformance/tier.h"

namespace trinity::conformance {
namespace {

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
    auto instance = Instance::Create(module.value(), ConformanceHost(), options);
    if (!instance.ok()) {
      out.setup_error = "instance creation failed: " + instance.error();
      return out;
    }
    auto result = instance.value()->Start();
    if (!result.ok()) {
      out.trap = ToTrapInfo(result.error());
    }
    return out;
  }
};

TierRegistration registration(std::make_unique<InterpreterTier>());

}  // namespace
}  // namespace trinity::conformance
