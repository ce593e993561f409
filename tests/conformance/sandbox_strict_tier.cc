// Conformance tier "sandbox_strict": each program runs the way `trinity run
// --sandbox=strict` runs it — instance created, then the strict seccomp policy loaded,
// then plugin code — in a forked child, so the filter never restricts the test runner.
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "isolation/containment_gate.h"
#include "isolation/process_wire.h"
#include "isolation/seccomp_filter.h"
#include "runtime/trinity.h"
#include "tests/conformance/conformance_host.h"
#include "tests/conformance/tier.h"

namespace trinity::conformance {
namespace {

// Runs in the child: everything the program printed, and how it ended.
isolation::ProcessResult RunLockedDown(const Program& program) {
  isolation::ProcessResult res;
  std::shared_ptr<const Module> module = LoadProgram(program, res.setup_error);
  if (!module) return res;
  isolation::ContainmentGate gate;
  InstanceOptions options = ProgramOptions(program, res.output);
  options.gate = &gate;
  HostFunctions host = ConformanceHost();
  auto instance = Instance::Create(module, host, options);
  if (!instance.ok()) {
    res.setup_error = "instance creation failed: " + instance.error();
    return res;
  }
  auto installed = isolation::InstallSeccompPolicy(*isolation::FindPolicy("strict"));
  if (!installed) {
    res.setup_error = "lock-down failed: " + installed.error();
    return res;
  }
  auto result = instance.value()->Start();
  if (!result.ok()) res.trap = result.error();
  return res;
}

class SandboxStrictTier : public Tier {
 public:
  std::string Name() const override { return "sandbox_strict"; }

  Outcome Run(const Program& program) override {
    Outcome out;
    int p[2];
    if (pipe(p) != 0) {
      out.setup_error = "pipe failed";
      return out;
    }
    pid_t pid = fork();
    if (pid == 0) {
      close(p[0]);
      auto sent = isolation::WriteFrame(p[1], isolation::EncodeResult(RunLockedDown(program)),
                                        isolation::FrameWrite::kWrite);
      _exit(sent ? 0 : 1);
    }
    close(p[1]);
    auto frame = isolation::ReadFrame(p[0]);
    close(p[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!frame.ok()) {
      out.setup_error = "sandboxed child ended without a result (wait status " +
                        std::to_string(status) + ")";
      return out;
    }
    auto reply = isolation::DecodeReply(frame.value());
    if (!reply.ok() || reply.value().kind != isolation::ReplyKind::kResult) {
      out.setup_error = reply.ok() ? "sandboxed child sent output, not a result" : reply.error();
      return out;
    }
    const isolation::ProcessResult& res = reply.value().result;
    out.output = res.output;
    out.setup_error = res.setup_error;
    if (res.trap) out.trap = ToTrapInfo(*res.trap);
    return out;
  }
};

TierRegistration registration(std::make_unique<SandboxStrictTier>());

}  // namespace
}  // namespace trinity::conformance
