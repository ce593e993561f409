// Lexer for .tri source (lexer.h). Numbers are scanned greedily (digits, letters, `_`,
// a fraction and an exponent) and then validated as a whole, so `123abc` or `0x` is one
// "malformed number" error rather than a number followed by a confusing identifier.
#include "lang/lexer.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>

namespace trinity::lang {
namespace {

struct Keyword {
  std::string_view text;
  TokenKind kind;
};

constexpr Keyword kKeywords[] = {
    {"let", TokenKind::kLet},       {"fn", TokenKind::kFn},
    {"return", TokenKind::kReturn}, {"if", TokenKind::kIf},
    {"else", TokenKind::kElse},     {"while", TokenKind::kWhile},
    {"for", TokenKind::kFor},       {"in", TokenKind::kIn},
    {"break", TokenKind::kBreak},   {"continue", TokenKind::kContinue},
    {"and", TokenKind::kAnd},       {"or", TokenKind::kOr},
    {"not", TokenKind::kNot},       {"nil", TokenKind::kNil},
    {"true", TokenKind::kTrue},     {"false", TokenKind::kFalse},
    {"import", TokenKind::kImport}, {"export", TokenKind::kExport},
};

// Longest first, so "<<=" wins over "<<" and "<".
struct Punct {
  std::string_view text;
  TokenKind kind;
};
constexpr Punct kPuncts[] = {
    {"<<=", TokenKind::kShlAssign}, {">>=", TokenKind::kShrAssign},
    {"==", TokenKind::kEq},         {"!=", TokenKind::kNe},
    {"<=", TokenKind::kLe},         {">=", TokenKind::kGe},
    {"<<", TokenKind::kShl},        {">>", TokenKind::kShr},
    {"+=", TokenKind::kPlusAssign}, {"-=", TokenKind::kMinusAssign},
    {"*=", TokenKind::kStarAssign}, {"/=", TokenKind::kSlashAssign},
    {"%=", TokenKind::kPercentAssign}, {"&=", TokenKind::kAmpAssign},
    {"|=", TokenKind::kPipeAssign}, {"^=", TokenKind::kCaretAssign},
    {"..", TokenKind::kDotDot},     {"(", TokenKind::kLParen},
    {")", TokenKind::kRParen},      {"[", TokenKind::kLBracket},
    {"]", TokenKind::kRBracket},    {"{", TokenKind::kLBrace},
    {"}", TokenKind::kRBrace},      {",", TokenKind::kComma},
    {".", TokenKind::kDot},         {":", TokenKind::kColon},
    {";", TokenKind::kSemicolon},   {"+", TokenKind::kPlus},
    {"-", TokenKind::kMinus},       {"*", TokenKind::kStar},
    {"/", TokenKind::kSlash},       {"%", TokenKind::kPercent},
    {"&", TokenKind::kAmp},         {"|", TokenKind::kPipe},
    {"^", TokenKind::kCaret},       {"~", TokenKind::kTilde},
    {"<", TokenKind::kLt},          {">", TokenKind::kGt},
    {"=", TokenKind::kAssign},
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A byte as it appears in a message: printable ASCII quoted, anything else as hex.
std::string ShowByte(unsigned char c) {
  if (c >= 0x20 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
  static const char kHex[] = "0123456789abcdef";
  return std::string("byte 0x") + kHex[c >> 4] + kHex[c & 15];
}

// Digits with `_` separators: non-empty, every `_` between two digits.
bool ValidDigitGroup(std::string_view s, int base) {
  if (s.empty() || s.front() == '_' || s.back() == '_') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      if (s[i + 1] == '_') return false;
      continue;
    }
    int v = HexValue(s[i]);
    if (v < 0 || v >= base) return false;
  }
  return true;
}

class Lexer {
 public:
  Lexer(std::string_view source, Diagnostics& diags, CompileMemory* memory)
      : src_(source), diags_(diags), memory_(memory) {}

  std::vector<Token> Run() {
    std::vector<Token> tokens;
    if (memory_ != nullptr) {
      // Room for as many tokens as the budget could ever pay for, or the source could
      // hold, reserved once: growing by doubling would hold up to three times the tokens'
      // size while copying. Untouched reserved pages cost no memory.
      size_t most = std::min(src_.size() + 1, memory_->limit() / sizeof(Token) + 1);
      tokens.reserve(most);
    }
    bool newline = false;
    while (true) {
      newline |= SkipTrivia();
      Token t;
      t.line = line_;
      t.col = Col();
      t.newline_before = newline;
      newline = false;
      size_t start = pos_;
      if (pos_ >= src_.size()) {
        t.kind = TokenKind::kEof;
        // "found end of file" reads best at the end of the last token's line, where the
        // missing text belongs, rather than at a blank line below it.
        if (!tokens.empty() && tokens.back().line != t.line) {
          const Token& last = tokens.back();
          size_t line_start = static_cast<size_t>(last.text.data() - src_.data()) - (last.col - 1);
          size_t line_end = src_.find('\n', line_start);
          if (line_end > line_start && src_[line_end - 1] == '\r') --line_end;
          t.line = last.line;
          t.col = static_cast<uint32_t>(line_end - line_start + 1);
        }
        tokens.push_back(std::move(t));
        return tokens;
      }
      ScanToken(t);
      t.text = src_.substr(start, pos_ - start);
      ChargeTo(memory_, sizeof(Token) + StringHeapBytes(t.string_value.size()), t.line, t.col);
      tokens.push_back(std::move(t));
    }
  }

