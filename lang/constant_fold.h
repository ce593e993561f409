// Compile-time evaluation of arithmetic on numeric literals, with exactly the VM's
// semantics (wrapping ints, IEEE floats, int->float promotion). Anything that could trap
// at run time (int division or modulo by zero, non-numbers) is left alone.
#pragma once

#include <cstdint>
#include <optional>
#include <variant>

#include "lang/ast.h"

namespace trinity::lang {

using Number = std::variant<int64_t, double>;

// The value of `e` if it is a numeric literal or foldable arithmetic on them.
std::optional<Number> FoldConstant(const Expr& e);

}  // namespace trinity::lang
