// Whether this CPU and kernel offer memory protection keys, probed once per process, and
// the single notice the runtime prints when it has to run plugins without them, and the
// page size memory is tagged by.
#pragma once

#include <cstddef>
#include <string>

namespace trinity::isolation {

struct MpkSupport {
  bool available = false;
  std::string reason;  // why not, when !available: names the missing feature
};

// CPUID PKU/OSPKE bits, then a real pkey_alloc/pkey_free. Setting the environment
// variable TRINITY_DISABLE_MPK to anything but "" or "0" reports MPK as unavailable, so
// operators (and the fallback test) can force the unisolated path on capable machines.
const MpkSupport& ProbeMpkSupport();

// The system page size, and `n` rounded up to whole pages (memory is tagged by page).
size_t PageSize();
size_t PageRound(size_t n);

// Writes "trinity: ... running plugins without MPK isolation" to stderr, once per process.
void NoteRunningUnisolated();

}  // namespace trinity::isolation
