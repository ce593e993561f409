// The --sandbox / --isolate / --allow-* side of `trinity run` (see cli_sandbox.h).
#include "tools/cli_sandbox.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>

#include "isolation/capabilities.h"
#include "isolation/landlock_proc_guard.h"
#include "isolation/mpk_isolation.h"
#include "isolation/mpk_support.h"
#include "isolation/seccomp_filter.h"
#include "isolation/uring_io.h"
#include "tools/cli_host_functions.h"
#include "tools/cli_input.h"

namespace trinity::cli {
namespace {

// Entries of /proc/self/task; 0 when it cannot be read (then nothing is known).
size_t RunningThreads() {
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return 0;
  size_t n = 0;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n;
}

}  // namespace

SandboxPlan PlanSandbox(const CliArgs& args) {
  SandboxPlan plan;
  plan.isolate = args.isolate;
  plan.mpk_required = args.isolate == Isolate::kMpk;
  if (plan.isolate == Isolate::kDefault) {
    plan.isolate = isolation::MpkAvailable() ? Isolate::kMpk : Isolate::kNone;
  }
  std::string sandbox = args.sandbox;
  if (sandbox.empty()) sandbox = plan.isolate == Isolate::kProcess ? "strict" : "none";
  plan.policy = isolation::FindPolicy(sandbox);
  return plan;
}

std::string MpkStatusLine() {
  if (isolation::MpkAvailable()) {
    return "memory protection keys: available here; --isolate defaults to mpk\n";
  }
  return "memory protection keys: unavailable here (" + isolation::MpkUnavailableReason() +
         "); --isolate defaults to none\n";
}

Result<HostFunctions, Failure> SandboxedHostFunctions(const CliArgs& args) {
  HostFunctions host = CliHostFunctions();
  isolation::Capabilities caps;
  auto grant = [](Result<Unit, std::string> r) -> Result<Unit, Failure> {
    if (!r) return Err(Failure{kExitNoInput, "trinity: cannot grant " + r.error() + "\n"});
    return Unit{};
  };
  for (const std::string& p : args.allow_read) {
    if (auto g = grant(caps.AllowRead(ResolvePath(p))); !g) return Err(g.error());
  }
  for (const std::string& p : args.allow_write) {
    if (auto g = grant(caps.AllowWrite(ResolvePath(p))); !g) return Err(g.error());
  }
  for (const std::string& p : args.allow_append) {
    if (auto g = grant(caps.AllowAppend(ResolvePath(p))); !g) return Err(g.error());
  }
  const bool any_grant = !caps.grants().empty();
  auto io = isolation::UringIo::Create(std::move(caps));
  if (!io) {
    // Without grants a missing ring only costs the file functions' clear refusals.
    if (!any_grant) return host;
    return Err(Failure{kExitInvalidInput, "trinity: plugin I/O unavailable: " + io.error() + "\n"});
  }
  isolation::RegisterUringHostFunctions(std::move(io.value()), host);
  return host;
}

void NoteIfProcStaysVisible(const SandboxPlan& plan) {
  if (plan.policy == nullptr || !plan.policy->hides_proc) return;
  static std::once_flag once;
  std::call_once(once, [] {
    auto abi = isolation::LandlockAbi();
    if (abi) return;
    std::fprintf(stderr, "trinity: %s; /proc stays visible, so plugins that break out of the "
                 "VM could open /proc/self/mem past MPK\n", abi.error().c_str());
  });
}

// The C library picks a stream's buffering on its first output, asking a character
// device whether it is a terminal (ioctl TCGETS) — a call the strict policy refuses. Settle
// the buffering of stdout and stderr now, while that question may still be asked.
void SettleStdioBuffering() {
  static char stdout_buffer[BUFSIZ];
  std::fflush(stdout);
  std::setvbuf(stdout, stdout_buffer, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, sizeof stdout_buffer);
  std::fflush(stderr);
  std::setvbuf(stderr, nullptr, _IONBF, 0);
}

Result<Unit, Failure> LockDown(const SandboxPlan& plan) {
  if (plan.policy == nullptr) return Unit{};
  SettleStdioBuffering();
  if (plan.policy->hides_proc) {
    if (size_t threads = RunningThreads(); threads > 1) {
      return Err(Failure{kExitInvalidInput,
                         "trinity: cannot apply --sandbox=" + std::string(plan.policy->name) +
                             ": " + std::to_string(threads) +
                             " threads are running and Landlock would hide /proc from this "
                             "one only\n"});
    }
    NoteIfProcStaysVisible(plan);
  }
  auto installed = isolation::InstallSeccompPolicy(*plan.policy, isolation::ViolationResponse::kTrap,
                                                   isolation::WithoutLandlock::kLoad, plan.jit_code);
  if (!installed) {
    return Err(Failure{kExitInvalidInput, "trinity: cannot apply --sandbox=" +
                                              std::string(plan.policy->name) + ": " +
                                              installed.error() + "\n"});
  }
  return Unit{};
}

void ExitLockedDown(int status) {
  std::fflush(stdout);
  std::fflush(stderr);
  _exit(status);
}

}  // namespace trinity::cli
