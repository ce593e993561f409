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
    std::shared_ptr<const Module> module = LoadProgram(program, out.setup_error);
    if (!module) return out;
    InstanceOptions options = ProgramOptions(program, out.output);
    auto instance = Instance::Create(module, ConformanceHost(), options);
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
