// FindJsonSyntaxError (json_syntax.h): a recursive-descent scanner with an explicit stack,
// linear in the input, that stops at the first byte no valid document could have there.
#include "runtime/json_syntax.h"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <vector>

namespace trinity {
namespace {

class Scanner {
 public:
  explicit Scanner(std::string_view text) : s_(text) {}

  std::optional<JsonSyntaxError> Run() {
    SkipSpace();
    if (i_ == s_.size()) {
      Fail("empty document: expected a JSON value");
    } else if (Document()) {
      SkipSpace();
      if (i_ != s_.size()) Fail("unexpected " + Describe() + " after the JSON value");
    }
    return error_;
  }

 private:
  // One value, with arrays and objects tracked on an explicit stack (no recursion).
  bool Document() {
    std::vector<char> open;  // ']' or '}' for each container being read
    for (;;) {
      // A value starts here.
      SkipSpace();
      if (i_ == s_.size()) return Fail("unexpected end of input: expected a JSON value");
      char c = s_[i_];
      if (c == '[' || c == '{') {
        if (open.size() == kJsonMaxDepth) {
          return Fail("nesting deeper than " + std::to_string(kJsonMaxDepth) + " levels");
        }
        ++i_;
        open.push_back(c == '[' ? ']' : '}');
        SkipSpace();
        if (i_ < s_.size() && s_[i_] == open.back()) {
          ++i_;
          open.pop_back();
        } else if (open.back() == '}') {
          if (!Key()) return false;
          continue;
        } else {
          continue;
        }
      } else if (!Scalar()) {
        return false;
      }
      // After a value: close containers or move to the next element.
      for (;;) {
        if (open.empty()) return true;
        SkipSpace();
        if (i_ == s_.size()) {
          return Fail(std::string("unexpected end of input: expected ',' or '") + open.back() + "'");
        }
        char next = s_[i_];
        if (next == open.back()) {
          ++i_;
          open.pop_back();
          continue;
        }
        if (next != ',') {
          return Fail(std::string("expected ',' or '") + open.back() + "', found " + Describe());
        }
        ++i_;
        if (open.back() == '}' && !Key()) return false;
        break;
      }
    }
  }

  // "key" : — the colon included.
  bool Key() {
    SkipSpace();
    if (i_ == s_.size() || s_[i_] != '"') {
      return Fail("expected a string key, found " + DescribeOrEnd());
    }
    if (!String()) return false;
    SkipSpace();
    if (i_ == s_.size() || s_[i_] != ':') return Fail("expected ':' after the key, found " + DescribeOrEnd());
    ++i_;
    return true;
  }

  bool Scalar() {
    char c = s_[i_];
    if (c == '"') return String();
    if (c == '-' || (c >= '0' && c <= '9')) return Number();
    if (c == 't') return Literal("true");
    if (c == 'f') return Literal("false");
    if (c == 'n') return Literal("null");
    return Fail("unexpected " + Describe() + ": expected a JSON value");
  }

  bool Literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) {
      size_t k = 0;
      while (k < word.size() && i_ + k < s_.size() && s_[i_ + k] == word[k]) ++k;
      i_ += k;
      return Fail("invalid literal: expected '" + std::string(word) + "'");
    }
    i_ += word.size();
    // simdjson, like the grammar, needs a literal to end at a delimiter.
    if (i_ < s_.size() && !IsDelimiter(s_[i_])) return Fail("invalid literal: expected '" + std::string(word) + "'");
    return true;
  }

  bool Number() {
    size_t start = i_;
    bool is_float = false;
    if (s_[i_] == '-') ++i_;
    if (i_ == s_.size() || !IsDigit(s_[i_])) return Fail("invalid number: expected a digit");
    if (s_[i_] == '0') {
      ++i_;
    } else {
      while (i_ < s_.size() && IsDigit(s_[i_])) ++i_;
    }
    if (i_ < s_.size() && s_[i_] == '.') {
      is_float = true;
      ++i_;
      if (i_ == s_.size() || !IsDigit(s_[i_])) return Fail("invalid number: expected a digit after '.'");
      while (i_ < s_.size() && IsDigit(s_[i_])) ++i_;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      is_float = true;
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (i_ == s_.size() || !IsDigit(s_[i_])) return Fail("invalid number: expected a digit in the exponent");
      while (i_ < s_.size() && IsDigit(s_[i_])) ++i_;
    }
    if (i_ < s_.size() && !IsDelimiter(s_[i_])) return Fail("invalid number: unexpected " + Describe());
    std::string_view text = s_.substr(start, i_ - start);
    if (!is_float ? !IntegerFits(text) : !FloatFits(text)) {
      i_ = start;
      return Fail("number out of range: " + std::string(text.substr(0, 40)) + (text.size() > 40 ? "..." : ""));
    }
    return true;
  }

