// The standard library under the instance's limits: fuel grows with the bytes a function
// touches, long calls stop at the deadline, buffers and compiled patterns count against the
// heap limit (and are released), and the regex cache stays bounded.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "tests/runtime/source_plugin.h"

namespace trinity {
namespace {

using testing::PluginInstance;
using H = HostValue;
using Clock = std::chrono::steady_clock;

// setup(n) builds an input of about n bytes outside the measured call; each other export
// does one library call on it. (Exports are not named after a library namespace: a
// function called `hex` would hide hex.encode in this module.)
constexpr const char* kPlugin = R"(
let input = nil
export fn setup(n) { input = repeat("ab\"c", n / 4) }
export fn setup_json(n) { input = "[" + repeat("{\"k\": [1, 2.5, \"xy\"]},", n / 24) + "0]" }
export fn json_decode() { return len(json.decode(input)) }
export fn json_encode() { return len(json.encode(input)) }
export fn sha256() { return len(hash.sha256(input)) }
export fn base64_encode() { return len(base64.encode(input)) }
export fn hex_encode() { return len(hex.encode(input)) }
export fn gsub() { return len(re.gsub(input, "b", "BB")) }
export fn split() { return len(re.split(input, "\"")) }
export fn url_encode() { return len(url.encode(input)) }
)";

uint64_t FuelOf(Instance& inst, const char* setup, const char* fn, int64_t n) {
  EXPECT_TRUE(inst.Call(setup, std::vector<H>{H::Int(n)}).ok());
  auto r = inst.Call(fn);
  EXPECT_TRUE(r.ok()) << fn << ": " << r.error().ToString();
  return inst.fuel_used();
}

TEST(StdlibLimits, FuelGrowsWithTheBytesTouched) {
  InstanceOptions o;
  o.limits.fuel = 1'000'000'000;
  auto inst = PluginInstance(kPlugin, o);
  ASSERT_TRUE(inst);
  struct Case {
    const char* setup;
    const char* fn;
  };
  for (Case c : {Case{"setup_json", "json_decode"}, Case{"setup", "json_encode"}, Case{"setup", "sha256"},
                 Case{"setup", "base64_encode"}, Case{"setup", "hex_encode"}, Case{"setup", "gsub"}, Case{"setup", "split"},
                 Case{"setup", "url_encode"}}) {
    uint64_t small = FuelOf(*inst, c.setup, c.fn, 1000);
    uint64_t big = FuelOf(*inst, c.setup, c.fn, 4 << 20);
    // At least one unit per KiB of input, and a small input stays cheap.
    EXPECT_GE(big, uint64_t{4 << 10}) << c.fn;
    EXPECT_LT(small, 64u) << c.fn;
  }
}

TEST(StdlibLimits, OneLargeCallRunsOutOfFuelInsideTheCall) {
  auto inst = PluginInstance(kPlugin);
  ASSERT_TRUE(inst);
  ASSERT_TRUE(inst->Call("setup", std::vector<H>{H::Int(32 << 20)}).ok());
  InstanceOptions o;
  o.limits.fuel = 2000;  // a 32 MiB input needs 32768
  inst->set_limits(o.limits);
  auto r = inst->Call("sha256");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::kFuelExhausted);
  EXPECT_NE(r.error().message.find("in hash.sha256()"), std::string::npos) << r.error().message;
  EXPECT_EQ(inst->fuel_used(), o.limits.fuel + 1);
}

// A call that would run far past the deadline stops near it, because library functions
// check the clock as they go. Timing on a shared machine is noisy, so each function gets
// three attempts to show it; every attempt must end with the deadline trap.
TEST(StdlibLimits, LongLibraryCallsStopAtTheDeadline) {
  InstanceOptions o;
  o.limits.max_heap_bytes = size_t{1} << 30;
  auto inst = PluginInstance(kPlugin, o);
  ASSERT_TRUE(inst);
  ASSERT_TRUE(inst->Call("setup", std::vector<H>{H::Int(24 << 20)}).ok());
  for (const char* fn : {"hex_encode", "gsub", "json_encode"}) {
    bool stopped_early = false;
    for (int attempt = 0; attempt < 3 && !stopped_early; ++attempt) {
      Limits unlimited;
      unlimited.max_heap_bytes = o.limits.max_heap_bytes;
      inst->set_limits(unlimited);
      auto start = Clock::now();
      ASSERT_TRUE(inst->Call(fn).ok()) << fn;
      auto full = Clock::now() - start;
      Limits limits = unlimited;
      limits.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(full / 10) + std::chrono::milliseconds(1);
      inst->set_limits(limits);
      start = Clock::now();
      auto r = inst->Call(fn);
      auto stopped = Clock::now() - start;
      ASSERT_FALSE(r.ok()) << fn << " finished within " << limits.timeout.count() << " ms";
      ASSERT_EQ(r.error().kind, TrapKind::kDeadlineExceeded) << r.error().ToString();
      stopped_early = stopped < full / 2;
    }
    EXPECT_TRUE(stopped_early) << fn << " ran on well past its deadline in three attempts";
  }
}

