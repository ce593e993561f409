// Tests for lang/lexer: token kinds and positions, number and string literal decoding,
// and each lexical error class (unexpected character, unterminated string/comment, bad
// escape, malformed number, integer out of range).
#include "lang/lexer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace trinity::lang {
namespace {

struct Lexed {
  std::vector<Token> tokens;
  std::vector<CompileError> errors;
};

Lexed LexAll(std::string_view src) {
  Diagnostics diags("t.tri");
  Lexed out;
  out.tokens = Lex(src, diags);
  out.errors = diags.Take();
  return out;
}

std::vector<TokenKind> Kinds(std::string_view src) {
  std::vector<TokenKind> kinds;
  for (const Token& t : LexAll(src).tokens) kinds.push_back(t.kind);
  return kinds;
}

TEST(LexerTest, KeywordsIdentifiersAndOperators) {
  using K = TokenKind;
  EXPECT_EQ(Kinds("let x = fn_1 <<= >> .. . != ~"),
            (std::vector<K>{K::kLet, K::kIdentifier, K::kAssign, K::kIdentifier, K::kShlAssign,
                            K::kShr, K::kDotDot, K::kDot, K::kNe, K::kTilde, K::kEof}));
  EXPECT_EQ(Kinds("import export and or not nil true false in"),
            (std::vector<K>{K::kImport, K::kExport, K::kAnd, K::kOr, K::kNot, K::kNil, K::kTrue,
                            K::kFalse, K::kIn, K::kEof}));
}

TEST(LexerTest, PositionsAndNewlineFlag) {
  Lexed l = LexAll("a\n  // comment\n  /* x\n y */ b(c)");
  ASSERT_TRUE(l.errors.empty());
  ASSERT_EQ(l.tokens.size(), 6u);
  EXPECT_EQ(l.tokens[0].line, 1u);
  EXPECT_EQ(l.tokens[0].col, 1u);
  EXPECT_EQ(l.tokens[1].text, "b");
  EXPECT_EQ(l.tokens[1].line, 4u);
  EXPECT_EQ(l.tokens[1].col, 7u);
  EXPECT_TRUE(l.tokens[1].newline_before);
  EXPECT_FALSE(l.tokens[2].newline_before);
}

TEST(LexerTest, Numbers) {
  Lexed l = LexAll("123 0xff 0b1010 1_000_000 1.5 2.0e-3 1e9 1..5 9223372036854775808");
  ASSERT_TRUE(l.errors.empty());
  EXPECT_EQ(l.tokens[0].int_value, 123u);
  EXPECT_EQ(l.tokens[1].int_value, 255u);
  EXPECT_EQ(l.tokens[2].int_value, 10u);
  EXPECT_EQ(l.tokens[3].int_value, 1000000u);
  EXPECT_EQ(l.tokens[4].kind, TokenKind::kFloat);
  EXPECT_DOUBLE_EQ(l.tokens[4].float_value, 1.5);
  EXPECT_DOUBLE_EQ(l.tokens[5].float_value, 0.002);
  EXPECT_DOUBLE_EQ(l.tokens[6].float_value, 1e9);
  EXPECT_EQ(l.tokens[7].kind, TokenKind::kInt);  // 1..5 is a range, not a float
  EXPECT_EQ(l.tokens[8].kind, TokenKind::kDotDot);
  EXPECT_EQ(l.tokens[9].int_value, 5u);
  // 2^63 survives the lexer; only the parser knows whether a '-' precedes it.
  EXPECT_EQ(l.tokens[10].int_value, uint64_t{1} << 63);
}

TEST(LexerTest, StringsAndEscapes) {
  Lexed l = LexAll(R"("a\n\t\r\0\\\"\'\x41" 'it''s')");
  ASSERT_TRUE(l.errors.empty());
  EXPECT_EQ(l.tokens[0].string_value, std::string("a\n\t\r\0\\\"'A", 9));
  EXPECT_EQ(l.tokens[1].string_value, "it");
  EXPECT_EQ(l.tokens[2].string_value, "s");
}

void ExpectOneError(std::string_view src, std::string_view message, uint32_t line, uint32_t col) {
  Lexed l = LexAll(src);
  ASSERT_EQ(l.errors.size(), 1u) << src;
  EXPECT_EQ(l.errors[0].message, message) << src;
  EXPECT_EQ(l.errors[0].line, line) << src;
  EXPECT_EQ(l.errors[0].col, col) << src;
  EXPECT_EQ(l.errors[0].file, "t.tri");
  EXPECT_EQ(l.tokens.back().kind, TokenKind::kEof);
}

TEST(LexerTest, Errors) {
  ExpectOneError("let x = 1 @ 2", "unexpected character '@'", 1, 11);
  ExpectOneError("x = \xc3\xa9", "unexpected character byte 0xc3", 1, 5);
  ExpectOneError("\n let s = \"abc\n", "unterminated string", 2, 10);
  ExpectOneError("'abc\\", "unterminated string", 1, 1);
  ExpectOneError("\"a\\qb\"", "invalid escape '\\q'", 1, 3);
  ExpectOneError("\"\\x4g\"", "invalid escape '\\x': expected two hex digits", 1, 2);
  ExpectOneError("x /* never closed\n\n", "unterminated block comment", 1, 3);
  ExpectOneError("123abc", "malformed number '123abc'", 1, 1);
  ExpectOneError("0x", "malformed number '0x'", 1, 1);
  ExpectOneError("0b102", "malformed number '0b102'", 1, 1);
  ExpectOneError("1__0", "malformed number '1__0'", 1, 1);
  ExpectOneError("1e+", "malformed number '1e+'", 1, 1);
  ExpectOneError("  99999999999999999999", "integer literal out of range", 1, 3);
  ExpectOneError("0x1_0000_0000_0000_0000", "integer literal out of range", 1, 1);
  ExpectOneError("1e999", "float literal out of range", 1, 1);
}

TEST(LexerTest, KeepsGoingAfterErrors) {
  Lexed l = LexAll("@ $ \"ok\" 0x");
  EXPECT_EQ(l.errors.size(), 3u);
  EXPECT_EQ(l.tokens[2].kind, TokenKind::kString);
}

TEST(LexerTest, NulByteInsideStringIsKept) {
  std::string src = std::string("\"a") + '\0' + "b\"";
  Lexed l = LexAll(src);
  ASSERT_TRUE(l.errors.empty());
  EXPECT_EQ(l.tokens[0].string_value.size(), 3u);
}

}  // namespace
}  // namespace trinity::lang
