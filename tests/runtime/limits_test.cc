// Each execution limit (fuel, heap, call depth, deadline) fires with the right trap kind,
// and the host can call the same instance again afterwards.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "runtime/interpreter.h"
#include "runtime/value.h"
#include "tests/runtime/test_module_builder.h"

namespace trinity {
namespace {

using testing::MakeInstance;
using testing::ModuleBuilder;
using E = CodeEmitter;
using H = HostValue;

// Exports: spin() loops forever; grow() keeps pushing strings into a global array;
// deep() recurses without end; ok() returns 42.
std::shared_ptr<const Module> LimitsModule() {
  ModuleBuilder b;
  uint32_t g = b.Global("keep");
  b.Func("spin", 0, 0, [](E& e) {
    auto top = e.NewLabel();
    e.Bind(top);
    e.EmitJump(Op::kJump, top);
  });
  b.Func("grow", 0, 0, [&](E& e) {
    auto top = e.NewLabel();
    e.Emit(Op::kNewArray, 0);
    e.Emit(Op::kStoreGlobal, g);
    e.Bind(top);
    e.Emit(Op::kLoadGlobal, g);
    e.Emit(Op::kConst, b.Const(std::string(1000, 'x')));
    e.Emit(Op::kConst, b.Const(std::string("y")));
    e.Emit(Op::kAdd);  // a fresh 1001-byte string each time
    e.Emit(Op::kArrayPush);
    e.EmitJump(Op::kJump, top);
  });
  uint32_t deep = b.Declare("deep", 0, 0);
  b.module().exports.push_back(Export{"deep", deep});
  b.Define(deep, [&](E& e) {
    e.Emit(Op::kCall, deep);
    e.Emit(Op::kReturn);
  });
  b.Func("ok", 0, 0, [](E& e) {
    e.Emit(Op::kPushInt, 42);
    e.Emit(Op::kReturn);
  });
  return b.Load();
}

void ExpectStillUsable(Instance& inst) {
  auto r = inst.Call("ok");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r.value(), H::Int(42));
}

TEST(Limits, FuelExhaustion) {
  InstanceOptions o;
  o.limits.fuel = 10000;
  auto inst = MakeInstance(LimitsModule(), {}, o);
  auto r = inst->Call("spin");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::kFuelExhausted);
  EXPECT_EQ(r.error().function, "spin");
  // Never more than one step past the limit.
  EXPECT_EQ(inst->fuel_used(), 10001u);
  ExpectStillUsable(*inst);
}

TEST(Limits, SmallFuelIsExact) {
  for (uint64_t fuel : {1u, 2u, 7u, 1023u, 1024u, 1025u}) {
    InstanceOptions o;
    o.limits.fuel = fuel;
    auto inst = MakeInstance(LimitsModule(), {}, o);
    auto r = inst->Call("spin");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, TrapKind::kFuelExhausted);
    EXPECT_EQ(inst->fuel_used(), fuel + 1) << "fuel " << fuel;
  }
}

TEST(Limits, HeapLimit) {
  InstanceOptions o;
  o.limits.max_heap_bytes = 1 << 20;
  auto inst = MakeInstance(LimitsModule(), {}, o);
  auto r = inst->Call("grow");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::kOutOfMemory);
  EXPECT_LE(inst->heap_bytes(), size_t{1} << 20);
  ExpectStillUsable(*inst);
}

TEST(Limits, CallDepth) {
  InstanceOptions o;
  o.limits.max_depth = 100;
  auto inst = MakeInstance(LimitsModule(), {}, o);
  auto r = inst->Call("deep");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::kStackOverflow);
  EXPECT_EQ(r.error().stack.size(), 64u);  // trace is capped
  ExpectStillUsable(*inst);
}

TEST(Limits, Deadline) {
  InstanceOptions o;
  o.limits.timeout = std::chrono::milliseconds(50);
  auto inst = MakeInstance(LimitsModule(), {}, o);
  auto start = std::chrono::steady_clock::now();
  auto r = inst->Call("spin");
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::kDeadlineExceeded);
  EXPECT_GE(elapsed, std::chrono::milliseconds(50));
  ExpectStillUsable(*inst);
}

