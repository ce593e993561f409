// Tests for the bytecode verifier (runtime/verifier.cc): a realistic module passes, and
// each rejection class names the right function, pc and problem. Also covers
// ComputeMaxStack and linear-time verification of a very large function.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "runtime/builtins.h"
#include "runtime/code_emitter.h"
#include "runtime/module.h"
#include "runtime/opcodes.h"
#include "runtime/verifier.h"

namespace trinity {
namespace {

using Body = std::function<void(CodeEmitter&)>;

uint8_t B(Op op) { return static_cast<uint8_t>(op); }

Function Build(std::string name, const Body& body, uint16_t arity = 0, uint16_t num_locals = 0,
               uint16_t num_captures = 0) {
  Function f;
  f.name = std::move(name);
  f.arity = arity;
  f.num_locals = num_locals;
  f.num_captures = num_captures;
  CodeEmitter e;
  body(e);
  e.Finish(f);
  f.max_stack = 64;  // generous; tests of max_stack set it explicitly
  return f;
}

Function Raw(std::string name, std::vector<uint8_t> code, uint16_t num_locals = 0) {
  Function f;
  f.name = std::move(name);
  f.num_locals = num_locals;
  f.max_stack = 64;
  f.code = std::move(code);
  return f;
}

// A module with one constant, one import, one global and the given functions.
Module With(std::vector<Function> functions) {
  Module m;
  m.constants = {int64_t{1}};
  m.imports = {"log"};
  m.globals = {"g"};
  m.functions = std::move(functions);
  return m;
}

Module OneFunction(const Body& body, uint16_t num_locals = 0) {
  return With({Build("f", body, 0, num_locals)});
}

void ExpectRejected(const Module& m, std::string_view function, size_t pc,
                    std::string_view needle) {
  auto r = VerifyModule(m);
  ASSERT_FALSE(r.ok()) << "expected a rejection mentioning '" << needle << "'";
  EXPECT_EQ(r.error().function, function) << r.error().ToString();
  EXPECT_EQ(r.error().offset, pc) << r.error().ToString();
  EXPECT_NE(r.error().reason.find(needle), std::string::npos) << r.error().ToString();
}

void ExpectAccepted(const Module& m) {
  auto r = VerifyModule(m);
  EXPECT_TRUE(r.ok()) << r.error().ToString();
}

// sum(xs): adds the values of a container with iter_next. Locals: 0 xs, 1-2 iterator
// (container, cursor), 3 total.
Function SumFunction() {
  return Build(
      "sum",
      [](CodeEmitter& e) {
        auto loop = e.NewLabel(), done = e.NewLabel();
        e.Emit(Op::kLoadLocal, 0);
        e.Emit(Op::kStoreLocal, 1);
        e.Emit(Op::kPushInt, 0);
        e.Emit(Op::kStoreLocal, 2);
        e.Emit(Op::kPushInt, 0);
        e.Emit(Op::kStoreLocal, 3);
        e.Bind(loop);
        e.EmitIterNext(1, done);  // key, value
        e.Emit(Op::kLoadLocal, 3);
        e.Emit(Op::kAdd);
        e.Emit(Op::kStoreLocal, 3);
        e.Emit(Op::kPop);
        e.EmitJump(Op::kJump, loop);
        e.Bind(done);
        e.Emit(Op::kLoadLocal, 3);
        e.Emit(Op::kReturn);
      },
      1, 4);
}

Module RealisticModule() {
  Function inner = Build(
      "inner", [](CodeEmitter& e) {
        e.Emit(Op::kLoadCapture, 0);
        e.Emit(Op::kReturn);
      },
      0, 0, 1);
  Function main = Build("main", [](CodeEmitter& e) {
    auto skip = e.NewLabel();
    e.Emit(Op::kPushInt, 5);
    e.Emit(Op::kMakeClosure, 1, 1);
    e.Emit(Op::kCallValue, 0);  // [r]
    e.Emit(Op::kPushInt, 1);
    e.Emit(Op::kConst, 0);
    e.Emit(Op::kNewArray, 2);
    e.Emit(Op::kCall, 0);  // [r, s]
    e.Emit(Op::kPushTrue);
    e.EmitJump(Op::kJumpIfFalse, skip);
    e.Emit(Op::kLoadGlobal, 0);
    e.Emit(Op::kCallHost, 0, 1);
    e.Emit(Op::kPop);
    e.Bind(skip);
    e.Emit(Op::kPushInt, 1);
    e.Emit(Op::kPushInt, 2);
    e.Emit(Op::kNewMap, 1);  // [r, s, map]
    e.Emit(Op::kCallBuiltin, static_cast<int>(Builtin::kPrint), 3);
    e.Emit(Op::kReturn);
  });
  Module m = With({SumFunction(), inner, main});
  m.exports = {{"sum", 0}, {"main", 2}};
  m.start_function = 2;
  return m;
}

// --- accepted code -------------------------------------------------------------------

TEST(Verifier, AcceptsRealisticModule) { ExpectAccepted(RealisticModule()); }

TEST(Verifier, ComputeMaxStackOfSmallFunctions) {
  Module m = RealisticModule();
  auto sum = ComputeMaxStack(m, m.functions[0]);
  ASSERT_TRUE(sum.ok()) << sum.error().ToString();
  EXPECT_EQ(*sum, 3);  // key, value, total
  auto main = ComputeMaxStack(m, m.functions[2]);
  ASSERT_TRUE(main.ok()) << main.error().ToString();
  EXPECT_EQ(*main, 4);  // r, s, then two map operands
  // dup2 peaks after its pushes.
  Module d = OneFunction([](CodeEmitter& e) {
    e.Emit(Op::kPushNil);
    e.Emit(Op::kPushNil);
    e.Emit(Op::kDup2);
    e.Emit(Op::kPop);
    e.Emit(Op::kPop);
    e.Emit(Op::kPop);
    e.Emit(Op::kReturn);
  });
  auto dup = ComputeMaxStack(d, d.functions[0]);
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ(*dup, 4);
  // Exact declared max_stack passes.
  d.functions[0].max_stack = 4;
  ExpectAccepted(d);
}

TEST(Verifier, ComputeMaxStackIgnoresDeclaredValueButNotOtherErrors) {
  Module m = RealisticModule();
  m.functions[0].max_stack = 0;
  auto sum = ComputeMaxStack(m, m.functions[0]);
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(*sum, 3);
  m.functions[0].code[0] = 0xee;
  auto bad = ComputeMaxStack(m, m.functions[0]);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().function, "sum");
}

TEST(Verifier, UnreachableCodeIsDecodedButNotHeightChecked) {
  // A pop with an empty stack after ret is fine: it can never run.
  ExpectAccepted(OneFunction([](CodeEmitter& e) {
    e.Emit(Op::kPushNil);
    e.Emit(Op::kReturn);
    e.Emit(Op::kPop);
    e.Emit(Op::kPop);
    e.Emit(Op::kReturn);
  }));
  // An out-of-range index there is still rejected.
  ExpectRejected(OneFunction([](CodeEmitter& e) {
                   e.Emit(Op::kPushNil);
                   e.Emit(Op::kReturn);
                   e.Emit(Op::kConst, 9);
                   e.Emit(Op::kReturn);
                 }),
                 "f", 2, "constant index 9 is out of range");
}

// Linear-time worklist: a million instructions with a million joins verify quickly.
// No timing is asserted; a quadratic verifier would make this test time out.
TEST(Verifier, VerifiesLargeFunction) {
  Module m = OneFunction([](CodeEmitter& e) {
    for (int i = 0; i < 500000; ++i) {
      auto next = e.NewLabel();
      e.Emit(Op::kPushTrue);
      e.EmitJump(Op::kJumpIfTrue, next);
      e.Bind(next);
    }
    e.Emit(Op::kPushNil);
    e.Emit(Op::kReturn);
  });
  EXPECT_GT(m.functions[0].code.size(), 2000000u);
  ExpectAccepted(m);
  auto max = ComputeMaxStack(m, m.functions[0]);
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(*max, 1);
}

// --- function header ---------------------------------------------------------------

TEST(Verifier, RejectsArityAboveNumLocals) {
  Module m = With({Build("f", [](CodeEmitter& e) {
    e.Emit(Op::kPushNil);
    e.Emit(Op::kReturn);
  }, 2, 1)});
  ExpectRejected(m, "f", 0, "arity 2 is more than num_locals 1");
}

TEST(Verifier, RejectsTooManyLocals) {
  Module m = OneFunction([](CodeEmitter& e) {
    e.Emit(Op::kPushNil);
    e.Emit(Op::kReturn);
  }, kMaxLocals + 1);
  ExpectRejected(m, "f", 0, "num_locals 32769 exceeds the limit");
}

TEST(Verifier, RejectsEmptyCode) { ExpectRejected(With({Raw("f", {})}), "f", 0, "code is empty"); }

TEST(Verifier, RejectsOversizedCode) {
  std::vector<uint8_t> code(size_t{kMaxCodeBytes} + 1, B(Op::kNop));
  code.back() = B(Op::kTrap);
  ExpectRejected(With({Raw("f", std::move(code))}), "f", 0, "code size");
}

TEST(Verifier, NamesUnnamedFunctionsByIndex) {
  Module m = RealisticModule();
  m.functions.push_back(Raw("", {}));
  ExpectRejected(m, "#3", 0, "code is empty");
}

// --- decoding ------------------------------------------------------------------------

TEST(Verifier, RejectsUnknownOpcode) {
  ExpectRejected(With({Raw("f", {B(Op::kPushNil), 0xee, B(Op::kReturn)})}), "f", 1,
                 "unknown opcode 238");
  ExpectRejected(With({Raw("f", {static_cast<uint8_t>(kOpCount)})}), "f", 0, "unknown opcode");
}

TEST(Verifier, RejectsTruncatedOperands) {
  ExpectRejected(With({Raw("f", {B(Op::kPushNil), B(Op::kConst), 0, 0})}), "f", 1,
                 "truncated operands of const");
  ExpectRejected(With({Raw("f", {B(Op::kCallHost), 0, 0, 0, 0})}), "f", 0,
                 "truncated operands of call_host");
}

TEST(Verifier, RejectsFallingOffTheEnd) {
  ExpectRejected(OneFunction([](CodeEmitter& e) { e.Emit(Op::kPushNil); }), "f", 0,
                 "fall off the end");
  ExpectRejected(OneFunction([](CodeEmitter& e) {
                   auto l = e.NewLabel();
                   e.Bind(l);
                   e.Emit(Op::kPushTrue);
                   e.EmitJump(Op::kJumpIfTrue, l);
                 }),
                 "f", 1, "fall off the end of the code after jmp_if_true");
}

// --- operand ranges ------------------------------------------------------------------

void ExpectOperandRejected(const Body& body, size_t pc, std::string_view needle,
                           uint16_t num_locals = 0, uint16_t num_captures = 0) {
  Module m = With({Build("f", body, 0, num_locals, num_captures),
                   Build("closure", [](CodeEmitter& e) {
                     e.Emit(Op::kLoadCapture, 1);
                     e.Emit(Op::kReturn);
                   }, 0, 0, 2)});
  ExpectRejected(m, "f", pc, needle);
}

TEST(Verifier, RejectsConstantIndex) {
  ExpectOperandRejected([](CodeEmitter& e) {
    e.Emit(Op::kConst, 1);
    e.Emit(Op::kReturn);
  }, 0, "constant index 1 is out of range (1 available)");
}

TEST(Verifier, RejectsLocalIndex) {
  ExpectOperandRejected([](CodeEmitter& e) {
    e.Emit(Op::kPushNil);
    e.Emit(Op::kStoreLocal, 2);
    e.Emit(Op::kLoadLocal, 1);
    e.Emit(Op::kReturn);
  }, 1, "local index 2 is out of range (2 available)", 2);
}

TEST(Verifier, RejectsGlobalIndex) {
  ExpectOperandRejected([](CodeEmitter& e) {
    e.Emit(Op::kLoadGlobal, 0);
    e.Emit(Op::kStoreGlobal, 1);
    e.Emit(Op::kPushNil);
    e.Emit(Op::kReturn);
  }, 5, "global index 1 is out of range");
}

TEST(Verifier, RejectsFunctionIndex) {
  ExpectOperandRejected([](CodeEmitter& e) {
    e.Emit(Op::kCall, 2);
    e.Emit(Op::kReturn);
  }, 0, "function index 2 is out of range (2 available)");
}

TEST(Verifier, RejectsImportIndex) {
  ExpectOperandRejected([](CodeEmitter& e) {
    e.Emit(Op::kCallHost, 1, 0);
    e.Emit(Op::kReturn);
  }, 0, "import index 1 is out of range (1 available)");
}

TEST(Verifier, RejectsBuiltinId) {
  ExpectOperandRejected([](CodeEmitter& e) {
    e.Emit(Op::kCallBuiltin, kBuiltinCount, 0);
    e.Emit(Op::kReturn);
  }, 0, "builtin index");
}

TEST(Verifier, RejectsBuiltinArgumentCount) {
  ExpectOperandRejected([](CodeEmitter& e) {
    e.Emit(Op::kPushNil);
    e.Emit(Op::kCallBuiltin, static_cast<int>(Builtin::kHas), 1);
    e.Emit(Op::kReturn);
  }, 1, "builtin 'has' called with 1 arguments, expects 2 to 2");
  ExpectOperandRejected([](CodeEmitter& e) {
    e.Emit(Op::kCallBuiltin, static_cast<int>(Builtin::kMathMin), 0);
    e.Emit(Op::kReturn);
  }, 0, "builtin 'math.min' called with 0 arguments");
}

TEST(Verifier, RejectsCaptureIndex) {
  ExpectOperandRejected([](CodeEmitter& e) {
    e.Emit(Op::kLoadCapture, 0);
    e.Emit(Op::kReturn);
  }, 0, "capture index 0 is out of range (0 available)");
  // In range for a function that has captures.
  ExpectOperandRejected([](CodeEmitter& e) {
    e.Emit(Op::kLoadCapture, 2);
    e.Emit(Op::kReturn);
  }, 0, "capture index 2 is out of range (2 available)", 0, 2);
}

TEST(Verifier, RejectsIterNextSlotWithoutRoomForCursor) {
  ExpectOperandRejected([](CodeEmitter& e) {
    auto done = e.NewLabel();
    e.EmitIterNext(1, done);
    e.Emit(Op::kPop);
    e.Emit(Op::kPop);
    e.Bind(done);
    e.Emit(Op::kPushNil);
    e.Emit(Op::kReturn);
  }, 0, "iter_next slot 1", 2);
}

TEST(Verifier, RejectsPushFuncOfFunctionWithCaptures) {
  ExpectOperandRejected([](CodeEmitter& e) {
    e.Emit(Op::kPushFunc, 1);
    e.Emit(Op::kReturn);
  }, 0, "push_func of function 1, which has 2 captures");
}

TEST(Verifier, RejectsMakeClosureCountMismatch) {
  ExpectOperandRejected([](CodeEmitter& e) {
    e.Emit(Op::kPushNil);
    e.Emit(Op::kMakeClosure, 1, 1);
    e.Emit(Op::kReturn);
  }, 1, "make_closure supplies 1 captures but function 1 has 2");
}

// --- control flow --------------------------------------------------------------------

TEST(Verifier, RejectsJumpOutsideFunction) {
  // jmp +40 from pc 0: target 45, past the 6-byte function.
  ExpectRejected(With({Raw("fib", {B(Op::kJump), 40, 0, 0, 0, B(Op::kTrap)})}), "fib", 0,
                 "jump target 45 is outside the function");
  // Backwards before the start.
  ExpectRejected(With({Raw("f", {B(Op::kPushNil), B(Op::kJump), 0xf0, 0xff, 0xff, 0xff})}), "f",
                 1, "jump target -10 is outside the function");
  // iter_next's offset is its second operand.
  ExpectRejected(With({Raw("f", {B(Op::kIterNext), 0, 0, 100, 0, 0, 0, B(Op::kTrap)}, 2)}), "f",
                 0, "jump target 107 is outside the function");
}

TEST(Verifier, RejectsJumpIntoTheMiddleOfAnInstruction) {
  // push_int occupies 0..4; jump to 2.
  ExpectRejected(With({Raw("f", {B(Op::kPushInt), 0, 0, 0, 0, B(Op::kJump), 0xf8, 0xff, 0xff,
                                 0xff})}),
                 "f", 5, "jump target 2 is not on an instruction boundary");
}

// --- stack heights -------------------------------------------------------------------

TEST(Verifier, RejectsStackUnderflow) {
  ExpectRejected(OneFunction([](CodeEmitter& e) {
                   e.Emit(Op::kPushNil);
                   e.Emit(Op::kAdd);
                   e.Emit(Op::kReturn);
                 }),
                 "f", 1, "stack underflow: add pops 2 values but the stack holds 1");
}

TEST(Verifier, RejectsUnderflowOfComputedPops) {
  // call pops the callee's arity (sum takes 1).
  Module call = With({SumFunction(), Build("f", [](CodeEmitter& e) {
                        e.Emit(Op::kCall, 0);
                        e.Emit(Op::kReturn);
                      })});
  ExpectRejected(call, "f", 0, "call pops 1 values");
  ExpectRejected(OneFunction([](CodeEmitter& e) {
                   e.Emit(Op::kPushNil);
                   e.Emit(Op::kCallValue, 1);
                   e.Emit(Op::kReturn);
                 }),
                 "f", 1, "call_value pops 2 values");
  ExpectRejected(OneFunction([](CodeEmitter& e) {
                   e.Emit(Op::kCallHost, 0, 3);
                   e.Emit(Op::kReturn);
                 }),
                 "f", 0, "call_host pops 3 values");
  ExpectRejected(OneFunction([](CodeEmitter& e) {
                   e.Emit(Op::kCallBuiltin, static_cast<int>(Builtin::kStr), 1);
                   e.Emit(Op::kReturn);
                 }),
                 "f", 0, "call_builtin pops 1 values");
  ExpectRejected(OneFunction([](CodeEmitter& e) {
                   e.Emit(Op::kPushNil);
                   e.Emit(Op::kNewArray, 2);
                   e.Emit(Op::kReturn);
                 }),
                 "f", 1, "new_array pops 2 values");
  // 2 * 0xffffffff must not wrap around to something small.
  ExpectRejected(OneFunction([](CodeEmitter& e) {
                   e.Emit(Op::kPushNil);
                   e.Emit(Op::kNewMap, 0xffffffffLL);
                   e.Emit(Op::kReturn);
                 }),
                 "f", 1, "new_map pops 8589934590 values");
}

TEST(Verifier, RejectsMakeClosureUnderflow) {
  Module m = With({Build("f", [](CodeEmitter& e) {
                     e.Emit(Op::kPushNil);
                     e.Emit(Op::kMakeClosure, 1, 2);
                     e.Emit(Op::kReturn);
                   }),
                   Build("c", [](CodeEmitter& e) {
                     e.Emit(Op::kPushNil);
                     e.Emit(Op::kReturn);
                   }, 0, 0, 2)});
  ExpectRejected(m, "f", 1, "make_closure pops 2 values");
}

TEST(Verifier, RejectsHeightMismatchAtJoin) {
  // if (true) push; join — the join sees 0 on one edge and 1 on the other.
  Module m = OneFunction([](CodeEmitter& e) {
    auto join = e.NewLabel();
    e.Emit(Op::kPushTrue);                 // 0
    e.EmitJump(Op::kJumpIfFalse, join);    // 1
    e.Emit(Op::kPushNil);                  // 6
    e.Bind(join);
    e.Emit(Op::kPushNil);                  // 7
    e.Emit(Op::kReturn);
  });
  ExpectRejected(m, "f", 7, "stack heights disagree at join");
}

TEST(Verifier, IterNextPushesOnlyOnFallthrough) {
  // The exhausted edge arrives with nothing pushed, so `done` sees the loop's height.
  Module ok = With({SumFunction()});
  ExpectAccepted(ok);
  // Treating the jump edge as +2 would be caught here: the loop body leaves key and
  // value on the stack when jumping back, which must disagree with the loop head.
  Module bad = OneFunction([](CodeEmitter& e) {
    auto loop = e.NewLabel(), done = e.NewLabel();
    e.Bind(loop);
    e.EmitIterNext(0, done);
    e.EmitJump(Op::kJump, loop);
    e.Bind(done);
    e.Emit(Op::kPushNil);
    e.Emit(Op::kReturn);
  }, 2);
  ExpectRejected(bad, "f", 0, "stack heights disagree at join: 0 on one path, 2 on another");
}

// --- try_begin / try_end (format 1.1; rules in opcodes.h) ----------------------------

// try_begin handler; <body>; try_end; jmp end; handler: store_local 0; end: push_nil; ret
Module TryModule(const std::function<void(CodeEmitter&)>& body) {
  return OneFunction([&](CodeEmitter& e) {
    auto handler = e.NewLabel(), end = e.NewLabel();
    e.EmitJump(Op::kTryBegin, handler);
    body(e);
    e.Emit(Op::kTryEnd);
    e.EmitJump(Op::kJump, end);
    e.Bind(handler);
    e.Emit(Op::kStoreLocal, 0);  // the error value: the handler starts at height 1
    e.Bind(end);
    e.Emit(Op::kPushNil);
    e.Emit(Op::kReturn);
  }, 1);
}

TEST(Verifier, AcceptsTryBlockAndEntersHandlerWithTheErrorValue) {
  ExpectAccepted(TryModule([](CodeEmitter& e) { e.Emit(Op::kNop); }));
  // The handler is entered at height 1, so it may not pop twice.
  Module m = OneFunction([](CodeEmitter& e) {
    auto handler = e.NewLabel();
    e.EmitJump(Op::kTryBegin, handler);  // 0
    e.Emit(Op::kTryEnd);                 // 5
    e.Emit(Op::kPushNil);                // 6
    e.Emit(Op::kReturn);                 // 7
    e.Bind(handler);
    e.Emit(Op::kPop);                    // 8
    e.Emit(Op::kPop);                    // 9
    e.Emit(Op::kPushNil);
    e.Emit(Op::kReturn);
  });
  ExpectRejected(m, "f", 9, "stack underflow");
}

TEST(Verifier, ComputeMaxStackCountsTheErrorValue) {
  Module m = TryModule([](CodeEmitter& e) { e.Emit(Op::kNop); });
  auto needed = ComputeMaxStack(m, m.functions[0]);
  ASSERT_TRUE(needed.ok()) << needed.error().ToString();
  EXPECT_EQ(needed.value(), 1);
}

TEST(Verifier, RejectsTryBeginOnANonEmptyStack) {
  Module m = OneFunction([](CodeEmitter& e) {
    auto handler = e.NewLabel();
    e.Emit(Op::kPushNil);                // 0
    e.EmitJump(Op::kTryBegin, handler);  // 1
    e.Bind(handler);
    e.Emit(Op::kReturn);
  });
  ExpectRejected(m, "f", 1, "try_begin needs an empty operand stack, found height 1");
}

TEST(Verifier, RejectsTryEndWithoutTryBegin) {
  Module m = OneFunction([](CodeEmitter& e) {
    e.Emit(Op::kTryEnd);  // 0
    e.Emit(Op::kPushNil);
    e.Emit(Op::kReturn);
  });
  ExpectRejected(m, "f", 0, "try_end without an open try_begin");
}

TEST(Verifier, RejectsReturnInsideATryBlock) {
  Module m = TryModule([](CodeEmitter& e) {
    e.Emit(Op::kPushNil);  // 5
    e.Emit(Op::kReturn);   // 6
  });
  ExpectRejected(m, "f", 6, "ret with 1 try block(s) still open");
}

TEST(Verifier, RejectsTryDepthMismatchAtJoin) {
  // if (c) try_begin; join — one edge arrives with a handler open, the other without.
  Module m = OneFunction([](CodeEmitter& e) {
    auto join = e.NewLabel(), handler = e.NewLabel();
    e.Emit(Op::kPushTrue);                // 0
    e.EmitJump(Op::kJumpIfFalse, join);   // 1
    e.EmitJump(Op::kTryBegin, handler);   // 6
    e.Bind(join);
    e.Emit(Op::kTryEnd);                  // 11
    e.Emit(Op::kPushNil);
    e.Emit(Op::kReturn);
    e.Bind(handler);
    e.Emit(Op::kReturn);
  });
  ExpectRejected(m, "f", 11, "open try blocks disagree at join");
}

TEST(Verifier, RejectsMoreThanMaxTryDepthNestedTryBlocks) {
  // `depth` nested try blocks; handler i is entered with the i outer ones still open and
  // closes them before returning.
  auto nested = [](int depth) {
    return OneFunction([&](CodeEmitter& e) {
      std::vector<CodeEmitter::Label> handlers;
      for (int i = 0; i < depth; ++i) {
        handlers.push_back(e.NewLabel());
        e.EmitJump(Op::kTryBegin, handlers.back());
      }
      for (int i = 0; i < depth; ++i) e.Emit(Op::kTryEnd);
      e.Emit(Op::kPushNil);
      e.Emit(Op::kReturn);
      for (int i = 0; i < depth; ++i) {
        e.Bind(handlers[i]);
        for (int j = 0; j < i; ++j) e.Emit(Op::kTryEnd);
        e.Emit(Op::kReturn);  // returns the error value
      }
    });
  };
  ExpectAccepted(nested(kMaxTryDepth));
  ExpectRejected(nested(kMaxTryDepth + 1), "f", static_cast<size_t>(kMaxTryDepth) * 5,
                 "more than 64 nested try blocks");
}

TEST(Verifier, RejectsDeclaredMaxStackTooSmall) {
  Module m = OneFunction([](CodeEmitter& e) {
    e.Emit(Op::kPushInt, 1);  // 0
    e.Emit(Op::kPushInt, 2);  // 5
    e.Emit(Op::kPushInt, 3);  // 10
    e.Emit(Op::kAdd);         // 15: entered with 3
    e.Emit(Op::kAdd);
    e.Emit(Op::kReturn);
  });
  m.functions[0].max_stack = 2;
  ExpectRejected(m, "f", 15, "declared max stack 2 is less than the 3 the code needs");
  m.functions[0].max_stack = 3;
  ExpectAccepted(m);
}

TEST(Verifier, RejectsStackAboveHardLimit) {
  std::vector<uint8_t> code(size_t{kMaxStack} + 1, B(Op::kPushNil));
  code.push_back(B(Op::kReturn));
  Module m = With({Raw("f", std::move(code))});
  m.functions[0].max_stack = 0xffff;
  ExpectRejected(m, "f", kMaxStack + 1, "stack height 32769 exceeds the limit of 32768");
  EXPECT_FALSE(ComputeMaxStack(m, m.functions[0]).ok());
}

// --- line table ----------------------------------------------------------------------

Module WithLines(std::vector<LineEntry> lines) {
  Module m = OneFunction([](CodeEmitter& e) {
    e.Emit(Op::kPushInt, 1);  // 0..4
    e.Emit(Op::kReturn);      // 5
  });
  m.functions[0].lines = std::move(lines);
  return m;
}

TEST(Verifier, AcceptsValidLineTable) { ExpectAccepted(WithLines({{0, 1}, {5, 2}})); }

TEST(Verifier, RejectsLineTableNotIncreasing) {
  ExpectRejected(WithLines({{5, 1}, {0, 2}}), "f", 0, "does not come after");
  ExpectRejected(WithLines({{0, 1}, {0, 2}}), "f", 0, "does not come after");
}

TEST(Verifier, RejectsLineTableOutsideCode) {
  ExpectRejected(WithLines({{0, 1}, {6, 2}}), "f", 6, "pc 6 is outside the code");
}

TEST(Verifier, RejectsLineTableOffBoundary) {
  ExpectRejected(WithLines({{3, 1}}), "f", 3, "pc 3 is not on an instruction boundary");
}

// --- module level --------------------------------------------------------------------

TEST(Verifier, RejectsExportOfMissingFunction) {
  Module m = RealisticModule();
  m.exports.push_back({"ghost", 7});
  ExpectRejected(m, "", 0, "export 'ghost' refers to function 7");
}

TEST(Verifier, RejectsDuplicateExportNames) {
  Module m = RealisticModule();
  m.exports.push_back({"sum", 2});
  ExpectRejected(m, "", 0, "export name 'sum' is used more than once");
}

TEST(Verifier, RejectsBadStartFunction) {
  Module m = RealisticModule();
  m.start_function = 3;
  ExpectRejected(m, "", 0, "start function 3 is out of range");
  m.start_function = 0;  // sum takes a parameter
  ExpectRejected(m, "", 0, "start function 'sum' must take no parameters");
  m.start_function = 1;  // inner has a capture
  ExpectRejected(m, "", 0, "1 captures");
  m.start_function = kNoFunction;
  ExpectAccepted(m);
}

}  // namespace
}  // namespace trinity
