// Size-class allocation from protection-key-tagged chunks. Free lists are threaded through
// the freed blocks themselves, so the provider's bookkeeping in key-0 memory stays small
// and the plugin's memory holds nothing but the plugin's data and its own free blocks.
#include "isolation/mpk_memory_provider.h"

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <bit>

#include "isolation/key_pool.h"

namespace trinity::isolation {
namespace {

constexpr size_t kMinBlock = 16;
constexpr size_t kMaxSmallBlock = 32 * 1024;
constexpr size_t kMaxSmallAlign = 64;
constexpr size_t kFirstChunk = 64 * 1024;
constexpr size_t kMaxChunk = 1024 * 1024;

std::atomic<size_t> g_total_mapped{0};

size_t PageSize() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

size_t RoundUp(size_t n, size_t to) { return (n + to - 1) & ~(to - 1); }

// Class c holds blocks of 16 << c bytes.
int ClassOf(size_t block) { return std::countr_zero(block) - std::countr_zero(kMinBlock); }

}  // namespace

MpkMemoryProvider::MpkMemoryProvider(KeyPool& pool, uint32_t slot)
    : pool_(pool), slot_(slot), next_chunk_bytes_(kFirstChunk) {}

MpkMemoryProvider::~MpkMemoryProvider() {
  for (auto& [base, length] : large_) UnmapRegion(base, length);
  for (auto& [base, length] : chunks_) UnmapRegion(base, length);
}

size_t MpkMemoryProvider::TotalMappedBytes() { return g_total_mapped.load(std::memory_order_relaxed); }

void* MpkMemoryProvider::MapRegion(size_t length) {
  void* base = mmap(nullptr, length, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) return nullptr;
  if (!pool_.AddRegion(slot_, base, length)) {
    munmap(base, length);
    return nullptr;
  }
  mapped_bytes_ += length;
  g_total_mapped.fetch_add(length, std::memory_order_relaxed);
  return base;
}

void MpkMemoryProvider::UnmapRegion(void* base, size_t length) {
  // Untracked first, so a concurrent key rotation never re-tags unmapped pages.
  pool_.RemoveRegion(slot_, base, length);
  munmap(base, length);
  mapped_bytes_ -= length;
  g_total_mapped.fetch_sub(length, std::memory_order_relaxed);
}

void* MpkMemoryProvider::CarveSmall(size_t block) {
  size_t carve_align = block < kMaxSmallAlign ? block : kMaxSmallAlign;
  char* at = reinterpret_cast<char*>(RoundUp(reinterpret_cast<uintptr_t>(bump_), carve_align));
  if (bump_ == nullptr || at + block > bump_end_) {
    // The tail of the old chunk is abandoned; chunks grow, so the waste stays small.
    size_t length = next_chunk_bytes_;
    void* chunk = MapRegion(length);
    if (chunk == nullptr) return nullptr;
    chunks_.emplace_back(chunk, length);
    if (next_chunk_bytes_ < kMaxChunk) next_chunk_bytes_ *= 2;
    bump_ = static_cast<char*>(chunk);
    bump_end_ = bump_ + length;
    at = bump_;  // chunks are page-aligned
  }
  bump_ = at + block;
  return at;
}

void* MpkMemoryProvider::Allocate(size_t size, size_t align) {
  pool_.EnsureHostAccess();
  if (size == 0) size = 1;
  size_t block = std::bit_ceil(size < kMinBlock ? kMinBlock : size);
  // A small class guarantees the alignment its blocks were carved at and nothing more;
  // rarer, stricter requests get a page of their own (page alignment covers align <= 4096).
  if (size <= kMaxSmallBlock && align <= (block < kMaxSmallAlign ? block : kMaxSmallAlign)) {
    int c = ClassOf(block);
    if (void* p = free_lists_[c]) {
      free_lists_[c] = *static_cast<void**>(p);
      return p;
    }
    return CarveSmall(block);
  }
  size_t length = RoundUp(size, PageSize());
  void* base = MapRegion(length);
  if (base == nullptr) return nullptr;
  large_.emplace(base, length);
  if (size <= kMaxSmallBlock) ++small_sized_large_;
  return base;
}

void MpkMemoryProvider::Free(void* block, size_t size) {
  if (block == nullptr) return;
  pool_.EnsureHostAccess();
  if (size == 0) size = 1;
  if (size > kMaxSmallBlock || small_sized_large_ != 0) {
    auto it = large_.find(block);
    if (it != large_.end()) {
      if (size <= kMaxSmallBlock) --small_sized_large_;
      UnmapRegion(it->first, it->second);
      large_.erase(it);
      return;
    }
  }
  int c = ClassOf(std::bit_ceil(size < kMinBlock ? kMinBlock : size));
  *static_cast<void**>(block) = free_lists_[c];
  free_lists_[c] = block;
}

}  // namespace trinity::isolation
