// What the kernel says about this process's isolation (KernelView), and the interface the
// isolation layer asks it through. The one implementation is /dev/trinity (trinity_device.h,
// when kmod/trinity.ko is loaded); without it nothing is attested and everything still runs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/result.h"

namespace trinity::isolation {

// VMA rights and range flags, as the module reports them (kmod/trinity_uapi.h).
inline constexpr uint32_t kKernelProtRead = 1;
inline constexpr uint32_t kKernelProtWrite = 2;
inline constexpr uint32_t kKernelProtExec = 4;
inline constexpr uint32_t kRangeHole = 1;        // part of the range is not mapped
inline constexpr uint32_t kRangeMixedProt = 2;   // its VMAs differ in rights
inline constexpr uint32_t kRangeMixedPkey = 4;   // its VMAs differ in protection key

struct MemoryRange {
  uintptr_t start = 0;
  size_t length = 0;
};

struct AttestedRange {
  MemoryRange range;
  uint32_t prot = 0;   // union of the covering VMAs' rights
  int pkey = -1;       // the first covering VMA's key; -1 when nothing is mapped
  uint32_t flags = 0;  // kRange*
  uint32_t vmas = 0;
};

// The calling thread's state and the process's memory, read from kernel context.
struct KernelView {
  bool pkru_valid = false;  // the CPU and kernel use protection keys; pkru is live
  uint32_t pkru = 0;
  uint32_t seccomp_mode = 0;  // 0 none, 1 strict, 2 filter
  uint32_t seccomp_filters = 0;
  uint32_t vmas = 0;
  uint32_t wx_mappings = 0;  // writable and executable at once
  MemoryRange first_wx;
  std::vector<AttestedRange> ranges;  // one per range asked about, in order
};

class KernelAttestor {
 public:
  virtual ~KernelAttestor() = default;
  // Where the view comes from, for messages: "/dev/trinity (API 1.0)".
  virtual std::string source() const = 0;
  // At most kMaxAttestedRanges ranges.
  virtual Result<KernelView, std::string> Attest(std::span<const MemoryRange> ranges) = 0;
  // The kernel accepts [code, code + size) as JIT code only when it is mapped read+execute
  // and writable nowhere; returns the pages' protection key.
  virtual Result<int, std::string> RegisterJitCode(const void* code, size_t size,
                                                   std::string_view name) = 0;
};

inline constexpr size_t kMaxAttestedRanges = 64;

// The process's attestor: /dev/trinity, opened on the first call (the isolation layer
// makes that call before any seccomp filter loads, since open is refused afterwards), or
// nullptr when the device is absent. The descriptor stays open for the process's life.
KernelAttestor* ProcessAttestor();
// Replaces it (nullptr: none) for the rest of the process; for tests and for embedders
// that attest by other means. Not thread-safe against concurrent ProcessAttestor() calls.
void UseAttestor(KernelAttestor* attestor);

}  // namespace trinity::isolation
