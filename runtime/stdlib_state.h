// Per-instance state of the standard library (runtime/stdlib_*.cc): caches that make
// repeated calls cheap. Their memory is charged to the instance's heap limit, and they are
// cleared together with the heap (creation, Reset, a contained fault).
#pragma once

#include <memory>

namespace trinity {

struct RegexCache;  // stdlib_regex_cache.cc
struct RegexCacheDeleter {
  void operator()(RegexCache* cache) const;
};

struct LibraryState {
  std::unique_ptr<RegexCache, RegexCacheDeleter> regex;  // created on first use

  void Clear() { regex.reset(); }
};

}  // namespace trinity
