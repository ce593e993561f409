// Code generation: a resolved syntax tree (resolver.h) to a trinity::Module, one
// CodeEmitter per function. Follows the VM's calling, boxing and iteration conventions
// documented in runtime/opcodes.h. max_stack is left for the caller to compute.
#pragma once

#include <string_view>

#include "lang/ast.h"
#include "lang/compile_memory.h"
#include "lang/diagnostics.h"
#include "lang/resolver.h"
#include "runtime/module.h"

namespace trinity::lang {

// Fills `out` from an error-free, resolved `program`. Reports only limit violations
// (too many constants, code too large). With `memory`, each function's code and line
// table and each string constant are charged to it.
void GenerateModule(const Program& program, const Resolution& resolution,
                    std::string_view file_name, Module& out, Diagnostics& diags,
                    CompileMemory* memory = nullptr);

}  // namespace trinity::lang
