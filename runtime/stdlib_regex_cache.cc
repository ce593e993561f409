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
  // Make room under the heap limit by dropping older patterns before giving up.
  size_t budget = PatternBudget(vm.heap.limit());
  while (!cache.entries.empty() && vm.heap.bytes() + budget > vm.heap.limit()) cache.EvictLeastRecentlyUsed();
  vm.heap.ChargeExternal(budget);
  RegexCache::Entry entry{std::string(pattern), nullptr, budget, cache.clock};
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
    vm.heap.ReleaseExternal(budget);
    throw;
  }
  cache.entries.push_back(std::move(entry));
  return *cache.entries.back().re;
}

}  // namespace trinity
