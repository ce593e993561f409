// Measures memory per live plugin instance: creates N instances of a small,
// plugin-shaped module, runs each once, and reports the growth of peak RSS divided by N.
// With --emit it also writes that module as .tbc for minimal_host (see footprint.sh).
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "lang/compiler.h"
#include "runtime/module_writer.h"
#include "runtime/trinity.h"

namespace {

// Globals, a map built at start-up and string work per call: the state a header-
// rewriting plugin keeps, so the per-instance figure reflects a realistic plugin.
constexpr const char* kPlugin = R"(
let renames = {}
renames["x-forwarded-for"] = "x-real-ip"
renames["user-agent"] = "x-client"
let seen = 0

export fn rewrite(name, value) {
  seen += 1
  let key = lower(trim(name))
  if has(renames, key) { key = renames[key] }
  return key + ": " + value
}

export fn square(n) {
  return n * n
}
)";

long MaxRssKiB() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  int n = 1000;
  const char* emit = nullptr;
  for (int i = 1; i < argc; i++) {
    if (std::strcmp(argv[i], "--emit") == 0 && i + 1 < argc) {
      emit = argv[++i];
    } else {
      n = std::atoi(argv[i]);
    }
  }
  if (n <= 0) n = 1;

  auto compiled = trinity::lang::CompileSource(kPlugin, "instance_rss.tri");
  if (!compiled.ok()) {
    std::fprintf(stderr, "instance_rss: plugin does not compile (%zu errors)\n", compiled.error().size());
    return 1;
  }
  std::vector<uint8_t> bytes = trinity::WriteModule(compiled.value());
  if (emit) {
    std::FILE* f = std::fopen(emit, "wb");
    if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) {
      std::perror(emit);
      return 1;
    }
    std::fclose(f);
  }
  auto module = trinity::LoadModule(bytes);
  if (!module.ok()) {
    std::fprintf(stderr, "instance_rss: %s\n", module.error().ToString().c_str());
    return 1;
  }

  trinity::HostFunctions host;
  const trinity::HostValue args[2] = {trinity::HostValue::String(" User-Agent "),
                                      trinity::HostValue::String("bench")};
  const long before = MaxRssKiB();
  std::vector<std::unique_ptr<trinity::Instance>> live;
  live.reserve(n);
  size_t heap_bytes = 0;
  for (int i = 0; i < n; i++) {
    auto inst = trinity::Instance::Create(module.value(), host);
    if (!inst.ok()) {
      std::fprintf(stderr, "instance_rss: %s\n", inst.error().c_str());
      return 1;
    }
    auto r = inst.value()->Call("rewrite", args);
    if (!r.ok()) {
      std::fprintf(stderr, "instance_rss: trap %s\n", r.error().ToString().c_str());
      return 1;
    }
    heap_bytes += inst.value()->heap_bytes();
    live.push_back(std::move(inst.value()));
  }
  const long after = MaxRssKiB();
  std::printf("instances %d\n", n);
  std::printf("module_bytes %zu\n", bytes.size());
  std::printf("peak_rss_before_kib %ld\n", before);
  std::printf("peak_rss_after_kib %ld\n", after);
  std::printf("rss_per_instance_kib %.2f\n", static_cast<double>(after - before) / n);
  std::printf("heap_bytes_per_instance %.0f\n", static_cast<double>(heap_bytes) / n);
  return 0;
}
