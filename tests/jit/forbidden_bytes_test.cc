// Tests for the forbidden-byte scanner: each encoding found at any offset, harmless
// neighbours (RDPKRU, LFENCE, register-form 0F AE) accepted, sequences at buffer edges.
#include "jit/forbidden_bytes.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace trinity::jit {
namespace {

std::optional<ForbiddenHit> Scan(std::vector<uint8_t> bytes) { return FindForbiddenBytes(bytes); }

TEST(ForbiddenBytes, CleanCodeHasNoHit) {
  // mov rax, 1; add rax, rbx; ret; lfence; rdpkru
  EXPECT_FALSE(Scan({0x48, 0xC7, 0xC0, 0x01, 0, 0, 0, 0x48, 0x01, 0xD8, 0xC3, 0x0F, 0xAE, 0xE8,
                     0x0F, 0x01, 0xEE}));
  EXPECT_FALSE(Scan({}));
  EXPECT_FALSE(Scan({0x0F}));
  EXPECT_FALSE(Scan({0xCD}));
}

TEST(ForbiddenBytes, FindsEachEncoding) {
  struct Case {
    std::vector<uint8_t> bytes;
    ForbiddenKind kind;
  } cases[] = {
      {{0x0F, 0x01, 0xEF}, ForbiddenKind::kWrpkru},
      {{0x0F, 0xAE, 0x28}, ForbiddenKind::kXrstor},          // xrstor [rax]
      {{0x48, 0x0F, 0xAE, 0x6C, 0x24, 0x08}, ForbiddenKind::kXrstor},  // xrstor64 [rsp+8]
      {{0x0F, 0x05}, ForbiddenKind::kSyscall},
      {{0x0F, 0x34}, ForbiddenKind::kSysenter},
      {{0xCD, 0x80}, ForbiddenKind::kInt80},
  };
  for (const Case& c : cases) {
    auto hit = Scan(c.bytes);
    ASSERT_TRUE(hit) << ForbiddenKindName(c.kind);
    EXPECT_EQ(hit->kind, c.kind);
  }
}

TEST(ForbiddenBytes, FindsSequencesInsideImmediatesAndAcrossInstructions) {
  // mov eax, 0x00EF010F encodes B8 0F 01 EF 00: WRPKRU inside the immediate.
  auto hit = Scan({0x90, 0xB8, 0x0F, 0x01, 0xEF, 0x00});
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->offset, 2u);
  EXPECT_EQ(hit->kind, ForbiddenKind::kWrpkru);
  // mov eax, 0x50F: B8 0F 05 00 00 holds SYSCALL.
  hit = Scan({0xB8, 0x0F, 0x05, 0x00, 0x00});
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->kind, ForbiddenKind::kSyscall);
  // An immediate ending in 0F followed by an instruction starting with 05 (add eax, imm32).
  hit = Scan({0xB8, 0x00, 0x00, 0x00, 0x0F, 0x05, 0x01, 0x00, 0x00, 0x00});
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->offset, 4u);
  // The sequence in the last bytes of the buffer.
  hit = Scan({0x90, 0x90, 0xCD, 0x80});
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->offset, 2u);
}

TEST(ForbiddenBytes, AgreesWithABruteForceOracleOnRandomBuffers) {
  // A slow, obviously-correct matcher over every offset decides the same as the scanner.
  auto oracle = [](const std::vector<uint8_t>& b) -> std::optional<size_t> {
    for (size_t i = 0; i < b.size(); ++i) {
      auto at = [&](size_t k) { return i + k < b.size() ? int(b[i + k]) : -1; };
      if (at(0) == 0xCD && at(1) == 0x80) return i;
      if (at(0) != 0x0F) continue;
      if (at(1) == 0x05 || at(1) == 0x34) return i;
      if (at(1) == 0x01 && at(2) == 0xEF) return i;
      if (at(1) == 0xAE && at(2) >= 0 && ((at(2) >> 3) & 7) == 5 && (at(2) >> 6) != 3) return i;
    }
    return std::nullopt;
  };
  std::mt19937 rng(7);
  // Bytes drawn mostly from the interesting values so hits are common.
  const uint8_t interesting[] = {0x0F, 0x01, 0xEF, 0xAE, 0x05, 0x34, 0xCD, 0x80, 0x28, 0xE8, 0x90};
  for (int round = 0; round < 20000; ++round) {
    std::vector<uint8_t> b(rng() % 12);
    for (auto& x : b) x = (rng() % 4) ? interesting[rng() % sizeof interesting] : uint8_t(rng());
    auto expect = oracle(b);
    auto hit = FindForbiddenBytes(b);
    ASSERT_EQ(hit.has_value(), expect.has_value());
    if (hit) {
      ASSERT_EQ(hit->offset, *expect);
    }
  }
}

}  // namespace
}  // namespace trinity::jit
