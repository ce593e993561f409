// Spelling rules shared by the assembler and disassembler (see asm_syntax.h).
// Float text goes through hex-float so no decimal rounding can creep into a round trip.
#include "lang/asm_syntax.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace trinity::lang::asm_syntax {
namespace {

bool IsNameStart(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9') || c == '.'; }

std::optional<uint64_t> ParseHexDigits(std::string_view digits) {
  if (digits.empty()) return std::nullopt;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, 16);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return v;
}

}  // namespace

bool IsBareName(std::string_view name) {
  if (name.empty() || !IsNameStart(name[0])) return false;
  for (char c : name) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

std::string Quote(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char ch : bytes) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out += static_cast<char>(c);
        } else {
          // \xHH rather than \0 so a following digit can never be misread.
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        }
    }
  }
  out += '"';
  return out;
}

std::string NameToken(std::string_view name) {
  return IsBareName(name) ? std::string(name) : Quote(name);
}

std::string FormatFloat(double d) {
  if (std::isnan(d)) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "nan(0x%016llx)",
                  static_cast<unsigned long long>(std::bit_cast<uint64_t>(d)));
    return buf;
  }
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", d);
  return buf;
}

std::optional<double> ParseFloat(std::string_view text) {
  if (text == "inf" || text == "+inf") return HUGE_VAL;
  if (text == "-inf") return -HUGE_VAL;
  if (text.starts_with("nan(0x") && text.ends_with(")")) {
    auto bits = ParseHexDigits(text.substr(6, text.size() - 7));
    if (!bits) return std::nullopt;
    double d = std::bit_cast<double>(*bits);
    if (!std::isnan(d)) return std::nullopt;  // a NaN spelling must hold NaN bits
    return d;
  }
  if (text == "nan") return std::bit_cast<double>(uint64_t{0x7ff8000000000000});
  // strtod reads both hex-float and decimal; refuse anything it would read only partly,
  // and its own inf/nan spellings (handled above with exact semantics).
  if (text.empty() || text.size() > 100) return std::nullopt;
  for (char c : text) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
              c == 'x' || c == 'X' || c == 'p' || c == 'P' || c == '.' || c == '+' || c == '-';
    if (!ok) return std::nullopt;
  }
  std::string copy(text);
  char* end = nullptr;
  double d = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return std::nullopt;
  return d;
}

std::optional<int64_t> ParseInt(std::string_view text) {
  bool negative = false;
  std::string_view rest = text;
  if (!rest.empty() && (rest[0] == '-' || rest[0] == '+')) {
    negative = rest[0] == '-';
    rest.remove_prefix(1);
  }
  if (rest.starts_with("0x") || rest.starts_with("0X")) {
    auto v = ParseHexDigits(rest.substr(2));
    if (!v) return std::nullopt;
    if (negative) {
      if (*v > uint64_t{1} << 63) return std::nullopt;
      return static_cast<int64_t>(0 - *v);
    }
    if (*v > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(*v);
  }
  if (rest.empty() || rest[0] < '0' || rest[0] > '9') return std::nullopt;
  // from_chars takes '-' but not '+', so hand it the text without a '+'.
  std::string_view digits = negative ? text : rest;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return v;
}

}  // namespace trinity::lang::asm_syntax
