// Interpreter semantics per opcode family, run through the public embedding API on
// modules built instruction by instruction (and verified on load like any plugin).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "runtime/builtins.h"
#include "tests/runtime/test_module_builder.h"

namespace trinity {
namespace {

using testing::MakeInstance;
using testing::ModuleBuilder;
using E = CodeEmitter;

// Runs export "f" of a one-function module built from `body` with `args`.
Result<HostValue, Trap> RunBody(uint16_t arity, uint16_t locals,
                                const std::function<void(ModuleBuilder&, E&)>& body,
                                std::vector<HostValue> args = {}) {
  ModuleBuilder b;
  uint32_t f = b.Declare("f", arity, locals);
  b.module().exports.push_back(Export{"f", f});
  b.Define(f, [&](E& e) { body(b, e); });
  auto m = b.Load();
  if (!m) return Err(Trap{});
  auto inst = MakeInstance(m);
  return inst->Call("f", args);
}

HostValue Binary(Op op, HostValue x, HostValue y) {
  auto r = RunBody(2, 2, [&](ModuleBuilder&, E& e) {
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kLoadLocal, 1);
    e.Emit(op);
    e.Emit(Op::kReturn);
  }, {x, y});
  if (!r.ok()) return HostValue::String("trap: " + std::string(TrapKindName(r.error().kind)));
  return r.value();
}

TrapKind BinaryTrap(Op op, HostValue x, HostValue y) {
  auto r = RunBody(2, 2, [&](ModuleBuilder&, E& e) {
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kLoadLocal, 1);
    e.Emit(op);
    e.Emit(Op::kReturn);
  }, {x, y});
  EXPECT_FALSE(r.ok());
  return r.ok() ? TrapKind::kInternal : r.error().kind;
}

using H = HostValue;
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

TEST(Interpreter, IntegerArithmeticWraps) {
  EXPECT_EQ(Binary(Op::kAdd, H::Int(2), H::Int(3)), H::Int(5));
  EXPECT_EQ(Binary(Op::kAdd, H::Int(kMax), H::Int(1)), H::Int(kMin));
  EXPECT_EQ(Binary(Op::kSub, H::Int(kMin), H::Int(1)), H::Int(kMax));
  EXPECT_EQ(Binary(Op::kMul, H::Int(kMax), H::Int(2)), H::Int(-2));
  EXPECT_EQ(Binary(Op::kDiv, H::Int(-7), H::Int(2)), H::Int(-3));
  EXPECT_EQ(Binary(Op::kMod, H::Int(-7), H::Int(2)), H::Int(-1));
  EXPECT_EQ(Binary(Op::kDiv, H::Int(kMin), H::Int(-1)), H::Int(kMin));
  EXPECT_EQ(Binary(Op::kMod, H::Int(kMin), H::Int(-1)), H::Int(0));
  EXPECT_EQ(BinaryTrap(Op::kDiv, H::Int(1), H::Int(0)), TrapKind::kDivisionByZero);
  EXPECT_EQ(BinaryTrap(Op::kMod, H::Int(1), H::Int(0)), TrapKind::kDivisionByZero);
}

TEST(Interpreter, FloatArithmeticAndPromotion) {
  EXPECT_EQ(Binary(Op::kAdd, H::Int(1), H::Float(0.5)), H::Float(1.5));
  EXPECT_EQ(Binary(Op::kMul, H::Float(2.5), H::Int(2)), H::Float(5.0));
  EXPECT_EQ(Binary(Op::kDiv, H::Float(1), H::Float(0)), H::Float(INFINITY));
  EXPECT_EQ(Binary(Op::kMod, H::Float(7.5), H::Int(2)), H::Float(1.5));
  EXPECT_EQ(BinaryTrap(Op::kAdd, H::Int(1), H::String("a")), TrapKind::kTypeError);
  EXPECT_EQ(BinaryTrap(Op::kSub, H::String("a"), H::String("b")), TrapKind::kTypeError);
}

