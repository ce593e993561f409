// The parser: tokens to a syntax tree (ast.h), by recursive descent over the precedence
// table of docs/LANGUAGE.md. After an error it skips to the next statement and carries
// on, so one run reports several mistakes.
#pragma once

#include <vector>

#include "lang/ast.h"
#include "lang/compile_memory.h"
#include "lang/diagnostics.h"
#include "lang/token.h"

namespace trinity::lang {

// Nesting the parser accepts: recursion depth while parsing, and the height of any tree
// it returns. Deeper input is a compile error instead of a native stack overflow in the
// parser or in the later tree walks. Only real nesting counts (blocks, brackets,
// parentheses, function literals, unary operators, one level per precedence level):
// flat chains — `a + b + ...`, `a and b and ...`, `if ... else if ...` — are single
// nodes (ast.h), as long as the source allows.
inline constexpr int kMaxNesting = 200;
inline constexpr uint32_t kMaxTreeHeight = 600;

// `tokens` must end with kEof (as Lex() returns them). The tree is usable even when
// errors were reported, but only an error-free tree should be compiled. With `memory`,
// every node is charged to it; running out throws CompileMemoryExhausted.
Program Parse(const std::vector<Token>& tokens, Diagnostics& diags,
              CompileMemory* memory = nullptr);

}  // namespace trinity::lang
