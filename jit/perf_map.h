// The perf map: one line "START SIZE name" (hex, no 0x) per published piece of JIT code in
// /tmp/perf-PID.map, the format `perf report` reads to name code it has no symbols for.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace trinity::jit {

class PerfMap {
 public:
  // Opens (appending) /tmp/perf-<pid>.map, or `path` when given (tests).
  explicit PerfMap(std::string path = "");
  ~PerfMap();
  PerfMap(const PerfMap&) = delete;
  PerfMap& operator=(const PerfMap&) = delete;

  bool ok() const { return file_ != nullptr; }
  const std::string& path() const { return path_; }
  // Names are sanitised to one line of printable characters.
  void Add(const void* start, size_t size, std::string_view name);

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
};

}  // namespace trinity::jit
