// Costs of the kernel-enforced layer: a system call under each seccomp policy, io_uring
// file reads through the restricted ring against plain pread, and one request's round trip
// through the process tier against a call in the same process.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "isolation/process_tier.h"
#include "isolation/seccomp_filter.h"
#include "isolation/uring_io.h"
#include "lang/compiler.h"
#include "runtime/module_writer.h"
#include "runtime/trinity.h"

namespace {

using namespace trinity;
using namespace trinity::isolation;

// A filter cannot be removed, so each policy is measured in a forked child; the child's
// average per call becomes the benchmark's manual time.
double NanosPerGetpidUnder(const char* policy, int64_t calls) {
  int p[2];
  if (pipe(p) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    if (policy != nullptr && !InstallSeccompPolicy(*FindPolicy(policy))) _exit(1);
    auto start = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < calls; ++i) syscall(SYS_getpid);
    double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    ns /= static_cast<double>(calls);
    (void)!write(p[1], &ns, sizeof ns);
    _exit(0);
  }
  close(p[1]);
  double ns = -1;
  if (read(p[0], &ns, sizeof ns) != sizeof ns) ns = -1;
  close(p[0]);
  waitpid(pid, nullptr, 0);
  return ns;
}

void BM_Getpid(benchmark::State& state, const char* policy) {
  double ns = NanosPerGetpidUnder(policy, 2'000'000);
  if (ns < 0) {
    state.SkipWithError("child failed");
    return;
  }
  for (auto _ : state) state.SetIterationTime(ns * 1e-9);
  state.counters["ns_per_call"] = ns;
}
BENCHMARK_CAPTURE(BM_Getpid, no_filter, nullptr)->UseManualTime()->Iterations(1000);
BENCHMARK_CAPTURE(BM_Getpid, strict, "strict")->UseManualTime()->Iterations(1000);
BENCHMARK_CAPTURE(BM_Getpid, server, "server")->UseManualTime()->Iterations(1000);

constexpr size_t kFileBytes = 16u << 20;

std::string BenchFile() {
  const char* dir = std::getenv("TMPDIR");
  std::string path = std::string(dir ? dir : "/tmp") + "/trinity_micro_sandbox.bin";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::string block(1 << 20, 'x');
  for (size_t i = 0; i < kFileBytes / block.size(); ++i) (void)!write(fd, block.data(), block.size());
  close(fd);
  return path;
}

// Same shape as UringIo::ReadFile: 64 KiB reads into a growing string until EOF.
void BM_ReadFilePread(benchmark::State& state) {
  std::string path = BenchFile();
  int fd = open(path.c_str(), O_RDONLY);
  for (auto _ : state) {
    std::string content;
    for (;;) {
      size_t at = content.size();
      content.resize(at + 65536);
      ssize_t n = pread(fd, content.data() + at, 65536, static_cast<off_t>(at));
      content.resize(at + static_cast<size_t>(n > 0 ? n : 0));
      if (n <= 0) break;
    }
    benchmark::DoNotOptimize(content.data());
  }
  close(fd);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kFileBytes));
}
BENCHMARK(BM_ReadFilePread)->Unit(benchmark::kMillisecond);

void BM_ReadFileUring(benchmark::State& state) {
  std::string path = BenchFile();
  Capabilities caps;
  if (!caps.AllowRead(path)) {
    state.SkipWithError("grant failed");
    return;
  }
  UringIo::Options options;
  options.max_read_bytes = kFileBytes;
  auto io = UringIo::Create(std::move(caps), options);
  if (!io) {
    state.SkipWithError(io.error().c_str());
    return;
  }
  for (auto _ : state) {
    auto content = io.value()->ReadFile(path);
    benchmark::DoNotOptimize(content.ok());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kFileBytes));
}
BENCHMARK(BM_ReadFileUring)->Unit(benchmark::kMillisecond);

constexpr const char* kPlugin = "export fn add(a, b) { return int(a) + int(b) }\n";

std::vector<uint8_t> PluginBytes() {
  auto compiled = lang::CompileSource(kPlugin, "bench.tri");
  return compiled.ok() ? WriteModule(compiled.value()) : std::vector<uint8_t>{};
}

void BM_CallInProcess(benchmark::State& state) {
  auto module = LoadModule(PluginBytes());
  HostFunctions host;
  auto instance = Instance::Create(module.value(), host);
  std::vector<HostValue> args{HostValue::String("1"), HostValue::String("2")};
  for (auto _ : state) benchmark::DoNotOptimize(instance.value()->Call("add", args));
}
BENCHMARK(BM_CallInProcess);

// Request encode, socket round trip, module-cache check, instance creation in the worker,
// the call, and the reply: what --isolate=process adds to each call.
void BM_CallProcessTier(benchmark::State& state) {
  auto supervisor = ProcessSupervisor::Start(ProcessSupervisor::Options{});
  if (!supervisor) {
    state.SkipWithError(supervisor.error().c_str());
    return;
  }
  ProcessRequest request;
  request.module = PluginBytes();
  request.entry = "add";
  request.args = {"1", "2"};
  for (auto _ : state) benchmark::DoNotOptimize(supervisor.value()->Run(request));
}
BENCHMARK(BM_CallProcessTier);

}  // namespace
