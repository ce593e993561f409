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

struct JsonParserCache;  // stdlib_json_decode.cc
struct JsonParserCacheDeleter {
  void operator()(JsonParserCache* cache) const;
};

struct LibraryState {
  std::unique_ptr<RegexCache, RegexCacheDeleter> regex;          // created on first use
  std::unique_ptr<JsonParserCache, JsonParserCacheDeleter> json;  // kept for small documents

  void Clear() {
    regex.reset();
    json.reset();
  }
};

}  // namespace trinity
