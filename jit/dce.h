// Dead-code elimination over a finished trace: instructions whose values no guard,
// store, snapshot or PHI needs become Nop, so the backend emits nothing for them.
#pragma once

#include "jit/ir.h"

namespace trinity::jit {

// Returns the number of instructions removed.
size_t EliminateDeadCode(TraceIr& ir);

}  // namespace trinity::jit