TEST(Interpreter, ComparisonsAndEquality) {
  EXPECT_EQ(Binary(Op::kLt, H::Int(1), H::Int(2)), H::Bool(true));
  EXPECT_EQ(Binary(Op::kGe, H::Int(2), H::Float(2.0)), H::Bool(true));
  EXPECT_EQ(Binary(Op::kEq, H::Int(1), H::Float(1.0)), H::Bool(true));
  EXPECT_EQ(Binary(Op::kEq, H::Int(1), H::String("1")), H::Bool(false));
  EXPECT_EQ(Binary(Op::kNe, H::Nil(), H::Bool(false)), H::Bool(true));
  EXPECT_EQ(Binary(Op::kLt, H::String("abc"), H::String("abd")), H::Bool(true));
  EXPECT_EQ(Binary(Op::kEq, H::String("abc"), H::String("abc")), H::Bool(true));
  EXPECT_EQ(Binary(Op::kGt, H::String("b"), H::String("abc")), H::Bool(true));
  EXPECT_EQ(Binary(Op::kLe, H::Float(NAN), H::Float(NAN)), H::Bool(false));
  EXPECT_EQ(BinaryTrap(Op::kLt, H::Int(1), H::String("a")), TrapKind::kTypeError);
  EXPECT_EQ(BinaryTrap(Op::kLt, H::Nil(), H::Nil()), TrapKind::kTypeError);
}

TEST(Interpreter, BitOperations) {
  EXPECT_EQ(Binary(Op::kBitAnd, H::Int(12), H::Int(10)), H::Int(8));
  EXPECT_EQ(Binary(Op::kBitOr, H::Int(12), H::Int(10)), H::Int(14));
  EXPECT_EQ(Binary(Op::kBitXor, H::Int(12), H::Int(10)), H::Int(6));
  EXPECT_EQ(Binary(Op::kShl, H::Int(1), H::Int(65)), H::Int(2));  // count masked to 0..63
  EXPECT_EQ(Binary(Op::kShr, H::Int(-8), H::Int(1)), H::Int(-4));  // arithmetic
  EXPECT_EQ(Binary(Op::kShl, H::Int(1), H::Int(63)), H::Int(kMin));
  EXPECT_EQ(BinaryTrap(Op::kBitAnd, H::Float(1), H::Int(1)), TrapKind::kTypeError);
}

TEST(Interpreter, UnaryAndLogic) {
  auto unary = [](Op op, H x) {
    return RunBody(1, 1, [&](ModuleBuilder&, E& e) {
      e.Emit(Op::kLoadLocal, 0);
      e.Emit(op);
      e.Emit(Op::kReturn);
    }, {x});
  };
  EXPECT_EQ(unary(Op::kNeg, H::Int(kMin)).value(), H::Int(kMin));
  EXPECT_EQ(unary(Op::kNeg, H::Float(2)).value(), H::Float(-2));
  EXPECT_EQ(unary(Op::kBitNot, H::Int(0)).value(), H::Int(-1));
  EXPECT_EQ(unary(Op::kNot, H::Nil()).value(), H::Bool(true));
  EXPECT_EQ(unary(Op::kNot, H::Int(0)).value(), H::Bool(false));  // 0 is truthy
  EXPECT_EQ(unary(Op::kNot, H::String("")).value(), H::Bool(false));
  EXPECT_EQ(unary(Op::kNeg, H::String("x")).error().kind, TrapKind::kTypeError);
}

// sum = 0; i = 0; while i < n { sum += i; i += 1 } return sum
void SumLoop(ModuleBuilder&, E& e) {
  auto top = e.NewLabel(), done = e.NewLabel();
  e.Emit(Op::kPushInt, 0);
  e.Emit(Op::kStoreLocal, 1);
  e.Emit(Op::kPushInt, 0);
  e.Emit(Op::kStoreLocal, 2);
  e.Bind(top);
  e.Emit(Op::kLoadLocal, 2);
  e.Emit(Op::kLoadLocal, 0);
  e.Emit(Op::kLt);
  e.EmitJump(Op::kJumpIfFalse, done);
  e.Emit(Op::kLoadLocal, 1);
  e.Emit(Op::kLoadLocal, 2);
  e.Emit(Op::kAdd);
  e.Emit(Op::kStoreLocal, 1);
  e.Emit(Op::kLoadLocal, 2);
  e.Emit(Op::kPushInt, 1);
  e.Emit(Op::kAdd);
  e.Emit(Op::kStoreLocal, 2);
  e.EmitJump(Op::kJump, top);
  e.Bind(done);
  e.Emit(Op::kLoadLocal, 1);
  e.Emit(Op::kReturn);
}

TEST(Interpreter, LoopsAndLocals) {
  auto r = RunBody(1, 3, SumLoop, {H::Int(101)});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r.value(), H::Int(5050));
}

