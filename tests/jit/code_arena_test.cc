// Tests for the W^X code arena: published code runs, is never writable and executable at
// once (checked in /proc/self/maps), forbidden bytes are refused, blocks are reused.
#include "jit/code_arena.h"

#include <gtest/gtest.h>
#include <setjmp.h>
#include <signal.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace trinity::jit {
namespace {

// The permissions column ("r-xp", "rw-p", ...) of the mapping containing `p`.
std::string PermissionsOf(const void* p) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  auto addr = reinterpret_cast<uintptr_t>(p);
  while (std::getline(maps, line)) {
    std::istringstream in(line);
    std::string range, perms;
    in >> range >> perms;
    auto dash = range.find('-');
    uintptr_t lo = std::stoull(range.substr(0, dash), nullptr, 16);
    uintptr_t hi = std::stoull(range.substr(dash + 1), nullptr, 16);
    if (addr >= lo && addr < hi) return perms;
  }
  return "";
}

bool AnyWritableExecutableMapping() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    std::istringstream in(line);
    std::string range, perms;
    in >> range >> perms;
    if (perms.size() >= 3 && perms[1] == 'w' && perms[2] == 'x') return true;
  }
  return false;
}

TEST(CodeArena, PublishedCodeRunsAndIsReadExecuteOnly) {
  CodeArena arena(1 << 20);
  ASSERT_TRUE(arena.ok()) << arena.error();
  uint8_t* block = arena.BeginWrite(16);
  ASSERT_NE(block, nullptr);
  EXPECT_EQ(PermissionsOf(block), "rw-p");
  const uint8_t code[] = {0xB8, 0x2A, 0x00, 0x00, 0x00, 0xC3};  // mov eax, 42; ret
  std::memcpy(block, code, sizeof code);
  auto r = arena.Publish(block);
  ASSERT_TRUE(r.published) << r.error;
  EXPECT_EQ(PermissionsOf(block), "r-xp");
  EXPECT_FALSE(AnyWritableExecutableMapping());
  auto fn = reinterpret_cast<int (*)()>(block);
  EXPECT_EQ(fn(), 42);
  EXPECT_EQ(arena.published_blocks(), 1u);
}

TEST(CodeArena, RefusesForbiddenBytesAnywhereInTheBlock) {
  CodeArena arena(1 << 20);
  ASSERT_TRUE(arena.ok());
  uint8_t* block = arena.BeginWrite(32);
  ASSERT_NE(block, nullptr);
  // mov eax, 0x00EF010F; ret -- WRPKRU hidden in the immediate.
  const uint8_t code[] = {0xB8, 0x0F, 0x01, 0xEF, 0x00, 0xC3};
  std::memcpy(block, code, sizeof code);
  auto r = arena.Publish(block);
  EXPECT_FALSE(r.published);
  ASSERT_TRUE(r.hit);
  EXPECT_EQ(r.hit->kind, ForbiddenKind::kWrpkru);
  EXPECT_EQ(r.hit->offset, 1u);
  // The refused block went back to PROT_NONE and its space is reused.
  EXPECT_EQ(PermissionsOf(block), "---p");
  EXPECT_EQ(arena.used_bytes(), 0u);
  EXPECT_EQ(arena.BeginWrite(32), block);
}

jmp_buf g_fault;
void OnSegv(int) { longjmp(g_fault, 1); }

TEST(CodeArena, PublishedCodeCannotBeWritten) {
  CodeArena arena(1 << 20);
  ASSERT_TRUE(arena.ok());
  uint8_t* block = arena.BeginWrite(1);
  block[0] = 0xC3;
  ASSERT_TRUE(arena.Publish(block).published);
  struct sigaction sa {}, old {};
  sa.sa_handler = OnSegv;
  sigaction(SIGSEGV, &sa, &old);
  volatile bool faulted = false;
  if (setjmp(g_fault) == 0) {
    *const_cast<volatile uint8_t*>(block) = 0x90;
  } else {
    faulted = true;
  }
  sigaction(SIGSEGV, &old, nullptr);
  EXPECT_TRUE(faulted);
}

TEST(CodeArena, ReleaseCoalescesAndExhaustionIsReported) {
  const size_t page = CodeArena::PageSize();
  CodeArena arena(4 * page);
  ASSERT_TRUE(arena.ok());
  uint8_t* a = arena.BeginWrite(page);
  uint8_t* b = arena.BeginWrite(page);
  uint8_t* c = arena.BeginWrite(2 * page);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(arena.BeginWrite(1), nullptr);  // full
  arena.Release(a);
  arena.Release(b);
  EXPECT_EQ(arena.BeginWrite(2 * page), a);  // the two runs merged
  EXPECT_EQ(arena.used_bytes(), 4 * page);
}

TEST(CodeArena, ReservationIsAPowerOfTwoAlignedToTwiceItsSizeWithAGuardAfterIt) {
  CodeArena arena(3 * CodeArena::PageSize() + 1);
  ASSERT_TRUE(arena.ok());
  const size_t size = arena.reserved_bytes();
  EXPECT_EQ(size, 4 * CodeArena::PageSize());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(arena.base()) % (2 * size), 0u);
  // Nothing is ever handed out from the guard.
  std::vector<uint8_t*> blocks;
  while (uint8_t* b = arena.BeginWrite(1)) blocks.push_back(b);
  ASSERT_EQ(blocks.size(), 4u);
  for (uint8_t* b : blocks) EXPECT_LT(b, arena.base() + size);
  EXPECT_EQ(PermissionsOf(arena.base() + size), "---p");
}

TEST(CodeArena, TagHookSeesTheWholeReservationOrFailsCreation) {
  size_t seen = 0;
  CodeArena tagged(4 * CodeArena::PageSize(), [&](void*, size_t n) {
    seen = n;
    return true;
  });
  EXPECT_TRUE(tagged.ok());
  EXPECT_EQ(seen, 8 * CodeArena::PageSize());  // arena and guard
  CodeArena refused(CodeArena::PageSize(), [](void*, size_t) { return false; });
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("protection key"), std::string::npos);
}

}  // namespace
}  // namespace trinity::jit
