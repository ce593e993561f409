// SmallBlockPool (small_blocks.h). Chunks grow from 512 bytes so an idle instance costs
// little; they go back to the provider only when the pool is destroyed, which is why the
// heap gives Take a budget: past it, small blocks come from the provider one by one and
// return to it, and the pool tells its own blocks apart by address.
#include "runtime/small_blocks.h"

#include <algorithm>

#if defined(__SANITIZE_ADDRESS__)
#define TRINITY_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TRINITY_ASAN 1
#endif
#endif
#ifdef TRINITY_ASAN
#include <sanitizer/asan_interface.h>
// Free and not yet carved memory stays poisoned, so a stale pointer into it still faults.
#define TRINITY_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define TRINITY_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define TRINITY_POISON(p, n) ((void)(p), (void)(n))
#define TRINITY_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace trinity {
namespace {
constexpr size_t kMaxChunk = size_t{1} << 20;
}  // namespace

SmallBlockPool::~SmallBlockPool() {
  for (const Chunk& c : chunks_) {
    TRINITY_UNPOISON(c.begin, c.size);
    memory_.Free(c.begin, c.size);
  }
}

void* SmallBlockPool::Take(size_t bytes, size_t chunk_budget) {
  const size_t size = BlockSize(bytes);
  FreeBlock*& head = free_[size / kClassBytes - 1];
  if (FreeBlock* b = head) {
    TRINITY_UNPOISON(b, size);
    head = b->next;
    return b;
  }
  if (static_cast<size_t>(bump_end_ - bump_) >= size) {
    void* p = bump_;
    bump_ += size;
    TRINITY_UNPOISON(p, size);
    return p;
  }
  return Carve(size, chunk_budget);
}

void* SmallBlockPool::Carve(size_t size, size_t chunk_budget) {
  // The rest of the old chunk is too small for this block; it goes to the free lists.
  while (static_cast<size_t>(bump_end_ - bump_) >= kClassBytes) {
    size_t piece = std::min(static_cast<size_t>(bump_end_ - bump_), kMaxBytes);
    piece = piece / kClassBytes * kClassBytes;
    auto* b = reinterpret_cast<FreeBlock*>(bump_);
    TRINITY_UNPOISON(b, sizeof(FreeBlock));
    b->next = free_[piece / kClassBytes - 1];
    free_[piece / kClassBytes - 1] = b;
    TRINITY_POISON(b, piece);
    bump_ += piece;
  }
  if (chunk_bytes_ + next_chunk_ > chunk_budget) {
    overflowed_ = true;
    return nullptr;
  }
  auto* chunk = static_cast<char*>(memory_.Allocate(next_chunk_, kClassBytes));
  if (chunk == nullptr) {
    overflowed_ = true;
    return nullptr;
  }
  chunks_.push_back(Chunk{chunk, next_chunk_});
  chunk_bytes_ += next_chunk_;
  bump_ = chunk + size;
  bump_end_ = chunk + next_chunk_;
  TRINITY_POISON(bump_, next_chunk_ - size);
  if (next_chunk_ < kMaxChunk) next_chunk_ *= 2;
  return chunk;
}

bool SmallBlockPool::InChunk(const void* p) const {
  auto* c = static_cast<const char*>(p);
  for (const Chunk& chunk : chunks_) {
    if (c >= chunk.begin && c < chunk.begin + chunk.size) return true;
  }
  return false;
}

bool SmallBlockPool::Give(void* block, size_t bytes) {
  if (overflowed_ && !InChunk(block)) return false;
  const size_t size = BlockSize(bytes);
  auto* b = static_cast<FreeBlock*>(block);
  b->next = free_[size / kClassBytes - 1];
  free_[size / kClassBytes - 1] = b;
  TRINITY_POISON(b, size);
  return true;
}

}  // namespace trinity
