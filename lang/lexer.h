// The lexer: turns .tri source bytes into tokens (docs/LANGUAGE.md, "Lexical structure").
// Malformed input becomes a reported error plus a kError token, so the parser can keep
// going and one run reports several problems.
#pragma once

#include <string_view>
#include <vector>

#include "lang/compile_memory.h"
#include "lang/diagnostics.h"
#include "lang/token.h"

namespace trinity::lang {

// Always ends with a kEof token. Token texts are views into `source`. With `memory`,
// every token is charged to it (and the vector never grows past the budget).
std::vector<Token> Lex(std::string_view source, Diagnostics& diags,
                       CompileMemory* memory = nullptr);

}  // namespace trinity::lang
