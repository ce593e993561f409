// Tests for the wire format: writer/reader round trips, every class of reader rejection,
// robustness against random and mutated input, and the small lookups in module.cc,
// opcodes.cc, builtins.cc and load_error.cc.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "runtime/builtins.h"
#include "runtime/code_emitter.h"
#include "runtime/load_error.h"
#include "runtime/module.h"
#include "runtime/module_reader.h"
#include "runtime/module_writer.h"
#include "runtime/opcodes.h"
#include "runtime/verifier.h"

namespace trinity {
namespace {

// Builds wire bytes by hand, for inputs the writer would never produce.
class Bytes {
 public:
  Bytes& U8(uint8_t v) { return Int(v, 1); }
  Bytes& U16(uint16_t v) { return Int(v, 2); }
  Bytes& U32(uint32_t v) { return Int(v, 4); }
  Bytes& U64(uint64_t v) { return Int(v, 8); }
  Bytes& Str(std::string_view s) {
    U32(static_cast<uint32_t>(s.size()));
    v_.insert(v_.end(), s.begin(), s.end());
    return *this;
  }
  Bytes& Header(uint16_t major = kModuleVersionMajor, uint16_t minor = kModuleVersionMinor) {
    for (uint8_t b : kModuleMagic) U8(b);
    return U16(major).U16(minor);
  }
  // A section whose length field matches `payload`.
  Bytes& Section(uint8_t id, const Bytes& payload) {
    U8(id).U32(static_cast<uint32_t>(payload.v_.size()));
    v_.insert(v_.end(), payload.v_.begin(), payload.v_.end());
    return *this;
  }
  // A minimal valid function body: one `push_nil; ret`.
  Bytes& SimpleFunction(std::string_view name) {
    Str(name).U16(0).U16(0).U16(1).U16(0);
    U32(2).U8(static_cast<uint8_t>(Op::kPushNil)).U8(static_cast<uint8_t>(Op::kReturn));
    return U32(0);
  }
  const std::vector<uint8_t>& get() const { return v_; }

