// A MemoryProvider whose every byte lies in mmap'd regions tagged with one isolation
// domain's protection key: the heap, value stack and frames of one plugin instance.
// Small blocks come from size-class free lists carved out of chunks; large ones get their
// own mapping. Everything is unmapped when the provider is destroyed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "runtime/memory.h"

namespace trinity::isolation {

class KeyPool;

// Not thread-safe: like the instance it backs, it is used by one thread at a time.
class MpkMemoryProvider final : public MemoryProvider {
 public:
  MpkMemoryProvider(KeyPool& pool, uint32_t slot);
  ~MpkMemoryProvider() override;
  MpkMemoryProvider(const MpkMemoryProvider&) = delete;
  MpkMemoryProvider& operator=(const MpkMemoryProvider&) = delete;

  void* Allocate(size_t size, size_t align) override;
  void Free(void* block, size_t size) override;

  size_t mapped_bytes() const { return mapped_bytes_; }
  // Bytes mapped by every MpkMemoryProvider in the process: zero once all are destroyed.
  static size_t TotalMappedBytes();

 private:
  static constexpr int kClassCount = 12;  // 16 B .. 32 KiB, powers of two

  void* MapRegion(size_t length);
  void UnmapRegion(void* base, size_t length);
  void* CarveSmall(size_t block);

  KeyPool& pool_;
  uint32_t slot_;
  void* free_lists_[kClassCount] = {};
  char* bump_ = nullptr;
  char* bump_end_ = nullptr;
  size_t next_chunk_bytes_;
  std::vector<std::pair<void*, size_t>> chunks_;
  std::unordered_map<void*, size_t> large_;  // own mappings, by base
  size_t small_sized_large_ = 0;  // large_ entries of <= 32 KiB (strict alignment)
  size_t mapped_bytes_ = 0;
};

}  // namespace trinity::isolation
