// Signed 64-bit division by a constant as a multiplication (Granlund and Montgomery's
// method, as in Hacker's Delight, chapter 10): x / d == adjust(mulhi(x, magic) >> shift).
// The JIT uses it for `/` and `%` by a positive constant, where idiv would take tens of
// cycles.
#pragma once

#include <cstdint>

namespace trinity::jit {

struct SignedMagic {
  int64_t multiplier;
  int shift;
  bool add_dividend;  // the multiplier overflowed into the sign bit: add x after mulhi
};

// For 2 <= d < 2^63 and d not a power of two (those are shifts).
SignedMagic MagicFor(int64_t d);

// The quotient computed the way the emitted code does (for tests).
int64_t DivideLikeEmittedCode(int64_t x, int64_t d);

bool IsPowerOfTwo(int64_t d);
int Log2(int64_t d);

}  // namespace trinity::jit