  // Integers must fit int64 (negative) or uint64 (non-negative), as simdjson requires.
  static bool IntegerFits(std::string_view t) {
    bool negative = t[0] == '-';
    if (negative) t.remove_prefix(1);
    const std::string_view limit = negative ? "9223372036854775808" : "18446744073709551615";
    if (t.size() != limit.size()) return t.size() < limit.size();
    return t <= limit;
  }

  static bool FloatFits(std::string_view t) {
    std::string copy(t);
    errno = 0;
    double v = std::strtod(copy.c_str(), nullptr);
    return std::isfinite(v);
  }

  bool String() {
    size_t open_quote = i_;
    ++i_;
    while (i_ < s_.size()) {
      auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c == '\\') {
        if (!Escape()) return false;
        continue;
      }
      if (c < 0x20) return Fail("control character " + std::to_string(c) + " must be escaped in a string");
      if (c < 0x80) {
        ++i_;
        continue;
      }
      if (!Utf8Sequence()) return false;
    }
    i_ = open_quote;
    return Fail("unterminated string");
  }

  bool Escape() {
    size_t at = i_;
    if (i_ + 1 >= s_.size()) {
      i_ = at;
      return Fail("unterminated string");
    }
    char e = s_[i_ + 1];
    switch (e) {
      case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        i_ += 2;
        return true;
      case 'u': {
        int cp = Hex4(i_ + 2);
        if (cp < 0) return Fail("invalid \\u escape: expected four hex digits");
        i_ += 6;
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
          i_ = at;
          return Fail("invalid \\u escape: lone low surrogate");
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          int low = i_ + 1 < s_.size() && s_[i_] == '\\' && s_[i_ + 1] == 'u' ? Hex4(i_ + 2) : -1;
          if (low < 0xDC00 || low > 0xDFFF) {
            i_ = at;
            return Fail("invalid \\u escape: high surrogate without a low surrogate");
          }
          i_ += 6;
        }
        return true;
      }
      default:
        return Fail(std::string("invalid escape '\\") + (e >= 0x20 && e < 0x7f ? std::string(1, e) : "?") + "'");
    }
  }

  int Hex4(size_t at) const {
    if (s_.size() < at + 4) return -1;
    int v = 0;
    for (size_t k = at; k < at + 4; ++k) {
      char c = s_[k];
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) return -1;
      v = v * 16 + d;
    }
    return v;
  }

  // One multi-byte UTF-8 sequence (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
  bool Utf8Sequence() {
    auto b = [&](size_t k) { return static_cast<unsigned char>(s_[k]); };
    unsigned char c = b(i_);
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return Fail("invalid UTF-8 byte " + std::to_string(c));
    }
    for (size_t k = 1; k < n; ++k) {
      if (i_ + k >= s_.size()) return Fail("truncated UTF-8 sequence");
      unsigned char t = b(i_ + k);
      if (k == 1 ? (t < lo || t > hi) : (t < 0x80 || t > 0xBF)) {
        return Fail("invalid UTF-8 sequence");
      }
    }
    i_ += n;
    return true;
  }

  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }
  static bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
  static bool IsDelimiter(char c) { return IsSpace(c) || c == ',' || c == ']' || c == '}' || c == ':'; }

  void SkipSpace() {
    while (i_ < s_.size() && IsSpace(s_[i_])) ++i_;
  }

  std::string Describe() const {
    auto c = static_cast<unsigned char>(s_[i_]);
    if (c >= 0x20 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
    return "byte " + std::to_string(c);
  }
  std::string DescribeOrEnd() const { return i_ < s_.size() ? Describe() : "end of input"; }

  // Records the error at the current offset; false, for `return Fail(...)`.
  bool Fail(std::string reason) {
    error_ = JsonSyntaxError{i_, std::move(reason)};
    return false;
  }

  std::string_view s_;
  size_t i_ = 0;
  std::optional<JsonSyntaxError> error_;
};

}  // namespace

std::optional<JsonSyntaxError> FindJsonSyntaxError(std::string_view text) { return Scanner(text).Run(); }

}  // namespace trinity
