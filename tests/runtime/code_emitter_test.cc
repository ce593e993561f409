// Tests for CodeEmitter (runtime/code_emitter.cc): operand encoding, forward and
// backward label resolution, the line table, and that emitted code verifies.
#include <gtest/gtest.h>

#include <vector>

#include "runtime/code_emitter.h"
#include "runtime/module.h"
#include "runtime/opcodes.h"
#include "runtime/verifier.h"

namespace trinity {
namespace {

uint8_t B(Op op) { return static_cast<uint8_t>(op); }

int32_t I32At(const std::vector<uint8_t>& code, size_t at) {
  uint32_t u = code[at] | (code[at + 1] << 8) | (code[at + 2] << 16) |
               (static_cast<uint32_t>(code[at + 3]) << 24);
  return static_cast<int32_t>(u);
}

TEST(CodeEmitter, EncodesOperandsPerOpcodeTable) {
  CodeEmitter e;
  EXPECT_EQ(e.Emit(Op::kPushInt, -2), 0u);
  EXPECT_EQ(e.Emit(Op::kLoadLocal, 0x1234), 5u);
  EXPECT_EQ(e.Emit(Op::kCallHost, 0x01020304, 7), 8u);
  EXPECT_EQ(e.Emit(Op::kCallBuiltin, 3, 2), 14u);
  EXPECT_EQ(e.Emit(Op::kReturn), 18u);
  EXPECT_EQ(e.pc(), 19u);
  Function f;
  e.Finish(f);
  std::vector<uint8_t> expected = {
      B(Op::kPushInt), 0xfe, 0xff, 0xff, 0xff,      //
      B(Op::kLoadLocal), 0x34, 0x12,                //
      B(Op::kCallHost), 0x04, 0x03, 0x02, 0x01, 7,  //
      B(Op::kCallBuiltin), 3, 0, 2,                 //
      B(Op::kReturn)};
  EXPECT_EQ(f.code, expected);
}

TEST(CodeEmitter, ResolvesForwardLabel) {
  CodeEmitter e;
  auto end = e.NewLabel();
  e.Emit(Op::kPushTrue);                                 // 0
  EXPECT_EQ(e.EmitJump(Op::kJumpIfFalse, end), 1u);      // 1..5
  e.Emit(Op::kPushNil);                                  // 6
  e.Emit(Op::kPop);                                      // 7
  e.Bind(end);                                           // 8
  e.Emit(Op::kPushNil);
  e.Emit(Op::kReturn);
  Function f;
  e.Finish(f);
  EXPECT_EQ(f.code[1], B(Op::kJumpIfFalse));
  // Relative to the end of the jump (pc 6): target 8.
  EXPECT_EQ(I32At(f.code, 2), 2);
}

TEST(CodeEmitter, ResolvesBackwardLabelAndIterNext) {
  CodeEmitter e;
  auto loop = e.NewLabel(), done = e.NewLabel();
  e.Bind(loop);                                   // 0
  EXPECT_EQ(e.EmitIterNext(3, done), 0u);         // 0..6
  e.Emit(Op::kPop);                               // 7
  e.Emit(Op::kPop);                               // 8
  EXPECT_EQ(e.EmitJump(Op::kJump, loop), 9u);     // 9..13
  e.Bind(done);                                   // 14
  e.Emit(Op::kPushNil);
  e.Emit(Op::kReturn);
  Function f;
  e.Finish(f);
  EXPECT_EQ(f.code[0], B(Op::kIterNext));
  EXPECT_EQ(f.code[1], 3);  // slot, u16
  EXPECT_EQ(f.code[2], 0);
  EXPECT_EQ(I32At(f.code, 3), 14 - 7);
  EXPECT_EQ(I32At(f.code, 10), 0 - 14);

  Module m;
  f.name = "loop";
  f.num_locals = 5;
  f.max_stack = 2;
  m.functions.push_back(f);
  auto r = VerifyModule(m);
  EXPECT_TRUE(r.ok()) << r.error().ToString();
}

TEST(CodeEmitter, LabelUsedByManyJumps) {
  CodeEmitter e;
  auto target = e.NewLabel();
  e.EmitJump(Op::kJump, target);  // 0..4, forward
  e.Bind(target);                 // 5
  e.Emit(Op::kPushFalse);         // 5
  e.EmitJump(Op::kJumpIfTrue, target);  // 6..10, backward
  e.Emit(Op::kPushNil);
  e.Emit(Op::kReturn);
  Function f;
  e.Finish(f);
  EXPECT_EQ(I32At(f.code, 1), 0);
  EXPECT_EQ(I32At(f.code, 7), 5 - 11);
}

TEST(CodeEmitter, RecordsLineOnlyWhenItChanges) {
  CodeEmitter e;
  e.Emit(Op::kNop);  // pc 0, no line yet
  e.SetLine(3);
  e.Emit(Op::kPushInt, 1);  // pc 1
  e.SetLine(3);
  e.Emit(Op::kPop);  // pc 6, same line
  e.SetLine(7);
  e.SetLine(4);      // no instruction for line 7: it leaves no entry
  e.Emit(Op::kPushNil);  // pc 7
  e.Emit(Op::kReturn);   // pc 8
  Function f;
  e.Finish(f);
  ASSERT_EQ(f.lines.size(), 2u);
  EXPECT_EQ(f.lines[0].pc, 1u);
  EXPECT_EQ(f.lines[0].line, 3u);
  EXPECT_EQ(f.lines[1].pc, 7u);
  EXPECT_EQ(f.lines[1].line, 4u);
  EXPECT_EQ(f.LineAt(0), 0u);
  EXPECT_EQ(f.LineAt(6), 3u);
  EXPECT_EQ(f.LineAt(8), 4u);
}

TEST(CodeEmitter, FinishResetsForReuse) {
  CodeEmitter e;
  e.SetLine(2);
  e.Emit(Op::kPushNil);
  e.Emit(Op::kReturn);
  Function first;
  e.Finish(first);
  EXPECT_EQ(e.pc(), 0u);
  e.Emit(Op::kTrap);
  Function second;
  e.Finish(second);
  EXPECT_EQ(second.code, std::vector<uint8_t>{B(Op::kTrap)});
  EXPECT_TRUE(second.lines.empty());
  EXPECT_EQ(first.code.size(), 2u);
}

TEST(CodeEmitter, ComputedMaxStackOfEmittedFunction) {
  CodeEmitter e;
  e.Emit(Op::kPushInt, 1);
  e.Emit(Op::kPushInt, 2);
  e.Emit(Op::kPushInt, 3);
  e.Emit(Op::kNewArray, 3);
  e.Emit(Op::kReturn);
  Module m;
  m.functions.emplace_back();
  e.Finish(m.functions[0]);
  auto max = ComputeMaxStack(m, m.functions[0]);
  ASSERT_TRUE(max.ok()) << max.error().ToString();
  EXPECT_EQ(*max, 3);
}

TEST(CodeEmitterDeathTest, UnboundLabelAborts) {
  EXPECT_DEATH(
      {
        CodeEmitter e;
        auto never = e.NewLabel();
        e.EmitJump(Op::kJump, never);
        Function f;
        e.Finish(f);
      },
      "never bound");
}

TEST(CodeEmitterDeathTest, DoubleBindAborts) {
  EXPECT_DEATH(
      {
        CodeEmitter e;
        auto l = e.NewLabel();
        e.Bind(l);
        e.Bind(l);
      },
      "bound twice");
}

}  // namespace
}  // namespace trinity
