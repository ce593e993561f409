// A MemoryProvider whose every byte lies in one reservation tagged with one isolation
// domain's protection key: the heap, value stack and frames of one plugin instance. The
// reservation is sized from the instance's limits when the domain opens and never moves,
// so growth needs no mmap and no pkey_mprotect, which seccomp refuses (key_pool.cc).
// Small blocks come from size-class free lists carved out of chunks; large ones take
// whole pages, which go back to the kernel (MADV_DONTNEED) and are reused when freed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <unordered_map>

#include "runtime/memory.h"

namespace trinity::isolation {

class KeyPool;

// Address space reserved per instance: twice the heap limit (size classes round small
// blocks up to a power of two, freed blocks keep their class) plus kNonHeapReserve for
// the value stack and frames (together about twice Limits::max_stack_bytes, so a stack
// limit up to 32 MiB fits; a larger one makes instance creation fail) and the module's
// tables. A heap limit of 0
// reserves as for the default 256 MiB, a limit above 4 GiB as for 4 GiB. The runtime
// enforces the limit itself; past the reservation the provider refuses, which the
// runtime reports as an out-of-memory trap, so raising the limit later
// (Instance::set_limits) beyond what was reserved does not give the instance more.
inline constexpr size_t kDefaultHeapReserve = size_t{256} << 20;
inline constexpr size_t kLargestHeapReserve = size_t{4} << 30;
inline constexpr size_t kNonHeapReserve = size_t{128} << 20;
inline constexpr size_t kLargestReservation = 2 * kLargestHeapReserve + kNonHeapReserve;
size_t ReservationBytes(size_t max_heap_bytes);

// Not thread-safe: like the instance it backs, it is used by one thread at a time.
class MpkMemoryProvider final : public MemoryProvider {
 public:
  // Carves from domain `slot`'s reservation, which the pool made, tagged and will unmap;
  // the pool commits its pages (KeyPool::Commit).
  MpkMemoryProvider(KeyPool& pool, uint32_t slot);
  // The same allocator on a reservation of its own with no protection key (key 0), so
  // the reservation logic can be exercised where the CPU has no PKU; nullptr if the
  // address space cannot be reserved.
  static std::unique_ptr<MpkMemoryProvider> Untagged(size_t reserve_bytes);
  ~MpkMemoryProvider() override;
  MpkMemoryProvider(const MpkMemoryProvider&) = delete;
  MpkMemoryProvider& operator=(const MpkMemoryProvider&) = delete;

  void* Allocate(size_t size, size_t align) override;
  void Free(void* block, size_t size) override;

  // Bytes made readable and writable so far (committed; a high-water mark).
  size_t mapped_bytes() const { return committed_; }
  size_t reserved_bytes() const { return length_; }
  const char* reservation_base() const { return base_; }
  // Committed bytes of every MpkMemoryProvider in the process: zero once all are destroyed.
  static size_t TotalMappedBytes();

 private:
  static constexpr int kClassCount = 12;  // 16 B .. 32 KiB, powers of two

  MpkMemoryProvider(KeyPool* pool, uint32_t slot, char* base, size_t length);
  bool CommitTo(size_t end);
  // A page-aligned run of `length` bytes (a multiple of the page size), committed: the
  // first freed run that fits, else from the frontier; nullptr when the reservation is full.
  char* TakePages(size_t length);
  void ReturnPages(char* at, size_t length);
  void* CarveSmall(size_t block);

  KeyPool* pool_;  // nullptr: untagged, the reservation is this provider's own
  uint32_t slot_;
  char* base_;
  size_t length_;
  size_t frontier_ = 0;   // offset of the first byte never handed out (or handed back)
  size_t committed_ = 0;  // offset up to which pages are readable and writable
  std::map<size_t, size_t> free_runs_;  // freed page runs below the frontier, coalesced
  void* free_lists_[kClassCount] = {};
  char* bump_ = nullptr;
  char* bump_end_ = nullptr;
  size_t next_chunk_bytes_;
  std::unordered_map<void*, size_t> large_;  // page runs handed out, by address
  size_t small_sized_large_ = 0;  // large_ entries of <= 32 KiB (strict alignment)
};

}  // namespace trinity::isolation
