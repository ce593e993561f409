// MpkMemoryProvider: alignment and reuse of blocks, strict alignments, tagging with the
// domain's key (parked before the first entry, its hardware key after, as the kernel
// reports in smaps) over the whole reservation, and returning every mapping on
// destruction. The reservation logic itself (carving, committing, reusing page runs,
// refusing when full) is also checked untagged, so it runs where the CPU lacks PKU.
#include "isolation/mpk_memory_provider.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "isolation/key_pool.h"
#include "isolation/mpk_isolation.h"
#include "tests/isolation/mpk_test_support.h"

namespace trinity::isolation {
namespace {

using trinity::testing::SmapsKeyOf;

TEST(MpkMemoryProviderTest, BlocksAreAlignedDistinctAndReused) {
  TRINITY_REQUIRE_MPK();
  auto domain = MpkDomain::Create(IsolationPolicy::kRequired);
  ASSERT_TRUE(domain.ok()) << domain.error();
  MemoryProvider* memory = domain.value()->memory();
  std::vector<std::pair<void*, size_t>> blocks;
  for (size_t size : {1, 16, 17, 40, 100, 1000, 4096, 5000, 40000, 1 << 20}) {
    void* p = memory->Allocate(size, 16);
    ASSERT_NE(p, nullptr) << size;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u) << size;
    std::memset(p, 0xab, size);
    blocks.emplace_back(p, size);
  }
  for (size_t i = 1; i < blocks.size(); ++i) EXPECT_NE(blocks[i].first, blocks[i - 1].first);
  void* first = blocks[2].first;
  memory->Free(first, blocks[2].second);
  EXPECT_EQ(memory->Allocate(blocks[2].second, 16), first) << "a freed block is reused first";
  for (auto& [p, size] : blocks) memory->Free(p, size);
}

TEST(MpkMemoryProviderTest, StrictAlignmentIsHonoured) {
  TRINITY_REQUIRE_MPK();
  auto domain = MpkDomain::Create(IsolationPolicy::kRequired);
  ASSERT_TRUE(domain.ok()) << domain.error();
  MemoryProvider* memory = domain.value()->memory();
  for (size_t align : {32, 64, 256, 4096}) {
    void* p = memory->Allocate(24, align);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % align, 0u) << align;
    memory->Free(p, 24);
  }
}

TEST(MpkMemoryProviderTest, MemoryCarriesTheDomainsKey) {
  TRINITY_REQUIRE_MPK();
  KeyPool& pool = *KeyPool::Get().value();
  auto domain = MpkDomain::Create(IsolationPolicy::kRequired);
  ASSERT_TRUE(domain.ok()) << domain.error();
  void* small = domain.value()->memory()->Allocate(64, 16);
  void* large = domain.value()->memory()->Allocate(1 << 20, 16);
  // Parked until the first entry: the parked key, which only host code may touch.
  EXPECT_EQ(domain.value()->current_key(), -1);
  EXPECT_EQ(SmapsKeyOf(small), pool.parked_key());
  EXPECT_EQ(SmapsKeyOf(large), pool.parked_key());
  std::memset(small, 1, 64);  // the host domain may

  auto trap = domain.value()->gate()->RunPlugin([] {});
  ASSERT_FALSE(trap.has_value()) << trap->ToString();
  int key = domain.value()->current_key();
  ASSERT_GE(key, 1);
  EXPECT_NE(key, pool.parked_key());
  EXPECT_EQ(SmapsKeyOf(small), key);
  EXPECT_EQ(SmapsKeyOf(large), key);
  domain.value()->memory()->Free(small, 64);
  domain.value()->memory()->Free(large, 1 << 20);
}

TEST(MpkMemoryProviderTest, DestructionReturnsEveryMapping) {
  TRINITY_REQUIRE_MPK();
  size_t before = MpkMemoryProvider::TotalMappedBytes();
  {
    auto domain = MpkDomain::Create(IsolationPolicy::kRequired);
    ASSERT_TRUE(domain.ok()) << domain.error();
    for (int i = 0; i < 1000; ++i) ASSERT_NE(domain.value()->memory()->Allocate(100 + i, 16), nullptr);
    ASSERT_NE(domain.value()->memory()->Allocate(3 << 20, 16), nullptr);
    EXPECT_GT(MpkMemoryProvider::TotalMappedBytes(), before + (3u << 20));
  }
  EXPECT_EQ(MpkMemoryProvider::TotalMappedBytes(), before);
  EXPECT_EQ(GetMpkStats().tracked_regions, 0u);
}

TEST(MpkMemoryProviderTest, TheWholeReservationIsTaggedWhenTheDomainOpens) {
  TRINITY_REQUIRE_MPK();
  KeyPool& pool = *KeyPool::Get().value();
  Limits limits;
  limits.max_heap_bytes = 16u << 20;
  auto domain = MpkDomain::Create(IsolationPolicy::kRequired, limits);
  ASSERT_TRUE(domain.ok()) << domain.error();
  const auto& memory = *static_cast<MpkMemoryProvider*>(domain.value()->memory());
  ASSERT_EQ(domain.value()->reserved_bytes(), ReservationBytes(limits.max_heap_bytes));
  const char* last = memory.reservation_base() + memory.reserved_bytes() - 1;
  // Nothing committed yet, and still the far end already carries the domain's key.
  EXPECT_EQ(SmapsKeyOf(last), pool.parked_key());
  auto trap = domain.value()->gate()->RunPlugin([] {});
  ASSERT_FALSE(trap.has_value()) << trap->ToString();
  EXPECT_EQ(SmapsKeyOf(memory.reservation_base()), domain.value()->current_key());
  EXPECT_EQ(SmapsKeyOf(last), domain.value()->current_key());
}

