// Size-class and page-run allocation inside one fixed reservation. Free lists are threaded
// through the freed blocks themselves, so the provider's bookkeeping in key-0 memory stays
// small and the plugin's memory holds nothing but the plugin's data and its own free
// blocks. The only system calls after construction are mprotect (committing pages at the
// frontier) and madvise (returning freed page runs), both allowed by every seccomp policy.
#include "isolation/mpk_memory_provider.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <iterator>

#include "isolation/key_pool.h"
#include "isolation/mpk_support.h"

namespace trinity::isolation {
namespace {

constexpr size_t kMinBlock = 16;
constexpr size_t kMaxSmallBlock = 32 * 1024;
constexpr size_t kMaxSmallAlign = 64;
constexpr size_t kFirstChunk = 64 * 1024;
constexpr size_t kMaxChunk = 1024 * 1024;
// Pages are committed in steps of this much, so small growth does not cost a system call
// (and a trip through the pool's mutex) each time.
constexpr size_t kCommitStep = 256 * 1024;

std::atomic<size_t> g_total_mapped{0};

size_t RoundUp(size_t n, size_t to) { return (n + to - 1) & ~(to - 1); }

// Class c holds blocks of 16 << c bytes.
int ClassOf(size_t block) { return std::countr_zero(block) - std::countr_zero(kMinBlock); }

}  // namespace

size_t ReservationBytes(size_t max_heap_bytes) {
  size_t heap = max_heap_bytes == 0 ? kDefaultHeapReserve
                                    : std::min(max_heap_bytes, kLargestHeapReserve);
  return PageRound(2 * heap + kNonHeapReserve);
}

MpkMemoryProvider::MpkMemoryProvider(KeyPool& pool, uint32_t slot)
    : MpkMemoryProvider(&pool, slot, pool.reservation_base(slot), pool.reservation_length(slot)) {}

MpkMemoryProvider::MpkMemoryProvider(KeyPool* pool, uint32_t slot, char* base, size_t length)
    : pool_(pool), slot_(slot), base_(base), length_(length), next_chunk_bytes_(kFirstChunk) {}

std::unique_ptr<MpkMemoryProvider> MpkMemoryProvider::Untagged(size_t reserve_bytes) {
  size_t length = PageRound(reserve_bytes == 0 ? 1 : reserve_bytes);
  void* base = mmap(nullptr, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) return nullptr;
  return std::unique_ptr<MpkMemoryProvider>(
      new MpkMemoryProvider(nullptr, 0, static_cast<char*>(base), length));
}

MpkMemoryProvider::~MpkMemoryProvider() {
  g_total_mapped.fetch_sub(committed_, std::memory_order_relaxed);
  // A domain's reservation is the pool's to unmap or recycle (KeyPool::CloseDomain).
  if (pool_ == nullptr) munmap(base_, length_);
}

size_t MpkMemoryProvider::TotalMappedBytes() { return g_total_mapped.load(std::memory_order_relaxed); }

bool MpkMemoryProvider::CommitTo(size_t end) {
  if (end <= committed_) return true;
  // length_ is a multiple of the page size, so the target is page-aligned either way.
  size_t target = std::min(RoundUp(end, kCommitStep), length_);
  bool done = pool_ != nullptr
                  ? pool_->Commit(slot_, target)
                  : mprotect(base_ + committed_, target - committed_, PROT_READ | PROT_WRITE) == 0;
  if (!done) return false;
  g_total_mapped.fetch_add(target - committed_, std::memory_order_relaxed);
  committed_ = target;
  return true;
}

char* MpkMemoryProvider::TakePages(size_t length) {
  for (auto it = free_runs_.begin(); it != free_runs_.end(); ++it) {
    if (it->second < length) continue;
    size_t at = it->first;
    size_t rest = it->second - length;
    free_runs_.erase(it);
    if (rest != 0) free_runs_.emplace(at + length, rest);
    return base_ + at;
  }
  if (length > length_ - frontier_ || !CommitTo(frontier_ + length)) return nullptr;
  char* at = base_ + frontier_;
  frontier_ += length;
  return at;
}

void MpkMemoryProvider::ReturnPages(char* at, size_t length) {
  // The pages stay committed and tagged; their contents go, so a later owner of the run
  // starts from zeros and the memory is the system's again until touched.
  madvise(at, length, MADV_DONTNEED);
  size_t offset = static_cast<size_t>(at - base_);
  auto next = free_runs_.lower_bound(offset);
  if (next != free_runs_.end() && next->first == offset + length) {
    length += next->second;
    next = free_runs_.erase(next);
  }
  if (next != free_runs_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == offset) {
      offset = prev->first;
      length += prev->second;
      free_runs_.erase(prev);
    }
  }
  if (offset + length == frontier_) {
    frontier_ = offset;
    return;
  }
  free_runs_.emplace(offset, length);
}

void* MpkMemoryProvider::CarveSmall(size_t block) {
  size_t carve_align = block < kMaxSmallAlign ? block : kMaxSmallAlign;
  char* at = reinterpret_cast<char*>(RoundUp(reinterpret_cast<uintptr_t>(bump_), carve_align));
  if (bump_ == nullptr || at + block > bump_end_) {
    // The tail of the old chunk is abandoned; chunks grow, so the waste stays small.
    // Chunks live as long as the provider: their blocks sit on the free lists.
    size_t length = next_chunk_bytes_;
    char* chunk = TakePages(length);
    // Near the end of the reservation a smaller chunk may still fit (the smallest holds
    // the largest small block).
    while (chunk == nullptr && length > kFirstChunk) {
      length /= 2;
      chunk = TakePages(length);
    }
    if (chunk == nullptr) return nullptr;
    if (next_chunk_bytes_ < kMaxChunk) next_chunk_bytes_ *= 2;
    bump_ = chunk;
    bump_end_ = bump_ + length;
    at = bump_;  // chunks are page-aligned
  }
  bump_ = at + block;
  return at;
}

void* MpkMemoryProvider::Allocate(size_t size, size_t align) {
  if (pool_ != nullptr) pool_->EnsureHostAccess();
  if (size == 0) size = 1;
  if (size > length_) return nullptr;
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
  size_t length = PageRound(size);
  char* base = TakePages(length);
  if (base == nullptr) return nullptr;
  large_.emplace(base, length);
  if (size <= kMaxSmallBlock) ++small_sized_large_;
  return base;
}

void MpkMemoryProvider::Free(void* block, size_t size) {
  if (block == nullptr) return;
  if (pool_ != nullptr) pool_->EnsureHostAccess();
  if (size == 0) size = 1;
  if (size > kMaxSmallBlock || small_sized_large_ != 0) {
    auto it = large_.find(block);
    if (it != large_.end()) {
      if (size <= kMaxSmallBlock) --small_sized_large_;
      ReturnPages(static_cast<char*>(it->first), it->second);
      large_.erase(it);
      return;
    }
  }
  int c = ClassOf(std::bit_ceil(size < kMinBlock ? kMinBlock : size));
  *static_cast<void**>(block) = free_lists_[c];
  free_lists_[c] = block;
}

}  // namespace trinity::isolation
