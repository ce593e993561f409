// Tokenizer for one line of assembly (see asm_lexer.h). String escapes mirror what
// asm_syntax::Quote writes, plus `\0` and `\'` so .tri-style literals paste in unchanged.
#include "lang/asm_lexer.h"

namespace trinity::lang {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

uint32_t Col(size_t index) { return static_cast<uint32_t>(index + 1); }

// Reads the string literal opening at line[*i]; leaves *i after the closing quote.
Result<AsmToken, AsmLexError> ReadString(std::string_view line, size_t* i) {
  AsmToken tok;
  tok.kind = AsmToken::Kind::kString;
  tok.col = Col(*i);
  size_t p = *i + 1;
  while (true) {
    if (p >= line.size()) return Err(AsmLexError{tok.col, "unterminated string"});
    char c = line[p];
    if (c == '"') break;
    if (c != '\\') {
      tok.text += c;
      ++p;
      continue;
    }
    if (p + 1 >= line.size()) return Err(AsmLexError{tok.col, "unterminated string"});
    char e = line[p + 1];
    switch (e) {
      case 'n': tok.text += '\n'; p += 2; break;
      case 't': tok.text += '\t'; p += 2; break;
      case 'r': tok.text += '\r'; p += 2; break;
      case '0': tok.text += '\0'; p += 2; break;
      case '\\': tok.text += '\\'; p += 2; break;
      case '"': tok.text += '"'; p += 2; break;
      case '\'': tok.text += '\''; p += 2; break;
      case 'x': {
        int hi = p + 2 < line.size() ? HexValue(line[p + 2]) : -1;
        int lo = p + 3 < line.size() ? HexValue(line[p + 3]) : -1;
        if (hi < 0 || lo < 0) {
          return Err(AsmLexError{Col(p), "\\x needs two hex digits"});
        }
        tok.text += static_cast<char>(hi * 16 + lo);
        p += 4;
        break;
      }
      default:
        return Err(AsmLexError{Col(p), std::string("unknown escape \\") + e});
    }
  }
  *i = p + 1;
  return tok;
}

}  // namespace

Result<std::vector<AsmToken>, AsmLexError> TokenizeAsmLine(std::string_view line) {
  std::vector<AsmToken> tokens;
  size_t i = 0;
  while (i < line.size()) {
    char c = line[i];
    if (IsSpace(c)) {
      ++i;
    } else if (c == ';') {
      break;
    } else if (c == '"') {
      auto tok = ReadString(line, &i);
      if (!tok) return Err(std::move(tok.error()));
      tokens.push_back(std::move(tok.value()));
    } else {
      AsmToken tok;
      tok.col = Col(i);
      while (i < line.size() && !IsSpace(line[i]) && line[i] != ';' && line[i] != '"') {
        tok.text += line[i++];
      }
      tokens.push_back(std::move(tok));
    }
  }
  return tokens;
}

}  // namespace trinity::lang
