// Tests of the IR pipeline on hand-recorded iterations: the LOOP pass hoists invariants
// and carries written slots in PHIs, dead code goes, and the compiled loops compute the
// right frame contents, leave through the right snapshot and charge fuel per iteration.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <variant>
#include <vector>

#include "jit/dce.h"
#include "jit/ir_builder.h"
#include "jit/loop_peel.h"
#include "jit/x64_backend.h"

namespace trinity::jit {
namespace {

constexpr int32_t Slot(int i) { return i * 16; }

IrIns Load(int slot, Tag type, uint32_t snap) {
  IrIns i{IrOp::kSLoad};
  i.type = type;
  i.imm = Slot(slot);
  i.snap = snap;
  return i;
}
IrIns Bin(IrOp op, Tag type, IrRef a, IrRef b) {
  IrIns i{op};
  i.type = type;
  i.a = a;
  i.b = b;
  return i;
}
IrIns Guard(IrOp op, Cond c, IrRef a, IrRef b, uint32_t snap) {
  IrIns i{op};
  i.cond = c;
  i.a = a;
  i.b = b;
  i.snap = snap;
  return i;
}

// while i < n { acc = acc + i * k; i = i + 1 }  with slots i=0, n=1, acc=2, k=3.
RecordedIteration SumLoop(FoldOptions opts = {}) {
  RecordedIteration rec;
  IrBuilder b(rec.ir, opts);
  Snapshot start;  // at the loop header, nothing written
  uint32_t s0 = rec.ir.AddSnapshot(start);
  IrRef i = b.Emit(Load(0, Tag::kInt, s0));
  IrRef n = b.Emit(Load(1, Tag::kInt, s0));
  Snapshot done;  // loop exit: resume after the loop
  done.resume_pc = 100;
  uint32_t s1 = rec.ir.AddSnapshot(done);
  b.Emit(Guard(IrOp::kGuardI, Cond::kLt, i, n, s1));
  IrRef acc = b.Emit(Load(2, Tag::kInt, s1));
  IrRef k = b.Emit(Load(3, Tag::kInt, s1));
  IrRef prod = b.Emit(Bin(IrOp::kMulI, Tag::kInt, i, k));
  IrRef acc2 = b.Emit(Bin(IrOp::kAddI, Tag::kInt, acc, prod));
  IrRef i2 = b.Emit(Bin(IrOp::kAddI, Tag::kInt, i, b.Int(1)));
  Snapshot edge;
  edge.at_loop_edge = true;
  edge.resume_pc = 50;
  edge.entries = {{Slot(0), i2}, {Slot(2), acc2}};
  uint32_t s2 = rec.ir.AddSnapshot(edge);
  IrIns fuel{IrOp::kGuardFuel};
  fuel.snap = s2;
  b.Emit(fuel);
  rec.final_slots = {{Slot(0), i2}, {Slot(2), acc2}};
  rec.entry = start;
  return rec;
}

struct TraceRun {
  uint32_t exit;
  std::vector<Value> slots;
  int64_t budget;
};

TraceRun Execute(const TraceIr& ir, std::vector<Value> slots, int64_t budget) {
  CodeArena arena(1 << 20);
  auto compiled = CompileTrace(ir, arena);
  if (auto* f = std::get_if<EmitFailure>(&compiled)) {
    ADD_FAILURE() << f->message;
    return {};
  }
  TraceContext ctx;
  ctx.budget = &budget;
  uint32_t exit = std::get<CompiledTrace>(compiled).entry(slots.data(), &ctx);
  return {exit, slots, budget};
}

TEST(TraceBackend, PeeledSumLoopComputesAndExitsThroughTheLoopGuard) {
  auto peeled = PeelLoop(SumLoop());
  ASSERT_TRUE(std::holds_alternative<TraceIr>(peeled)) << std::get<std::string>(peeled);
  TraceIr ir = std::get<TraceIr>(peeled);
  EliminateDeadCode(ir);
  std::vector<Value> slots = {Value::Int(0), Value::Int(1000), Value::Int(5), Value::Int(3)};
  TraceRun run = Execute(ir, slots, 1 << 20);
  int64_t expect = 5;
  for (int64_t i = 0; i < 1000; ++i) expect += i * 3;
  EXPECT_EQ(run.slots[0].tag, Tag::kInt);
  EXPECT_EQ(run.slots[0].i, 1000);
  EXPECT_EQ(run.slots[2].i, expect);
  EXPECT_EQ(ir.snapshots()[run.exit].resume_pc, 100u);  // left at i < n
  EXPECT_EQ(run.budget, (1 << 20) - 1000);               // one step per back-edge
}

TEST(TraceBackend, LoopPassHoistsInvariantLoadsAndGuards) {
  auto peeled = PeelLoop(SumLoop());
  TraceIr ir = std::get<TraceIr>(peeled);
  // The body after LOOP has no SLoad (k and n are invariant, i and acc are PHIs).
  bool after_loop = false;
  int body_loads = 0, body_guards = 0;
  for (const IrIns& ins : ir.instructions()) {
    if (ins.op == IrOp::kLoop) after_loop = true;
    if (after_loop && ins.op == IrOp::kSLoad) ++body_loads;
    if (after_loop && ins.op == IrOp::kGuardI) ++body_guards;
  }
  EXPECT_EQ(body_loads, 0) << ir.ToString();
  EXPECT_EQ(body_guards, 1) << ir.ToString();  // i < n changes every iteration
}

TEST(TraceBackend, FuelRunsOutAtTheBackEdgeWithTheSlotsWritten) {
  auto peeled = PeelLoop(SumLoop());
  TraceIr ir = std::get<TraceIr>(peeled);
  std::vector<Value> slots = {Value::Int(0), Value::Int(1000), Value::Int(0), Value::Int(1)};
  // With 11 steps of budget the trace takes 10 back-edges and leaves before the 11th,
  // which the interpreter then takes (and its safepoint) itself.
  TraceRun run = Execute(ir, slots, 11);
  EXPECT_TRUE(ir.snapshots()[run.exit].at_loop_edge);
  EXPECT_EQ(run.budget, 1);
  EXPECT_EQ(run.slots[0].i, 11);
  EXPECT_EQ(run.slots[2].i, 55);  // 0 + 1 + ... + 10
}

TEST(TraceBackend, TypeGuardOnEntryLeavesWithoutWriting) {
  auto peeled = PeelLoop(SumLoop());
  TraceIr ir = std::get<TraceIr>(peeled);
  std::vector<Value> slots = {Value::Float(0.5), Value::Int(10), Value::Int(0), Value::Int(1)};
  TraceRun run = Execute(ir, slots, 100);
  EXPECT_EQ(run.exit, 0u);
  EXPECT_EQ(run.slots[0].tag, Tag::kFloat);
  EXPECT_EQ(run.budget, 100);
}

TEST(TraceBackend, WithoutPeelingAndWithoutFoldingTheResultIsTheSame) {
  FoldOptions off{false, false};
  auto unpeeled = LoopWithoutPeeling(SumLoop(off));
  ASSERT_TRUE(std::holds_alternative<TraceIr>(unpeeled)) << std::get<std::string>(unpeeled);
  std::vector<Value> slots = {Value::Int(0), Value::Int(77), Value::Int(1), Value::Int(2)};
  TraceRun a = Execute(std::get<TraceIr>(unpeeled), slots, 1000);
  TraceRun b = Execute(std::get<TraceIr>(PeelLoop(SumLoop())), slots, 1000);
  EXPECT_EQ(a.slots[0].i, b.slots[0].i);
  EXPECT_EQ(a.slots[2].i, b.slots[2].i);
  EXPECT_EQ(a.budget, b.budget);
}

// An unsigned bounds check with the constant on the left (array[0] checks 0 <u length):
// the guard holds for any positive n, so the loop runs to its own exit.
TEST(TraceBackend, UnsignedGuardWithAConstantLeftSideHolds) {
  RecordedIteration rec;
  IrBuilder b(rec.ir);
  Snapshot start;
  uint32_t s0 = rec.ir.AddSnapshot(start);
  IrRef i = b.Emit(Load(0, Tag::kInt, s0));
  IrRef n = b.Emit(Load(1, Tag::kInt, s0));
  Snapshot bounds;
  bounds.resume_pc = 200;
  uint32_t sb = rec.ir.AddSnapshot(bounds);
  b.Emit(Guard(IrOp::kGuardI, Cond::kULt, b.Int(0), n, sb));
  Snapshot done;
  done.resume_pc = 100;
  uint32_t s1 = rec.ir.AddSnapshot(done);
  b.Emit(Guard(IrOp::kGuardI, Cond::kLt, i, n, s1));
  IrRef i2 = b.Emit(Bin(IrOp::kAddI, Tag::kInt, i, b.Int(1)));
  Snapshot edge;
  edge.at_loop_edge = true;
  edge.resume_pc = 50;
  edge.entries = {{Slot(0), i2}};
  uint32_t s2 = rec.ir.AddSnapshot(edge);
  IrIns fuel{IrOp::kGuardFuel};
  fuel.snap = s2;
  b.Emit(fuel);
  rec.final_slots = {{Slot(0), i2}};
  rec.entry = start;
  auto peeled = PeelLoop(rec);
  ASSERT_TRUE(std::holds_alternative<TraceIr>(peeled)) << std::get<std::string>(peeled);
  TraceIr ir = std::get<TraceIr>(peeled);
  TraceRun run = Execute(ir, {Value::Int(0), Value::Int(40)}, 1000);
  EXPECT_EQ(ir.snapshots()[run.exit].resume_pc, 100u) << ir.ToString();
  EXPECT_EQ(run.slots[0].i, 40);
  // n = 0: the bounds guard fails on entry.
  TraceRun empty = Execute(ir, {Value::Int(0), Value::Int(0)}, 1000);
  EXPECT_EQ(ir.snapshots()[empty.exit].resume_pc, 200u);
}

TEST(TraceBackend, TypeUnstableLoopIsRefused) {
  RecordedIteration rec;
  IrBuilder b(rec.ir);
  uint32_t s0 = rec.ir.AddSnapshot({});
  IrRef x = b.Emit(Load(0, Tag::kInt, s0));
  IrIns conv{IrOp::kConvIF};
  conv.type = Tag::kFloat;
  conv.a = x;
  IrRef f = b.Emit(conv);
  rec.final_slots = {{Slot(0), f}};
  auto r = PeelLoop(rec);
  ASSERT_TRUE(std::holds_alternative<std::string>(r));
  EXPECT_NE(std::get<std::string>(r).find("starts the loop as int and ends it as float"),
            std::string::npos);
}

TEST(TraceBackend, FloatLoopWithNaNLeavesThroughOrderedGuards) {
  // while x < limit { x = x * 2.0 + 1.0 }  slots x=0 limit=1
  RecordedIteration rec;
  IrBuilder b(rec.ir);
  uint32_t s0 = rec.ir.AddSnapshot({});
  IrRef x = b.Emit(Load(0, Tag::kFloat, s0));
  IrRef lim = b.Emit(Load(1, Tag::kFloat, s0));
  Snapshot done;
  done.resume_pc = 7;
  uint32_t s1 = rec.ir.AddSnapshot(done);
  b.Emit(Guard(IrOp::kGuardF, Cond::kLt, x, lim, s1));
  IrRef x2 = b.Emit(Bin(IrOp::kAddF, Tag::kFloat, b.Emit(Bin(IrOp::kMulF, Tag::kFloat, x, b.Float(2.0))),
                        b.Float(1.0)));
  Snapshot edge;
  edge.at_loop_edge = true;
  edge.entries = {{Slot(0), x2}};
  IrIns fuel{IrOp::kGuardFuel};
  fuel.snap = rec.ir.AddSnapshot(edge);
  b.Emit(fuel);
  rec.final_slots = {{Slot(0), x2}};
  TraceIr ir = std::get<TraceIr>(PeelLoop(rec));
  TraceRun run = Execute(ir, {Value::Float(0.0), Value::Float(1000.0)}, 1000);
  EXPECT_EQ(run.slots[0].f, 1023.0);
  EXPECT_EQ(ir.snapshots()[run.exit].resume_pc, 7u);
  TraceRun nan = Execute(ir, {Value::Float(std::nan("")), Value::Float(1000.0)}, 1000);
  EXPECT_EQ(ir.snapshots()[nan.exit].resume_pc, 7u);  // NaN < x is false
  EXPECT_EQ(nan.budget, 1000);
}

}  // namespace
}  // namespace trinity::jit
