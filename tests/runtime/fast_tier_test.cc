// The fast tier (runtime/fast_interpreter.md): what the translator makes of common code,
// that every instruction maps back to a wire instruction, and that programs aimed at its
// shortcuts (fused instructions, inline caches shared across instances and threads,
// forwarded results) behave exactly like the reference tier — output, result, trap
// kind/message/line/stack, fuel and heap bytes.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "lang/compiler.h"
#include "runtime/fast_code.h"
#include "runtime/module_writer.h"
#include "runtime/opcodes.h"
#include "runtime/trinity.h"

namespace trinity {
namespace {

std::shared_ptr<const Module> Load(const std::string& source) {
  auto compiled = lang::CompileSource(source, "test.tri");
  if (!compiled.ok()) {
    ADD_FAILURE() << "compile error: " << compiled.error().front().message;
    return nullptr;
  }
  auto loaded = LoadModule(WriteModule(compiled.value()));
  if (!loaded.ok()) {
    ADD_FAILURE() << loaded.error().ToString();
    return nullptr;
  }
  return loaded.value();
}

const FastFunction& FastFn(const Module& m, const std::string& name) {
  for (size_t i = 0; i < m.functions.size(); ++i) {
    if (m.functions[i].name == name) return m.executable.fast()->functions[i];
  }
  ADD_FAILURE() << "no function " << name;
  return m.executable.fast()->functions[0];
}

std::vector<FastOp> Ops(const FastFunction& f) {
  std::vector<FastOp> ops;
  for (const FastPc& pc : f.pcs) ops.push_back(pc.op);
  return ops;
}

// Everything a host sees of one call on one tier.
struct Observed {
  std::string output;
  std::string result;  // value text, or the trap with its whole stack
  uint64_t fuel = 0;
  size_t heap = 0;
  bool operator==(const Observed&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Observed& o) {
  return os << "output [" << o.output << "] result [" << o.result << "] fuel " << o.fuel
            << " heap " << o.heap;
}

Observed RunOn(std::shared_ptr<const Module> module, ExecutionTier tier, Limits limits = {},
             const std::string& entry = "main") {
  Observed o;
  InstanceOptions options;
  options.tier = tier;
  options.limits = limits;
  options.print = [&o](std::string_view s) { o.output.append(s); };
  auto inst = Instance::Create(module, HostFunctions{}, options);
  if (!inst.ok()) {
    ADD_FAILURE() << inst.error();
    return o;
  }
  auto r = inst.value()->Call(entry);
  if (r.ok()) {
    o.result = r.value().ToString();
  } else {
    o.result = "trap: " + r.error().ToString();
    for (const TrapFrame& f : r.error().stack) o.result += " | " + f.function + ":" + std::to_string(f.line);
  }
  o.fuel = inst.value()->fuel_used();
  o.heap = inst.value()->heap_bytes();
  return o;
}

// Runs `main` on both tiers; they must agree. Returns the fast tier's observation.
Observed RunBoth(const std::string& source, Limits limits = {}) {
  auto module = Load(source);
  if (!module) return {};
  Observed reference = RunOn(module, ExecutionTier::kReference, limits);
  Observed fast = RunOn(module, ExecutionTier::kFast, limits);
  EXPECT_EQ(fast, reference) << source;
  return fast;
}

TEST(FastTier, IsTheDefault) { EXPECT_EQ(InstanceOptions{}.tier, ExecutionTier::kFast); }

TEST(FastTier, OperandsNameLocalsDirectly) {
  auto m = Load("fn f(a, b) { let c = a + b\n return c }\nexport fn main() { return f(1, 2) }");
  ASSERT_TRUE(m);
  // Wire: load_local a, load_local b, add, store_local c, load_local c, ret.
  EXPECT_EQ(Ops(FastFn(*m, "f")), (std::vector<FastOp>{FastOp::kAdd, FastOp::kReturn}));
}

TEST(FastTier, CompareAndBranchAreOneInstruction) {
  auto m = Load("fn f(n) { if n < 2 { return n }\n return 0 }\nexport fn main() { return f(1) }");
  ASSERT_TRUE(m);
  ASSERT_FALSE(FastFn(*m, "f").pcs.empty());
  EXPECT_EQ(FastFn(*m, "f").pcs.front().op, FastOp::kJumpIfNotLtI);
}

TEST(FastTier, ConstantKeyMemberAccessUsesTheFieldCache) {
  auto m = Load("fn f(o) { o.x = o.y\n return o.x }\nexport fn main() { return f({\"y\": 1}) }");
  ASSERT_TRUE(m);
  EXPECT_EQ(Ops(FastFn(*m, "f")),
            (std::vector<FastOp>{FastOp::kGetField, FastOp::kSetField, FastOp::kGetField,
                                 FastOp::kReturn}));
}

TEST(FastTier, EveryInstructionMapsToAWireInstruction) {
  auto m = Load(R"(
fn g(xs) {
  let total = 0
  for i, x in xs { if x % 2 == 0 { total += x } else { total -= i } }
  while total > 100 { total = total / 2 }
  return [total, {"k": total}.k, len(xs) > 1 and xs[0] or nil]
}
export fn main() { return g([1, 2, 3, 400]) })");
  ASSERT_TRUE(m);
  for (size_t i = 0; i < m->functions.size(); ++i) {
    const Function& wire = m->functions[i];
    std::vector<bool> starts(wire.code.size(), false);
    for (size_t pc = 0; pc < wire.code.size();) {
      starts[pc] = true;
      pc += InstructionSize(static_cast<Op>(wire.code[pc]));
    }
    const FastFunction& fast = m->executable.fast()->functions[i];
    uint32_t last = 0;
    for (const FastPc& pc : fast.pcs) {
      ASSERT_LT(pc.wire_pc, wire.code.size()) << wire.name;
      EXPECT_TRUE(starts[pc.wire_pc]) << wire.name << " pc " << pc.wire_pc;
      EXPECT_GE(pc.offset, last);
      last = pc.offset;
      EXPECT_EQ(fast.WirePcAt(pc.offset), pc.wire_pc);
    }
  }
}

TEST(FastTier, CopiedModulesCarryNoCodeAndCannotRun) {
  auto m = Load("export fn main() { return 1 }");
  ASSERT_TRUE(m);
  auto copy = std::make_shared<Module>(*m);
  EXPECT_EQ(copy->executable.fast(), nullptr);
  auto inst = Instance::Create(copy, HostFunctions{});
  ASSERT_FALSE(inst.ok());
  EXPECT_NE(inst.error().find("LoadModule"), std::string::npos) << inst.error();
}

TEST(FastTier, TrapsInFusedInstructionsKeepTheirLine) {
  Observed o = RunBoth(R"(fn cmp(a, b) {
  if a <
     b {
    return 1
  }
  return 0
}
export fn main() { return cmp("s", 1) })");
  EXPECT_NE(o.result.find("type error"), std::string::npos) << o.result;
  EXPECT_NE(o.result.find("| cmp:"), std::string::npos) << o.result;
  EXPECT_NE(o.result.find("| main:8"), std::string::npos) << o.result;
}

TEST(FastTier, LocalsAreReadBeforeTheyAreOverwritten) {
  Observed o = RunBoth(R"(export fn main() {
  let a = 1
  let b = 2
  let t = a
  a = b
  b = t
  let i = 0
  let s = 0
  while i < 5 { let j = i
    i = i + 1
    s = s * 10 + j + i }
  let xs = [5, 6]
  xs[0] += xs[1]
  return [a, b, s, xs]
})");
  EXPECT_EQ(o.result, "[2, 1, 13579, [11, 6]]");
}

TEST(FastTier, FieldCacheFollowsDeletionsGrowthAndOtherShapes) {
  Observed o = RunBoth(R"(export fn main() {
  let a = {"x": 1, "y": 2}
  let b = {"y": 20, "x": 10}
  let c = {}
  for i in 0..40 { c[str(i)] = i }
  c.x = 100
  let out = []
  for round in 0..3 {
    for m in [a, b, c, a] { push(out, m.x) ; m.x = m.x + 1 }
    del(a, "x")
    a.z = 0
    a.x = round
    for i in 40..80 { c[str(i)] = i }
  }
  print(out)
  let d = {"x": 1}
  del(d, "x")
  return d.x
})");
  EXPECT_EQ(o.output, "[1, 10, 100, 2, 0, 11, 101, 1, 1, 12, 102, 2]\n");
  EXPECT_NE(o.result.find("key \"x\" not found"), std::string::npos) << o.result;
}

