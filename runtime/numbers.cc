// Exact int/float comparison and the float text form (numbers.h). Both are language
// semantics, so every tier and every conversion to text goes through these two functions.
#include "runtime/numbers.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace trinity {

int CompareIntFloat(int64_t i, double f) {
  if (std::isnan(f)) return kUnordered;
  // Floats at or beyond +-2^63 lie outside the int range (-2^63 itself is INT64_MIN).
  if (f >= 9223372036854775808.0) return -1;
  if (f < -9223372036854775808.0) return 1;
  // Now floor(f) is an exact int64, so the comparison happens in integers: converting
  // `i` to a double instead would round 2^53 + 1 to 2^53.
  double whole = std::floor(f);
  int64_t k = static_cast<int64_t>(whole);
  if (i != k) return i < k ? -1 : 1;
  return whole == f ? 0 : -1;  // i == floor(f) < f when f has a fraction
}

void AppendFloat(std::string& out, double f) {
  if (std::isnan(f)) {
    out += "nan";
    return;
  }
  if (std::isinf(f)) {
    out += f < 0 ? "-inf" : "inf";
    return;
  }
  // Shortest round-trip digits in scientific form, "-d.ddde+XX"; then laid out again.
  char buf[40];
  auto r = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(r.ptr - buf));
  bool negative = !sci.empty() && sci[0] == '-';
  if (negative) sci.remove_prefix(1);
  size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits += c;
  }
  int exponent = std::atoi(std::string(sci.substr(e + 1)).c_str());

  if (negative) out += '-';
  if (exponent < -4 || exponent >= 16) {
    out += digits[0];
    if (digits.size() > 1) {
      out += '.';
      out.append(digits, 1);
    }
    out += exponent < 0 ? "e-" : "e+";
    int magnitude = exponent < 0 ? -exponent : exponent;
    if (magnitude < 10) out += '0';
    out += std::to_string(magnitude);
    return;
  }
  if (exponent < 0) {
    out += "0.";
    out.append(static_cast<size_t>(-exponent - 1), '0');
    out += digits;
    return;
  }
  // 0 <= exponent < 16: `exponent + 1` digits before the point.
  size_t whole = static_cast<size_t>(exponent) + 1;
  if (digits.size() <= whole) {
    out += digits;
    out.append(whole - digits.size(), '0');
    out += ".0";
  } else {
    out.append(digits, 0, whole);
    out += '.';
    out.append(digits, whole);
  }
}

}  // namespace trinity