 private:
  Bytes& Int(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) v_.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  std::vector<uint8_t> v_;
};

Bytes OneFunctionPayload() { return Bytes().U32(1).SimpleFunction("f"); }

Function SimpleFunction(std::string name) {
  Function f;
  f.name = std::move(name);
  CodeEmitter e;
  e.Emit(Op::kPushNil);
  e.Emit(Op::kReturn);
  e.Finish(f);
  f.max_stack = 1;
  return f;
}

Module SampleModule() {
  Module m;
  m.source_name = "examples/sample.tri";
  m.constants = {int64_t{-7}, std::numeric_limits<int64_t>::max(), 3.25,
                 std::numeric_limits<double>::quiet_NaN(), -0.0,
                 std::string("hello"), std::string("with\0nul", 8), std::string()};
  m.imports = {"log", "http.get"};
  m.globals = {"counter", "config"};

  Function main;
  main.name = "main";
  main.num_locals = 1;
  CodeEmitter e;
  e.SetLine(3);
  e.Emit(Op::kConst, 5);
  e.Emit(Op::kStoreLocal, 0);
  e.SetLine(4);
  e.Emit(Op::kLoadLocal, 0);
  e.Emit(Op::kCallHost, 0, 1);
  e.Emit(Op::kReturn);
  e.Finish(main);
  main.max_stack = 1;

  Function add;
  add.name = "add";
  add.arity = 2;
  add.num_locals = 2;
  add.max_stack = 2;
  CodeEmitter a;
  a.SetLine(10);
  a.Emit(Op::kLoadLocal, 0);
  a.Emit(Op::kLoadLocal, 1);
  a.Emit(Op::kAdd);
  a.Emit(Op::kReturn);
  a.Finish(add);

  m.functions = {main, add, SimpleFunction("")};
  m.exports = {{"main", 0}, {"add", 1}};
  m.start_function = 0;
  return m;
}

// Doubles compare by bits, so NaN and -0.0 must survive exactly.
bool SameConstant(const Constant& a, const Constant& b) {
  if (a.index() != b.index()) return false;
  if (const auto* d = std::get_if<double>(&a)) {
    return std::bit_cast<uint64_t>(*d) == std::bit_cast<uint64_t>(std::get<double>(b));
  }
  return a == b;
}

void ExpectModulesEqual(const Module& a, const Module& b) {
  EXPECT_EQ(a.source_name, b.source_name);
  ASSERT_EQ(a.constants.size(), b.constants.size());
  for (size_t i = 0; i < a.constants.size(); ++i) {
    EXPECT_TRUE(SameConstant(a.constants[i], b.constants[i])) << "constant " << i;
  }
  EXPECT_EQ(a.imports, b.imports);
  EXPECT_EQ(a.globals, b.globals);
  ASSERT_EQ(a.functions.size(), b.functions.size());
  for (size_t i = 0; i < a.functions.size(); ++i) {
    const Function& fa = a.functions[i];
    const Function& fb = b.functions[i];
    SCOPED_TRACE("function " + std::to_string(i));
    EXPECT_EQ(fa.name, fb.name);
    EXPECT_EQ(fa.arity, fb.arity);
    EXPECT_EQ(fa.num_locals, fb.num_locals);
    EXPECT_EQ(fa.max_stack, fb.max_stack);
    EXPECT_EQ(fa.num_captures, fb.num_captures);
    EXPECT_EQ(fa.code, fb.code);
    ASSERT_EQ(fa.lines.size(), fb.lines.size());
    for (size_t j = 0; j < fa.lines.size(); ++j) {
      EXPECT_EQ(fa.lines[j].pc, fb.lines[j].pc);
      EXPECT_EQ(fa.lines[j].line, fb.lines[j].line);
    }
  }
  ASSERT_EQ(a.exports.size(), b.exports.size());
  for (size_t i = 0; i < a.exports.size(); ++i) {
    EXPECT_EQ(a.exports[i].name, b.exports[i].name);
    EXPECT_EQ(a.exports[i].function, b.exports[i].function);
  }
  EXPECT_EQ(a.start_function, b.start_function);
}

// Reads `bytes` expecting a rejection at `offset` whose reason mentions `needle`.
void ExpectRejected(const std::vector<uint8_t>& bytes, size_t offset, std::string_view needle) {
  auto r = ReadModule(bytes);
  ASSERT_FALSE(r.ok()) << "expected a rejection mentioning '" << needle << "'";
  EXPECT_EQ(r.error().function, "");
  EXPECT_EQ(r.error().offset, offset) << r.error().ToString();
  EXPECT_NE(r.error().reason.find(needle), std::string::npos) << r.error().ToString();
}

// --- round trips -------------------------------------------------------------------

TEST(ModuleFormat, RoundTripModuleBytesModule) {
  Module m = SampleModule();
  ASSERT_TRUE(VerifyModule(m).ok()) << VerifyModule(m).error().ToString();
  auto r = ReadModule(WriteModule(m));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ExpectModulesEqual(m, *r);
  EXPECT_TRUE(VerifyModule(*r).ok());
}

TEST(ModuleFormat, RoundTripBytesModuleBytes) {
  std::vector<uint8_t> bytes = WriteModule(SampleModule());
  auto r = ReadModule(bytes);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(WriteModule(*r), bytes);
}

TEST(ModuleFormat, HandWrittenBytesReadAndWriteBackIdentically) {
  Bytes b;
  b.Header()
      .Section(1, Bytes().Str("a.tri"))
      .Section(2, Bytes().U32(2).U8(1).U64(42).U8(3).Str("s"))
      .Section(5, OneFunctionPayload())
      .Section(6, Bytes().U32(1).Str("f").U32(0))
      .Section(7, Bytes().U32(0));
  auto r = ReadModule(b.get());
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->source_name, "a.tri");
  ASSERT_EQ(r->constants.size(), 2u);
  EXPECT_EQ(std::get<int64_t>(r->constants[0]), 42);
  EXPECT_EQ(std::get<std::string>(r->constants[1]), "s");
  EXPECT_EQ(r->start_function, 0u);
  EXPECT_EQ(WriteModule(*r), b.get());
}

TEST(ModuleFormat, EmptyOptionalSectionsAreOmitted) {
  Module m;
  m.functions.push_back(SimpleFunction("f"));
  std::vector<uint8_t> bytes = WriteModule(m);
  std::vector<uint8_t> expected = Bytes().Header().Section(5, OneFunctionPayload()).get();
  EXPECT_EQ(bytes, expected);

  Module empty;
  EXPECT_EQ(WriteModule(empty), Bytes().Header().Section(5, Bytes().U32(0)).get());
  auto r = ReadModule(WriteModule(empty));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->functions.empty());
  EXPECT_EQ(r->start_function, kNoFunction);
}

