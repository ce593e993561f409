// The per-instance cache of compiled patterns (stdlib_regex_cache.h).
#include "runtime/stdlib_regex_cache.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "runtime/stdlib_state.h"

namespace trinity {

struct RegexCache {
  struct Entry {
    std::string pattern;
    std::unique_ptr<RE2> re;
    size_t charge;
    uint64_t last_used;
  };

  explicit RegexCache(Heap& h) : heap(h) {}
  ~RegexCache() {
    while (!entries.empty()) Evict(0);
  }

  void Evict(size_t index) {
    heap.ReleaseExternal(entries[index].charge);
    entries.erase(entries.begin() + static_cast<ptrdiff_t>(index));
  }
  void EvictLeastRecentlyUsed() {
    auto oldest = std::min_element(entries.begin(), entries.end(),
                                   [](const Entry& a, const Entry& b) { return a.last_used < b.last_used; });
    Evict(static_cast<size_t>(oldest - entries.begin()));
  }

  Heap& heap;
  std::vector<Entry> entries;
  uint64_t clock = 0;
};

void RegexCacheDeleter::operator()(RegexCache* cache) const { delete cache; }

size_t PatternBudget(size_t heap_limit) {
  constexpr size_t kMax = 1u << 20, kMin = 32u << 10;
  return std::clamp(heap_limit / 16, kMin, kMax);
}

size_t MaxPatternBytes(size_t heap_limit) {
  constexpr size_t kMax = 16u << 10, kMin = 256;
  return std::clamp(heap_limit / 8192, kMin, kMax);
}

const RE2& CompiledPattern(WorkMeter& meter, std::string_view pattern) {
  Instance::Impl& vm = meter.vm();
  if (!vm.library.regex) vm.library.regex.reset(new RegexCache(vm.heap));
  RegexCache& cache = *vm.library.regex;
  ++cache.clock;
  for (RegexCache::Entry& e : cache.entries) {
    if (e.pattern == pattern) {
      e.last_used = cache.clock;
      return *e.re;
    }
  }
  if (cache.entries.size() == kMaxCachedPatterns) cache.EvictLeastRecentlyUsed();
  size_t budget = PatternBudget(vm.heap.limit());
  // RE2's max_mem bounds its compiled programs and DFA caches, not the parsed form it
  // builds first and keeps, nor the copies of the pattern text: those grow with the
  // pattern, so its length is bounded and they are charged per pattern byte as well
  // (stdlib_regex_cache.h), before RE2 sees the pattern.
  if (pattern.size() > MaxPatternBytes(vm.heap.limit())) {
    ThrowTrap(TrapKind::kError, std::string(meter.fn()) + "(): invalid pattern: pattern too large: " +
                                    std::to_string(pattern.size()) + " bytes, at most " +
                                    std::to_string(MaxPatternBytes(vm.heap.limit())));
  }
  size_t charge = budget + kChargePerPatternByte * pattern.size();
  // Make room under the heap limit by dropping older patterns before giving up.
  while (!cache.entries.empty() && vm.heap.bytes() + charge > vm.heap.limit()) cache.EvictLeastRecentlyUsed();
  vm.heap.ChargeExternal(charge);
  RegexCache::Entry entry{std::string(pattern), nullptr, charge, cache.clock};
  try {
    meter.Add(pattern.size());
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(static_cast<int64_t>(budget));
    entry.re = std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
    if (!entry.re->ok()) {
      ThrowTrap(TrapKind::kError, std::string(meter.fn()) + "(): invalid pattern: " + entry.re->error());
    }
    // Compiling is work in proportion to the program it produced.
    meter.Add(static_cast<uint64_t>(entry.re->ProgramSize()) * 16);
  } catch (...) {
    vm.heap.ReleaseExternal(charge);
    throw;
  }
  cache.entries.push_back(std::move(entry));
  return *cache.entries.back().re;
}

}  // namespace trinity