ModuleBuilder FibModule() {
  ModuleBuilder b;
  uint32_t fib = b.Declare("fib", 1, 1);
  b.module().exports.push_back(Export{"fib", fib});
  b.Define(fib, [&](E& e) {
    auto rec = e.NewLabel();
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kPushInt, 2);
    e.Emit(Op::kLt);
    e.EmitJump(Op::kJumpIfFalse, rec);
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kReturn);
    e.Bind(rec);
    e.SetLine(2);
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kPushInt, 1);
    e.Emit(Op::kSub);
    e.Emit(Op::kCall, fib);
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kPushInt, 2);
    e.Emit(Op::kSub);
    e.Emit(Op::kCall, fib);
    e.Emit(Op::kAdd);
    e.Emit(Op::kReturn);
  });
  return b;
}

TEST(Interpreter, RecursionFib25) {
  ModuleBuilder b = FibModule();
  auto inst = MakeInstance(b.Load());
  std::vector<H> args{H::Int(25)};
  auto r = inst->Call("fib", args);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r.value(), H::Int(75025));
}

TEST(Interpreter, GlobalsPersistAcrossCalls) {
  ModuleBuilder b;
  uint32_t g = b.Global("counter");
  uint32_t init = b.Func("<top>", 0, 0, [&](E& e) {
    e.Emit(Op::kPushInt, 10);
    e.Emit(Op::kStoreGlobal, g);
    e.Emit(Op::kPushNil);
    e.Emit(Op::kReturn);
  }, false);
  b.Start(init);
  b.Func("bump", 0, 0, [&](E& e) {
    e.Emit(Op::kLoadGlobal, g);
    e.Emit(Op::kPushInt, 1);
    e.Emit(Op::kAdd);
    e.Emit(Op::kDup);
    e.Emit(Op::kStoreGlobal, g);
    e.Emit(Op::kReturn);
  });
  auto inst = MakeInstance(b.Load());
  EXPECT_EQ(inst->Call("bump").value(), H::Int(11));
  EXPECT_EQ(inst->Call("bump").value(), H::Int(12));
  inst->Reset();
  EXPECT_EQ(inst->Call("bump").value(), H::Int(11));
}

TEST(Interpreter, Strings) {
  // concat, length, index, slice, compare
  auto r = RunBody(0, 1, [](ModuleBuilder& b, E& e) {
    e.Emit(Op::kConst, b.Const(std::string("hello, ")));
    e.Emit(Op::kConst, b.Const(std::string("world")));
    e.Emit(Op::kAdd);
    e.Emit(Op::kStoreLocal, 0);
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kLen);
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kPushInt, 7);
    e.Emit(Op::kIndexGet);
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kPushInt, -3);
    e.Emit(Op::kPushInt, 5);
    e.Emit(Op::kSlice);
    e.Emit(Op::kNewArray, 3);
    e.Emit(Op::kReturn);
  });
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r.value().ToString(), "[12, \"w\", \"hello\"]");

  auto oob = RunBody(0, 0, [](ModuleBuilder& b, E& e) {
    e.Emit(Op::kConst, b.Const(std::string("abc")));
    e.Emit(Op::kPushInt, 3);
    e.Emit(Op::kIndexGet);
    e.Emit(Op::kReturn);
  });
  ASSERT_FALSE(oob.ok());
  EXPECT_EQ(oob.error().kind, TrapKind::kIndexOutOfRange);
  EXPECT_NE(oob.error().message.find("index 3"), std::string::npos);
}

TEST(Interpreter, ArraysPushPopSetAndIterate) {
  // a = [10, 20]; push(a, 30); a[0] = 5; x = pop(a); sum over a with iter_next + x
  auto r = RunBody(0, 5, [](ModuleBuilder&, E& e) {
    e.Emit(Op::kPushInt, 10);
    e.Emit(Op::kPushInt, 20);
    e.Emit(Op::kNewArray, 2);
    e.Emit(Op::kStoreLocal, 0);
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kPushInt, 30);
    e.Emit(Op::kArrayPush);
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kPushInt, 0);
    e.Emit(Op::kPushInt, 5);
    e.Emit(Op::kIndexSet);
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kArrayPop);   // 30
    e.Emit(Op::kStoreLocal, 1);
    // iterate: slot 2 = container, slot 3 = cursor
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kStoreLocal, 2);
    e.Emit(Op::kPushInt, 0);
    e.Emit(Op::kStoreLocal, 3);
    auto top = e.NewLabel(), done = e.NewLabel();
    e.Bind(top);
    e.EmitIterNext(2, done);
    e.Emit(Op::kLoadLocal, 1);
    e.Emit(Op::kAdd);           // value + acc
    e.Emit(Op::kStoreLocal, 1);
    e.Emit(Op::kPop);           // index
    e.EmitJump(Op::kJump, top);
    e.Bind(done);
    e.Emit(Op::kLoadLocal, 1);
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kLen);
    e.Emit(Op::kNewArray, 2);
    e.Emit(Op::kReturn);
  });
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r.value().ToString(), "[55, 2]");  // 30 + 5 + 20

  auto pop_empty = RunBody(0, 0, [](ModuleBuilder&, E& e) {
    e.Emit(Op::kNewArray, 0);
    e.Emit(Op::kArrayPop);
    e.Emit(Op::kReturn);
  });
  EXPECT_EQ(pop_empty.error().kind, TrapKind::kIndexOutOfRange);
}