// --- reader rejections -------------------------------------------------------------

TEST(ModuleReader, RejectsOversizedInput) {
  std::vector<uint8_t> bytes = WriteModule(SampleModule());
  bytes.resize(size_t{kMaxModuleBytes} + 1);
  ExpectRejected(bytes, 0, "more than the limit");
}

TEST(ModuleReader, RejectsBadMagic) {
  std::vector<uint8_t> bytes = WriteModule(SampleModule());
  bytes[1] = 'X';
  ExpectRejected(bytes, 0, "bad magic");
  ExpectRejected({}, 0, "truncated header");
}

TEST(ModuleReader, RejectsTruncatedHeader) {
  ExpectRejected(Bytes().Header().get(), 8, "no functions section");
  std::vector<uint8_t> bytes = Bytes().Header().get();
  bytes.resize(5);
  ExpectRejected(bytes, 4, "truncated header");
}

TEST(ModuleReader, RejectsOtherMajorVersion) {
  ExpectRejected(Bytes().Header(2, 0).Section(5, OneFunctionPayload()).get(), 4,
                 "unsupported version 2.0");
  ExpectRejected(Bytes().Header(0, 0).Section(5, OneFunctionPayload()).get(), 4,
                 "unsupported version 0.0");
}

TEST(ModuleReader, RejectsNewerMinorVersion) {
  ExpectRejected(Bytes().Header(kModuleVersionMajor, kModuleVersionMinor + 1)
                     .Section(5, OneFunctionPayload())
                     .get(),
                 4, "unsupported version 1.2");
}

// Format 1.1 only added instructions and built-ins: 1.0 modules load unchanged (and are
// written back as the current version), as module_format.md promises.
TEST(ModuleReader, AcceptsVersionOneZero) {
  ASSERT_EQ(kModuleVersionMinor, 1);
  auto r = ReadModule(Bytes().Header(1, 0).Section(5, OneFunctionPayload()).get());
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  ASSERT_TRUE(VerifyModule(*r).ok());
  EXPECT_EQ(WriteModule(*r), Bytes().Header(1, 1).Section(5, OneFunctionPayload()).get());
}

TEST(ModuleReader, RejectsTruncatedSectionHeader) {
  std::vector<uint8_t> bytes = Bytes().Header().Section(5, OneFunctionPayload()).get();
  size_t end = bytes.size();
  bytes.push_back(6);
  bytes.push_back(0);
  ExpectRejected(bytes, end + 1, "truncated section header");
}

TEST(ModuleReader, RejectsTruncatedSectionContents) {
  // The functions section claims one function but its payload stops inside the code.
  Bytes payload = Bytes().U32(1).Str("f").U16(0).U16(0).U16(1).U16(0).U32(2).U8(1);
  // 8 header + 5 section header + 4 count + 5 name + 8 fields + 4 code length.
  ExpectRejected(Bytes().Header().Section(5, payload).get(), 8 + 5 + 4 + 5 + 8 + 4,
                 "truncated function code");
  // A string constant whose length runs past the section.
  ExpectRejected(Bytes()
                     .Header()
                     .Section(2, Bytes().U32(1).U8(3).U32(100).U8('x'))
                     .Section(5, OneFunctionPayload())
                     .get(),
                 8 + 5 + 4 + 1 + 4, "truncated string constant");
  // A line entry cut in half.
  Bytes lines = Bytes().U32(1).Str("f").U16(0).U16(0).U16(1).U16(0);
  lines.U32(2).U8(1).U8(static_cast<uint8_t>(Op::kReturn)).U32(1).U32(0);
  ExpectRejected(Bytes().Header().Section(5, lines).get(), 8 + 5 + 4 + 5 + 8 + 4 + 2 + 4 + 4,
                 "truncated line entry");
}

