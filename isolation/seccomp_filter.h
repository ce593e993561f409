// Installing a seccomp policy (seccomp_policy.h) as a kernel filter with libseccomp, and
// the audit side of violations: a SIGSYS hook that fires the USDT probe
// trinity:seccomp_violation and counts the violation before fault containment turns it
// into a `forbidden syscall` Trap.
#pragma once

#include <cstdint>
#include <string>

#include "isolation/seccomp_policy.h"
#include "runtime/result.h"

namespace trinity::isolation {

enum class ViolationResponse : uint8_t {
  kTrap,         // SECCOMP_RET_TRAP: SIGSYS, contained as a Trap while plugin code runs
  kKillProcess,  // SECCOMP_RET_KILL_PROCESS: for workers whose supervisor reports it
};

// Applies `policy` to every thread of the process (TSYNC), irreversibly. Before loading
// it, installs the audit hook and fault containment and prepares this thread's
// alternate signal stack, because those need calls the strict policy refuses.
Result<Unit, std::string> InstallSeccompPolicy(const SeccompPolicy& policy,
                                               ViolationResponse response = ViolationResponse::kTrap);

// Installs the SIGSYS audit hook in front of fault containment (idempotent).
void InstallSeccompAudit();

// Violations seen by the audit hook in this process, and the last refused call's number.
uint64_t SeccompViolationCount();
int LastRefusedSyscall();

}  // namespace trinity::isolation
