// The shared number semantics (runtime/numbers.h): exact int/float comparison at the
// edges where a double cannot hold the int, and the one float text layout.
#include "runtime/numbers.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace trinity {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr double kTwo53 = 9007199254740992.0;  // 2^53
constexpr double kTwo63 = 9223372036854775808.0;

TEST(CompareIntFloat, IsExactAroundTwoToThe53) {
  const int64_t two53 = int64_t{1} << 53;
  // The double nearest 2^53 + 1 is 2^53: a comparison through double says "equal".
  EXPECT_EQ(CompareIntFloat(two53 + 1, kTwo53), 1);
  EXPECT_EQ(CompareIntFloat(two53, kTwo53), 0);
  EXPECT_EQ(CompareIntFloat(two53 - 1, kTwo53), -1);
  EXPECT_EQ(CompareIntFloat(-two53 - 1, -kTwo53), -1);
  EXPECT_EQ(CompareIntFloat(two53 + 1, kTwo53 + 2), -1);
  EXPECT_EQ(CompareIntFloat(two53 + 2, kTwo53 + 2), 0);
}

TEST(CompareIntFloat, IsExactNearTheInt64Limits) {
  // INT64_MAX converts to 2^63, which is above every int64.
  EXPECT_EQ(CompareIntFloat(kMax, kTwo63), -1);
  EXPECT_EQ(CompareIntFloat(kMax, 9223372036854774784.0), 1);  // 2^63 - 1024
  EXPECT_EQ(CompareIntFloat(kMax - 1022, 9223372036854774784.0), 1);
  EXPECT_EQ(CompareIntFloat(kMax - 1023, 9223372036854774784.0), 0);
  EXPECT_EQ(CompareIntFloat(kMax - 1024, 9223372036854774784.0), -1);
  EXPECT_EQ(CompareIntFloat(kMin, -kTwo63), 0);
  EXPECT_EQ(CompareIntFloat(kMin + 1, -kTwo63), 1);
  EXPECT_EQ(CompareIntFloat(kMin, -9223372036854777856.0), 1);  // next double below -2^63
  EXPECT_EQ(CompareIntFloat(kMin, 1e300), -1);
  EXPECT_EQ(CompareIntFloat(kMax, -1e300), 1);
  EXPECT_EQ(CompareIntFloat(0, std::numeric_limits<double>::infinity()), -1);
  EXPECT_EQ(CompareIntFloat(0, -std::numeric_limits<double>::infinity()), 1);
}

TEST(CompareIntFloat, FractionsAndNaN) {
  EXPECT_EQ(CompareIntFloat(1, 1.5), -1);
  EXPECT_EQ(CompareIntFloat(2, 1.5), 1);
  EXPECT_EQ(CompareIntFloat(-1, -0.5), -1);
  EXPECT_EQ(CompareIntFloat(0, -0.5), 1);
  EXPECT_EQ(CompareIntFloat(0, -0.0), 0);
  EXPECT_EQ(CompareIntFloat(0, std::nan("")), kUnordered);
  EXPECT_EQ(CompareFloats(1.0, std::nan("")), kUnordered);
  EXPECT_EQ(CompareFloats(-0.0, 0.0), 0);
}

std::string Text(double f) {
  std::string s;
  AppendFloat(s, f);
  return s;
}

TEST(AppendFloat, PositionalBetweenTenToTheMinus4AndTenToThe16) {
  EXPECT_EQ(Text(0.0001), "0.0001");
  EXPECT_EQ(Text(0.00012), "0.00012");
  EXPECT_EQ(Text(100000.0), "100000.0");
  EXPECT_EQ(Text(1e15), "1000000000000000.0");
  EXPECT_EQ(Text(1234567890123456.0), "1234567890123456.0");
  EXPECT_EQ(Text(1.0), "1.0");
  EXPECT_EQ(Text(0.0), "0.0");
  EXPECT_EQ(Text(-0.0), "-0.0");
  EXPECT_EQ(Text(0.1), "0.1");
  EXPECT_EQ(Text(-2.5), "-2.5");
  EXPECT_EQ(Text(2.0 / 3.0), "0.6666666666666666");
  EXPECT_EQ(Text(123.456), "123.456");
  EXPECT_EQ(Text(kTwo53), "9007199254740992.0");
}

TEST(AppendFloat, ScientificOutsideThatRange) {
  EXPECT_EQ(Text(0.00001), "1e-05");
  EXPECT_EQ(Text(0.000015), "1.5e-05");
  EXPECT_EQ(Text(1e16), "1e+16");
  EXPECT_EQ(Text(12345678901234567890.0), "1.2345678901234567e+19");
  EXPECT_EQ(Text(1e100), "1e+100");
  EXPECT_EQ(Text(-1.5e300), "-1.5e+300");
  EXPECT_EQ(Text(5e-324), "5e-324");
  EXPECT_EQ(Text(std::numeric_limits<double>::max()), "1.7976931348623157e+308");
  EXPECT_EQ(Text(kTwo63), "9.223372036854776e+18");
}

TEST(AppendFloat, SpecialValues) {
  EXPECT_EQ(Text(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(Text(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(Text(std::nan("")), "nan");
}

TEST(AppendFloat, EveryTextReadsBackExactly) {
  // A spread of magnitudes, including ones whose shortest form has 17 digits.
  double f = 1.0 / 3.0;
  for (int i = 0; i < 2000; ++i) {
    for (double v : {f, -f, 1.0 / f}) {
      std::string s = Text(v);
      EXPECT_EQ(std::strtod(s.c_str(), nullptr), v) << s;
    }
    f *= 1.7;
    if (f > 1e300) f = 1e-300;
  }
}

}  // namespace
}  // namespace trinity
