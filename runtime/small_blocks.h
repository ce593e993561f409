// The heap's allocator for small blocks (object headers, short strings, small item and
// entry arrays): bump allocation from chunks the provider hands out, and one free list per
// 16-byte size class, so allocating is a pointer bump or a list pop instead of a general
// allocator call. Heap accounting stays in Heap, on the sizes asked for.
#pragma once

#include <cstddef>
#include <vector>

#include "runtime/memory.h"

namespace trinity {

class SmallBlockPool {
 public:
  static constexpr size_t kClassBytes = 16;
  static constexpr size_t kClasses = 16;
  static constexpr size_t kMaxBytes = kClasses * kClassBytes;  // larger blocks: provider

  explicit SmallBlockPool(MemoryProvider& memory) : memory_(memory) {}
  ~SmallBlockPool();
  SmallBlockPool(const SmallBlockPool&) = delete;
  SmallBlockPool& operator=(const SmallBlockPool&) = delete;

  // The size a block for `bytes` (at most kMaxBytes) really has.
  static size_t BlockSize(size_t bytes) {
    return bytes == 0 ? kClassBytes : (bytes + kClassBytes - 1) / kClassBytes * kClassBytes;
  }

  // A block of BlockSize(bytes), 16-byte aligned; nullptr when that needs a new chunk and
  // the chunks already hold `chunk_budget` bytes (or the provider refused one): the caller
  // then asks the provider for this block itself.
  void* Take(size_t bytes, size_t chunk_budget);

  // Keeps a block from Take for reuse. False when it did not come from a chunk (the caller
  // gave the provider's block out after Take returned nullptr); the caller frees it.
  bool Give(void* block, size_t bytes);

 private:
  struct FreeBlock {
    FreeBlock* next;
  };
  struct Chunk {
    char* begin;
    size_t size;
  };
  void* Carve(size_t size, size_t chunk_budget);
  bool InChunk(const void* p) const;

  MemoryProvider& memory_;
  FreeBlock* free_[kClasses] = {};
  char* bump_ = nullptr;
  char* bump_end_ = nullptr;
  std::vector<Chunk> chunks_;
  size_t chunk_bytes_ = 0;
  size_t next_chunk_ = 512;  // doubles up to kMaxChunk
  bool overflowed_ = false;  // some small block came from the provider directly
};

}  // namespace trinity
