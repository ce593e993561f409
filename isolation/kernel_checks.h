// The isolation layer's kernel cross-checks, at its few moments of change: an MPK domain
// created, the sandbox locked down, JIT code emitted. Each asks the process's attestor
// (kernel_attestor.h) and compares the kernel's view with what the layer believes; any
// disagreement is an error, so isolation fails closed. Without an attestor they pass.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "isolation/kernel_attestor.h"
#include "runtime/result.h"

namespace trinity::isolation {

// What the layer believes about a domain it just created.
struct DomainBelief {
  MemoryRange reservation;  // tagged with `pkey`, never executable
  int pkey = -1;
  uint32_t id = 0;          // the instance id, for messages
};

// What the layer believes once a seccomp policy is loaded.
struct LockDownBelief {
  uint32_t min_filters = 1;  // filters this process loaded itself (an embedder may add more)
};

// The comparisons alone, one line per disagreement (empty when the kernel agrees).
// At every moment: the thread's PKRU (`user_pkru` is RDPKRU in the same thread, or -1
// where the CPU has no PKU: UserPkru()) and no writable+executable mapping.
std::vector<std::string> CompareProcess(const KernelView& view, int64_t user_pkru);
// The domain's reservation (view.ranges[0]) and the host's rights to its key.
std::vector<std::string> CompareDomain(const KernelView& view, const DomainBelief& belief);
// The seccomp filters.
std::vector<std::string> CompareLockedDown(const KernelView& view, const LockDownBelief& belief);

// Attest and compare, through ProcessAttestor(). The error lists every disagreement.
Result<Unit, std::string> AttestDomainCreated(const DomainBelief& belief);
Result<Unit, std::string> AttestLockedDown(const LockDownBelief& belief);

// For the JIT: the kernel accepts [code, code + size) as JIT code named `name` and fires
// trinity:jit_code. Returns the pages' key, or -1 when there is no attestor.
Result<int, std::string> RegisterJitCode(const void* code, size_t size, std::string_view name);

// RDPKRU where the CPU has protection keys, else -1.
int64_t UserPkru();

}  // namespace trinity::isolation
