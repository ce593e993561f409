// The magic-number division agrees with C++ division (truncation toward zero) for every
// divisor class the JIT uses it for, at the edges and on random dividends.
#include "jit/divide_by_constant.h"

#include <gtest/gtest.h>

#include <climits>
#include <random>
#include <vector>

namespace trinity::jit {
namespace {

TEST(DivideByConstant, MatchesHardwareDivision) {
  std::mt19937_64 rng(99);
  std::vector<int64_t> divisors = {2, 3, 5, 6, 7, 10, 31, 64, 100, 641, 1000000007,
                                   INT64_MAX, INT64_MAX / 3, int64_t{1} << 62};
  for (int i = 0; i < 200; ++i) divisors.push_back(static_cast<int64_t>(rng() >> (rng() % 63 + 1)) | 2);
  std::vector<int64_t> dividends = {0, 1, -1, 2, -2, INT64_MAX, INT64_MIN, INT64_MIN + 1,
                                    INT64_MAX - 1, 1000000006, -1000000006};
  for (int i = 0; i < 2000; ++i) dividends.push_back(static_cast<int64_t>(rng()));
  for (int64_t d : divisors) {
    if (d < 2) continue;
    for (int64_t x : dividends) {
      ASSERT_EQ(DivideLikeEmittedCode(x, d), x / d) << x << " / " << d;
      // Multiples of d and their neighbours (wrapping at the int64 edges).
      const uint64_t m = static_cast<uint64_t>(x / d * d);
      for (int64_t n : {static_cast<int64_t>(m), static_cast<int64_t>(m - 1), static_cast<int64_t>(m + 1)}) {
        ASSERT_EQ(DivideLikeEmittedCode(n, d), n / d) << n << " / " << d;
      }
    }
  }
}

}  // namespace
}  // namespace trinity::jit
