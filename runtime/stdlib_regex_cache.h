// Compiled RE2 patterns, cached per instance: at most kMaxCachedPatterns, least recently
// used evicted first. Each pattern gets an RE2 memory budget (max_mem) that is charged to
// the instance's heap limit for as long as it is cached.
#pragma once

#include <re2/re2.h>

#include <string_view>

#include "runtime/stdlib_meter.h"

namespace trinity {

inline constexpr size_t kMaxCachedPatterns = 32;

// RE2's max_mem for each pattern: 1 MiB, or a sixteenth of a smaller heap limit (at least
// 32 KiB). RE2 keeps its compiled program and its DFA caches within it.
size_t PatternBudget(size_t heap_limit);
// RE2's max_mem does not cover the parsed form RE2 builds before compiling and keeps
// while the pattern lives: measured with glibc's mallinfo2 (RE2 2022-12-01, Debian 12),
// up to about 1.8 KiB per pattern byte for a failing pattern of \pL classes and 2.5 KiB
// for a compiled [^\pL] repeated, program included. So each pattern charges the heap
// kChargePerPatternByte per byte on top of its budget, before RE2 sees it, and patterns
// longer than MaxPatternBytes (heap limit / 8192, between 256 bytes and 16 KiB: 16 KiB
// under the default limits, so at most a quarter of the heap limit is charged for one
// pattern's text) are rejected with a catchable error instead.
size_t MaxPatternBytes(size_t heap_limit);
inline constexpr size_t kChargePerPatternByte = 2048;

// The compiled `pattern`, from the cache or compiled now (metered by `meter`, charged to
// the heap). A pattern RE2 rejects traps with kind `error` and RE2's message. The reference
// stays valid until the next call of this function.
const RE2& CompiledPattern(WorkMeter& meter, std::string_view pattern);

}  // namespace trinity
