// The differential oracle for fuzzing: runs one module on the reference tier and on the
// fast tier (optionally with a trace JIT) with the same host functions and calls, records
// everything a host or plugin could observe, and aborts when the two records differ.
#pragma once

#include <memory>
#include <string>

#include "runtime/module.h"
#include "runtime/trinity.h"

namespace trinity::fuzz {

// What one tier did with `module`: Start(), every export with nil arguments, Reset() and
// every export again, under FuzzLimits(). Per call: print() output, host calls and their
// arguments, the result or the trap (kind, message, function, line, stack), fuel_used()
// and heap_bytes() — the last proves both tiers allocate and collect alike.
// With `jit`, the fast tier runs with that trace JIT and heap_bytes() is left out: traces
// reach safepoints with the same fuel but may leave garbage for a later collection.
std::string RunTranscript(std::shared_ptr<const Module> module, ExecutionTier tier,
                          std::shared_ptr<TraceEngineFactory> jit = nullptr);

// Aborts with both transcripts' first difference when the tiers disagree: the reference
// tier against the fast tier, or against the fast tier with `jit`.
void CheckTiersAgree(std::shared_ptr<const Module> module,
                     std::shared_ptr<TraceEngineFactory> jit = nullptr);

}  // namespace trinity::fuzz