TEST(Interpreter, MapsKeepInsertionOrderAndTrapOnMissingKeys) {
  auto r = RunBody(0, 3, [](ModuleBuilder& b, E& e) {
    e.Emit(Op::kConst, b.Const(std::string("b")));
    e.Emit(Op::kPushInt, 1);
    e.Emit(Op::kConst, b.Const(std::string("a")));
    e.Emit(Op::kPushInt, 2);
    e.Emit(Op::kNewMap, 2);
    e.Emit(Op::kStoreLocal, 0);
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kConst, b.Const(1.0));  // float 1.0 is the int key 1
    e.Emit(Op::kPushInt, 3);
    e.Emit(Op::kIndexSet);
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kPushInt, 1);
    e.Emit(Op::kIndexGet);
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kLen);
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kCallBuiltin, static_cast<int>(Builtin::kKeys), 1);
    e.Emit(Op::kNewArray, 3);
    e.Emit(Op::kReturn);
  });
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r.value().ToString(), "[3, 3, [\"b\", \"a\", 1]]");

  auto missing = RunBody(0, 0, [](ModuleBuilder& b, E& e) {
    e.Emit(Op::kNewMap, 0);
    e.Emit(Op::kConst, b.Const(std::string("nope")));
    e.Emit(Op::kIndexGet);
    e.Emit(Op::kReturn);
  });
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, TrapKind::kKeyNotFound);
  EXPECT_NE(missing.error().message.find("\"nope\""), std::string::npos);

  auto bad_key = RunBody(0, 0, [](ModuleBuilder&, E& e) {
    e.Emit(Op::kNewMap, 0);
    e.Emit(Op::kNewArray, 0);
    e.Emit(Op::kPushInt, 1);
    e.Emit(Op::kIndexSet);
    e.Emit(Op::kPushNil);
    e.Emit(Op::kReturn);
  });
  EXPECT_EQ(bad_key.error().kind, TrapKind::kTypeError);
}

TEST(Interpreter, ClosuresShareBoxedVariables) {
  // counter(): let n = box(0); return closure that does n += 1 and returns n
  ModuleBuilder b;
  uint32_t inc = b.Declare("inc", 0, 0, 1);
  b.Define(inc, [&](E& e) {
    e.Emit(Op::kLoadCapture, 0);
    e.Emit(Op::kLoadCapture, 0);
    e.Emit(Op::kBoxGet);
    e.Emit(Op::kPushInt, 1);
    e.Emit(Op::kAdd);
    e.Emit(Op::kBoxSet);
    e.Emit(Op::kLoadCapture, 0);
    e.Emit(Op::kBoxGet);
    e.Emit(Op::kReturn);
  });
  b.Func("run", 0, 2, [&](E& e) {
    e.Emit(Op::kPushInt, 0);
    e.Emit(Op::kNewBox);
    e.Emit(Op::kStoreLocal, 0);
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kMakeClosure, inc, 1);
    e.Emit(Op::kStoreLocal, 1);
    e.Emit(Op::kLoadLocal, 1);
    e.Emit(Op::kCallValue, 0);
    e.Emit(Op::kPop);
    e.Emit(Op::kLoadLocal, 1);
    e.Emit(Op::kCallValue, 0);
    e.Emit(Op::kPop);
    e.Emit(Op::kLoadLocal, 0);  // the enclosing function sees the closure's updates
    e.Emit(Op::kBoxGet);
    e.Emit(Op::kReturn);
  });
  auto inst = MakeInstance(b.Load());
  auto r = inst->Call("run");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r.value(), H::Int(2));
}

