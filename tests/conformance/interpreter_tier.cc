// The interpreter tiers: conformance programs on the fast tier (the default) and on the
// reference tier, each alone, through the public embedding API exactly as a host would.
#include <memory>
#include <string>

#include "runtime/trinity.h"
#include "tests/conformance/conformance_host.h"
#include "tests/conformance/tier.h"

namespace trinity::conformance {
namespace {

class InterpreterTier : public Tier {
 public:
  InterpreterTier(std::string name, ExecutionTier tier) : name_(std::move(name)), tier_(tier) {}
  std::string Name() const override { return name_; }
  Outcome Run(const Program& program) override { return RunOnTier(program, tier_); }

 private:
  std::string name_;
  ExecutionTier tier_;
};

TierRegistration fast(std::make_unique<InterpreterTier>("fast", ExecutionTier::kFast));
TierRegistration reference(std::make_unique<InterpreterTier>("reference", ExecutionTier::kReference));

}  // namespace
}  // namespace trinity::conformance
