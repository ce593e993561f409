// Fault containment for plugin execution: a protection-key fault (SIGSEGV, SEGV_PKUERR) or
// a seccomp trap (SIGSYS, SYS_SECCOMP) raised on a thread while it runs contained code
// abandons that code and is returned as a value. Every other fault, and any fault outside
// contained code, reaches the previous handler (or the default action) as if this layer
// were not installed, so real crashes still crash.
//
// What this relies on from the kernel: the handler runs on this layer's alternate stack
// (key 0) and touches only key-0 memory (the thread's TLS and the contained caller's native
// stack), which every PKRU value the runtime uses — and the kernel's default PKRU that
// Linux gives signal handlers — leaves accessible. The handler leaves with siglongjmp, not
// rt_sigreturn, so the PKRU it ran with stays in force: the caller must write the PKRU it
// wants immediately afterwards (RunContained does, with `pkru_after_fault`).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "runtime/trinity.h"

namespace trinity::isolation {

struct ContainedFault {
  int signal = 0;            // SIGSEGV or SIGSYS
  int code = 0;              // SEGV_PKUERR or SYS_SECCOMP
  uintptr_t address = 0;     // faulting data address (SIGSEGV)
  int pkey = -1;             // protection key of that address (SIGSEGV)
  bool write = false;        // the access was a write (SIGSEGV)
  int syscall = -1;          // refused system call number (SIGSYS)
};

// Installs the SIGSEGV and SIGSYS handlers (once per process, remembering the previous
// dispositions for forwarding). RunContained calls it; hosts that install their own
// handlers afterwards must forward to it for containment to keep working.
void InstallFaultContainment();

// Runs `body` with containment armed on this thread. Returns the fault that abandoned it,
// or nullopt when it finished. When `pkru_after_fault` is given (MPK builds) it is written
// with a checked WRPKRU right after a fault is caught, before anything else runs.
// Exceptions thrown by `body` propagate with containment disarmed.
std::optional<ContainedFault> RunContained(const std::function<void()>& body,
                                           std::optional<uint32_t> pkru_after_fault = {});

// While one of these lives, faults on this thread are not contained: host code called
// from plugin code (a host function) crashes like any host code. Nested RunContained
// calls (a host function calling into another instance) arm containment again inside.
class ContainmentSuspension {
 public:
  ContainmentSuspension();
  ~ContainmentSuspension();
  ContainmentSuspension(const ContainmentSuspension&) = delete;
  ContainmentSuspension& operator=(const ContainmentSuspension&) = delete;

 private:
  void* saved_;
};

// The Trap for a contained fault: kIsolationViolation with address and key, or
// kForbiddenSyscall naming the system call. `key_owner` describes what the key protects.
Trap TrapFromFault(const ContainedFault& fault, const std::string& key_owner = "");

}  // namespace trinity::isolation
