// The differential oracle for fuzzing: runs one module on the reference tier and on the
// fast tier (optionally with a trace JIT) with the same host functions and calls, records
// everything a host or plugin could observe, and aborts when the two records differ.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "runtime/module.h"
#include "runtime/trinity.h"

namespace trinity::fuzz {

// What one tier did with `module`: Start(), every export with nil arguments, Reset() and
// every export again, under FuzzLimits(). Per call: print() output, host calls and their
// arguments, the result or the trap (kind, message, function, line, stack), fuel_used()
// and, with `heap`, heap_bytes() — which proves two interpreter tiers allocate and collect
// alike. With `jit`, the instance runs with that trace JIT; compare it without heap
// figures: traces reach safepoints with the same fuel but may leave garbage for a later
// collection.
std::string RunTranscript(std::shared_ptr<const Module> module, ExecutionTier tier,
                          std::shared_ptr<TraceEngineFactory> jit = nullptr, bool heap = true);

// The module a differential harness's input stands for (size > 0): first byte even, the
// rest are generator choices (module_generator.h; the module must verify and round-trip);
// odd, the rest is .tri text (null when it does not compile). Other bits of the first byte
// are the harness's own.
std::shared_ptr<const Module> DifferentialModule(const uint8_t* data, size_t size);

// Aborts with both transcripts' first difference when the tiers disagree: the reference
// tier against the fast tier, or against the fast tier with `jit`.
void CheckTiersAgree(std::shared_ptr<const Module> module,
                     std::shared_ptr<TraceEngineFactory> jit = nullptr);

}  // namespace trinity::fuzz
