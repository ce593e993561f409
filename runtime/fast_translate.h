// Load-time translation of a verified module into the fast tier's register form
// (fast_code.h). LoadModule runs it after VerifyModule; it builds only on the verifier's
// own analysis (StackHeights), so it can never accept code the verifier rejects.
#pragma once

#include <memory>

#include "runtime/fast_code.h"
#include "runtime/load_error.h"
#include "runtime/module.h"
#include "runtime/result.h"

namespace trinity {

// `handlers[op]` is the address of the loop code executing FastOp `op`
// (FastHandlerTable()). The result refers to `m`'s functions and must not outlive it.
Result<std::shared_ptr<const FastModule>, LoadError> TranslateModule(const Module& m,
                                                                      const void* const* handlers);

// The fast interpreter loop's handler addresses, indexed by FastOp (fast_interpreter.cc).
const void* const* FastHandlerTable();

}  // namespace trinity
