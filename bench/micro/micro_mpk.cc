// Cost of MPK isolation: one enter+exit gate pair (a plugin domain entered and left with
// an empty body), and a host→plugin→host round trip (Instance::Call of an export that
// calls one host function), with MPK and without. Reports ns per iteration and cycles
// (rdtsc) as a counter. Where the CPU lacks protection keys the MPK cases skip.
#include <benchmark/benchmark.h>
#include <x86intrin.h>

#include <memory>

#include "isolation/containment_gate.h"
#include "isolation/mpk_isolation.h"
#include "runtime/code_emitter.h"
#include "runtime/module.h"
#include "runtime/module_writer.h"
#include "runtime/trinity.h"
#include "runtime/verifier.h"

namespace {

using namespace trinity;

// export fn call_host() { return host_id() }
std::shared_ptr<const Module> RoundTripModule() {
  Module m;
  m.imports.push_back("host_id");
  Function f;
  f.name = "call_host";
  CodeEmitter e;
  e.SetLine(1);
  e.Emit(Op::kCallHost, 0, 0);
  e.Emit(Op::kReturn);
  e.Finish(f);
  m.functions.push_back(std::move(f));
  m.exports.push_back(Export{"call_host", 0});
  m.functions[0].max_stack = ComputeMaxStack(m, m.functions[0]).value();
  auto loaded = LoadModule(WriteModule(m));
  return loaded.ok() ? loaded.value() : nullptr;
}

HostFunctions RoundTripHost() {
  HostFunctions host;
  host.Register("host_id", 0, [](HostArgs) -> Result<HostValue, std::string> { return HostValue::Int(7); });
  return host;
}

void ReportCycles(benchmark::State& state, uint64_t cycles) {
  state.counters["cycles"] = benchmark::Counter(static_cast<double>(cycles),
                                                benchmark::Counter::kAvgIterations);
}

void BM_GatePairMpk(benchmark::State& state) {
  if (!isolation::MpkAvailable()) {
    state.SkipWithError(("no MPK: " + isolation::MpkUnavailableReason()).c_str());
    return;
  }
  auto domain = isolation::MpkDomain::Create(isolation::IsolationPolicy::kRequired).value();
  DomainGate* gate = domain->gate();
  std::function<void()> empty = [] {};
  (void)gate->RunPlugin(empty);  // binds the hardware key
  uint64_t start = __rdtsc();
  for (auto _ : state) benchmark::DoNotOptimize(gate->RunPlugin(empty));
  ReportCycles(state, __rdtsc() - start);
}
BENCHMARK(BM_GatePairMpk);

// The same gate without the domain switch: fault containment only (the fallback gate).
void BM_GatePairContainmentOnly(benchmark::State& state) {
  isolation::ContainmentGate gate;
  std::function<void()> empty = [] {};
  uint64_t start = __rdtsc();
  for (auto _ : state) benchmark::DoNotOptimize(gate.RunPlugin(empty));
  ReportCycles(state, __rdtsc() - start);
}
BENCHMARK(BM_GatePairContainmentOnly);

void BM_RoundTrip(benchmark::State& state, bool isolate) {
  if (isolate && !isolation::MpkAvailable()) {
    state.SkipWithError(("no MPK: " + isolation::MpkUnavailableReason()).c_str());
    return;
  }
  std::unique_ptr<isolation::MpkDomain> domain;
  InstanceOptions options;
  if (isolate) {
    domain = isolation::MpkDomain::Create(isolation::IsolationPolicy::kRequired).value();
    domain->Configure(options);
  }
  auto instance = Instance::Create(RoundTripModule(), RoundTripHost(), options).value();
  (void)instance->Call("call_host");
  uint64_t start = __rdtsc();
  for (auto _ : state) benchmark::DoNotOptimize(instance->Call("call_host"));
  ReportCycles(state, __rdtsc() - start);
  instance.reset();
}
BENCHMARK_CAPTURE(BM_RoundTrip, plain, false);
BENCHMARK_CAPTURE(BM_RoundTrip, mpk, true);

}  // namespace
