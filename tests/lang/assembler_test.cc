// Tests for the assembler and disassembler (lang/assembler.h, lang/disassembler.h):
// encoding, name/label resolution, error positions, and the exact text <-> module round
// trip, including modules the verifier would reject and randomly generated ones.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <random>
#include <string>

#include "lang/assembler.h"
#include "lang/disassembler.h"
#include "runtime/builtins.h"
#include "runtime/module_reader.h"
#include "runtime/module_writer.h"
#include "runtime/opcodes.h"
#include "runtime/verifier.h"

namespace trinity::lang {
namespace {

constexpr const char* kFib = R"(; fib(30), printed
.source "examples/fib.tri"
.const int 832040
.global result
.func fib arity=1 locals=1 captures=0
  .line 2
  load_local 0
  push_int 2
  lt
  jmp_if_false recurse
  .line 3
  load_local 0
  ret
recurse:
  .line 4
  load_local 0
  push_int 1
  sub
  call fib
  load_local 0
  push_int 2
  sub
  call fib
  add
  ret
.end
.func main
  .line 7
  push_int 30
  call 0
  dup
  store_global result
  call_builtin print 1
  ret
.end
.export fib fib
.export main main
.start main
)";

Module MustAssemble(std::string_view text) {
  auto m = Assemble(text, "t.tasm");
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
  if (!m.ok()) return Module{};
  return std::move(m.value());
}

AsmError MustFail(std::string_view text) {
  auto m = Assemble(text, "bad.tasm");
  EXPECT_FALSE(m.ok()) << "assembled unexpectedly:\n" << text;
  if (m.ok()) return AsmError{};
  return m.error();
}

// Assembling the disassembly must give the same bytes, and disassembling again the same
// text.
void ExpectRoundTrip(const Module& m) {
  std::string text = Disassemble(m);
  auto again = Assemble(text, "roundtrip.tasm");
  ASSERT_TRUE(again.ok()) << again.error().message << "\n" << text;
  EXPECT_EQ(WriteModule(m), WriteModule(again.value())) << text;
  EXPECT_EQ(Disassemble(again.value()), text);
}

TEST(Assembler, EncodesFibAndItVerifies) {
  Module m = MustAssemble(kFib);
  ASSERT_EQ(m.functions.size(), 2u);
  EXPECT_EQ(m.source_name, "examples/fib.tri");
  ASSERT_EQ(m.constants.size(), 1u);
  EXPECT_EQ(std::get<int64_t>(m.constants[0]), 832040);
  EXPECT_EQ(m.globals, std::vector<std::string>{"result"});
  const Function& fib = m.functions[0];
  EXPECT_EQ(fib.name, "fib");
  EXPECT_EQ(fib.arity, 1);
  EXPECT_EQ(fib.num_locals, 1);
  // load_local(3) push_int(5) lt(1) jmp_if_false(5): offset skips load_local+ret (4 bytes).
  ASSERT_GE(fib.code.size(), 14u);
  EXPECT_EQ(fib.code[0], static_cast<uint8_t>(Op::kLoadLocal));
  EXPECT_EQ(fib.code[9], static_cast<uint8_t>(Op::kJumpIfFalse));
  int32_t offset;
  std::memcpy(&offset, &fib.code[10], 4);
  EXPECT_EQ(offset, 4);
  ASSERT_EQ(fib.lines.size(), 3u);
  EXPECT_EQ(fib.lines[0].pc, 0u);
  EXPECT_EQ(fib.lines[1].pc, 14u);
  EXPECT_EQ(fib.lines[1].line, 3u);
  EXPECT_EQ(fib.lines[2].pc, 18u);
  EXPECT_EQ(fib.max_stack, 3u);  // computed: stack= was omitted
  EXPECT_EQ(m.functions[1].arity, 0);
  EXPECT_EQ(m.start_function, 1u);
  ASSERT_EQ(m.exports.size(), 2u);
  EXPECT_EQ(m.exports[1].name, "main");
  EXPECT_EQ(m.exports[1].function, 1u);
  EXPECT_TRUE(VerifyModule(m).ok()) << VerifyModule(m).error().ToString();
  // `call fib` and `call 0` encode the same operand.
  EXPECT_EQ(fib.code[fib.code.size() - 7], static_cast<uint8_t>(Op::kCall));
}

TEST(Assembler, WireBytesReadBack) {
  Module m = MustAssemble(kFib);
  std::vector<uint8_t> bytes = WriteModule(m);
  auto back = ReadModule(bytes);
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(WriteModule(back.value()), bytes);
}

TEST(Assembler, ExplicitStackIsKeptEvenWhenWrong) {
  Module m = MustAssemble(".func f stack=9\n push_nil\n ret\n.end\n");
  EXPECT_EQ(m.functions[0].max_stack, 9);
}

TEST(Assembler, LabelsOnSameLineAndBackwardJumps) {
  Module m = MustAssemble(
      ".func loop locals=1\n"
      "top: load_local 0\n"
      "  jmp_if_true done\n"
      "  jmp top\n"
      "done: push_nil\n"
      "  ret\n"
      ".end\n");
  const auto& code = m.functions[0].code;
  // jmp top at pc 8: ends at 13, target 0 -> offset -13.
  int32_t offset;
  std::memcpy(&offset, &code[9], 4);
  EXPECT_EQ(offset, -13);
  EXPECT_TRUE(VerifyModule(m).ok());
}

TEST(Assembler, TryBeginTakesALabel) {
  Module m = MustAssemble(
      ".func f locals=1\n"
      "  try_begin handler\n"
      "  push_nil\n"
      "  call_builtin json.decode 1\n"
      "  try_end\n"
      "  ret\n"
      "handler: ret\n"
      ".end\n");
  const auto& code = m.functions[0].code;
  EXPECT_EQ(code[0], static_cast<uint8_t>(Op::kTryBegin));
  int32_t offset;
  std::memcpy(&offset, &code[1], 4);
  EXPECT_EQ(offset, 1 + 4 + 1 + 1);  // skips push_nil, call_builtin, try_end, ret
  EXPECT_EQ(m.functions[0].max_stack, 1);
  EXPECT_TRUE(VerifyModule(m).ok());
}

TEST(Assembler, IterNextAndReferencesByName) {
  Module m = MustAssemble(
      ".import log\n.import clock_ms\n.global g\n"
      ".func f arity=1 locals=3\n"
      "  load_local 0\n  store_local 1\n  push_int 0\n  store_local 2\n"
      "next: iter_next 1 out\n"
      "  call_host \"log\" 1\n  pop\n  pop\n  jmp next\n"
      "out: call_host clock_ms 0\n  store_global g\n  push_func f\n  make_closure f 0\n"
      "  call_builtin math.sqrt 1\n  ret\n.end\n");
  const auto& code = m.functions[0].code;
  size_t pc = 3 + 3 + 5 + 3;
  EXPECT_EQ(code[pc], static_cast<uint8_t>(Op::kIterNext));
  EXPECT_EQ(code[pc + 1], 1);  // slot
  int32_t offset;
  std::memcpy(&offset, &code[pc + 3], 4);
  EXPECT_EQ(offset, 6 + 1 + 1 + 5);  // skips call_host, pop, pop, jmp
  EXPECT_EQ(code[pc + 7], static_cast<uint8_t>(Op::kCallHost));
  EXPECT_EQ(code[pc + 7 + 1], 0);  // import #0 (log)
  EXPECT_EQ(code[pc + 7 + 5], 1);  // argc
  size_t out = pc + 7 + 13;
  EXPECT_EQ(code[out + 1], 1);  // import #1 (clock_ms)
  size_t builtin_at = code.size() - 5;
  EXPECT_EQ(code[builtin_at], static_cast<uint8_t>(Op::kCallBuiltin));
  EXPECT_EQ(code[builtin_at + 1], static_cast<uint8_t>(Builtin::kMathSqrt));
}

TEST(Assembler, ConstantsReadBitExact) {
  Module m = MustAssemble(
      ".const float -0x0p+0\n.const float inf\n.const float -inf\n"
      ".const float nan(0xfff0000000000123)\n.const float 2.5\n.const float 0x1.8p+1\n"
      ".const int -9223372036854775808\n.const int 0x7fffffffffffffff\n"
      ".const string \"a\\x00\\xff\\\"\\\\\\n\"\n.func f\n push_nil\n ret\n.end\n");
  ASSERT_EQ(m.constants.size(), 9u);
  EXPECT_EQ(std::bit_cast<uint64_t>(std::get<double>(m.constants[0])), 0x8000000000000000u);
  EXPECT_EQ(std::get<double>(m.constants[1]), INFINITY);
  EXPECT_EQ(std::get<double>(m.constants[2]), -INFINITY);
  EXPECT_EQ(std::bit_cast<uint64_t>(std::get<double>(m.constants[3])), 0xfff0000000000123u);
  EXPECT_EQ(std::get<double>(m.constants[4]), 2.5);
  EXPECT_EQ(std::get<double>(m.constants[5]), 3.0);
  EXPECT_EQ(std::get<int64_t>(m.constants[6]), INT64_MIN);
  EXPECT_EQ(std::get<int64_t>(m.constants[7]), INT64_MAX);
  EXPECT_EQ(std::get<std::string>(m.constants[8]), std::string("a\0\xff\"\\\n", 6));
  ExpectRoundTrip(m);
}

TEST(Disassembler, ShowsNamesLabelsAndLines) {
  std::string text = Disassemble(MustAssemble(kFib));
  EXPECT_NE(text.find(".source \"examples/fib.tri\""), std::string::npos) << text;
  EXPECT_NE(text.find(".func fib arity=1 locals=1 captures=0 stack=3"), std::string::npos);
  EXPECT_NE(text.find("  jmp_if_false L18\n"), std::string::npos) << text;
  EXPECT_NE(text.find("L18:\n  .line 4\n  load_local 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  call fib\n"), std::string::npos);
  EXPECT_NE(text.find("  store_global result\n"), std::string::npos);
  EXPECT_NE(text.find("  call_builtin print 1\n"), std::string::npos);
  EXPECT_NE(text.find(".export main main\n"), std::string::npos);
  EXPECT_NE(text.find(".start main\n"), std::string::npos);
}

TEST(RoundTrip, AssembledTextIsStable) {
  Module m = MustAssemble(kFib);
  ExpectRoundTrip(m);
}

TEST(RoundTrip, AwkwardNamesAndDuplicatesFallBackToQuotesAndIndices) {
  Module m;
  m.source_name = "dir with space/\"x\".tri";
  m.imports = {"log", "log", "we ird"};
  m.globals = {"", "g"};
  for (const char* name : {"<main>", "dup", "dup", "", "123"}) {
    Function f;
    f.name = name;
    f.code = {static_cast<uint8_t>(Op::kPushNil), static_cast<uint8_t>(Op::kReturn)};
    m.functions.push_back(f);
  }
  Function& caller = m.functions[0];
  caller.code.clear();
  auto emit_u32 = [&](Op op, uint32_t v) {
    caller.code.push_back(static_cast<uint8_t>(op));
    for (int i = 0; i < 4; ++i) caller.code.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  emit_u32(Op::kCall, 1);   // ambiguous name -> index
  emit_u32(Op::kCall, 4);   // name "123" -> quoted
  emit_u32(Op::kCall, 77);  // out of range -> index
  emit_u32(Op::kLoadGlobal, 0);
  emit_u32(Op::kLoadGlobal, 1);
  caller.code.push_back(static_cast<uint8_t>(Op::kReturn));
  m.exports = {{"main", 0}, {"odd name", 2}, {"x", 99}};
  m.start_function = 3;
  std::string text = Disassemble(m);
  EXPECT_NE(text.find("  call 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  call \"123\"\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  call 77\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  load_global \"\"\n"), std::string::npos) << text;
  EXPECT_NE(text.find(".export \"odd name\" 2\n"), std::string::npos) << text;
  ExpectRoundTrip(m);
}

TEST(RoundTrip, UnverifiableCodeSurvives) {
  Module m;
  Function f;
  f.name = "broken";
  // jmp into the middle of push_int, then a valid jmp, then an unknown opcode and a
  // truncated instruction.
  f.code = {static_cast<uint8_t>(Op::kJump), 1, 0, 0, 0,
            static_cast<uint8_t>(Op::kPushInt), 1, 2, 3, 4,
            static_cast<uint8_t>(Op::kJump), 0xf1, 0xff, 0xff, 0xff,  // back to 0
            0xee, static_cast<uint8_t>(Op::kPushInt), 1};
  // Out of order and off-boundary line entries must come back verbatim.
  f.lines = {{5, 9}, {0, 1}, {3, 2}, {5, 9}, {1000, 4}};
  f.max_stack = 123;
  f.num_captures = 7;
  m.functions.push_back(f);
  std::string text = Disassemble(m);
  EXPECT_NE(text.find(".bytes 0xee"), std::string::npos) << text;
  EXPECT_NE(text.find("  jmp 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  jmp L0\n"), std::string::npos) << text;
  ExpectRoundTrip(m);
}

TEST(RoundTrip, LineEntriesInOrderIncludingEndOfCode) {
  Module m = MustAssemble(".func f stack=1\n .line 1\n .line 1\n push_nil\n .line 5\n ret\n .line 6\n.end\n");
  ASSERT_EQ(m.functions[0].lines.size(), 4u);
  EXPECT_EQ(m.functions[0].lines[3].pc, 2u);
  ExpectRoundTrip(m);
}

// Every opcode with extreme operand values.
TEST(RoundTrip, EveryOpcode) {
  Module m;
  m.imports = {"h"};
  m.globals = {"g"};
  m.constants = {int64_t{1}};
  Function f;
  f.name = "all";
  for (int i = 0; i < kOpCount; ++i) {
    Op op = static_cast<Op>(i);
    f.code.push_back(static_cast<uint8_t>(i));
    const OpInfo& info = InfoOf(op);
    for (OperandKind k : info.operand) {
      for (int b = 0; b < OperandSize(k); ++b) {
        f.code.push_back(IsBranch(op) ? 0 : 0xff);
      }
    }
  }
  m.functions.push_back(f);
  std::string text = Disassemble(m);
  for (int i = 0; i < kOpCount; ++i) {
    EXPECT_NE(text.find("  " + std::string(kOpInfo[i].mnemonic)), std::string::npos)
        << kOpInfo[i].mnemonic;
  }
  EXPECT_NE(text.find("  push_int -1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  call_builtin 65535 255\n"), std::string::npos) << text;
  ExpectRoundTrip(m);
}

// Random modules, random code bytes: disassembly always reassembles to the same bytes.
TEST(RoundTrip, RandomModules) {
  std::mt19937 rng(1234);
  auto byte = [&] { return static_cast<uint8_t>(rng()); };
  for (int iter = 0; iter < 300; ++iter) {
    Module m;
    if (rng() % 2) m.source_name = std::string(rng() % 5, static_cast<char>(byte()));
    int nc = rng() % 4;
    for (int i = 0; i < nc; ++i) {
      switch (rng() % 3) {
        case 0: m.constants.emplace_back(static_cast<int64_t>(
                    (static_cast<uint64_t>(rng()) << 32) | rng())); break;
        case 1: m.constants.emplace_back(std::bit_cast<double>(
                    (static_cast<uint64_t>(rng()) << 32) | rng())); break;
        default: {
          std::string s;
          for (int k = rng() % 8; k > 0; --k) s += static_cast<char>(byte());
          m.constants.emplace_back(s);
        }
      }
    }
    m.imports.assign(rng() % 3, std::string(1, static_cast<char>('a' + rng() % 3)));
    int nf = 1 + rng() % 3;
    for (int i = 0; i < nf; ++i) {
      Function f;
      f.name = std::string(1, static_cast<char>('a' + rng() % 4));
      f.arity = rng() % 3;
      f.num_locals = rng() % 5;
      f.max_stack = rng() % 9;
      for (int k = rng() % 40; k > 0; --k) {
        // Mostly valid opcodes so that many instructions decode.
        f.code.push_back(rng() % 4 ? static_cast<uint8_t>(rng() % kOpCount) : byte());
      }
      for (int k = rng() % 4; k > 0; --k) {
        f.lines.push_back({static_cast<uint32_t>(rng() % (f.code.size() + 2)),
                           static_cast<uint32_t>(rng() % 100)});
      }
      m.functions.push_back(f);
    }
    if (rng() % 2) m.exports.push_back({"e", static_cast<uint32_t>(rng() % 4)});
    if (rng() % 2) m.start_function = rng() % 4;
    SCOPED_TRACE(iter);
    ExpectRoundTrip(m);
    if (HasFatalFailure()) return;
  }
}

// --- errors ----------------------------------------------------------------------------

struct ErrorCase {
  const char* text;
  uint32_t line, col;
  const char* fragment;
};

TEST(AssemblerErrors, ReportFileLineColumnAndReason) {
  const ErrorCase cases[] = {
      {".func f\n  lod 1\n.end\n", 2, 3, "unknown mnemonic 'lod'"},
      {".func f\n  push_int\n.end\n", 2, 3, "'push_int' takes 1 operand"},
      {".func f\n  ret 1\n.end\n", 2, 7, "'ret' takes 0 operands"},
      {".func f\n  push_int x\n.end\n", 2, 12, "expected an integer"},
      {".func f\n  jmp nowhere\n.end\n", 2, 7, "undefined label 'nowhere'"},
      {".func f\nx: nop\n  x:\n.end\n", 3, 3, "duplicate label 'x'"},
      {".func f\n  push_int 2147483648\n.end\n", 2, 12, "out of range"},
      {".func f\n  load_local 65536\n.end\n", 2, 14, "out of range"},
      {".func f\n  call_value -1\n.end\n", 2, 14, "out of range"},
      {".bogus 1\n", 1, 1, "unknown directive '.bogus'"},
      {".const string \"abc\n", 1, 15, "unterminated string"},
      {".const string \"a\\q\"\n", 1, 17, "unknown escape"},
      {".const float 1.5x\n", 1, 14, "expected a float"},
      {".const int 9223372036854775808\n", 1, 12, "expected a 64-bit integer"},
      {".const huge 1\n", 1, 8, "unknown constant kind"},
      {"push_nil\n", 1, 1, "belong inside .func"},
      {".func f\n  push_nil\n", 1, 1, ".func without .end"},
      {".end\n", 1, 1, ".end without .func"},
      {".func f\n .const int 1\n.end\n", 2, 2, "not allowed inside .func"},
      {".func f arity=x\n.end\n", 1, 9, "arity must be an integer"},
      {".func f color=1\n.end\n", 1, 9, "expected arity=N"},
      {".func f\n call g\n.end\n", 2, 7, "unknown function 'g'"},
      {".func f\n.end\n.func f\n.end\n.func g\n call f\n.end\n", 6, 7, "refer to one by index"},
      {".func f\n call_host log 0\n.end\n", 2, 12, "unknown import 'log'"},
      {".func f\n load_global g\n.end\n", 2, 14, "unknown global 'g'"},
      {".func f\n call_builtin nosuch 1\n.end\n", 2, 15, "unknown builtin 'nosuch'"},
      {".func f\n.end\n.export main g\n", 3, 14, "unknown function 'g'"},
      {".func f\n.end\n.start f\n.start f\n", 4, 1, "duplicate .start"},
      {".func f\n .line x\n.end\n", 2, 8, "expected a line number"},
      {".func f\n .bytes 256\n.end\n", 2, 9, "out of range"},
      {".func f\n \"str\"\n.end\n", 2, 2, "expected an instruction"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.text);
    AsmError e = MustFail(c.text);
    EXPECT_EQ(e.line, c.line) << e.message;
    EXPECT_EQ(e.col, c.col) << e.message;
    EXPECT_NE(e.message.find(c.fragment), std::string::npos) << e.message;
    std::string where = "bad.tasm:" + std::to_string(c.line) + ":" + std::to_string(c.col) + ": ";
    EXPECT_EQ(e.message.rfind(where, 0), 0u) << e.message;
  }
}

TEST(AssemblerErrors, UncomputableStackIsAnErrorNotACrash) {
  AsmError e = MustFail("\n.func f\n  pop\n  ret\n.end\n");
  EXPECT_EQ(e.line, 2u);
  EXPECT_NE(e.message.find("stack="), std::string::npos) << e.message;
}

// Mangled versions of valid text must either assemble or fail cleanly.
TEST(AssemblerErrors, MutatedTextNeverCrashes) {
  std::string base = kFib;
  base += Disassemble(MustAssemble(kFib));
  std::mt19937 rng(99);
  const char alphabet[] = " \n\t;:.\"\\x0123456789-=abcdefgLpn_\x80\xff";
  for (int iter = 0; iter < 3000; ++iter) {
    std::string text = base;
    for (int k = 1 + rng() % 6; k > 0; --k) {
      size_t at = rng() % text.size();
      switch (rng() % 3) {
        case 0: text[at] = alphabet[rng() % (sizeof alphabet - 1)]; break;
        case 1: text.erase(at, 1 + rng() % 8); break;
        default: text.insert(at, 1, alphabet[rng() % (sizeof alphabet - 1)]);
      }
      if (text.empty()) text = "x";
    }
    auto m = Assemble(text, "fuzz.tasm");
    if (m.ok()) {
      // Whatever it built must itself round-trip.
      ExpectRoundTrip(m.value());
    } else {
      EXPECT_GT(m.error().line, 0u);
      EXPECT_EQ(m.error().message.rfind("fuzz.tasm:", 0), 0u);
    }
  }
}

}  // namespace
}  // namespace trinity::lang
