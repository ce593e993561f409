// Tests for lang/compiler: the shape of the generated module (start function, globals,
// imports, exports, constants, line table), the instruction sequences for the VM's
// conventions (boxing, closures, calls, loops, folding), and every compile-error class
// with its file:line:col and rendering.
#include "lang/compiler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/builtins.h"
#include "runtime/opcodes.h"
#include "runtime/verifier.h"

namespace trinity::lang {
namespace {

struct Insn {
  Op op;
  int64_t a = 0, b = 0;
  uint32_t pc = 0;
};

int64_t ReadOperand(const std::vector<uint8_t>& code, size_t at, OperandKind kind) {
  uint64_t v = 0;
  int size = OperandSize(kind);
  for (int i = 0; i < size; ++i) v |= static_cast<uint64_t>(code[at + i]) << (8 * i);
  if (kind == OperandKind::kI32) return static_cast<int32_t>(static_cast<uint32_t>(v));
  return static_cast<int64_t>(v);
}

// A minimal decoder so tests can assert on instruction sequences.
std::vector<Insn> Decode(const Function& f) {
  std::vector<Insn> out;
  size_t pc = 0;
  while (pc < f.code.size()) {
    Insn in;
    in.op = static_cast<Op>(f.code[pc]);
    in.pc = static_cast<uint32_t>(pc);
    const OpInfo& info = InfoOf(in.op);
    size_t at = pc + 1;
    in.a = ReadOperand(f.code, at, info.operand[0]);
    at += OperandSize(info.operand[0]);
    in.b = ReadOperand(f.code, at, info.operand[1]);
    out.push_back(in);
    pc += InstructionSize(in.op);
  }
  return out;
}

std::vector<Op> Ops(const Function& f) {
  std::vector<Op> ops;
  for (const Insn& i : Decode(f)) ops.push_back(i.op);
  return ops;
}

bool Contains(const std::vector<Op>& ops, std::initializer_list<Op> seq) {
  std::vector<Op> want(seq);
  if (want.size() > ops.size()) return false;
  for (size_t i = 0; i + want.size() <= ops.size(); ++i) {
    if (std::equal(want.begin(), want.end(), ops.begin() + i)) return true;
  }
  return false;
}

int Count(const std::vector<Op>& ops, Op op) { return static_cast<int>(std::count(ops.begin(), ops.end(), op)); }

Module CompileOk(std::string_view src) {
  auto r = CompileSource(src, "ok.tri");
  if (!r) {
    ADD_FAILURE() << FormatCompileErrors(r.error(), src);
    return Module{};
  }
  EXPECT_TRUE(VerifyModule(*r).ok());
  return std::move(r).value();
}

const Function& Fn(const Module& m, std::string_view name) {
  for (const Function& f : m.functions) {
    if (f.name == name) return f;
  }
  static Function none;
  ADD_FAILURE() << "no function " << name;
  return none;
}

const Function& Top(const Module& m) { return m.functions.at(m.start_function); }

TEST(CompilerTest, ModuleShape) {
  Module m = CompileOk(R"(
import fn log(msg)
import fn now()
let counter = 0
let name = "plugin"
export fn main(x) { log(x); return helper(x) + counter }
fn helper(y) { return y * 2 }
export fn tick() { counter += 1; return now() }
)");
  EXPECT_EQ(m.source_name, "ok.tri");
  EXPECT_EQ(m.imports, (std::vector<std::string>{"log", "now"}));
  EXPECT_EQ(m.globals, (std::vector<std::string>{"counter", "name"}));
  ASSERT_NE(m.start_function, kNoFunction);
  EXPECT_EQ(Top(m).name, "<top>");
  EXPECT_EQ(Top(m).arity, 0);
  ASSERT_EQ(m.exports.size(), 2u);
  EXPECT_EQ(m.functions[m.FindExport("main")].name, "main");
  EXPECT_EQ(m.functions[m.FindExport("tick")].name, "tick");
  EXPECT_EQ(Fn(m, "main").arity, 1);
  for (const Function& f : m.functions) {
    EXPECT_FALSE(f.lines.empty()) << f.name;
    EXPECT_EQ(f.code.back(), static_cast<uint8_t>(Op::kReturn)) << f.name;
  }
  // Imports are called with call_host(index, argc); top-level fns with call(index).
  std::vector<Insn> main = Decode(Fn(m, "main"));
  bool host = false, direct = false;
  for (const Insn& i : main) {
    if (i.op == Op::kCallHost) host = i.a == 0 && i.b == 1;
    if (i.op == Op::kCall) direct = m.functions[i.a].name == "helper";
  }
  EXPECT_TRUE(host);
  EXPECT_TRUE(direct);
  EXPECT_TRUE(Contains(Ops(Fn(m, "tick")), {Op::kLoadGlobal, Op::kPushInt, Op::kAdd, Op::kStoreGlobal}));
}

TEST(CompilerTest, HoistingAndMutualRecursion) {
  Module m = CompileOk(R"(
let r = is_even(10)
fn is_even(n) { if n == 0 { return true } return is_odd(n - 1) }
fn is_odd(n) { if n == 0 { return false } return is_even(n - 1) }
let f = is_odd
)");
  EXPECT_TRUE(Contains(Ops(Top(m)), {Op::kPushInt, Op::kCall, Op::kStoreGlobal}));
  EXPECT_EQ(Count(Ops(Top(m)), Op::kPushFunc), 1);
}

TEST(CompilerTest, ConstantFoldingAndConstants) {
  Module m = CompileOk(R"(
let a = 2 * 3 + 1
let b = -9223372036854775808
let c = 9223372036854775807 + 1
let d = 1.5 * 2
let e = 7 / 0
let f = "s" let g = "s" let h = 5000000000 let i = 5000000000
let j = (1 << 65) | ~0 & 3
)");
  std::vector<Insn> top = Decode(Top(m));
  EXPECT_EQ(top[0].op, Op::kPushInt);
  EXPECT_EQ(top[0].a, 7);
  int divs = 0, muls = 0;
  for (const Insn& in : top) {
    divs += in.op == Op::kDiv;
    muls += in.op == Op::kMul || in.op == Op::kShl;
  }
  EXPECT_EQ(divs, 1);  // 7 / 0 must trap at run time, so it is not folded
  EXPECT_EQ(muls, 0);
  int ints_min = 0, strings = 0, big = 0, floats3 = 0;
  for (const Constant& c : m.constants) {
    if (auto* i = std::get_if<int64_t>(&c)) {
      ints_min += *i == INT64_MIN;
      big += *i == 5000000000;
    }
    if (auto* s = std::get_if<std::string>(&c)) strings += *s == "s";
    if (auto* d = std::get_if<double>(&c)) floats3 += *d == 3.0;
  }
  EXPECT_EQ(ints_min, 1);  // b and c share one deduplicated constant
  EXPECT_EQ(strings, 1);
  EXPECT_EQ(big, 1);
  EXPECT_EQ(floats3, 1);
}

TEST(CompilerTest, LineTableFollowsSource) {
  Module m = CompileOk("fn f(a) {\n  let x = a\n\n  return x / a\n}\n");
  const Function& f = Fn(m, "f");
  for (const Insn& in : Decode(f)) {
    if (in.op == Op::kDiv) EXPECT_EQ(f.LineAt(in.pc), 4u);
    if (in.op == Op::kStoreLocal) EXPECT_EQ(f.LineAt(in.pc), 2u);
  }
}

TEST(CompilerTest, ClosuresBoxCapturedLocals) {
  Module m = CompileOk(R"(
fn make_counter() {
  let n = 0
  let inc = fn () { n += 1; return n }
  return inc
}
)");
  const Function& outer = Fn(m, "make_counter");
  EXPECT_TRUE(Contains(Ops(outer), {Op::kPushInt, Op::kNewBox, Op::kStoreLocal}));
  EXPECT_TRUE(Contains(Ops(outer), {Op::kLoadLocal, Op::kMakeClosure}));
  const Function& inner = Fn(m, "<anonymous>");
  EXPECT_EQ(inner.num_captures, 1);
  EXPECT_TRUE(Contains(Ops(inner), {Op::kLoadCapture, Op::kLoadCapture, Op::kBoxGet, Op::kPushInt,
                                    Op::kAdd, Op::kBoxSet}));
}

TEST(CompilerTest, TransitiveCaptureGoesThroughMiddleFunction) {
  Module m = CompileOk(R"(
fn outer(p) {
  fn middle() {
    fn inner() { return p }
    return inner
  }
  return middle
}
)");
  EXPECT_TRUE(Contains(Ops(Fn(m, "outer")), {Op::kLoadLocal, Op::kNewBox, Op::kStoreLocal}));
  EXPECT_EQ(Fn(m, "middle").num_captures, 1);
  EXPECT_EQ(Fn(m, "inner").num_captures, 1);
  EXPECT_TRUE(Contains(Ops(Fn(m, "middle")), {Op::kLoadCapture, Op::kMakeClosure}));
  EXPECT_TRUE(Contains(Ops(Fn(m, "inner")), {Op::kLoadCapture, Op::kBoxGet, Op::kReturn}));
}

TEST(CompilerTest, RecursiveNestedFunctionCapturesItself) {
  Module m = CompileOk(R"(
fn outer() {
  fn fact(n) { if n < 2 { return 1 } return n * fact(n - 1) }
  return fact(5)
}
)");
  EXPECT_TRUE(Contains(Ops(Fn(m, "outer")),
                       {Op::kPushNil, Op::kNewBox, Op::kStoreLocal, Op::kLoadLocal, Op::kLoadLocal,
                        Op::kMakeClosure, Op::kBoxSet}));
  EXPECT_EQ(Fn(m, "fact").num_captures, 1);
  EXPECT_TRUE(Contains(Ops(Fn(m, "fact")), {Op::kLoadCapture, Op::kBoxGet}));
  EXPECT_EQ(Count(Ops(Fn(m, "fact")), Op::kCallValue), 1);
}

TEST(CompilerTest, Loops) {
  Module m = CompileOk(R"(
fn f(a, m) {
  let s = 0
  for i in 0..10 { if i == 3 { continue } if i == 8 { break } s += i }
  for x in a { s += x }
  for k, v in m { s += v }
  while s > 0 { s -= 1 }
  return s
}
)");
  std::vector<Op> ops = Ops(Fn(m, "f"));
  EXPECT_EQ(Count(ops, Op::kIterNext), 2);
  EXPECT_EQ(Count(ops, Op::kCallBuiltin), 1);  // type() only for the one-variable form
  EXPECT_TRUE(Contains(ops, {Op::kLoadLocal, Op::kLoadLocal, Op::kLt, Op::kJumpIfFalse}));
  EXPECT_TRUE(Contains(ops, {Op::kSwap, Op::kPop}));
  EXPECT_GE(Fn(m, "f").num_locals, 7);
}

TEST(CompilerTest, LoopVariablesCapturedGetFreshBoxes) {
  Module m = CompileOk(R"(
fn f() {
  let fs = []
  for i in 0..3 { push(fs, fn () { return i }) }
  return fs
}
)");
  std::vector<Op> ops = Ops(Fn(m, "f"));
  EXPECT_TRUE(Contains(ops, {Op::kLoadLocal, Op::kNewBox, Op::kStoreLocal}));
  EXPECT_TRUE(Contains(ops, {Op::kMakeClosure, Op::kArrayPush, Op::kPushNil, Op::kPop}));
}

TEST(CompilerTest, FlatChainsKeepEvaluationOrderAndFoldOnlyAPrefix) {
  Module m = CompileOk("fn f(x) {\n  return 1 + 2 + x + 3 + 4\n}\nfn g(x) {\n  return x -\n 1 -\n 2\n}\n");
  // (1 + 2) folds; x + 3 + 4 must not become x + 7 (x may be a float or a string).
  std::vector<Insn> f = Decode(Fn(m, "f"));
  ASSERT_GE(f.size(), 7u);
  EXPECT_EQ(f[0].op, Op::kPushInt);
  EXPECT_EQ(f[0].a, 3);
  EXPECT_EQ(Count(Ops(Fn(m, "f")), Op::kAdd), 3);
  // Each operator keeps its own line for traps: the subtractions are on lines 6 and 7.
  const Function& g = Fn(m, "g");
  std::vector<uint32_t> lines;
  for (const Insn& in : Decode(g)) {
    if (in.op == Op::kSub) lines.push_back(g.LineAt(in.pc));
  }
  EXPECT_EQ(lines, (std::vector<uint32_t>{5, 6}));
}

TEST(CompilerTest, LongChainsCompileWithAShallowStack) {
  std::string src = "fn f(x) {\n  let s = x";
  for (int i = 0; i < 100000; ++i) src += i % 3 ? " + x" : " - x";
  src += "\n  if x == 0 { s = 0 }";
  for (int i = 1; i < 20000; ++i) src += " else if x == " + std::to_string(i) + " { s = " + std::to_string(i) + " }";
  src += " else { s = -1 }\n  return s and x or s\n}\n";
  Module m = CompileOk(src);
  const Function& f = Fn(m, "f");
  EXPECT_LE(f.max_stack, 3u);
  std::vector<Op> ops = Ops(f);
  EXPECT_EQ(Count(ops, Op::kAdd) + Count(ops, Op::kSub), 100000);
  EXPECT_EQ(Count(ops, Op::kEq), 20000);
}

TEST(CompilerTest, ShortCircuitAndBuiltins) {
  Module m = CompileOk(R"(
fn f(a, b) {
  let x = a and b or nil
  let n = len(a) + math.sqrt(4.0) + math.pi
  let s = slice(a, 0, 1)
  let p = pop(a)
  print(x, n, s, p, math.max(1, 2, 3))
  if not a { error("boom") }
  return str(a.name) + a["k"]
}
)");
  std::vector<Insn> code = Decode(Fn(m, "f"));
  std::vector<Op> ops = Ops(Fn(m, "f"));
  EXPECT_TRUE(Contains(ops, {Op::kDup, Op::kJumpIfFalse, Op::kPop}));
  EXPECT_TRUE(Contains(ops, {Op::kDup, Op::kJumpIfTrue, Op::kPop}));
  EXPECT_TRUE(Contains(ops, {Op::kLoadLocal, Op::kLen}));
  EXPECT_TRUE(Contains(ops, {Op::kSlice}));
  EXPECT_TRUE(Contains(ops, {Op::kArrayPop}));
  EXPECT_TRUE(Contains(ops, {Op::kTrap}));
  EXPECT_TRUE(Contains(ops, {Op::kNot, Op::kJumpIfFalse}));
  int sqrt = 0, print = 0, max = 0;
  for (const Insn& in : code) {
    if (in.op != Op::kCallBuiltin) continue;
    sqrt += in.a == static_cast<int>(Builtin::kMathSqrt) && in.b == 1;
    print += in.a == static_cast<int>(Builtin::kPrint) && in.b == 5;
    max += in.a == static_cast<int>(Builtin::kMathMax) && in.b == 3;
  }
  EXPECT_EQ(sqrt, 1);
  EXPECT_EQ(print, 1);
  EXPECT_EQ(max, 1);
  bool pi = false;
  for (const Constant& c : m.constants) {
    if (auto* d = std::get_if<double>(&c)) pi |= std::fabs(*d - 3.14159265358979) < 1e-12;
  }
  EXPECT_TRUE(pi);
}

TEST(CompilerTest, IndexAndMemberAssignment) {
  Module m = CompileOk("fn f(a, m) { a[0] = 1; a[1] += 2; m.k = 3; m.k *= 4 }");
  std::vector<Op> ops = Ops(Fn(m, "f"));
  EXPECT_TRUE(Contains(ops, {Op::kLoadLocal, Op::kPushInt, Op::kPushInt, Op::kIndexSet}));
  EXPECT_TRUE(Contains(ops, {Op::kDup2, Op::kIndexGet, Op::kPushInt, Op::kAdd, Op::kIndexSet}));
  EXPECT_TRUE(Contains(ops, {Op::kDup2, Op::kIndexGet, Op::kPushInt, Op::kMul, Op::kIndexSet}));
}

TEST(CompilerTest, ShadowingAndLocalsNamedLikeBuiltins) {
  Module m = CompileOk(R"(
fn f(x) {
  let math = {"sqrt": fn (v) { return v }}
  let len = 3
  { let x = 2; x += 1 }
  if x { let x = "inner" }
  return math.sqrt(len)
}
)");
  std::vector<Op> ops = Ops(Fn(m, "f"));
  EXPECT_EQ(Count(ops, Op::kCallBuiltin), 0);
  EXPECT_EQ(Count(ops, Op::kCallValue), 1);
}

TEST(CompilerTest, LargeLiteralsStayWithinStackLimits) {
  std::string src = "let a = [";
  for (int i = 0; i < 5000; ++i) src += std::to_string(i) + ",";
  src += "]\nlet m = {";
  for (int i = 0; i < 2000; ++i) src += std::to_string(i) + ": " + std::to_string(i) + ",";
  src += "}\n";
  Module m = CompileOk(src);
  EXPECT_LT(Top(m).max_stack, 300);
}

// ---- errors ----

CompileError FirstError(std::string_view src) {
  auto r = CompileSource(src, "bad.tri");
  if (r) {
    ADD_FAILURE() << "compiled: " << src;
    return {};
  }
  EXPECT_EQ(r.error()[0].file, "bad.tri");
  return r.error()[0];
}

void ExpectError(std::string_view src, std::string_view message, uint32_t line, uint32_t col) {
  CompileError e = FirstError(src);
  EXPECT_EQ(e.message, message) << src;
  EXPECT_EQ(e.line, line) << src;
  EXPECT_EQ(e.col, col) << src;
}

TEST(CompilerErrorTest, Scope) {
  ExpectError("let x = foo", "undeclared name 'foo'", 1, 9);
  ExpectError("let x = 1\nlet x = 2", "duplicate declaration of 'x' in the same scope", 2, 5);
  ExpectError("fn f(a, a) {}", "duplicate declaration of 'a' in the same scope", 1, 9);
  ExpectError("fn f() {}\nlet f = 1", "duplicate declaration of 'f' in the same scope", 2, 5);
  ExpectError("fn f() { let y = 1; let y = 2 }", "duplicate declaration of 'y' in the same scope", 1, 25);
  ExpectError("print(x)\nlet x = 1", "'x' is used before its declaration", 1, 7);
  ExpectError("fn f() { { let z = 1 } return z }", "undeclared name 'z'", 1, 31);
}

TEST(CompilerErrorTest, Assignment) {
  ExpectError("fn f() {}\nf = 1", "cannot assign to function 'f'", 2, 1);
  ExpectError("import fn h()\nh = 1", "cannot assign to import 'h'", 2, 1);
  ExpectError("print = 1", "cannot assign to builtin 'print'", 1, 1);
  ExpectError("fn o() { fn g() {} g = 2 }", "cannot assign to function 'g'", 1, 20);
  ExpectError("y += 1", "undeclared name 'y'", 1, 1);
}

TEST(CompilerErrorTest, ControlFlow) {
  ExpectError("break", "'break' outside a loop", 1, 1);
  ExpectError("fn f() { if true { continue } }", "'continue' outside a loop", 1, 20);
  ExpectError("while true { let f = fn () { break } }", "'break' outside a loop", 1, 30);
  ExpectError("return 1", "'return' outside a function", 1, 1);
}

TEST(CompilerErrorTest, Calls) {
  ExpectError("fn f(a) {}\nf(1, 2)", "function 'f' takes 1 argument, got 2", 2, 2);
  ExpectError("import fn h(a, b)\nh(1)", "import 'h' takes 2 arguments, got 1", 2, 2);
  ExpectError("len(1, 2)", "builtin 'len' takes 1 argument, got 2", 1, 4);
  ExpectError("get(1)", "builtin 'get' takes 2 to 3 arguments, got 1", 1, 4);
  ExpectError("math.max()", "builtin 'math.max' takes 1 to 255 arguments, got 0", 1, 9);
  ExpectError("let f = print", "builtin 'print' cannot be used as a value; call it", 1, 9);
  ExpectError("let f = math.sqrt", "builtin 'math.sqrt' cannot be used as a value; call it", 1, 13);
  ExpectError("math.nope(1)", "unknown builtin 'math.nope'", 1, 5);
  ExpectError("import fn h()\nlet f = h", "import 'h' cannot be used as a value; call it", 2, 9);
  std::string many = "print(";
  for (int i = 0; i < 300; ++i) many += "1,";
  many += ")";
  ExpectError(many, "too many arguments (300, at most 255)", 1, 6);
}

TEST(CompilerErrorTest, SourceSizeIsCheckedFirst) {
  CompileLimits limits;
  limits.max_source_bytes = 8;
  auto r = CompileSource("let xyz = 1", "big.tri", limits);
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.error().size(), 1u);
  EXPECT_EQ(r.error()[0].message, "source too large: more than 8 bytes (CompileLimits::max_source_bytes)");
  EXPECT_EQ(r.error()[0].line, 1u);
  EXPECT_EQ(r.error()[0].col, 1u);
  EXPECT_FALSE(CompileSource("let x = 10", "ok.tri", limits).ok());
  limits.max_source_bytes = 9;
  EXPECT_TRUE(CompileSource("let x = 1", "ok.tri", limits).ok());
}

TEST(CompilerErrorTest, CompilerMemoryIsBounded) {
  // 20,000 statements need a few MiB of tokens and tree: more than a 1 MiB budget, which
  // stops the compiler where it runs out, with a positioned error.
  std::string src = "fn f(x) {\n";
  for (int i = 0; i < 20000; ++i) src += "  x = x + " + std::to_string(i) + " * 2 - 1\n";
  src += "  return x\n}\n";
  CompileLimits limits;
  limits.max_memory_bytes = 1 << 20;
  auto r = CompileSource(src, "big.tri", limits);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error()[0].message.find("program too large to compile: it needs more than 1048576 bytes"),
            std::string::npos)
      << r.error()[0].message;
  EXPECT_GT(r.error()[0].line, 1u);
  EXPECT_LT(r.error()[0].line, 20000u);
  EXPECT_TRUE(CompileSource(src, "big.tri").ok());  // the default budget is enough
}

