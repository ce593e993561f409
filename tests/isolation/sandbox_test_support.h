// Helpers for the seccomp, io_uring and process-tier tests: running a check in a forked
// child (a filter is irreversible, so the test runner itself must never load one),
// compiling .tri source, and a gate that lets a host function stand in for VM code.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "isolation/fault_containment.h"
#include "lang/compiler.h"
#include "runtime/module_writer.h"
#include "runtime/trinity.h"

namespace trinity::isolation::testing {

struct ChildOutcome {
  int status = 0;       // from waitpid
  std::string report;   // what the body returned: empty means every check passed
  bool Passed() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0 && report.empty(); }
  std::string Describe() const {
    std::string s = report;
    if (WIFSIGNALED(status)) s += " [child killed by signal " + std::to_string(WTERMSIG(status)) + "]";
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
      s += " [child exited " + std::to_string(WEXITSTATUS(status)) + "]";
    }
    return s;
  }
};

// Runs `body` in a forked child; its return value (failures, "" if none) comes back
// through a pipe. The child ends with _exit, so no exit handler runs under its filter.
// The body runs on a second thread: under ASan, leaving a signal handler for the main
// thread's stack makes ASan look up that stack in /proc/self/maps (pthread_getattr_np),
// an open the strict policy refuses; other threads' bounds come without a system call.
inline ChildOutcome RunInChild(const std::function<std::string()>& body) {
  int p[2];
  if (pipe(p) != 0) return {0, "pipe failed"};
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    std::string report;
    std::thread runner([&] { report = body(); });
    runner.join();
    if (!report.empty() && write(p[1], report.data(), report.size()) < 0) _exit(3);
    _exit(0);
  }
  close(p[1]);
  ChildOutcome out;
  char buf[4096];
  ssize_t n;
  while ((n = read(p[0], buf, sizeof buf)) > 0) out.report.append(buf, static_cast<size_t>(n));
  close(p[0]);
  waitpid(pid, &out.status, 0);
  return out;
}

inline std::vector<uint8_t> CompileToBytes(std::string_view source) {
  auto compiled = lang::CompileSource(source, "test.tri");
  if (!compiled.ok()) return {};
  return WriteModule(compiled.value());
}

inline std::shared_ptr<const Module> Compile(std::string_view source) {
  auto loaded = LoadModule(CompileToBytes(source));
  if (!loaded.ok()) return nullptr;
  return loaded.value();
}

// Host calls run with containment still armed: the test's host function plays the part
// of a compromised VM issuing system calls from plugin context.
class CompromisedVmGate final : public DomainGate {
 public:
  std::optional<Trap> RunPlugin(const std::function<void()>& body) override {
    std::optional<ContainedFault> fault = RunContained(body);
    if (!fault) return std::nullopt;
    return TrapFromFault(*fault);
  }
  void RunHost(const std::function<void()>& body) override { body(); }
};

}  // namespace trinity::isolation::testing
