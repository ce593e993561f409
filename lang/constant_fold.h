// Compile-time evaluation of arithmetic on numeric literals, with exactly the VM's
// semantics (wrapping ints, IEEE floats, int->float promotion). Anything that could trap
// at run time (int division or modulo by zero, non-numbers) is left alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <variant>

#include "lang/ast.h"

namespace trinity::lang {

using Number = std::variant<int64_t, double>;

// The value of `e` if it is a numeric literal or foldable arithmetic on them.
std::optional<Number> FoldConstant(const Expr& e);

// For a kBinary chain (evaluated left to right): the value of its longest foldable
// prefix, operands [0, *operands), or nullopt when not even the first operand folds.
// `1 + 2 + x` folds its prefix `1 + 2`; `x + 1 + 2` folds nothing, as evaluation order
// (and string or float semantics) would otherwise change.
std::optional<Number> FoldChainPrefix(const Expr& chain, size_t* operands);

}  // namespace trinity::lang