TEST(Limits, SetLimitsBetweenCalls) {
  auto inst = MakeInstance(LimitsModule());
  Limits l = inst->limits();
  l.fuel = 100;
  inst->set_limits(l);
  EXPECT_EQ(inst->Call("spin").error().kind, TrapKind::kFuelExhausted);
  l.fuel = 0;
  l.timeout = std::chrono::milliseconds(20);
  inst->set_limits(l);
  EXPECT_EQ(inst->Call("spin").error().kind, TrapKind::kDeadlineExceeded);
}

TEST(Limits, GarbageIsCollectedUnderATightHeapLimit) {
  // A loop that allocates 1001-byte garbage strings 20,000 times (20 MB in total) fits in
  // a 1 MiB heap because the collector reclaims them at back-edges.
  ModuleBuilder b;
  b.Func("churn", 0, 1, [&](E& e) {
    auto top = e.NewLabel(), done = e.NewLabel();
    e.Emit(Op::kPushInt, 0);
    e.Emit(Op::kStoreLocal, 0);
    e.Bind(top);
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kPushInt, 20000);
    e.Emit(Op::kLt);
    e.EmitJump(Op::kJumpIfFalse, done);
    e.Emit(Op::kConst, b.Const(std::string(1000, 'x')));
    e.Emit(Op::kConst, b.Const(std::string("y")));
    e.Emit(Op::kAdd);
    e.Emit(Op::kPop);
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kPushInt, 1);
    e.Emit(Op::kAdd);
    e.Emit(Op::kStoreLocal, 0);
    e.EmitJump(Op::kJump, top);
    e.Bind(done);
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kReturn);
  });
  InstanceOptions o;
  o.limits.max_heap_bytes = 1 << 20;
  auto inst = MakeInstance(b.Load(), {}, o);
  auto r = inst->Call("churn");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r.value(), H::Int(20000));
  EXPECT_LT(inst->heap_bytes(), size_t{1} << 20);
}

// A provider that counts outstanding bytes, to prove everything is returned.
class CountingProvider : public MemoryProvider {
 public:
  void* Allocate(size_t size, size_t align) override {
    outstanding += size;
    ++blocks;
    return DefaultMemoryProvider().Allocate(size, align);
  }
  void Free(void* p, size_t size) override {
    outstanding -= size;
    --blocks;
    DefaultMemoryProvider().Free(p, size);
  }
  size_t outstanding = 0;
  long blocks = 0;
};

TEST(Limits, AllInstanceMemoryComesFromTheProviderAndReturnsToIt) {
  CountingProvider provider;
  {
    InstanceOptions o;
    o.memory = &provider;
    o.limits.max_heap_bytes = 1 << 20;
    auto inst = MakeInstance(LimitsModule(), {}, o);
    EXPECT_GT(provider.outstanding, 0u);
    EXPECT_EQ(inst->Call("grow").error().kind, TrapKind::kOutOfMemory);
    inst->Reset();
    // After a reset only the materialised string constants remain on the heap.
    EXPECT_EQ(inst->heap_bytes(), sizeof(trinity::String) * 2 + 1000 + 1);
  }
  EXPECT_EQ(provider.outstanding, 0u);
  EXPECT_EQ(provider.blocks, 0);
}

TEST(Limits, StackAndFramesCountAgainstMaxStackBytes) {
  // A depth limit far beyond any memory: the stack budget decides, and the instance
  // never asks its provider for more than that budget's worth of stack and frames.
  for (size_t budget : {size_t{64} << 10, size_t{1} << 20}) {
    CountingProvider provider;
    InstanceOptions o;
    o.memory = &provider;
    o.limits.max_depth = 100'000'000;
    o.limits.max_stack_bytes = budget;
    o.limits.max_heap_bytes = 1 << 20;
    auto inst = MakeInstance(LimitsModule(), {}, o);
    // Heap (constants) apart, what was allocated is the stack and the frame arrays.
    EXPECT_LE(provider.outstanding, 2 * budget + (64 << 10)) << budget;
    auto r = inst->Call("deep");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, TrapKind::kStackOverflow);
    EXPECT_NE(r.error().message.find("stack limit of " + std::to_string(budget) + " bytes exceeded"),
              std::string::npos)
        << r.error().message;
    // Each `deep` frame needs a frame record and no extra value slots, so it ran to
    // about budget / sizeof(Frame) calls, far below max_depth.
    size_t at = r.error().message.find("call depth ");
    ASSERT_NE(at, std::string::npos);
    size_t depth = std::stoul(r.error().message.substr(at + 11));
    EXPECT_GT(depth, budget / sizeof(Frame) - 8);
    EXPECT_LE(depth, budget / sizeof(Frame));
    ExpectStillUsable(*inst);
  }
}

