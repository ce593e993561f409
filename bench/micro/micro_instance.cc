// Micro-benchmarks of the embedding API's per-request costs: a whole instance
// lifecycle, a bare export call, a reset, and a host->plugin->host round trip.
// These bound how cheap "one instance per request" really is.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "lang/compiler.h"
#include "runtime/module_writer.h"
#include "runtime/trinity.h"

namespace {

// Benchmarks cannot report errors as values, and a broken fixture makes every number
// meaningless, so setup failures abort loudly.
std::shared_ptr<const trinity::Module> MustLoad(const std::string& source) {
  auto compiled = trinity::lang::CompileSource(source, "micro_instance.tri");
  if (!compiled.ok()) {
    std::fprintf(stderr, "micro_instance: fixture does not compile (%zu errors)\n",
                 compiled.error().size());
    std::abort();
  }
  std::vector<uint8_t> bytes = trinity::WriteModule(compiled.value());
  auto loaded = trinity::LoadModule(bytes);
  if (!loaded.ok()) {
    std::fprintf(stderr, "micro_instance: %s\n", loaded.error().ToString().c_str());
    std::abort();
  }
  return loaded.value();
}

std::unique_ptr<trinity::Instance> MustCreate(std::shared_ptr<const trinity::Module> module,
                                              const trinity::HostFunctions& host) {
  auto inst = trinity::Instance::Create(std::move(module), host);
  if (!inst.ok()) {
    std::fprintf(stderr, "micro_instance: %s\n", inst.error().c_str());
    std::abort();
  }
  return std::move(inst.value());
}

void MustSucceed(const trinity::Result<trinity::HostValue, trinity::Trap>& r) {
  if (!r.ok()) {
    std::fprintf(stderr, "micro_instance: trap %s\n", r.error().ToString().c_str());
    std::abort();
  }
}

constexpr const char* kTinyPlugin = R"(
let calls = 0
export fn add1(x) {
  calls += 1
  return x + 1
}
)";

constexpr const char* kHostCaller = R"(
import fn host_add(a, b)
export fn relay(x) {
  return host_add(x, 1)
}
)";

trinity::HostFunctions HostWithAdd() {
  trinity::HostFunctions host;
  host.Register("host_add", 2, [](trinity::HostArgs args) -> trinity::Result<trinity::HostValue, std::string> {
    return trinity::HostValue::Int(args.Int(0) + args.Int(1));
  });
  return host;
}

// The full per-request path when nothing is pooled: link, allocate, run top level,
// call one export, free everything.
void BM_InstanceCreateCallDestroy(benchmark::State& state) {
  auto module = MustLoad(kTinyPlugin);
  trinity::HostFunctions host;
  const trinity::HostValue arg = trinity::HostValue::Int(41);
  for (auto _ : state) {
    auto inst = MustCreate(module, host);
    MustSucceed(inst->Start());
    auto r = inst->Call("add1", {&arg, 1});
    MustSucceed(r);
    benchmark::DoNotOptimize(r.value().i);
  }
}
BENCHMARK(BM_InstanceCreateCallDestroy);

// Reusing one instance and resetting it between requests, the cheaper pooled path.
void BM_InstanceResetCall(benchmark::State& state) {
  auto module = MustLoad(kTinyPlugin);
  trinity::HostFunctions host;
  auto inst = MustCreate(module, host);
  const trinity::HostValue arg = trinity::HostValue::Int(41);
  for (auto _ : state) {
    inst->Reset();
    auto r = inst->Call("add1", {&arg, 1});
    MustSucceed(r);
    benchmark::DoNotOptimize(r.value().i);
  }
}
BENCHMARK(BM_InstanceResetCall);

// One host->plugin call on a warm instance: argument marshalling, limits set-up,
// frame push and result conversion.
void BM_CallExport(benchmark::State& state) {
  auto module = MustLoad(kTinyPlugin);
  trinity::HostFunctions host;
  auto inst = MustCreate(module, host);
  MustSucceed(inst->Start());
  const trinity::HostValue arg = trinity::HostValue::Int(41);
  for (auto _ : state) {
    auto r = inst->Call("add1", {&arg, 1});
    MustSucceed(r);
    benchmark::DoNotOptimize(r.value().i);
  }
}
BENCHMARK(BM_CallExport);

// host -> plugin -> host -> plugin -> host: the export immediately calls back into an
// imported host function, so each iteration crosses the boundary four times.
void BM_HostPluginHostRoundTrip(benchmark::State& state) {
  auto module = MustLoad(kHostCaller);
  trinity::HostFunctions host = HostWithAdd();
  auto inst = MustCreate(module, host);
  MustSucceed(inst->Start());
  const trinity::HostValue arg = trinity::HostValue::Int(41);
  for (auto _ : state) {
    auto r = inst->Call("relay", {&arg, 1});
    MustSucceed(r);
    benchmark::DoNotOptimize(r.value().i);
  }
}
BENCHMARK(BM_HostPluginHostRoundTrip);

}  // namespace