TEST(FastTier, FieldCacheOnNonMapsTrapsLikeTheReference) {
  Observed s = RunBoth("export fn main() { let s = \"abc\"\n return s.len }");
  EXPECT_NE(s.result.find("type error"), std::string::npos) << s.result;
  Observed n = RunBoth("export fn main() { let a = [1]\n a.x = 2 }");
  EXPECT_NE(n.result.find("type error"), std::string::npos) << n.result;
}

TEST(FastTier, FuelAndItsTrapMatchTheReference) {
  Limits limits;
  limits.fuel = 2500;
  Observed o = RunBoth(R"(fn f(n) { if n < 2 { return n }
  return f(n - 1) + f(n - 2) }
export fn main() {
  let s = 0
  for i in 0..100 {
    s += f(i % 12)
  }
  return s
})", limits);
  EXPECT_NE(o.result.find("fuel exhausted"), std::string::npos) << o.result;
  EXPECT_EQ(o.fuel, 2501u);
  limits.fuel = 1000000;
  Observed done = RunBoth(R"(export fn main() {
  let s = ""
  let n = 0
  while n < 3000 { s = s + "ab"
    n += 1 }
  return len(s) })", limits);
  EXPECT_EQ(done.result, "6000");
  EXPECT_GT(done.fuel, 3000u);  // back-edges plus the copying the concatenations did
}

TEST(FastTier, CollectionsHappenAtTheSameSafepoints) {
  Limits limits;
  limits.max_heap_bytes = 200000;
  Observed o = RunBoth(R"(fn tree(d) { if d == 0 { return [nil, nil] }
  return [tree(d - 1), tree(d - 1)] }
export fn main() {
  let keep = []
  for i in 0..300 { push(keep, tree(4)) ; if i % 3 == 0 { keep = [] } }
  let big = []
  while true { push(big, tree(3)) }
})", limits);
  EXPECT_NE(o.result.find("out of memory"), std::string::npos) << o.result;
}

TEST(FastTier, InstancesShareCodeAcrossThreads) {
  auto m = Load(R"(export fn main() {
  let shapes = [{"a": 1, "x": 2}, {"x": 3}, {"b": 0, "c": 0, "x": 4}]
  let s = 0
  for i in 0..3000 { let o = shapes[i % 3]
    s += o.x
    o.x = o.x + 1 }
  return s
})");
  ASSERT_TRUE(m);
  const std::string expected = RunOn(m, ExecutionTier::kReference).result;
  std::vector<std::string> results(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) results[t] = RunOn(m, ExecutionTier::kFast).result;
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& r : results) EXPECT_EQ(r, expected);
}

}  // namespace
}  // namespace trinity
