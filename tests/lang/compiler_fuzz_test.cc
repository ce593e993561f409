// Never-crash test for lang/compiler: 10,000 fixed-seed inputs (random bytes, soups of
// language tokens, byte-level mutations of valid programs). Each must either compile to
// a module that verifies, or fail with well-formed errors -- never an internal compiler
// error, never a crash (the sanitizer configs catch memory errors and UB).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "lang/compiler.h"
#include "runtime/verifier.h"

namespace trinity::lang {
namespace {

const char* const kValidPrograms[] = {
    R"(import fn log(msg)
let total = 0
export fn main(n) {
  let acc = []
  for i in 0..n { push(acc, i * 2) }
  for i, x in acc { total += x }
  let m = {"a": 1, "b": 2.5, 3: "c"}
  for k, v in m { log(str(k) + "=" + str(v)) }
  return total
})",
    R"(fn make() {
  let n = 0
  fn bump(by) { n += by; return n }
  return fn () { return bump(1) + bump(2) }
}
let f = make()
print(f(), f())
)",
    R"(fn fib(n) { if n < 2 { return n } return fib(n - 1) + fib(n - 2) }
export fn run() {
  let s = "hello"
  for c in s { if c == "l" { continue } print(c) }
  while true { break }
  return fib(10) + len(s) + math.floor(math.sqrt(16.0)) + (-9223372036854775808 / 7)
}
)",
    R"(let a = [1, 2, 3]
a[0] = 5; a[1] += a[2]; let m = {}; m.key = "v"; m.key += "w"
let ok = a[0] == 5 and not (m.key != "vw") or false
assert(ok, "broken")
fn outer(x) { fn mid() { fn inner() { return x } return inner } return mid()() }
if ok { print(outer(3)) } else if a { error("no") } else { }
let big = 0x7fff_ffff_ffff_ffff & ~0b1010 | 1 << 3 ^ 2 >> 1 % 3
)",
};

const char* const kSoup[] = {
    "let", "fn", "return", "if", "else", "while", "for", "in", "break", "continue", "and",
    "or", "not", "nil", "true", "false", "import", "export", "(", ")", "[", "]", "{", "}",
    ",", ".", "..", ":", ";", "+", "-", "*", "/", "%", "&", "|", "^", "~", "<<", ">>", "==",
    "!=", "<", "<=", ">", ">=", "=", "+=", "-=", "<<=", "x", "y", "f", "print", "len",
    "push", "math", "sqrt", "pi", "0", "1", "9223372036854775808", "2.5", "\"s\"", "'t'",
    "\n", " ", "/*", "*/", "//", "\\", "\"", "0x", "1e", "error", "slice",
};

std::string RandomBytes(std::mt19937_64& rng) {
  std::string s(rng() % 200, '\0');
  for (char& c : s) c = static_cast<char>(rng() % 4 == 0 ? rng() % 256 : 32 + rng() % 95);
  return s;
}

std::string TokenSoup(std::mt19937_64& rng) {
  std::string s;
  size_t n = rng() % 120;
  for (size_t i = 0; i < n; ++i) {
    s += kSoup[rng() % std::size(kSoup)];
    if (rng() % 3) s += ' ';
  }
  return s;
}

std::string Mutate(std::mt19937_64& rng) {
  std::string s = kValidPrograms[rng() % std::size(kValidPrograms)];
  int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !s.empty(); ++e) {
    size_t at = rng() % s.size();
    switch (rng() % 5) {
      case 0: s.erase(at, 1 + rng() % 8); break;
      case 1: s.insert(at, 1, static_cast<char>(rng() % 256)); break;
      case 2: s.insert(at, kSoup[rng() % std::size(kSoup)]); break;
      case 3: {
        size_t len = std::min<size_t>(1 + rng() % 40, s.size() - at);
        s.insert(rng() % s.size(), s.substr(at, len));
        break;
      }
      default: s[at] = static_cast<char>(rng() % 256); break;
    }
  }
  return s;
}

void CheckOne(const std::string& src, int* compiled) {
  auto r = CompileSource(src, "fuzz.tri");
  if (r) {
    ++*compiled;
    auto v = VerifyModule(*r);
    ASSERT_TRUE(v.ok()) << v.error().ToString() << "\n--- source ---\n" << src;
    return;
  }
  const std::vector<CompileError>& errors = r.error();
  ASSERT_FALSE(errors.empty()) << src;
  ASSERT_LE(errors.size(), Diagnostics::kMaxErrors);
  uint32_t lines = static_cast<uint32_t>(std::count(src.begin(), src.end(), '\n')) + 1;
  for (const CompileError& e : errors) {
    ASSERT_EQ(e.file, "fuzz.tri");
    ASSERT_FALSE(e.message.empty());
    ASSERT_EQ(e.message.find("internal compiler error"), std::string::npos)
        << e.message << "\n--- source ---\n" << src;
    ASSERT_GE(e.line, 1u) << e.message;
    ASSERT_LE(e.line, lines) << e.message;
    ASSERT_GE(e.col, 1u) << e.message;
    ASSERT_LE(e.col, src.size() + 1) << e.message;
  }
  ASSERT_FALSE(FormatCompileErrors(errors, src).empty());
}

TEST(CompilerFuzzTest, ValidSeedsCompile) {
  for (const char* src : kValidPrograms) {
    auto r = CompileSource(src, "seed.tri");
    ASSERT_TRUE(r.ok()) << FormatCompileErrors(r.error(), src);
  }
}

TEST(CompilerFuzzTest, TenThousandInputsNeverCrash) {
  std::mt19937_64 rng(0x7121a17);
  int compiled = 0;
  for (int i = 0; i < 10000; ++i) {
    std::string src;
    switch (i % 3) {
      case 0: src = RandomBytes(rng); break;
      case 1: src = TokenSoup(rng); break;
      default: src = Mutate(rng); break;
    }
    CheckOne(src, &compiled);
    if (HasFatalFailure()) return;
  }
  // Mutations keep some programs valid, so the success path is exercised too.
  EXPECT_GT(compiled, 100);
}

TEST(CompilerFuzzTest, PathologicalInputs) {
  int compiled = 0;
  CheckOne(std::string(200000, '('), &compiled);
  CheckOne(std::string(200000, '['), &compiled);
  CheckOne(std::string(200000, '{'), &compiled);
  CheckOne(std::string(100000, '-') + "1", &compiled);
  CheckOne(std::string(100000, '~') + "1", &compiled);
  std::string nots = "let x = ";
  for (int i = 0; i < 50000; ++i) nots += "not ";
  CheckOne(nots + "1", &compiled);
  std::string calls = "f";
  for (int i = 0; i < 50000; ++i) calls += "()";
  CheckOne(calls, &compiled);
  std::string elifs = "if a {}";
  for (int i = 0; i < 5000; ++i) elifs += " else if a {}";
  CheckOne(elifs, &compiled);
  std::string fns;
  for (int i = 0; i < 300; ++i) fns += "fn () {";
  CheckOne(fns, &compiled);
  CheckOne(std::string("\0\0\0", 3), &compiled);
  CheckOne("/*", &compiled);
  CheckOne("\"", &compiled);
  // Deep expressions whose calls each hold many arguments: too much operand stack.
  std::string wide = "fn g() { return ";
  for (int i = 0; i < 150; ++i) {
    wide += "[";
    for (int j = 0; j < 250; ++j) wide += "1,";
  }
  wide += "1" + std::string(150, ']') + " }";
  CheckOne(wide, &compiled);
}

}  // namespace
}  // namespace trinity::lang
