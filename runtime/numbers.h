// Number semantics every execution tier shares: exact comparison between ints and floats
// (no rounding of the int, as in Lua 5.4) and the one text form of a float that str(),
// print(), join() and host conversion all use (docs/LANGUAGE.md, "str(x)").
#pragma once

#include <cstdint>
#include <string>

namespace trinity {

// Result of a three-way comparison when either side is NaN: every ordering is false.
inline constexpr int kUnordered = 2;

// -1, 0 or 1 as `i` is less than, equal to or greater than `f`, compared as mathematical
// numbers (9007199254740993 > 9007199254740992.0); kUnordered when `f` is NaN.
int CompareIntFloat(int64_t i, double f);

// The same for two floats (IEEE order, kUnordered for NaN).
inline int CompareFloats(double a, double b) {
  if (a < b) return -1;
  if (a > b) return 1;
  return a == b ? 0 : kUnordered;
}

// Appends the text of `f`: the shortest decimal digits that read back as exactly `f`,
// laid out as Python's repr() does — positional when the decimal exponent x is in
// -4 <= x < 16, with ".0" when there is no fractional part ("0.0001", "100000.0",
// "1000000000000000.0", "-0.0"); otherwise scientific with a sign and at least two
// exponent digits ("1e-05", "1e+16", "1.5e+300"). "inf", "-inf" and "nan" as they are.
void AppendFloat(std::string& out, double f);

}  // namespace trinity
