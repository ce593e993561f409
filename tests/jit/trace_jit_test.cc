// End-to-end tests of the trace JIT through the embedding API: loops really get compiled
// (so the differential conformance tiers are not passing vacuously), side exits grow side
// traces and trace trees, limits behave exactly as in the interpreter inside traces, and
// no writable+executable mapping ever appears.
#include "jit/trace_jit.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include "lang/compiler.h"
#include "runtime/module_writer.h"
#include "runtime/trinity.h"

namespace trinity::jit {
namespace {

struct Outcome {
  std::string output;
  Result<HostValue, Trap> result = HostValue::Nil();
  uint64_t fuel = 0;
};

std::shared_ptr<const Module> Load(const std::string& source) {
  auto compiled = lang::CompileSource(source, "test.tri");
  EXPECT_TRUE(compiled.ok());
  auto loaded = LoadModule(WriteModule(compiled.value()));
  EXPECT_TRUE(loaded.ok());
  return loaded.value();
}

Outcome Execute(const std::string& source, std::shared_ptr<TraceJit> jit, Limits limits = {},
            ExecutionTier tier = ExecutionTier::kFast) {
  Outcome run;
  InstanceOptions options;
  options.limits = limits;
  options.tier = tier;
  options.jit = std::move(jit);
  options.print = [&run](std::string_view s) { run.output.append(s); };
  auto instance = Instance::Create(Load(source), HostFunctions(), options);
  EXPECT_TRUE(instance.ok());
  run.result = instance.value()->Start();
  if (run.result.ok()) run.result = instance.value()->Call("main");
  run.fuel = instance.value()->fuel_used();
  return run;
}

JitOptions Eager() {
  JitOptions o;
  o.hot_loop = 2;
  o.hot_exit = 2;
  return o;
}

constexpr const char* kSum = R"(
export fn main() {
  let s = 0
  let i = 0
  while i < 100000 { s = s + i * 3; i += 1 }
  print(s)
}
)";

TEST(TraceJit, HotLoopsAreCompiledAndAgreeWithTheReferenceTier) {
  auto jit = MakeTraceJit(Eager());
  Outcome jitted = Execute(kSum, jit);
  Outcome reference = Execute(kSum, nullptr, {}, ExecutionTier::kReference);
  ASSERT_TRUE(jitted.result.ok());
  EXPECT_EQ(jitted.output, reference.output);
  EXPECT_EQ(jitted.fuel, reference.fuel);
  EXPECT_GE(jit->stats().traces.load(), 1u);
  EXPECT_GT(jit->stats().code_bytes.load(), 0u);
  // The loop ran in the trace: one entry per fuel refill, not one per iteration.
  EXPECT_LT(jit->stats().entries.load(), 1000u);
}

TEST(TraceJit, AlternatingBranchBecomesATreePath) {
  constexpr const char* kBranchy = R"(
export fn main() {
  let a = 0
  let b = 0
  for i in 0..50000 {
    if i % 2 == 0 { a += 1 } else { b += i }
  }
  print(a, b)
}
)";
  auto jit = MakeTraceJit(Eager());
  Outcome jitted = Execute(kBranchy, jit);
  Outcome reference = Execute(kBranchy, nullptr, {}, ExecutionTier::kReference);
  EXPECT_EQ(jitted.output, reference.output);
  EXPECT_EQ(jitted.fuel, reference.fuel);
  EXPECT_GE(jit->stats().tree_paths.load(), 1u);
  EXPECT_LT(jit->stats().exits.load(), 100u);  // both branches run inside the loop
}

TEST(TraceJit, InlinedCallsAndNestedLoopsLinkThroughTraces) {
  constexpr const char* kNested = R"(
fn f(x, y) { return x * y + 1 }
export fn main() {
  let t = 0
  for i in 0..300 {
    for j in 0..200 { t = t + f(i, j) % 7 }
  }
  print(t)
}
)";
  auto jit = MakeTraceJit(Eager());
  Outcome jitted = Execute(kNested, jit);
  Outcome reference = Execute(kNested, nullptr, {}, ExecutionTier::kReference);
  EXPECT_EQ(jitted.output, reference.output);
  EXPECT_EQ(jitted.fuel, reference.fuel);
  EXPECT_GE(jit->stats().traces.load(), 2u);  // the inner loop, and what links the outer one
}

TEST(TraceJit, FuelRunsOutInsideATraceExactlyAsInTheInterpreter) {
  Limits limits;
  limits.fuel = 12345;
  Outcome jitted = Execute(kSum, MakeTraceJit(Eager()), limits);
  Outcome reference = Execute(kSum, nullptr, limits, ExecutionTier::kReference);
  ASSERT_FALSE(jitted.result.ok());
  ASSERT_FALSE(reference.result.ok());
  EXPECT_EQ(jitted.result.error().ToString(), reference.result.error().ToString());
  EXPECT_EQ(jitted.fuel, reference.fuel);
}

