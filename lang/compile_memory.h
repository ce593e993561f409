// Memory accounting for one compilation. Each stage charges what it allocates for the
// program (tokens, syntax tree nodes, symbols, generated code) against one budget, so a
// hostile source ends in a compile error at a bounded size instead of exhausting the
// host's memory.
#pragma once

#include <cstddef>
#include <cstdint>

#include "lang/diagnostics.h"

namespace trinity::lang {

// Thrown by CompileMemory::Charge when the budget is spent; the error is already in the
// Diagnostics. CompileSource catches it; it never leaves lang/.
struct CompileMemoryExhausted {};

class CompileMemory {
 public:
  // What one heap allocation costs beyond the bytes asked for (malloc's header and
  // rounding), and a vector's spare capacity per element: both charged so the budget
  // tracks resident memory, not just object sizes.
  static constexpr size_t kAllocationOverhead = 16;

  CompileMemory(size_t limit, Diagnostics& diags) : limit_(limit), diags_(diags) {}
  CompileMemory(const CompileMemory&) = delete;
  CompileMemory& operator=(const CompileMemory&) = delete;

  // Records `bytes` allocated for the source at line:col. Past the limit: reports the
  // error there and throws CompileMemoryExhausted.
  void Charge(size_t bytes, uint32_t line, uint32_t col);
  // Gives back bytes whose memory was freed (the tokens, once the tree is built).
  void Release(size_t bytes) { used_ = bytes < used_ ? used_ - bytes : 0; }

  size_t used() const { return used_; }
  size_t peak() const { return peak_; }
  size_t limit() const { return limit_; }

 private:
  size_t limit_;
  size_t used_ = 0;
  size_t peak_ = 0;
  Diagnostics& diags_;
};

// Charges through `memory` when a stage has one; stages also run without (tests).
inline void ChargeTo(CompileMemory* memory, size_t bytes, uint32_t line, uint32_t col) {
  if (memory != nullptr) memory->Charge(bytes, line, col);
}

// Heap bytes a std::string holds beyond its own object (0 while it fits the small buffer).
inline size_t StringHeapBytes(size_t length) {
  return length < 16 ? 0 : length + 1 + CompileMemory::kAllocationOverhead;
}

}  // namespace trinity::lang
