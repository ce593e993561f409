// The x86-64 backend: lowers a trace's IR to machine code through asmjit's Compiler
// (whose register allocator assigns the SSA values), with one exit stub per snapshot that
// writes the snapshot's values back to the frame and returns the snapshot's index.
// Everything target-specific of the JIT lives behind this header.
#pragma once

#include <string>
#include <variant>

#include "jit/code_arena.h"
#include "jit/ir.h"
#include "jit/safe_emit.h"
#include "jit/trace_abi.h"

namespace trinity::jit {

struct CompiledTrace {
  TraceEntry entry = nullptr;
  uint8_t* block = nullptr;  // to release it from the arena
  size_t code_size = 0;
  int attempts = 0;          // emissions until the code passed the byte scan
};

struct BackendOptions {
  // Testing: every instruction that can exit first counts TraceContext::stress_countdown
  // down and exits at zero, so runs with varying countdowns take every exit.
  bool stress_exits = false;
  // Debugging: receives the assembly of the published code.
  std::string* assembly = nullptr;
};

// Compiles `ir` (after its passes) into `arena`. Failure (a construct the backend does
// not support, a full arena, code that kept containing forbidden bytes) aborts the trace.
std::variant<CompiledTrace, EmitFailure> CompileTrace(const TraceIr& ir, CodeArena& arena,
                                                      BackendOptions options = {});

}  // namespace trinity::jit
