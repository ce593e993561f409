// Tests for emission through the scanner: planted constants that encode WRPKRU/SYSCALL
// are split and still produce the right value; a million random immediates all publish
// and compute what they should; jumps survive padding on retries.
#include "jit/safe_emit.h"

#include <gtest/gtest.h>

#include <random>
#include <variant>
#include <vector>

namespace trinity::jit {
namespace {

namespace x86 = asmjit::x86;

using Fn = uint64_t (*)();

PublishedCode MustPublish(CodeArena& arena, const EmitFunction& emit) {
  auto r = EmitAndPublish(arena, emit);
  if (auto* f = std::get_if<EmitFailure>(&r)) {
    ADD_FAILURE() << f->message;
    return {};
  }
  return std::get<PublishedCode>(r);
}

TEST(SafeEmit, PlantedForbiddenConstantsAreSplitAndKeepTheirValue) {
  CodeArena arena(1 << 20);
  ASSERT_TRUE(arena.ok());
  const uint64_t planted[] = {
      0x00EF010Full,           // WRPKRU inside mov eax, imm32
      0x050Full,               // SYSCALL
      0x340Full,               // SYSENTER
      0x80CDull,               // INT 0x80
      0x28AE0F0000000000ull,   // XRSTOR [rax] in the high bytes
      0x0000000F00000000ull,   // ends an imm32 form? no: 0F in the middle of an imm64
      0x0Full,                 // a trailing 0F could pair with the next instruction
  };
  for (uint64_t value : planted) {
    PublishedCode code = MustPublish(arena, WithAssembler([&](x86::Assembler& a, EmitVariant& v) {
      v.MovImm(a, x86::rax, value);
      a.ret();
      return asmjit::kErrorOk;
    }));
    ASSERT_NE(code.code, nullptr);
    EXPECT_EQ(code.attempts, 1) << std::hex << value;  // split on the first attempt
    EXPECT_EQ(reinterpret_cast<Fn>(code.code)(), value) << std::hex << value;
    EXPECT_FALSE(FindForbiddenBytes({code.code, code.size}));
  }
}

TEST(SafeEmit, AMillionRandomImmediatesPublishAndComputeTheirValues) {
  CodeArena arena(64 << 20);
  ASSERT_TRUE(arena.ok());
  std::mt19937_64 rng(12345);
  constexpr int kFunctions = 100, kPerFunction = 10000;
  int total_attempts = 0;
  for (int f = 0; f < kFunctions; ++f) {
    std::vector<uint64_t> values(kPerFunction);
    uint64_t expect = 0;
    for (auto& v : values) {
      // Mix full-width values with small and sign-extended ones (other encodings).
      switch (rng() % 3) {
        case 0: v = rng(); break;
        case 1: v = rng() & 0xFFFFFFFF; break;
        default: v = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(rng()))); break;
      }
      expect ^= v;
    }
    PublishedCode code = MustPublish(arena, WithAssembler([&](x86::Assembler& a, EmitVariant& v) {
      a.xor_(x86::eax, x86::eax);
      for (uint64_t value : values) {
        v.MovImm(a, x86::rcx, value);
        a.xor_(x86::rax, x86::rcx);
      }
      a.ret();
      return asmjit::kErrorOk;
    }));
    ASSERT_NE(code.code, nullptr);
    total_attempts += code.attempts;
    ASSERT_EQ(reinterpret_cast<Fn>(code.code)(), expect);
    arena.Release(code.code);
  }
  // Clean constants make the first emission succeed; nothing here moves with the address.
  EXPECT_EQ(total_attempts, kFunctions);
}

TEST(SafeEmit, RetriesPadAndBranchesStillLand) {
  CodeArena arena(1 << 20);
  ASSERT_TRUE(arena.ok());
  // A forward jump over N bytes whose rel32 displacement is chosen to encode 0F 05 on the
  // first attempt: 0x050F bytes of filler. Padding on a retry moves it.
  PublishedCode code = MustPublish(arena, WithAssembler([&](x86::Assembler& a, EmitVariant& v) {
    asmjit::Label done = a.newLabel();
    a.mov(x86::eax, 7);
    a.long_().jmp(done);
    v.Pad(a);
    for (int i = 0; i < 0x050F; ++i) a.int3();
    a.bind(done);
    a.ret();
    return asmjit::kErrorOk;
  }));
  ASSERT_NE(code.code, nullptr);
  EXPECT_GT(code.attempts, 1);
  EXPECT_EQ(reinterpret_cast<Fn>(code.code)(), 7u);
}

TEST(SafeEmit, GivesUpWhenTheCodeItselfIsForbidden) {
  CodeArena arena(1 << 20);
  ASSERT_TRUE(arena.ok());
  auto r = EmitAndPublish(arena, WithAssembler([](x86::Assembler& a, EmitVariant&) {
    a.syscall();
    a.ret();
    return asmjit::kErrorOk;
  }), 3);
  ASSERT_TRUE(std::holds_alternative<EmitFailure>(r));
  EXPECT_NE(std::get<EmitFailure>(r).message.find("SYSCALL"), std::string::npos);
  EXPECT_NE(std::get<EmitFailure>(r).message.find("3 attempts"), std::string::npos);
  EXPECT_EQ(arena.used_bytes(), 0u);
}

}  // namespace
}  // namespace trinity::jit
