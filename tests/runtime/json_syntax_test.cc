// FindJsonSyntaxError (runtime/json_syntax.h) accepts exactly what json.decode's simdjson
// configuration accepts and points at the first offending byte; and str()'s float text
// (AppendFloat), which json.encode shares, is always a JSON number that reads back exactly.
#include "runtime/json_syntax.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <bit>
#include <cmath>
#include <random>
#include <string>

#include "runtime/interpreter.h"

namespace trinity {
namespace {

bool SimdjsonAccepts(std::string_view text) {
  simdjson::dom::parser parser;
  if (parser.allocate(text.size() < 32 ? 32 : text.size(), kJsonMaxDepth) != simdjson::SUCCESS) return false;
  simdjson::dom::element root;
  return parser.parse(text.data(), text.size(), true).get(root) == simdjson::SUCCESS;
}

TEST(JsonSyntax, AcceptsValidDocuments) {
  for (std::string_view doc : {"0", "-0", "1.5e-3", " [ ] ", "{}", "\"\"", "true", "null",
                               "[1,[2,[3]],{\"a\":{\"b\":null}}]", "\"\\ud83d\\ude00 \\u00e9 \\/\"",
                               "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"", "18446744073709551615",
                               "-9223372036854775808", "1e-400", "\t\r\n{\"k\" : [ true , false ] }\n"}) {
    EXPECT_FALSE(FindJsonSyntaxError(doc).has_value()) << doc << ": " << FindJsonSyntaxError(doc)->reason;
    EXPECT_TRUE(SimdjsonAccepts(doc)) << doc;
  }
  std::string deep = std::string(kJsonMaxDepth, '[') + std::string(kJsonMaxDepth, ']');
  EXPECT_FALSE(FindJsonSyntaxError(deep).has_value());
  EXPECT_TRUE(SimdjsonAccepts(deep));
}

TEST(JsonSyntax, PointsAtTheFirstOffendingByte) {
  struct Case {
    std::string_view text;
    size_t offset;
    std::string_view reason;
  };
  const Case cases[] = {
      {"", 0, "empty document"},
      {"[1,]", 3, "expected a JSON value"},
      {"{\"a\":1 \"b\":2}", 7, "expected ',' or '}'"},
      {"{\"a\" 1}", 5, "expected ':'"},
      {"[01]", 2, "invalid number"},
      {"[1.e5]", 3, "digit after '.'"},
      {"\"\\ud800\\u0041\"", 1, "high surrogate without a low surrogate"},
      {"[\"a\nb\"]", 3, "control character 10"},
      {"[\"\xe2\x82\"]", 2, "invalid UTF-8 sequence"},  // a 3-byte sequence cut short
      {"\"\xe2\x82", 1, "truncated UTF-8"},
      {"[\"\xed\xa0\x80\"]", 2, "invalid UTF-8 sequence"},  // an encoded surrogate
      {"[\"\xf4\x90\x80\x80\"]", 2, "invalid UTF-8 sequence"},  // above U+10FFFF
      {"[1] [2]", 4, "after the JSON value"},
      {"[2e308]", 1, "number out of range"},
      {"[-9223372036854775809]", 1, "number out of range"},
      {"[nulls]", 5, "invalid literal"},
  };
  for (const Case& c : cases) {
    auto e = FindJsonSyntaxError(c.text);
    ASSERT_TRUE(e.has_value()) << c.text;
    EXPECT_EQ(e->offset, c.offset) << c.text << ": " << e->reason;
    EXPECT_NE(e->reason.find(c.reason), std::string::npos) << c.text << ": " << e->reason;
    EXPECT_FALSE(SimdjsonAccepts(c.text)) << c.text;
  }
  std::string too_deep = std::string(kJsonMaxDepth + 1, '[') + std::string(kJsonMaxDepth + 1, ']');
  auto e = FindJsonSyntaxError(too_deep);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->offset, kJsonMaxDepth);
  EXPECT_FALSE(SimdjsonAccepts(too_deep));
}

// Single-byte edits of a document that exercises every construct: the scanner and
// simdjson must agree on each (the fuzz_json harness does this on arbitrary bytes).
TEST(JsonSyntax, AgreesWithSimdjsonOnMutations) {
  const std::string seed =
      "{\"s\": \"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\xc3\xa9\", \"n\": [0, -1, 2.5e+3, "
      "18446744073709551615, -9223372036854775808, 1E-2], \"b\": [true, false, null], \"o\": {}}";
  const char kBytes[] = "{}[]\",:.-+eE0123456789\\u \t\nabtfnrx\xc3\xa9\xff\x01";
  std::mt19937 rng(12345);
  int disagreements = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string doc = seed;
    size_t at = rng() % doc.size();
    switch (rng() % 3) {
      case 0: doc[at] = kBytes[rng() % (sizeof kBytes - 1)]; break;
      case 1: doc.erase(at, 1); break;
      default: doc.insert(at, 1, kBytes[rng() % (sizeof kBytes - 1)]); break;
    }
    bool scanner = !FindJsonSyntaxError(doc).has_value();
    if (scanner != SimdjsonAccepts(doc)) {
      ADD_FAILURE() << "disagree on " << doc << " (scanner " << (scanner ? "accepts" : "rejects") << ")";
      if (++disagreements > 5) break;
    }
  }
}

TEST(JsonSyntax, StrFloatTextIsAJsonNumberThatReadsBackExactly) {
  std::mt19937_64 rng(7);
  simdjson::dom::parser parser;
  auto check = [&](double f) {
    std::string text;
    AppendFloat(text, f);
    ASSERT_FALSE(FindJsonSyntaxError(text).has_value()) << text;
    simdjson::dom::element e;
    ASSERT_EQ(parser.parse(text).get(e), simdjson::SUCCESS) << text;
    ASSERT_TRUE(e.is_double()) << text << " must read back as a float, not an int";
    EXPECT_EQ(std::bit_cast<uint64_t>(double(e.get_double())), std::bit_cast<uint64_t>(f)) << text;
  };
  for (double f : {0.0, -0.0, 1.0, -1.5, 0.1, 1e21, 1e22, 1e-7, 5e-324, 1.7976931348623157e308,
                   123456789012345678.0, 9007199254740993.0}) {
    check(f);
  }
  for (int i = 0; i < 100000; ++i) {
    double f = std::bit_cast<double>(rng());
    if (std::isfinite(f)) check(f);
  }
}

}  // namespace
}  // namespace trinity
