// CodeArena: one PROT_NONE reservation carved into page runs (first fit, coalescing free
// list). Protection changes are the only way a page moves between states:
//   free (PROT_NONE) -> written (READ|WRITE) -> published (READ|EXEC) -> free (PROT_NONE)
// so no page is ever writable and executable at once.
#include "jit/code_arena.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace trinity::jit {

size_t CodeArena::PageSize() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

CodeArena::CodeArena(size_t reserve_bytes, const std::function<bool(void*, size_t)>& tag) {
  const size_t page = PageSize();
  if (reserve_bytes == 0 || reserve_bytes > (size_t{1} << 40)) {
    error_ = "JIT code reservation must be between one page and 1 TiB";
    return;
  }
  reserve_ = page;
  while (reserve_ < reserve_bytes) reserve_ *= 2;
  // Map three times the span and keep the part aligned to it: arena, then guard.
  const size_t span = 2 * reserve_;
  void* p = mmap(nullptr, span + span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    error_ = std::string("cannot reserve JIT code memory: ") + std::strerror(errno);
    return;
  }
  const uintptr_t start = reinterpret_cast<uintptr_t>(p);
  const uintptr_t aligned = (start + span - 1) & ~(uintptr_t{span} - 1);
  if (aligned > start) munmap(p, aligned - start);
  const uintptr_t end = start + 2 * span;
  if (end > aligned + span) munmap(reinterpret_cast<void*>(aligned + span), end - (aligned + span));
  if (tag && !tag(reinterpret_cast<void*>(aligned), span)) {
    munmap(reinterpret_cast<void*>(aligned), span);
    error_ = "cannot tag JIT code memory with the runtime's protection key";
    return;
  }
  base_ = reinterpret_cast<uint8_t*>(aligned);
  free_.emplace(base_, reserve_);
}

CodeArena::~CodeArena() {
  if (base_ != nullptr) munmap(base_, 2 * reserve_);
}

uint8_t* CodeArena::BeginWrite(size_t size) {
  if (base_ == nullptr || size == 0) return nullptr;
  const size_t page = PageSize();
  const size_t bytes = (size + page - 1) / page * page;
  for (auto it = free_.begin(); it != free_.end(); ++it) {
    if (it->second < bytes) continue;
    uint8_t* at = it->first;
    size_t rest = it->second - bytes;
    free_.erase(it);
    if (rest != 0) free_.emplace(at + bytes, rest);
    live_.emplace(at, Block{bytes, false});
    used_ += bytes;
    if (mprotect(at, bytes, PROT_READ | PROT_WRITE) != 0) {
      Release(at);  // puts the run back, coalesced
      return nullptr;
    }
    // Whatever the emitter does not overwrite traps if it is ever reached.
    std::memset(at, 0xCC, bytes);
    return at;
  }
  return nullptr;
}

CodeArena::PublishResult CodeArena::Publish(uint8_t* block) {
  PublishResult r;
  auto it = live_.find(block);
  if (it == live_.end() || it->second.executable) {
    r.error = "not a block in the write state";
    return r;
  }
  const size_t bytes = it->second.bytes;
  // The whole block is scanned: the code and the INT3 filler after it.
  if (auto hit = FindForbiddenBytes({block, bytes})) {
    r.hit = hit;
    Release(block);
    return r;
  }
  if (mprotect(block, bytes, PROT_READ | PROT_EXEC) != 0) {
    r.error = std::string("cannot make JIT code executable: ") + std::strerror(errno);
    Release(block);
    return r;
  }
  it->second.executable = true;
  ++published_;
  r.published = true;
  return r;
}

void CodeArena::Release(uint8_t* block) {
  auto it = live_.find(block);
  if (it == live_.end()) return;
  const size_t bytes = it->second.bytes;
  live_.erase(it);
  used_ -= bytes;
  // Drop the contents and every access right; the pages keep their protection key.
  mprotect(block, bytes, PROT_NONE);
  madvise(block, bytes, MADV_DONTNEED);
  auto [pos, inserted] = free_.emplace(block, bytes);
  // Coalesce with the following and the preceding free runs.
  auto next = std::next(pos);
  if (next != free_.end() && pos->first + pos->second == next->first) {
    pos->second += next->second;
    free_.erase(next);
  }
  if (pos != free_.begin()) {
    auto prev = std::prev(pos);
    if (prev->first + prev->second == pos->first) {
      prev->second += pos->second;
      free_.erase(pos);
    }
  }
}

}  // namespace trinity::jit
