// Installing a seccomp policy (seccomp_policy.h) as a kernel filter with libseccomp, and
// the audit side of violations: a SIGSYS hook that fires the USDT probe
// trinity:seccomp_violation and counts the violation before fault containment turns it
// into a `forbidden syscall` Trap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "isolation/seccomp_policy.h"
#include "runtime/result.h"

namespace trinity::isolation {

enum class ViolationResponse : uint8_t {
  kTrap,         // SECCOMP_RET_TRAP: SIGSYS, contained as a Trap while plugin code runs
  kKillProcess,  // SECCOMP_RET_KILL_PROCESS: for workers whose supervisor reports it
};

// What installing a policy with `hides_proc` does on a kernel without Landlock.
enum class WithoutLandlock : uint8_t {
  kRefuse,  // load nothing and return the error: /proc/self/mem must not stay open
  kLoad,    // load the seccomp filter alone; the caller has told its user (LandlockAbi())
};

// Where a JIT publishes code (jit::TraceJit::code_region): with it, the filter lets
// mprotect make pages read+execute inside [base, base + size) for at most `size` bytes, and
// nowhere else; writable+executable and execute-only stay refused everywhere, and mmap
// never maps executable memory. `size` must be a power of two and `base` aligned to twice
// it, with [base + size, base + 2 * size) a guard nothing maps, so a range that starts in
// the region and is no longer than it stays inside region and guard.
struct JitCodeRegion {
  uintptr_t base = 0;
  size_t size = 0;
};

// Applies `policy` to every thread of the process (TSYNC), irreversibly; where
// /dev/trinity exists, the kernel must then confirm the filter and the absence of
// writable+executable mappings, or the call fails (the filter stays). Before loading
// it, installs the audit hook and fault containment and prepares this thread's
// alternate signal stack, because those need calls the strict policy refuses; and, when
// the policy refuses pkey_mprotect or pkey_alloc, seals MPK (SealMpkKeys in
// mpk_isolation.h: protection keys stop rotating among instances).
//
// A policy with `hides_proc` first hides /proc with HideProcFromThisThread(), which,
// unlike the filter, binds only the calling thread and those it creates afterwards: call
// this before starting threads that run plugins. Any Landlock failure other than a
// missing Landlock fails the install whatever `without_landlock` says.
Result<Unit, std::string> InstallSeccompPolicy(
    const SeccompPolicy& policy, ViolationResponse response = ViolationResponse::kTrap,
    WithoutLandlock without_landlock = WithoutLandlock::kRefuse,
    std::optional<JitCodeRegion> jit_code = std::nullopt);

// Installs the SIGSYS audit hook in front of fault containment (idempotent).
void InstallSeccompAudit();

// Violations seen by the audit hook in this process, and the last refused call's number.
uint64_t SeccompViolationCount();
int LastRefusedSyscall();

}  // namespace trinity::isolation