TEST(TraceJit, AnInfiniteCompiledLoopStopsAtTheDeadline) {
  auto jit = MakeTraceJit(Eager());
  Limits limits;
  limits.timeout = std::chrono::milliseconds(200);
  const auto start = std::chrono::steady_clock::now();
  Outcome run = Execute("export fn main() { let i = 0\n while true { i += 1 } }", jit, limits);
  ASSERT_FALSE(run.result.ok());
  EXPECT_EQ(run.result.error().kind, TrapKind::kDeadlineExceeded);
  EXPECT_EQ(run.result.error().line, 2u);
  EXPECT_GE(jit->stats().traces.load(), 1u);
  // Not a timing test: only that it ended at all, well before a hang would be noticed.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST(TraceJit, HeapLimitInsideATraceTrapsLikeTheInterpreter) {
  constexpr const char* kGrow = R"(
export fn main() {
  let a = []
  while true { push(a, 1.5) }
}
)";
  Limits limits;
  limits.max_heap_bytes = 1 << 20;
  Outcome jitted = Execute(kGrow, MakeTraceJit(Eager()), limits);
  Outcome reference = Execute(kGrow, nullptr, limits, ExecutionTier::kReference);
  ASSERT_FALSE(jitted.result.ok());
  EXPECT_EQ(jitted.result.error().kind, TrapKind::kOutOfMemory);
  EXPECT_EQ(jitted.result.error().ToString(), reference.result.error().ToString());
  EXPECT_EQ(jitted.fuel, reference.fuel);
}

TEST(TraceJit, TrapsInsideTracesKeepFunctionAndLine) {
  constexpr const char* kOutOfRange = R"(
fn get(a, i) { return a[i] }
export fn main() {
  let a = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
  let s = 0
  for i in 0..100 {
    s += get(a, i)
  }
  print(s)
}
)";
  Outcome jitted = Execute(kOutOfRange, MakeTraceJit(Eager()));
  Outcome reference = Execute(kOutOfRange, nullptr, {}, ExecutionTier::kReference);
  ASSERT_FALSE(jitted.result.ok());
  EXPECT_EQ(jitted.result.error().kind, TrapKind::kIndexOutOfRange);
  EXPECT_EQ(jitted.result.error().function, "get");
  EXPECT_EQ(jitted.result.error().line, 2u);
  EXPECT_EQ(jitted.result.error().ToString(), reference.result.error().ToString());
  EXPECT_EQ(jitted.fuel, reference.fuel);
}

bool AnyWritableExecutableMapping() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    std::istringstream in(line);
    std::string range, perms;
    in >> range >> perms;
    if (perms.size() >= 3 && perms[1] == 'w' && perms[2] == 'x') return true;
  }
  return false;
}

TEST(TraceJit, PublishedCodeIsNeverWritableAndIsNamedInThePerfMap) {
  const std::string map = ::testing::TempDir() + "/perf-test.map";
  std::remove(map.c_str());
  JitOptions o = Eager();
  o.perf_map = true;
  o.perf_map_path = map;
  size_t published = 0;
  o.on_publish = [&](const void* code, size_t size, const std::string& name) {
    ++published;
    EXPECT_FALSE(AnyWritableExecutableMapping());
    EXPECT_GT(size, 0u);
    EXPECT_NE(code, nullptr);
    EXPECT_EQ(name.rfind("trinity:trace", 0), 0u);
  };
  auto jit = MakeTraceJit(o);
  Outcome run = Execute(kSum, jit);
  EXPECT_GE(published, 1u);
  EXPECT_FALSE(AnyWritableExecutableMapping());
  std::ifstream in(map);
  std::string start, size, name;
  in >> start >> size >> name;
  EXPECT_EQ(start.find("0x"), std::string::npos);
  EXPECT_GT(std::stoull(start, nullptr, 16), 0u);
  EXPECT_GT(std::stoull(size, nullptr, 16), 0u);
  EXPECT_EQ(name, "trinity:trace1:main:5");  // the loop's line
}

TEST(TraceJit, ResetFlushesTracesThatHoldConstantsAddresses) {
  constexpr const char* kStrings = R"(
let total = 0
export fn main() {
  let names = ["a", "bb", "ccc"]
  for i in 0..3000 { if names[i % 3] == names[0] { total += 1 } }
  print(total)
}
)";
  auto jit = MakeTraceJit(Eager());
  auto module = Load(kStrings);
  std::string out;
  InstanceOptions options;
  options.jit = jit;
  options.print = [&out](std::string_view s) { out.append(s); };
  auto instance = Instance::Create(module, HostFunctions(), options);
  ASSERT_TRUE(instance.ok());
  ASSERT_TRUE(instance.value()->Call("main").ok());
  instance.value()->Reset();
  ASSERT_TRUE(instance.value()->Call("main").ok());
  EXPECT_EQ(out, "1000\n1000\n");
}

}  // namespace
}  // namespace trinity::jit