 private:
  uint32_t Col() const { return static_cast<uint32_t>(pos_ - line_start_ + 1); }
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0';
  }
  bool AtEnd(size_t ahead = 0) const { return pos_ + ahead >= src_.size(); }
  void NewLine() {
    ++line_;
    line_start_ = pos_;
  }

  // Skips whitespace and comments; true if a newline was crossed.
  bool SkipTrivia() {
    bool newline = false;
    while (!AtEnd()) {
      char c = Peek();
      if (c == '\n') {
        ++pos_;
        NewLine();
        newline = true;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++pos_;
      } else if (c == '/' && Peek(1) == '/') {
        while (!AtEnd() && Peek() != '\n') ++pos_;
      } else if (c == '/' && Peek(1) == '*') {
        uint32_t line = line_, col = Col();
        pos_ += 2;
        bool closed = false;
        while (!AtEnd()) {
          if (Peek() == '*' && Peek(1) == '/') {
            pos_ += 2;
            closed = true;
            break;
          }
          if (Peek() == '\n') {
            ++pos_;
            NewLine();
            newline = true;
          } else {
            ++pos_;
          }
        }
        if (!closed) diags_.Error(line, col, "unterminated block comment");
      } else {
        break;
      }
    }
    return newline;
  }

  void ScanToken(Token& t) {
    char c = Peek();
    if (IsAlpha(c)) return ScanWord(t);
    if (IsDigit(c)) return ScanNumber(t);
    if (c == '"' || c == '\'') return ScanString(t);
    for (const Punct& p : kPuncts) {
      if (src_.substr(pos_, p.text.size()) == p.text) {
        pos_ += p.text.size();
        t.kind = p.kind;
        return;
      }
    }
    diags_.Error(t.line, t.col, "unexpected character " + ShowByte(static_cast<unsigned char>(c)));
    ++pos_;
    // One report per UTF-8 sequence, not per byte.
    while (!AtEnd() && (static_cast<unsigned char>(Peek()) & 0xc0) == 0x80) ++pos_;
    t.kind = TokenKind::kError;
  }

  void ScanWord(Token& t) {
    size_t start = pos_;
    while (!AtEnd() && IsAlnum(Peek())) ++pos_;
    std::string_view word = src_.substr(start, pos_ - start);
    t.kind = TokenKind::kIdentifier;
    for (const Keyword& k : kKeywords) {
      if (k.text == word) t.kind = k.kind;
    }
  }

