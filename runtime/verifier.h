// Load-time verification of a Module: every operand in range, every jump onto an
// instruction, consistent stack heights at joins, declared max_stack sufficient. Code
// that passes can be run by the interpreter without per-instruction bounds checks on
// operands or the operand stack.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/load_error.h"
#include "runtime/module.h"
#include "runtime/result.h"

namespace trinity {

// Checks every function, the exports and the start function. A rejection names the
// function (its name, or "#<index>" if it has none) and the pc within its code;
// module-level rejections have no function and offset 0. With `stack_heights`, an
// accepted module's analysis is kept: per function, the operand-stack height before each
// instruction (indexed by byte offset), kUnreachable where no path from pc 0 arrives or
// no instruction starts. The fast tier's translator builds on exactly this, so it can only
// ever see code the verifier has analysed and accepted.
inline constexpr uint16_t kUnreachable = 0xffff;
Result<Unit, LoadError> VerifyModule(const Module& m,
                                     std::vector<std::vector<uint16_t>>* stack_heights = nullptr);

// The operand-stack height `f`'s code needs above its locals, by the verifier's own
// analysis (so it fails for the same reasons, except that f.max_stack is ignored).
// `m` must already hold every function `f` calls or closes over: a callee's arity
// decides the stack effect of kCall.
Result<uint16_t, LoadError> ComputeMaxStack(const Module& m, const Function& f);

}  // namespace trinity
