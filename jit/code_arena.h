// Executable memory for JIT code, write-xor-execute at every instant: code is written into
// pages that are readable and writable but not executable, scanned for forbidden byte
// sequences, then switched to read+execute. Published pages are never made writable again
// and never have a writable alias; released pages go back to PROT_NONE.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "jit/forbidden_bytes.h"

namespace trinity::jit {

class CodeArena {
 public:
  // Reserves `reserve_bytes` of address space (PROT_NONE), rounded up to a power of two
  // and aligned to twice that, followed by a guard of the same size that is never handed
  // out. So a seccomp filter can confine executable memory to the arena with one masked
  // comparison on the address and a bound on the length: a range that starts in the
  // arena and is no longer than it ends inside arena + guard. `tag` runs once on the
  // whole reservation before anything is written (the isolation layer gives it the
  // runtime's protection key; mprotect keeps a page's key afterwards). Check ok().
  explicit CodeArena(size_t reserve_bytes,
                     const std::function<bool(void*, size_t)>& tag = nullptr);
  ~CodeArena();
  CodeArena(const CodeArena&) = delete;
  CodeArena& operator=(const CodeArena&) = delete;

  bool ok() const { return base_ != nullptr; }
  const std::string& error() const { return error_; }

  // Hands out `size` bytes (rounded up to pages) of read-write, non-executable memory at a
  // fixed address, so the emitter can relocate code to it before copying; it is filled
  // with INT3. nullptr when the reservation is exhausted.
  uint8_t* BeginWrite(size_t size);

  // Publishes a block from BeginWrite: the whole block is scanned, and only a clean block
  // becomes read+execute. On a forbidden
  // sequence the block is released and the hit returned, so the caller can re-emit.
  struct PublishResult {
    bool published = false;
    std::optional<ForbiddenHit> hit;  // why not, when a scan failed
    std::string error;                // why not, when the kernel refused
  };
  PublishResult Publish(uint8_t* block);

  // Returns a block (written or published) to the arena; its pages become PROT_NONE.
  void Release(uint8_t* block);

  size_t reserved_bytes() const { return reserve_; }
  const uint8_t* base() const { return base_; }
  size_t used_bytes() const { return used_; }          // bytes in live blocks (whole pages)
  uint64_t published_blocks() const { return published_; }
  static size_t PageSize();

 private:
  struct Block {
    size_t bytes;
    bool executable;
  };
  uint8_t* base_ = nullptr;
  size_t reserve_ = 0;     // usable bytes (a power of two); the guard follows
  size_t used_ = 0;
  uint64_t published_ = 0;
  std::string error_;
  std::map<uint8_t*, Block> live_;     // by address
  std::map<uint8_t*, size_t> free_;    // free runs by address, coalesced
};

}  // namespace trinity::jit