  void ScanNumber(Token& t) {
    size_t start = pos_;
    bool is_float = false;
    int base = 10;
    if (Peek() == '0' && (Peek(1) == 'x' || Peek(1) == 'X')) {
      base = 16;
    } else if (Peek() == '0' && (Peek(1) == 'b' || Peek(1) == 'B')) {
      base = 2;
    }
    std::string_view digits;
    bool ok = true;
    if (base != 10) {
      pos_ += 2;
      size_t d = pos_;
      while (!AtEnd() && IsAlnum(Peek())) ++pos_;
      digits = src_.substr(d, pos_ - d);
      ok = ValidDigitGroup(digits, base);
    } else {
      while (!AtEnd() && (IsDigit(Peek()) || Peek() == '_')) ++pos_;
      ok = ValidDigitGroup(src_.substr(start, pos_ - start), 10);
      if (Peek() == '.' && IsDigit(Peek(1))) {
        is_float = true;
        ++pos_;
        size_t f = pos_;
        while (!AtEnd() && (IsDigit(Peek()) || Peek() == '_')) ++pos_;
        ok = ok && ValidDigitGroup(src_.substr(f, pos_ - f), 10);
      }
      if (Peek() == 'e' || Peek() == 'E') {
        is_float = true;
        ++pos_;
        if (Peek() == '+' || Peek() == '-') ++pos_;
        size_t e = pos_;
        while (!AtEnd() && (IsDigit(Peek()) || Peek() == '_')) ++pos_;
        ok = ok && ValidDigitGroup(src_.substr(e, pos_ - e), 10);
      }
      // Letters glued to a number make the whole lexeme malformed.
      while (!AtEnd() && IsAlnum(Peek())) {
        ++pos_;
        ok = false;
      }
      digits = src_.substr(start, pos_ - start);
    }
    std::string_view lexeme = src_.substr(start, pos_ - start);
    if (!ok) {
      std::string shown(lexeme.substr(0, 40));
      diags_.Error(t.line, t.col, "malformed number '" + shown + "'");
      t.kind = TokenKind::kError;
      return;
    }
    std::string clean;
    for (char ch : digits) {
      if (ch != '_') clean += ch;
    }
    if (is_float) {
      errno = 0;
      double v = std::strtod(clean.c_str(), nullptr);
      if (errno == ERANGE && std::isinf(v)) {
        diags_.Error(t.line, t.col, "float literal out of range");
        t.kind = TokenKind::kError;
        return;
      }
      t.kind = TokenKind::kFloat;
      t.float_value = v;
      return;
    }
    // Accumulate the magnitude; 2^63 itself is kept for `-9223372036854775808`.
    constexpr uint64_t kLimit = uint64_t{1} << 63;
    uint64_t value = 0;
    bool overflow = false;
    for (char ch : clean) {
      uint64_t d = static_cast<uint64_t>(HexValue(ch));
      if (value > (kLimit - d) / static_cast<uint64_t>(base)) {
        overflow = true;
        break;
      }
      value = value * static_cast<uint64_t>(base) + d;
    }
    if (overflow) {
      diags_.Error(t.line, t.col, "integer literal out of range");
      t.kind = TokenKind::kError;
      return;
    }
    t.kind = TokenKind::kInt;
    t.int_value = value;
  }

  void ScanString(Token& t) {
    char quote = Peek();
    ++pos_;
    std::string value;
    bool bad = false;
    while (true) {
      if (AtEnd() || Peek() == '\n') {
        diags_.Error(t.line, t.col, "unterminated string");
        t.kind = TokenKind::kError;
        return;
      }
      char c = Peek();
      if (c == quote) {
        ++pos_;
        break;
      }
      if (c != '\\') {
        value += c;
        ++pos_;
        continue;
      }
      uint32_t col = Col();
      if (AtEnd(1) || Peek(1) == '\n') {
        // Leave the end or the newline for the loop: it reports the unterminated string.
        ++pos_;
        continue;
      }
      unsigned char e = static_cast<unsigned char>(Peek(1));
      pos_ += 2;
      switch (e) {
        case 'n': value += '\n'; break;
        case 't': value += '\t'; break;
        case 'r': value += '\r'; break;
        case '0': value += '\0'; break;
        case '\\': value += '\\'; break;
        case '"': value += '"'; break;
        case '\'': value += '\''; break;
        case 'x': {
          int hi = HexValue(Peek()), lo = HexValue(Peek(1));
          if (hi < 0 || lo < 0) {
            diags_.Error(line_, col, "invalid escape '\\x': expected two hex digits");
            bad = true;
          } else {
            value += static_cast<char>(hi * 16 + lo);
            pos_ += 2;
          }
          break;
        }
        default:
          if (e >= 0x20 && e < 0x7f) {
            diags_.Error(line_, col, std::string("invalid escape '\\") + static_cast<char>(e) + "'");
          } else {
            diags_.Error(line_, col, "invalid escape: '\\' followed by " + ShowByte(e));
          }
          bad = true;
      }
    }
    t.kind = bad ? TokenKind::kError : TokenKind::kString;
    t.string_value = std::move(value);
  }

  std::string_view src_;
  Diagnostics& diags_;
  size_t pos_ = 0;
  size_t line_start_ = 0;
  uint32_t line_ = 1;
  CompileMemory* memory_;
};

}  // namespace

std::vector<Token> Lex(std::string_view source, Diagnostics& diags, CompileMemory* memory) {
  return Lexer(source, diags, memory).Run();
}

std::string_view Spelling(TokenKind kind) {
  for (const Keyword& k : kKeywords) {
    if (k.kind == kind) return k.text;
  }
  for (const Punct& p : kPuncts) {
    if (p.kind == kind) return p.text;
  }
  switch (kind) {
    case TokenKind::kEof: return "end of file";
    case TokenKind::kIdentifier: return "identifier";
    case TokenKind::kInt: return "integer";
    case TokenKind::kFloat: return "float";
    case TokenKind::kString: return "string";
    default: return "invalid token";
  }
}

std::string DescribeToken(const Token& token) {
  if (token.kind == TokenKind::kEof) return "end of file";
  std::string_view text = token.text;
  if (text.size() > 24) return "'" + std::string(text.substr(0, 21)) + "...'";
  return "'" + std::string(text) + "'";
}

}  // namespace trinity::lang
