// The trace JIT as conformance tiers, each checked against the reference interpreter like
// the differential tier: output, trap (kind, message, line, stack) and fuel used must be
// identical. "jit" compiles every loop that gets hot after one back-edge; "jit_exits"
// additionally makes guards fail in turn, so the snapshots of every exit are exercised.
#include <memory>
#include <string>

#include "jit/trace_jit.h"
#include "runtime/trinity.h"
#include "tests/conformance/conformance_host.h"
#include "tests/conformance/tier.h"

namespace trinity::conformance {
namespace {

Outcome RunWithJit(const Program& program, std::shared_ptr<jit::TraceJit> jit) {
  Outcome out;
  std::shared_ptr<const Module> module = LoadProgram(program, out.setup_error);
  if (!module) return out;
  InstanceOptions options = ProgramOptions(program, out.output);
  options.tier = ExecutionTier::kFast;
  options.jit = std::move(jit);
  auto instance = Instance::Create(module, ConformanceHost(), options);
  if (!instance.ok()) {
    out.setup_error = "instance creation failed: " + instance.error();
    return out;
  }
  auto result = instance.value()->Start();
  if (!result.ok()) out.trap = ToTrapInfo(result.error());
  out.fuel_used = instance.value()->fuel_used();
  return out;
}

std::string Describe(const Outcome& o) {
  std::string s = "output " + std::to_string(o.output.size()) + " bytes, fuel " +
                  std::to_string(o.fuel_used) + ", ";
  s += o.trap ? "trap " + o.trap->text + " [" + o.trap->stack + "]" : std::string("no trap");
  if (o.setup_error) s += ", setup error " + *o.setup_error;
  return s;
}

class JitTier : public Tier {
 public:
  JitTier(std::string name, bool stress) : name_(std::move(name)), stress_(stress) {}
  std::string Name() const override { return name_; }

  Outcome Run(const Program& program) override {
    jit::JitOptions options;
    options.hot_loop = 1;
    options.stress_exits = stress_;
    Outcome reference = RunOnTier(program, ExecutionTier::kReference);
    Outcome jitted = RunWithJit(program, jit::MakeTraceJit(options));
    const bool deadline = reference.trap && jitted.trap &&
                          reference.trap->kind == "deadline exceeded" &&
                          jitted.trap->kind == reference.trap->kind;
    bool same = reference.output == jitted.output &&
                (deadline || reference.fuel_used == jitted.fuel_used) &&
                reference.setup_error == jitted.setup_error &&
                reference.trap.has_value() == jitted.trap.has_value();
    if (same && reference.trap) {
      same = reference.trap->kind == jitted.trap->kind && reference.trap->line == jitted.trap->line &&
             reference.trap->message == jitted.trap->message &&
             reference.trap->text == jitted.trap->text && reference.trap->stack == jitted.trap->stack;
    }
    if (!same && !jitted.setup_error) {
      jitted.setup_error = "JIT and reference tier disagree: reference: " + Describe(reference) +
                           "; jit: " + Describe(jitted);
    }
    return jitted;
  }

 private:
  std::string name_;
  bool stress_;
};

TierRegistration jit(std::make_unique<JitTier>("jit", false));
TierRegistration jit_exits(std::make_unique<JitTier>("jit_exits", true));

}  // namespace
}  // namespace trinity::conformance
