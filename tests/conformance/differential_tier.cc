// The differential oracle: every conformance program runs on the reference tier and on
// the fast tier, which must agree on output, trap (kind, message, line, function) and fuel
// used (except how far a program got before a wall-clock deadline). The fast tier's
// outcome is then checked against the program's expectations.
#include <memory>
#include <string>

#include "runtime/trinity.h"
#include "tests/conformance/conformance_host.h"
#include "tests/conformance/tier.h"

namespace trinity::conformance {
namespace {

std::string Describe(const Outcome& o) {
  std::string s = "output " + std::to_string(o.output.size()) + " bytes, fuel " +
                  std::to_string(o.fuel_used) + ", ";
  s += o.trap ? "trap " + o.trap->text + " [" + o.trap->stack + "]" : std::string("no trap");
  if (o.setup_error) s += ", setup error " + *o.setup_error;
  return s;
}

class DifferentialTier : public Tier {
 public:
  std::string Name() const override { return "differential"; }

  Outcome Run(const Program& program) override {
    Outcome reference = RunOnTier(program, ExecutionTier::kReference);
    Outcome fast = RunOnTier(program, ExecutionTier::kFast);
    // How far a program gets before a wall-clock deadline depends on the tier's speed.
    const bool deadline = reference.trap && fast.trap && reference.trap->kind == "deadline exceeded" &&
                          fast.trap->kind == reference.trap->kind;
    bool same = reference.output == fast.output &&
                (deadline || reference.fuel_used == fast.fuel_used) &&
                reference.setup_error == fast.setup_error &&
                reference.trap.has_value() == fast.trap.has_value();
    if (same && reference.trap) {
      same = reference.trap->kind == fast.trap->kind && reference.trap->line == fast.trap->line &&
             reference.trap->message == fast.trap->message && reference.trap->text == fast.trap->text &&
             reference.trap->stack == fast.trap->stack;
    }
    if (!same && !fast.setup_error) {
      fast.setup_error = "tiers disagree: reference: " + Describe(reference) +
                         "; fast: " + Describe(fast);
    }
    return fast;
  }
};

TierRegistration registration(std::make_unique<DifferentialTier>());

}  // namespace
}  // namespace trinity::conformance
