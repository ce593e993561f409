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

// The compiled `pattern`, from the cache or compiled now (metered by `meter`, charged to
// the heap). A pattern RE2 rejects traps with kind `error` and RE2's message. The reference
// stays valid until the next call of this function.
const RE2& CompiledPattern(WorkMeter& meter, std::string_view pattern);

}  // namespace trinity
