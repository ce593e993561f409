// Conformance tier "process": every program runs in a worker of one long-lived
// ProcessSupervisor (strict seccomp policy), exactly as `trinity run --isolate=process`
// runs it; the worker is reused across programs, so state must not leak between them.
#include <memory>
#include <string>

#include "isolation/process_tier.h"
#include "tests/conformance/conformance_host.h"
#include "tests/conformance/tier.h"

namespace trinity::conformance {
namespace {

class ProcessTier : public Tier {
 public:
  std::string Name() const override { return "process"; }

  Outcome Run(const Program& program) override {
    Outcome out;
    if (!supervisor_) {
      isolation::ProcessSupervisor::Options options;
      options.make_host = ConformanceHost;
      auto started = isolation::ProcessSupervisor::Start(std::move(options));
      if (!started.ok()) {
        out.setup_error = "supervisor: " + started.error();
        return out;
      }
      supervisor_ = std::move(started.value());
    }
    isolation::ProcessRequest request;
    request.module = program.module;
    request.limits = program.limits;
    isolation::ProcessResult res = supervisor_->Run(request);
    out.output = std::move(res.output);
    out.setup_error = std::move(res.setup_error);
    if (res.trap) out.trap = ToTrapInfo(*res.trap);
    return out;
  }

 private:
  // Started on first use, not at static initialisation: forking before main() would copy
  // a half-initialised process.
  std::unique_ptr<isolation::ProcessSupervisor> supervisor_;
};

TierRegistration registration(std::make_unique<ProcessTier>());

}  // namespace
}  // namespace trinity::conformance