TEST(ModuleReader, RejectsSectionsOutOfOrder) {
  ExpectRejected(Bytes()
                     .Header()
                     .Section(5, OneFunctionPayload())
                     .Section(2, Bytes().U32(0))
                     .get(),
                 8 + 5 + 4 + 23, "out of order");
}

TEST(ModuleReader, RejectsDuplicateSection) {
  Bytes b = Bytes().Header().Section(5, OneFunctionPayload());
  size_t second = b.get().size();
  b.Section(5, OneFunctionPayload());
  ExpectRejected(b.get(), second, "out of order");
}

TEST(ModuleReader, RejectsUnknownSectionId) {
  ExpectRejected(Bytes().Header().Section(5, OneFunctionPayload()).Section(9, Bytes()).get(),
                 8 + 5 + 27, "unknown section id 9");
  ExpectRejected(Bytes().Header().Section(0, Bytes()).get(), 8, "unknown section id 0");
}

TEST(ModuleReader, RejectsSectionLengthBeyondFile) {
  std::vector<uint8_t> bytes = Bytes().Header().Section(5, OneFunctionPayload()).get();
  bytes[9] = 0xff;  // low byte of the functions section length
  ExpectRejected(bytes, 9, "beyond the end of the file");
}

TEST(ModuleReader, RejectsPayloadNotConsumedExactly) {
  Bytes payload = OneFunctionPayload();
  payload.U8(0);
  ExpectRejected(Bytes().Header().Section(5, payload).get(), 8 + 5 + 27, "1 unread bytes");
  ExpectRejected(Bytes()
                     .Header()
                     .Section(5, OneFunctionPayload())
                     .Section(7, Bytes().U32(0).U16(0))
                     .get(),
                 8 + 5 + 27 + 5 + 4, "start section has 2 unread bytes");
}

TEST(ModuleReader, RejectsTrailingBytes) {
  std::vector<uint8_t> bytes =
      Bytes().Header().Section(5, OneFunctionPayload()).Section(7, Bytes().U32(0)).get();
  size_t end = bytes.size();
  bytes.push_back(0);
  bytes.push_back(0);
  ExpectRejected(bytes, end, "2 trailing bytes");
}

TEST(ModuleReader, RejectsCountsAboveCaps) {
  // Places the section with `id` where it belongs relative to a valid functions section.
  auto with = [](uint8_t id, const Bytes& payload) {
    Bytes b = Bytes().Header();
    if (id < 5) b.Section(id, payload);
    b.Section(5, id == 5 ? payload : OneFunctionPayload());
    if (id > 5) b.Section(id, payload);
    return b.get();
  };
  ExpectRejected(with(2, Bytes().U32(kMaxConstants + 1)), 13, "constant count");
  ExpectRejected(with(3, Bytes().U32(kMaxImports + 1)), 13, "import count");
  ExpectRejected(with(4, Bytes().U32(kMaxGlobals + 1)), 13, "global count");
  ExpectRejected(with(5, Bytes().U32(kMaxFunctions + 1)), 13, "function count");
  ExpectRejected(with(6, Bytes().U32(kMaxExports + 1)), 13 + 27 + 5, "export count");
  // A huge but allowed count with no data behind it must fail as truncation, without
  // reserving memory for a million constants first.
  ExpectRejected(with(2, Bytes().U32(kMaxConstants)), 17, "truncated constant kind");
}

TEST(ModuleReader, RejectsOverlongNamesAndCode) {
  std::string long_name(kMaxNameBytes + 1, 'n');
  ExpectRejected(Bytes().Header().Section(5, Bytes().U32(1).SimpleFunction(long_name)).get(),
                 17, "function name length 1025 exceeds");
  ExpectRejected(Bytes()
                     .Header()
                     .Section(5, Bytes().U32(1).Str("f").U16(0).U16(0).U16(0).U16(0).U32(
                                     kMaxCodeBytes + 1))
                     .get(),
                 8 + 5 + 4 + 5 + 8, "code length");
}

TEST(ModuleReader, RejectsBadConstantKind) {
  ExpectRejected(Bytes()
                     .Header()
                     .Section(2, Bytes().U32(2).U8(1).U64(1).U8(4).U64(0))
                     .Section(5, OneFunctionPayload())
                     .get(),
                 8 + 5 + 4 + 9, "bad constant kind 4");
}

