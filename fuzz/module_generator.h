// Structure-aware input for fuzz_generated: decodes arbitrary bytes into a module that
// VerifyModule must accept, so mutations explore the interpreter instead of dying in the
// verifier. Every choice is read from the bytes; when they run out, choices read zero.
#pragma once

#include <cstdint>
#include <span>

#include "runtime/module.h"

namespace trinity::fuzz {

// Builds well-formed bytecode with CodeEmitter: tracks the stack height, emits only
// instructions whose pops are available, structured if/else and loops (counted, iter_next
// over a local pair, conditional back-edges) with break/continue, calls to declared
// functions with their arity, closures with matching capture counts, unreachable code
// behind jumps, and ends every function with ret. A module this returns that fails
// VerifyModule is a bug in this generator or in the verifier.
Module GenerateModule(std::span<const uint8_t> bytes);

}  // namespace trinity::fuzz
