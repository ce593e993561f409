// Load-time translation of a verified module into the fast tier's register form
// (fast_code.h). LoadModule runs it after VerifyModule and hands it the verifier's own
// analysis (the stack height before every reachable instruction), so it never sees code
// the verifier has not accepted.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/fast_code.h"
#include "runtime/load_error.h"
#include "runtime/module.h"
#include "runtime/result.h"

namespace trinity {

// `stack_heights` comes from VerifyModule(m, &stack_heights); `handlers[op]` is the
// address of the loop code executing FastOp `op` (FastHandlerTable()). The result refers
// to `m`'s functions and must not outlive it.
Result<std::shared_ptr<const FastModule>, LoadError> TranslateModule(
    const Module& m, std::vector<std::vector<uint16_t>> stack_heights, const void* const* handlers);

// The fast interpreter loop's handler addresses, indexed by FastOp (fast_interpreter.cc).
const void* const* FastHandlerTable();

}  // namespace trinity
