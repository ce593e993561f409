// The calling convention between the interpreter and compiled traces:
//   uint32_t trace(Value* base, TraceContext* ctx)
// `base` is slot 0 of the frame the trace was entered from; the result is the index of
// the snapshot the trace left through, whose values it has already written back to the
// frame slots. Helpers a trace calls take the context first and never throw.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/value.h"

namespace trinity::jit {

struct TraceContext {
  int64_t* budget = nullptr;  // interpreter fuel steps left before its slow safepoint
  Value* globals = nullptr;
  void* vm = nullptr;         // the instance (Instance::Impl*), for helpers
  // Set by a helper that could not complete (for example out of memory): the trace exits
  // through the guard after the call, and the interpreter re-executes the instruction,
  // which raises the trap itself.
  uint32_t helper_failed = 0;
  // Set by an allocating helper when the heap wants the interpreter's safepoint (a
  // collection, or allocation to charge as fuel): the next fuel guard leaves the trace.
  uint8_t safepoint_due = 0;
  // Testing (JitOptions::stress_exits): every guard counts this down and fails at zero.
  int32_t stress_countdown = 0;
};

using TraceEntry = uint32_t (*)(Value* base, TraceContext* ctx);

// A helper with up to three integer or pointer arguments; 0 means "exit the trace".
using TraceHelper = uint64_t (*)(TraceContext* ctx, uint64_t a, uint64_t b, uint64_t c);

// Layout facts the emitted code relies on, computed from the runtime's own structures.
struct Layout {
  int32_t value_size;       // sizeof(Value)
  int32_t value_payload;    // offset of the union
  int32_t array_items;
  int32_t array_size;
  int32_t map_entries;
  int32_t map_used;
  int32_t entry_size;       // sizeof(MapEntry)
  int32_t entry_key;
  int32_t entry_value;
  int32_t ctx_budget;
  int32_t ctx_globals;
  int32_t ctx_safepoint_due;
  int32_t ctx_stress;
};
const Layout& RuntimeLayout();

}  // namespace trinity::jit