TEST(CompilerErrorTest, LongLinesAreShownAsAWindowAroundTheColumn) {
  std::string src = "let x = " + std::string(5000, '1') + " +\n";
  auto r = CompileSource(src, "long.tri");
  ASSERT_FALSE(r.ok());
  std::string text = FormatCompileErrors(r.error(), src);
  EXPECT_LT(text.size(), 1000u) << text;
  EXPECT_NE(text.find("..."), std::string::npos) << text;
}

TEST(CompilerErrorTest, ExportAndImportPlacement) {
  ExpectError("fn f() { import fn g() }", "'import' is only allowed at top level", 1, 10);
  ExpectError("if true { export fn g() {} }", "'export' is only allowed at top level", 1, 11);
  ExpectError("export fn g() {}\nexport fn g() {}", "duplicate declaration of 'g' in the same scope", 2, 11);
}

TEST(CompilerErrorTest, Limits) {
  std::string src = "fn f() {\n";
  for (int i = 0; i < 33000; ++i) src += "let v" + std::to_string(i) + "\n";
  src += "}\n";
  CompileError e = FirstError(src);
  EXPECT_EQ(e.message, "too many local variables in function 'f' (at most 32767)");
  EXPECT_EQ(e.line, 32769u);
}

TEST(CompilerErrorTest, ReportsSeveralErrors) {
  auto r = CompileSource("let a = b\nlet c = d\nbreak\nlen()", "m.tri");
  ASSERT_FALSE(r);
  ASSERT_EQ(r.error().size(), 4u);
  EXPECT_EQ(r.error()[1].message, "undeclared name 'd'");
  EXPECT_EQ(r.error()[3].line, 4u);
}

TEST(CompilerErrorTest, Formatting) {
  std::string src = "let a = 1\n\nlet x = (1 + \n";
  auto r = CompileSource(src, "f.tri");
  ASSERT_FALSE(r);
  EXPECT_EQ(FormatCompileErrors(r.error(), src),
            "f.tri:3:14: error: expected an expression, found end of file\n"
            "    3 | let x = (1 + \n"
            "      |              ^\n");
  std::vector<CompileError> errs = {{"x.tri", 3, 14, "expected ')' after expression, found 'let'"}};
  EXPECT_EQ(FormatCompileErrors(errs, "a\nb\nlet x = (1 + \n"),
            "x.tri:3:14: error: expected ')' after expression, found 'let'\n"
            "    3 | let x = (1 + \n"
            "      |              ^\n");
}

}  // namespace
}  // namespace trinity::lang