TEST(ModuleReader, RejectsMissingFunctionsSection) {
  std::vector<uint8_t> bytes = Bytes().Header().Section(1, Bytes().Str("x.tri")).get();
  ExpectRejected(bytes, bytes.size(), "no functions section");
}

// --- robustness ----------------------------------------------------------------------

// Random and mutated inputs must be rejected or accepted cleanly, never crash; the
// sanitizer configs turn any out-of-bounds read or UB into a failure.
TEST(ModuleReader, SurvivesRandomAndMutatedInput) {
  std::mt19937_64 rng(12345);
  const std::vector<uint8_t> valid = WriteModule(SampleModule());
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> input;
    switch (i % 4) {
      case 0: {  // pure noise, sometimes with a valid header
        input.resize(rng() % 64);
        for (auto& b : input) b = static_cast<uint8_t>(rng());
        if (rng() % 2) {
          std::vector<uint8_t> h = Bytes().Header().get();
          input.insert(input.begin(), h.begin(), h.end());
        }
        break;
      }
      case 1: {  // a few flipped bytes
        input = valid;
        for (int k = rng() % 4 + 1; k > 0; --k) input[rng() % input.size()] ^= 1 << (rng() % 8);
        break;
      }
      case 2: {  // random bytes overwritten with extreme values
        input = valid;
        for (int k = rng() % 3 + 1; k > 0; --k) {
          input[rng() % input.size()] = (rng() % 2) ? 0xff : 0x00;
        }
        break;
      }
      case 3: {  // truncated or extended
        input = valid;
        input.resize(rng() % (input.size() + 8));
        break;
      }
    }
    auto r = ReadModule(input);
    if (r.ok()) {
      ++accepted;
      auto v = VerifyModule(*r);
      if (v.ok()) {
        // Whatever survives both stages must round trip.
        auto again = ReadModule(WriteModule(*r));
        ASSERT_TRUE(again.ok());
        EXPECT_EQ(WriteModule(*again), WriteModule(*r));
      }
    }
  }
  // Sanity: the mutation cases do not all collapse into header failures.
  EXPECT_GT(accepted, 0);
}

// --- small lookups ---------------------------------------------------------------------

TEST(ModuleLookups, LineAtFindsLastEntryAtOrBefore) {
  Function f;
  f.lines = {{0, 3}, {5, 4}, {9, 7}};
  EXPECT_EQ(f.LineAt(0), 3u);
  EXPECT_EQ(f.LineAt(4), 3u);
  EXPECT_EQ(f.LineAt(5), 4u);
  EXPECT_EQ(f.LineAt(100), 7u);
  f.lines = {{2, 8}};
  EXPECT_EQ(f.LineAt(1), 0u);
  EXPECT_EQ(Function().LineAt(0), 0u);
}

TEST(ModuleLookups, FindExport) {
  Module m = SampleModule();
  EXPECT_EQ(m.FindExport("add"), 1u);
  EXPECT_EQ(m.FindExport("main"), 0u);
  EXPECT_EQ(m.FindExport("nope"), kNoFunction);
}

TEST(ModuleLookups, OpcodeAndBuiltinNames) {
  EXPECT_EQ(OpFromMnemonic("jmp_if_false"), Op::kJumpIfFalse);
  EXPECT_EQ(OpFromMnemonic("trap"), Op::kTrap);
  EXPECT_EQ(OpFromMnemonic("jump"), std::nullopt);
  for (int i = 0; i < kOpCount; ++i) {
    EXPECT_EQ(OpFromMnemonic(kOpInfo[i].mnemonic), static_cast<Op>(i));
  }
  EXPECT_EQ(BuiltinFromName("math.sqrt"), Builtin::kMathSqrt);
  EXPECT_EQ(BuiltinFromName("print"), Builtin::kPrint);
  EXPECT_EQ(BuiltinFromName("sqrt"), std::nullopt);
}

TEST(ModuleLookups, LoadErrorToString) {
  EXPECT_EQ((LoadError{"fib", 12, "jump target 40 is outside the function"}).ToString(),
            "function 'fib' at byte 12: jump target 40 is outside the function");
  EXPECT_EQ((LoadError{"", 5, "bad magic"}).ToString(), "at byte 5: bad magic");
}

}  // namespace
}  // namespace trinity