TEST(MpkMemoryProviderTest, ReservationCoversTwiceTheHeapLimitWithinTheDocumentedCaps) {
  EXPECT_GE(ReservationBytes(64u << 20), 2 * (64u << 20) + kNonHeapReserve);
  EXPECT_EQ(ReservationBytes(0), ReservationBytes(kDefaultHeapReserve)) << "0 reserves the default";
  EXPECT_EQ(ReservationBytes(SIZE_MAX), ReservationBytes(kLargestHeapReserve));
  EXPECT_EQ(ReservationBytes(SIZE_MAX), kLargestReservation);
}

// Untagged from here on: the same allocator, no protection key, runs everywhere.

TEST(MpkMemoryProviderTest, UntaggedBlocksStayInsideTheReservationAndDoNotOverlap) {
  auto memory = MpkMemoryProvider::Untagged(16u << 20);
  ASSERT_TRUE(memory);
  EXPECT_EQ(memory->reserved_bytes(), 16u << 20);
  EXPECT_EQ(memory->mapped_bytes(), 0u) << "nothing is committed before the first block";
  const char* lo = memory->reservation_base();
  const char* hi = lo + memory->reserved_bytes();
  std::vector<std::pair<char*, size_t>> blocks;
  size_t total = 0;
  for (int i = 0; total < (6u << 20); ++i) {
    size_t size = i % 7 == 0 ? 100000 + static_cast<size_t>(i) : 24 + static_cast<size_t>(i) * 37 % 3000;
    auto* p = static_cast<char*>(memory->Allocate(size, 16));
    ASSERT_NE(p, nullptr) << "block " << i << " of " << size << " bytes";
    ASSERT_TRUE(p >= lo && p + size <= hi) << "block " << i << " outside the reservation";
    std::memset(p, i & 0xff, size);
    blocks.emplace_back(p, size);
    total += size;
  }
  EXPECT_GE(memory->mapped_bytes(), total);
  EXPECT_LE(memory->mapped_bytes(), memory->reserved_bytes());
  EXPECT_GE(MpkMemoryProvider::TotalMappedBytes(), memory->mapped_bytes());
  for (size_t i = 0; i < blocks.size(); ++i) {
    auto [p, size] = blocks[i];
    const char fill = static_cast<char>(i & 0xff);
    ASSERT_TRUE(std::all_of(p, p + size, [&](char c) { return c == fill; }))
        << "block " << i << " was overwritten by another";
  }
  for (auto& [p, size] : blocks) memory->Free(p, size);
}

TEST(MpkMemoryProviderTest, UntaggedFreedPageRunsCoalesceAndComeBackZeroed) {
  auto memory = MpkMemoryProvider::Untagged(16u << 20);
  ASSERT_TRUE(memory);
  constexpr size_t kMiB = 1u << 20;
  auto* a = static_cast<char*>(memory->Allocate(kMiB, 16));
  auto* b = static_cast<char*>(memory->Allocate(kMiB, 16));
  auto* c = static_cast<char*>(memory->Allocate(kMiB, 16));
  ASSERT_TRUE(a && b && c);
  ASSERT_EQ(b, a + kMiB);
  ASSERT_EQ(c, b + kMiB);
  std::memset(a, 0x5a, 2 * kMiB);
  const size_t committed = memory->mapped_bytes();
  memory->Free(a, kMiB);
  memory->Free(b, kMiB);
  auto* ab = static_cast<char*>(memory->Allocate(2 * kMiB, 16));
  EXPECT_EQ(ab, a) << "two neighbouring freed runs serve one block of both sizes";
  EXPECT_TRUE(std::all_of(ab, ab + 2 * kMiB, [](char x) { return x == 0; }))
      << "a reused run still holds the previous block's data";
  EXPECT_EQ(memory->mapped_bytes(), committed) << "reused, not committed again";
  memory->Free(ab, 2 * kMiB);
  memory->Free(c, kMiB);
}

TEST(MpkMemoryProviderTest, UntaggedFullReservationRefusesInsteadOfGrowing) {
  constexpr size_t kReserved = 4u << 20;
  auto memory = MpkMemoryProvider::Untagged(kReserved);
  ASSERT_TRUE(memory);
  void* big = memory->Allocate(3u << 20, 16);
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(memory->Allocate(2u << 20, 16), nullptr);
  EXPECT_EQ(memory->Allocate(kReserved + 1, 16), nullptr);
  size_t small = 0;
  while (small < 10000 && memory->Allocate(1000, 16) != nullptr) ++small;
  EXPECT_GT(small, 512u) << "the last megabyte still serves small blocks";
  EXPECT_LE(small * 1024, 1u << 20);
  EXPECT_LE(memory->mapped_bytes(), kReserved);
  memory->Free(big, 3u << 20);
  EXPECT_NE(memory->Allocate(2u << 20, 16), nullptr) << "freed pages serve new blocks";
}

}  // namespace
}  // namespace trinity::isolation