TEST(StdlibLimits, JsonBuffersCountAgainstTheHeapAndAreReleased) {
  InstanceOptions o;
  o.limits.max_heap_bytes = 8u << 20;
  auto inst = PluginInstance(kPlugin, o);
  ASSERT_TRUE(inst);
  ASSERT_TRUE(inst->Call("setup_json", std::vector<H>{H::Int(1 << 20)}).ok());
  size_t before = inst->heap_bytes();
  // A 1 MiB document needs about 14 MiB of parser buffers: more than the limit allows.
  auto r = inst->Call("json_decode");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::kOutOfMemory);
  EXPECT_EQ(inst->heap_bytes(), before);
  ASSERT_TRUE(inst->Call("setup_json", std::vector<H>{H::Int(100 << 10)}).ok());
  auto ok = inst->Call("json_decode");
  ASSERT_TRUE(ok.ok()) << ok.error().ToString();
}

TEST(StdlibLimits, OutputsAreBoundedByTheHeapLimit) {
  constexpr const char* kBlowUp = R"(
export fn dag() {
  let v = [1, 2, 3]
  for i in 0..60 { v = [v, v] }
  return len(json.encode(v))
}
export fn expand() { return len(re.gsub(repeat("x", 100000), "x", repeat("\\0", 100))) }
export fn pad() {
  let s = repeat("x", 6000000)
  return len(format("%s%s%s", s, s, s))
}
)";
  InstanceOptions o;
  o.limits.max_heap_bytes = 16u << 20;
  auto inst = PluginInstance(kBlowUp, o);
  ASSERT_TRUE(inst);
  size_t before = inst->heap_bytes();
  for (const char* fn : {"dag", "expand", "pad"}) {
    auto start = Clock::now();
    auto r = inst->Call(fn);
    ASSERT_FALSE(r.ok()) << fn;
    EXPECT_EQ(r.error().kind, TrapKind::kOutOfMemory) << r.error().ToString();
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(10)) << fn;
    inst->Reset();
    EXPECT_EQ(inst->heap_bytes(), before) << fn;
  }
}

// Every cached pattern reserves RE2's memory budget — 1 MiB under the default limits —
// plus 2 KiB per pattern byte for RE2's parsed form in the heap; the cache holds at most
// 32; Reset() empties it. (The pattern strings the loop builds are on the heap too, until
// the next collection: a few bytes each.)
TEST(StdlibLimits, CompiledPatternsAreChargedBoundedAndReset) {
  constexpr const char* kPatterns = R"(
export fn compile(n) {
  for i in 0..n { re.match("x", "^p" + str(i) + "$") }
}
)";
  constexpr size_t kBudget = 1u << 20;
  // What the patterns "^p<i>$" for i in [from, to) charge.
  auto charged = [&](int from, int to) {
    size_t total = 0;
    for (int i = from; i < to; ++i) total += kBudget + 2048 * (3 + std::to_string(i).size());
    return total;
  };
  auto inst = PluginInstance(kPatterns);
  ASSERT_TRUE(inst);
  ASSERT_TRUE(inst->Start().ok());
  size_t base = inst->heap_bytes();
  constexpr size_t kStrings = 64u << 10;
  ASSERT_TRUE(inst->Call("compile", std::vector<H>{H::Int(5)}).ok());
  EXPECT_GE(inst->heap_bytes() - base, charged(0, 5));
  EXPECT_LT(inst->heap_bytes() - base, charged(0, 5) + kStrings);
  ASSERT_TRUE(inst->Call("compile", std::vector<H>{H::Int(100)}).ok());
  // The 32 most recently used: 68..99.
  EXPECT_GE(inst->heap_bytes() - base, charged(68, 100));
  EXPECT_LT(inst->heap_bytes() - base, charged(68, 100) + kStrings);
  inst->Reset();
  ASSERT_TRUE(inst->Start().ok());
  EXPECT_EQ(inst->heap_bytes(), base);
}