TEST(Limits, RaisingTheStackLimitBetweenCallsGivesDeeperCalls) {
  InstanceOptions o;
  o.limits.max_depth = 1'000'000;
  o.limits.max_stack_bytes = 16 << 10;
  auto inst = MakeInstance(LimitsModule(), {}, o);
  EXPECT_EQ(inst->Call("deep").error().kind, TrapKind::kStackOverflow);
  Limits l = inst->limits();
  l.max_stack_bytes = 4 << 20;
  l.max_depth = 50'000;
  inst->set_limits(l);
  auto r = inst->Call("deep");
  ASSERT_FALSE(r.ok());
  // Now the depth limit is reached first.
  EXPECT_NE(r.error().message.find("call depth limit of 50000 exceeded"), std::string::npos)
      << r.error().message;
}

TEST(Limits, ConstantsThatNoLongerFitTrapInsteadOfRunningWithout) {
  auto inst = MakeInstance(LimitsModule());
  Limits l = inst->limits();
  l.max_heap_bytes = 100;  // smaller than the module's 1001-byte string constant
  inst->set_limits(l);
  inst->Reset();
  auto r = inst->Call("ok");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::kOutOfMemory);
  EXPECT_NE(r.error().message.find("constants"), std::string::npos);
  l.max_heap_bytes = 1 << 20;
  inst->set_limits(l);
  ExpectStillUsable(*inst);
}

TEST(Limits, PrintedOutputIsChargedAsFuel) {
  // loop { print(<100 KB>) }: one back-edge per 100 KB of output. Charged one unit per
  // KiB, a 1,000-unit budget stops it after about ten lines, not a thousand.
  ModuleBuilder b;
  b.Func("chatter", 0, 0, [&](E& e) {
    auto top = e.NewLabel();
    e.Bind(top);
    e.Emit(Op::kConst, b.Const(std::string(100'000, 'z')));
    e.Emit(Op::kCallBuiltin, static_cast<int64_t>(Builtin::kPrint), 1);
    e.Emit(Op::kPop);
    e.EmitJump(Op::kJump, top);
  });
  size_t printed = 0;
  InstanceOptions o;
  o.limits.fuel = 1000;
  o.print = [&](std::string_view text) { printed += text.size(); };
  auto inst = MakeInstance(b.Load(), {}, o);
  auto r = inst->Call("chatter");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::kFuelExhausted);
  EXPECT_LT(printed, size_t{2} << 20);
  EXPECT_GT(printed, size_t{500'000});
}

TEST(Limits, CopyingWorkInsideInstructionsIsChargedAsFuel) {
  // s = "x"; loop { s = s + <1000 bytes> }: each step copies the whole string, so the
  // work grows quadratically while back-edges alone would count one unit per step.
  ModuleBuilder b;
  b.Func("grow", 0, 1, [&](E& e) {
    auto top = e.NewLabel();
    e.Emit(Op::kConst, b.Const(std::string("x")));
    e.Emit(Op::kStoreLocal, 0);
    e.Bind(top);
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kConst, b.Const(std::string(1000, 'y')));
    e.Emit(Op::kAdd);
    e.Emit(Op::kStoreLocal, 0);
    e.EmitJump(Op::kJump, top);
  });
  InstanceOptions o;
  o.limits.fuel = 10000;
  o.limits.max_heap_bytes = 64 << 20;
  auto inst = MakeInstance(b.Load(), {}, o);
  auto r = inst->Call("grow");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::kFuelExhausted);
  EXPECT_EQ(inst->fuel_used(), 10001u);
  // Far fewer than 10000 steps ran: the strings never got near 10 MB each.
  EXPECT_LT(inst->heap_bytes(), size_t{8} << 20);
}

}  // namespace
}  // namespace trinity
