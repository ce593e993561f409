// PerfMap: appends one flushed line per code block so a profiler that samples while the
// plugin still runs already sees the names.
#include "jit/perf_map.h"

#include <unistd.h>

#include <cinttypes>

namespace trinity::jit {

PerfMap::PerfMap(std::string path) : path_(std::move(path)) {
  if (path_.empty()) path_ = "/tmp/perf-" + std::to_string(getpid()) + ".map";
  file_ = std::fopen(path_.c_str(), "a");
}

PerfMap::~PerfMap() {
  if (file_ != nullptr) std::fclose(file_);
}

void PerfMap::Add(const void* start, size_t size, std::string_view name) {
  if (file_ == nullptr) return;
  std::string clean;
  clean.reserve(name.size());
  for (char c : name) clean.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  std::fprintf(file_, "%" PRIxPTR " %zx %s\n", reinterpret_cast<uintptr_t>(start), size,
               clean.c_str());
  std::fflush(file_);
}

}  // namespace trinity::jit
