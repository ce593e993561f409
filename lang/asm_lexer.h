// Splits one line of assembly text into tokens: words (mnemonics, names, numbers,
// `key=value`, `label:`) and decoded string literals, each with its 1-based column.
// `;` starts a comment outside strings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/result.h"

namespace trinity::lang {

struct AsmToken {
  enum class Kind : uint8_t { kWord, kString };
  Kind kind = Kind::kWord;
  std::string text;  // a word as written; a string's decoded bytes
  uint32_t col = 0;
};

struct AsmLexError {
  uint32_t col = 0;
  std::string message;
};

Result<std::vector<AsmToken>, AsmLexError> TokenizeAsmLine(std::string_view line);

}  // namespace trinity::lang
