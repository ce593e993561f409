// MagicFor: the smallest shift p >= 64 for which 2^p / d rounded up fits the error bound,
// computed with unsigned 128-bit arithmetic (GCC/Clang __int128).
#include "jit/divide_by_constant.h"

namespace trinity::jit {

bool IsPowerOfTwo(int64_t d) { return d > 0 && (d & (d - 1)) == 0; }

int Log2(int64_t d) {
  int k = 0;
  while ((int64_t{1} << k) < d) ++k;
  return k;
}

SignedMagic MagicFor(int64_t d) {
  using u128 = unsigned __int128;
  const uint64_t ad = static_cast<uint64_t>(d);
  const uint64_t two63 = uint64_t{1} << 63;
  const uint64_t anc = two63 - 1 - (two63 % ad);  // |nc|: largest value with nc % d == d - 1
  int p = 63;
  uint64_t q1 = two63 / anc, r1 = two63 - q1 * anc;
  uint64_t q2 = two63 / ad, r2 = two63 - q2 * ad;
  uint64_t delta;
  do {
    ++p;
    q1 *= 2;
    r1 *= 2;
    if (r1 >= anc) {
      ++q1;
      r1 -= anc;
    }
    q2 *= 2;
    r2 *= 2;
    if (r2 >= ad) {
      ++q2;
      r2 -= ad;
    }
    delta = ad - r2;
  } while (q1 < delta || (q1 == delta && r1 == 0));
  (void)u128{};
  SignedMagic m;
  m.multiplier = static_cast<int64_t>(q2 + 1);
  m.shift = p - 64;
  m.add_dividend = m.multiplier < 0;
  return m;
}

int64_t DivideLikeEmittedCode(int64_t x, int64_t d) {
  if (IsPowerOfTwo(d)) {
    const int k = Log2(d);
    if (k == 0) return x;
    // Bias negative dividends by d - 1 so the arithmetic shift truncates toward zero.
    const uint64_t bias = static_cast<uint64_t>(x >> 63) >> (64 - k);
    return static_cast<int64_t>(static_cast<uint64_t>(x) + bias) >> k;
  }
  const SignedMagic m = MagicFor(d);
  __int128 product = static_cast<__int128>(x) * m.multiplier;
  int64_t q = static_cast<int64_t>(product >> 64);
  if (m.add_dividend) q = static_cast<int64_t>(static_cast<uint64_t>(q) + static_cast<uint64_t>(x));
  q >>= m.shift;
  q += static_cast<int64_t>(static_cast<uint64_t>(q) >> 63);
  return q;
}

}  // namespace trinity::jit
