// The PKRU register: RDPKRU/WRPKRU as inline asm and the bit layout of a PKRU value.
// This header is the only place in the tree that emits WRPKRU; the gates use the checked
// writes so that a jump into the middle of a gate cannot leave a permissive value behind.
#pragma once

#include <atomic>
#include <cstdint>

namespace trinity::isolation {

inline constexpr int kKeyCount = 16;           // keys 0..15; key 0 is every page's default
inline constexpr uint32_t kAccessDisable = 1;  // per-key rights bits, two per key
inline constexpr uint32_t kWriteDisable = 2;

constexpr uint32_t KeyBits(int key, uint32_t rights) { return rights << (2 * key); }
// Every key except 0 access-disabled: the starting point of a plugin domain's PKRU.
inline constexpr uint32_t kDenyAllButKeyZero = 0xfffffffcu;

constexpr uint32_t AllowReadWrite(uint32_t pkru, int key) { return pkru & ~KeyBits(key, 3); }
constexpr uint32_t AllowReadOnly(uint32_t pkru, int key) {
  return (pkru & ~KeyBits(key, 3)) | KeyBits(key, kWriteDisable);
}
constexpr bool CanRead(uint32_t pkru, int key) { return (pkru & KeyBits(key, kAccessDisable)) == 0; }
constexpr bool CanWrite(uint32_t pkru, int key) { return (pkru & KeyBits(key, 3)) == 0; }

// True when `pkru` is shaped like a plugin domain: key 0 usable, at most one other key
// writable and at most one other key readable but not writable. Checked after every
// entry WRPKRU, independently of where the value came from.
constexpr bool IsPluginShaped(uint32_t pkru) {
  constexpr uint32_t kAccessBits = 0x55555554u;  // AD bit of keys 1..15
  uint32_t readable = ~pkru & kAccessBits;
  uint32_t writable = readable & ~(pkru >> 1);
  return (pkru & 3) == 0 && __builtin_popcount(readable) <= 2 && __builtin_popcount(writable) <= 1;
}

inline uint32_t ReadPkru() {
  uint32_t eax, edx;
  asm volatile("rdpkru" : "=a"(eax), "=d"(edx) : "c"(0) : "memory");
  return eax;
}

// Unchecked write, for the gates' checked writes below and for tests only.
inline void WritePkruUnchecked(uint32_t value) {
  asm volatile("wrpkru" : : "a"(value), "c"(0), "d"(0) : "memory");
}

// Aborts the process: a gate observed a PKRU it did not write. Never returns, never
// unwinds, so no code runs afterwards with the unexpected rights.
[[noreturn]] void PkruCheckFailed(uint32_t wanted, uint32_t seen);

// WRPKRU immediately followed by RDPKRU in one asm block, then a comparison with the
// value reloaded from `expected` (protected memory, read after the write).
// Reaching the WRPKRU from anywhere but the top of this function with another EAX fails
// the comparison and aborts before any further plugin or host code runs.
inline void WritePkruChecked(uint32_t value, const std::atomic<uint32_t>& expected) {
  uint32_t seen, edx;
  asm volatile(
      "wrpkru\n\t"
      "rdpkru"
      : "=a"(seen), "=d"(edx)
      : "0"(value), "c"(0), "1"(0)
      : "memory");
  uint32_t wanted = expected.load(std::memory_order_relaxed);
  if (__builtin_expect(seen != wanted || seen != value, 0)) PkruCheckFailed(wanted, seen);
}

// For paths with no protected copy of the value at hand (right after a contained fault):
// the same WRPKRU+RDPKRU pair, compared with the value itself.
inline void WritePkruVerified(uint32_t value) {
  uint32_t seen, edx;
  asm volatile(
      "wrpkru\n\t"
      "rdpkru"
      : "=a"(seen), "=d"(edx)
      : "0"(value), "c"(0), "1"(0)
      : "memory");
  if (__builtin_expect(seen != value, 0)) PkruCheckFailed(value, seen);
}

}  // namespace trinity::isolation