// RE2 builds and keeps a parsed form outside its budget, up to about 2 KiB per pattern
// byte for Unicode classes: that is charged before RE2 sees the pattern, so a pattern the
// heap has no room for is out of memory (never catchable) and nothing is left charged; a
// pattern longer than heap limit / 8192 is a catchable error.
TEST(StdlibLimits, PatternTextIsChargedBeforeRe2ParsesIt) {
  constexpr const char* kPlugin = R"(
let hold = nil
export fn fill() { hold = repeat("x", 7 << 20) }
export fn classes(n) {
  try { return re.match("x", repeat("\\pL", n)) } catch e { return e.message }
}
export fn caught(n) {
  try { return re.match("x", repeat("a", n)) } catch e { return e.message }
}
)";
  InstanceOptions o;
  o.limits.max_heap_bytes = 8u << 20;  // RE2 budget 512 KiB, patterns up to 1 KiB
  auto inst = PluginInstance(kPlugin, o);
  ASSERT_TRUE(inst);
  ASSERT_TRUE(inst->Start().ok());
  size_t base = inst->heap_bytes();
  // 900 bytes of \pL: 1.8 MB charged; RE2 then finds the program too large for its budget.
  auto big = inst->Call("classes", std::vector<H>{H::Int(300)});
  ASSERT_TRUE(big.ok()) << big.error().ToString();
  EXPECT_NE(big.value().ToString().find("pattern too large"), std::string::npos) << big.value().ToString();
  // With 7 MiB of the heap held, the same charge does not fit: out of memory before RE2
  // parses anything, and the try block does not catch it.
  ASSERT_TRUE(inst->Call("fill").ok());
  auto r = inst->Call("classes", std::vector<H>{H::Int(300)});
  ASSERT_FALSE(r.ok()) << r.value().ToString();
  EXPECT_EQ(r.error().kind, TrapKind::kOutOfMemory) << r.error().ToString();
  inst->Reset();
  ASSERT_TRUE(inst->Start().ok());
  EXPECT_EQ(inst->heap_bytes(), base);
  auto small = inst->Call("classes", std::vector<H>{H::Int(10)});
  ASSERT_TRUE(small.ok()) << small.error().ToString();
  EXPECT_EQ(small.value(), H::Bool(false));
  auto fits = inst->Call("caught", std::vector<H>{H::Int(1024)});
  ASSERT_TRUE(fits.ok()) << fits.error().ToString();
  EXPECT_EQ(fits.value(), H::Bool(false));
  auto longer = inst->Call("caught", std::vector<H>{H::Int(1025)});
  ASSERT_TRUE(longer.ok()) << longer.error().ToString();
  EXPECT_EQ(longer.value(),
            H::String("re.match(): invalid pattern: pattern too large: 1025 bytes, at most 1024"));
}

// A smaller heap gets a smaller RE2 budget (a sixteenth of the limit): a pattern whose
// program needs more fails to compile, with RE2's message; the default budget takes it.
TEST(StdlibLimits, PatternSizeIsBoundedByTheBudget) {
  constexpr const char* kBig = R"(
export fn big() { return re.match("abcd", "(abcd){1000}") }
)";
  InstanceOptions small;
  small.limits.max_heap_bytes = 1u << 20;
  auto inst = PluginInstance(kBig, small);
  ASSERT_TRUE(inst);
  auto r = inst->Call("big");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::kError);
  EXPECT_NE(r.error().message.find("pattern too large"), std::string::npos) << r.error().message;
  auto roomy = PluginInstance(kBig);
  ASSERT_TRUE(roomy);
  auto ok = roomy->Call("big");
  ASSERT_TRUE(ok.ok()) << ok.error().ToString();
  EXPECT_EQ(ok.value(), H::Bool(false));
}

// RE2 is linear: the pattern that makes backtracking engines take 2^n steps costs about
// as much as any other on a long subject.
TEST(StdlibLimits, CatastrophicPatternRunsInLinearTime) {
  constexpr const char* kRegex = R"(
export fn run(n, pattern) { return re.match(repeat("a", n) + "b", pattern) }
)";
  auto inst = PluginInstance(kRegex);
  ASSERT_TRUE(inst);
  auto time = [&](int64_t n, const char* pattern) {
    auto start = Clock::now();
    auto r = inst->Call("run", std::vector<H>{H::Int(n), H::String(pattern)});
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.value(), H::Bool(false));
    return Clock::now() - start;
  };
  time(30, "(a+)+$");  // compiles the pattern
  // Backtracking would take 2^30 steps here: seconds at least. Generous bounds, for a
  // loaded machine.
  EXPECT_LT(time(30, "(a+)+$"), std::chrono::seconds(1));
  EXPECT_LT(time(1 << 20, "(a+)+$"), std::chrono::seconds(5));
}

}  // namespace
}  // namespace trinity