TEST(Interpreter, CallingANonFunctionOrWrongArityTraps) {
  auto r = RunBody(0, 0, [](ModuleBuilder&, E& e) {
    e.Emit(Op::kPushInt, 1);
    e.Emit(Op::kCallValue, 0);
    e.Emit(Op::kReturn);
  });
  EXPECT_EQ(r.error().kind, TrapKind::kTypeError);

  ModuleBuilder b;
  uint32_t one = b.Func("one", 1, 1, [](E& e) {
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kReturn);
  }, false);
  b.Func("f", 0, 0, [&](E& e) {
    e.Emit(Op::kPushFunc, one);
    e.Emit(Op::kCallValue, 0);
    e.Emit(Op::kReturn);
  });
  auto inst = MakeInstance(b.Load());
  auto t = inst->Call("f");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().kind, TrapKind::kTypeError);
  EXPECT_NE(t.error().message.find("expects 1"), std::string::npos);
}

TEST(Interpreter, TrapCarriesFunctionLineAndStack) {
  ModuleBuilder b;
  uint32_t inner = b.Func("inner", 0, 0, [](E& e) {
    e.SetLine(7);
    e.Emit(Op::kPushInt, 1);
    e.Emit(Op::kPushInt, 0);
    e.Emit(Op::kDiv);
    e.Emit(Op::kReturn);
  }, false);
  b.Func("outer", 0, 0, [&](E& e) {
    e.SetLine(3);
    e.Emit(Op::kCall, inner);
    e.Emit(Op::kReturn);
  });
  auto inst = MakeInstance(b.Load());
  auto r = inst->Call("outer");
  ASSERT_FALSE(r.ok());
  const Trap& t = r.error();
  EXPECT_EQ(t.kind, TrapKind::kDivisionByZero);
  EXPECT_EQ(t.function, "inner");
  EXPECT_EQ(t.line, 7u);
  ASSERT_EQ(t.stack.size(), 2u);
  EXPECT_EQ(t.stack[1].function, "outer");
  EXPECT_EQ(t.stack[1].line, 3u);
  EXPECT_EQ(t.ToString(), "division by zero: integer division by zero (in fn inner at line 7)");
}

TEST(Interpreter, ErrorOpcodeAndBuiltins) {
  auto r = RunBody(0, 0, [](ModuleBuilder& b, E& e) {
    e.Emit(Op::kConst, b.Const(std::string("boom")));
    e.Emit(Op::kTrap);
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::kError);
  EXPECT_EQ(r.error().message, "boom");

  auto s = RunBody(0, 0, [](ModuleBuilder& b, E& e) {
    e.Emit(Op::kConst, b.Const(std::string(" a,b ,c ")));
    e.Emit(Op::kCallBuiltin, static_cast<int>(Builtin::kTrim), 1);
    e.Emit(Op::kConst, b.Const(std::string(",")));
    e.Emit(Op::kCallBuiltin, static_cast<int>(Builtin::kSplit), 2);
    e.Emit(Op::kConst, b.Const(std::string("|")));
    e.Emit(Op::kCallBuiltin, static_cast<int>(Builtin::kJoin), 2);
    e.Emit(Op::kCallBuiltin, static_cast<int>(Builtin::kUpper), 1);
    e.Emit(Op::kReturn);
  });
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(s.value(), H::String("A|B |C"));
}

TEST(Interpreter, PrintGoesToTheConfiguredSink) {
  ModuleBuilder b;
  b.Func("f", 0, 0, [&](E& e) {
    e.Emit(Op::kPushInt, 1);
    e.Emit(Op::kConst, b.Const(0.5));
    e.Emit(Op::kConst, b.Const(std::string("x")));
    e.Emit(Op::kConst, b.Const(std::string("y")));
    e.Emit(Op::kNewArray, 1);
    e.Emit(Op::kConst, b.Const(1.0));
    e.Emit(Op::kCallBuiltin, static_cast<int>(Builtin::kPrint), 5);
    e.Emit(Op::kReturn);
  });
  std::string out;
  InstanceOptions opts;
  opts.print = [&](std::string_view s) { out += s; };
  auto inst = MakeInstance(b.Load(), {}, opts);
  ASSERT_TRUE(inst->Call("f").ok());
  EXPECT_EQ(out, "1 0.5 x [\"y\"] 1.0\n");
}

}  // namespace
}  // namespace trinity
