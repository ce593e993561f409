// Tokens of the Trinity language (docs/LANGUAGE.md, "Lexical structure"): what the lexer
// produces and the parser consumes. Operators are kinds, not strings, so the parser and
// the code generator switch on them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace trinity::lang {

enum class TokenKind : uint8_t {
  kEof,
  kError,  // the lexer already reported it; the parser only resynchronises
  kIdentifier,
  kInt,
  kFloat,
  kString,
  // Keywords.
  kLet, kFn, kReturn, kIf, kElse, kWhile, kFor, kIn, kBreak, kContinue,
  kAnd, kOr, kNot, kNil, kTrue, kFalse, kImport, kExport, kTry, kCatch,
  // Punctuation.
  kLParen, kRParen, kLBracket, kRBracket, kLBrace, kRBrace,
  kComma, kDot, kDotDot, kColon, kSemicolon,
  // Operators.
  kPlus, kMinus, kStar, kSlash, kPercent, kAmp, kPipe, kCaret, kTilde, kShl, kShr,
  kEq, kNe, kLt, kLe, kGt, kGe,
  kAssign, kPlusAssign, kMinusAssign, kStarAssign, kSlashAssign, kPercentAssign,
  kAmpAssign, kPipeAssign, kCaretAssign, kShlAssign, kShrAssign,
};

struct Token {
  TokenKind kind = TokenKind::kEof;
  std::string_view text;  // the lexeme, a view into the source
  uint32_t line = 1;
  uint32_t col = 1;
  // A newline separates this token from the previous one: `(` and `[` on a new line
  // start a new expression instead of continuing a call or index.
  bool newline_before = false;
  // kInt: the magnitude. It may be exactly 2^63, which is valid only under unary minus.
  uint64_t int_value = 0;
  double float_value = 0;
  std::string string_value;  // kString: the decoded bytes
};

// How a token is named in messages: "'let'", "end of file".
std::string DescribeToken(const Token& token);

// Source spelling of an operator or keyword kind, e.g. ")" or "let".
std::string_view Spelling(TokenKind kind);

}  // namespace trinity::lang
