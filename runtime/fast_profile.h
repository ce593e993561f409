// Dynamic counts of the fast tier's instructions and of adjacent instruction pairs, the
// measurements superinstructions are chosen from (bench/opcode_pairs.py). The loop counts
// only when built with TRINITY_FAST_PROFILE (bench:opcode_pairs); counters are
// process-wide and not thread-safe.
#pragma once

#include <cstdint>
#include <cstdio>

#include "runtime/fast_code.h"

namespace trinity {

struct FastProfile {
  uint64_t ops[kFastOpCount] = {};
  uint64_t pairs[kFastOpCount][kFastOpCount] = {};  // [previous][next]
};

FastProfile& GlobalFastProfile();

// Counts the instruction whose handler is `handler` (`handlers` is the loop's table).
void CountFastStep(const void* const* handlers, const void* handler);

// "op MNEMONIC COUNT" and "pair FIRST SECOND COUNT" lines, nonzero counts only.
void WriteFastProfile(std::FILE* out);

}  // namespace trinity
