// Micro-benchmark of the front end: CompileSource throughput per KiB of .tri source,
// alone and together with serialisation to the wire format (what `trinity run` pays).
#include <string>
#include <vector>

#include "bench/micro/generated_source.h"
#include "benchmark/benchmark.h"
#include "lang/compiler.h"
#include "runtime/module_writer.h"

namespace {

void ReportPerKiB(benchmark::State& state, size_t bytes) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes));
  state.counters["source_KiB"] = static_cast<double>(bytes) / 1024.0;
  state.counters["KiB"] = benchmark::Counter(static_cast<double>(state.iterations()) * bytes / 1024.0,
                                             benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// Argument: number of generated functions (about 0.5 KiB of source each).
void BM_Compile(benchmark::State& state) {
  const std::string source = trinity::bench::GeneratedSource(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto module = trinity::lang::CompileSource(source, "generated.tri");
    if (!module.ok()) {
      state.SkipWithError("generated source does not compile");
      break;
    }
    benchmark::DoNotOptimize(module.value());
  }
  ReportPerKiB(state, source.size());
}
BENCHMARK(BM_Compile)->Arg(1)->Arg(16)->Arg(128)->Arg(1024);

void BM_CompileAndWrite(benchmark::State& state) {
  const std::string source = trinity::bench::GeneratedSource(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto module = trinity::lang::CompileSource(source, "generated.tri");
    if (!module.ok()) {
      state.SkipWithError("generated source does not compile");
      break;
    }
    std::vector<uint8_t> bytes = trinity::WriteModule(module.value());
    benchmark::DoNotOptimize(bytes.data());
  }
  ReportPerKiB(state, source.size());
}
BENCHMARK(BM_CompileAndWrite)->Arg(16)->Arg(128);

}  // namespace
