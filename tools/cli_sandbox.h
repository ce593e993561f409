// How `trinity run` confines a plugin: the seccomp policy (--sandbox), where the plugin
// runs (--isolate) and what it may touch (--allow-*). Everything here happens before
// lock-down, because afterwards nothing can be opened or set up any more.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "isolation/seccomp_filter.h"
#include "isolation/seccomp_policy.h"
#include "runtime/result.h"
#include "runtime/trinity.h"
#include "tools/cli_args.h"
#include "tools/cli_status.h"

namespace trinity::cli {

struct SandboxPlan {
  const isolation::SeccompPolicy* policy = nullptr;  // nullptr: no filter
  Isolate isolate = Isolate::kNone;                  // resolved: never kDefault
  bool mpk_required = false;                         // --isolate=mpk given explicitly
  // --jit: where the JIT may make memory executable under the seccomp filter.
  std::optional<isolation::JitCodeRegion> jit_code;
};

// Resolves the defaults: --isolate is mpk where protection keys work and none otherwise
// (silently: a default that cannot apply is stated in --help and --version, not on every
// run; an explicit --isolate=mpk that cannot be honoured still refuses); --sandbox is
// none in-process and strict in process workers.
SandboxPlan PlanSandbox(const CliArgs& args);

// Whether MPK works on this machine, and so what --isolate defaults to, as one line for
// `run --help` and `--version`.
std::string MpkStatusLine();

// The CLI's host functions plus read_file/write_file/append_file on the granted paths
// (opened now). Call it where the plugin will run: in-process, or in each worker.
Result<HostFunctions, Failure> SandboxedHostFunctions(const CliArgs& args);

// Loads the filter; afterwards the process can still write to stdout/stderr and exit.
// A policy that hides /proc does so for this thread only (Landlock has no TSYNC), so
// LockDown fails if any other thread is running; the CLI starts none before it.
Result<Unit, Failure> LockDown(const SandboxPlan& plan);

// When the plan's policy should hide /proc and the kernel lacks Landlock, says so on
// stderr (once): the CLI then runs with the seccomp filter alone rather than not at all,
// since the user chose the permissive policy and is told what it lacks.
void NoteIfProcStaysVisible(const SandboxPlan& plan);

// Ends the process after lock-down: flushes stdio and leaves with _exit, because exit
// handlers (and sanitizers' leak checkers, which use ptrace) need calls the policy refuses.
[[noreturn]] void ExitLockedDown(int status);

}  // namespace trinity::cli
