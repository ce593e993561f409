// MpkMemoryProvider: alignment and reuse of blocks, strict alignments, tagging with the
// domain's key (parked before the first entry, its hardware key after, as the kernel
// reports in smaps) and returning every mapping on destruction.
#include "isolation/mpk_memory_provider.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace trinity::isolation
