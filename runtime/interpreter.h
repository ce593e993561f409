// Instance state shared by both interpreter tiers, the built-ins and the instance API:
// the value stack, call frames, globals and heap of one plugin instance, and the fuel,
// safepoint and call-checking steps the two tiers must perform identically.
// Internal to runtime/; hosts only see trinity.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "runtime/builtins.h"
#include "runtime/heap.h"
#include "runtime/module.h"
#include "runtime/numbers.h"
#include "runtime/stdlib_state.h"
#include "runtime/trace_hooks.h"
#include "runtime/trinity.h"
#include "runtime/value.h"

namespace trinity {

// What copying plugin values out to the host may cost: during one host call, or for one
// result. A deep copy is work the plugin asks for with a single call_host, so its bytes
// (one HostValue per element, plus string contents) are charged like heap allocation; the
// copy stops with a fuel trap instead of running past the fuel that is left. It is also
// memory the host holds for the plugin: everything copied under one meter (HostArgs::Get,
// HostArgs::Text) must fit `memory_limit` (the heap limit), checked before each part of
// the copy is made, or the call traps with out of memory.
struct ExportMeter {
  uint64_t bytes_left = UINT64_MAX;  // UINT64_MAX: no fuel limit
  uint64_t bytes_used = 0;
  bool exhausted = false;  // CallHost then ends the call with its fuel trap
  size_t memory_limit = SIZE_MAX;
  size_t memory_used = 0;
  const Module* module = nullptr;  // names functions in HostArgs::Text
};

// Deep copy of a VM value for the host (host_api.cc); throws an out-of-memory VmTrap when
// the value has more than about a million elements or its copy would pass the meter's
// memory limit, and a fuel VmTrap when the meter's fuel runs out.
HostValue ExportValue(const Value& v, const Module* module, ExportMeter* meter = nullptr);

struct FastInsn;  // the fast tier's instruction (fast_code.h)

struct Frame {
  uint32_t function;        // index into the module's functions
  // Where this frame resumes (callers) / last executed (on trap): a wire-bytecode
  // position in the reference tier, an instruction of the function's fast code in the
  // fast tier. MakeTrap reads `ip`; the fast tier converts its frames before a trap.
  union {
    const uint8_t* ip;
    const FastInsn* fast_ip;
  };
  Value* base;              // first local
  Value* result;            // where the callee's result is stored on return
  Closure* closure;         // the closure being run, or nullptr for direct calls
};

// An open try block (try_begin without its try_end yet; semantics in opcodes.h).
struct Handler {
  size_t depth;        // active frames when it was opened: the frame is frames[depth - 1]
  const void* target;  // where the catch code starts, in the executing tier's own code form
};

// Open handlers allowed per frame of Limits::max_depth (opcodes.h).
inline constexpr size_t kHandlersPerFrame = 4;

// Memory from the instance's MemoryProvider, typed. Freed with the provider it came from.
template <typename T>
class ProviderArray {
 public:
  ProviderArray() = default;
  ProviderArray(const ProviderArray&) = delete;
  ProviderArray& operator=(const ProviderArray&) = delete;
  ~ProviderArray() { Reset(); }
  bool Allocate(MemoryProvider* memory, size_t count) {
    Reset();
    if (count == 0) return true;
    void* p = memory->Allocate(sizeof(T) * count, alignof(T) < 16 ? 16 : alignof(T));
    if (p == nullptr) return false;
    memory_ = memory;
    data_ = static_cast<T*>(p);
    count_ = count;
    return true;
  }
  void Reset() {
    if (data_) memory_->Free(data_, sizeof(T) * count_);
    data_ = nullptr;
    count_ = 0;
  }
  T* data() const { return data_; }
  size_t size() const { return count_; }
  T& operator[](size_t i) const { return data_[i]; }

 private:
  MemoryProvider* memory_ = nullptr;
  T* data_ = nullptr;
  size_t count_ = 0;
};

// Where the fast loop stood when it handed over to its other instantiation (trace
// recording on or off); see RunFast.
struct FastResume {
  const uint8_t* ip = nullptr;
  Value* base = nullptr;
};
enum class FastSwitch : uint8_t { kNone, kRecord, kNormal };

class Instance::Impl {
 public:
  Impl(std::shared_ptr<const Module> module, InstanceOptions options);

  // Runs `function` with `argc` arguments already converted to VM values, through the
  // domain gate when one is installed, on the tier the options select.
  Result<Value, Trap> Execute(uint32_t function, const Value* args, size_t argc);
  // The two interpreter loops: the reference tier over the wire bytecode
  // (reference_interpreter.cc) and the fast tier over the module's translated code
  // (fast_interpreter.cc). Same results, traps and fuel; see fast_interpreter.md.
  Result<Value, Trap> RunReference(uint32_t function, const Value* args, size_t argc);
  Result<Value, Trap> RunFast(uint32_t function, const Value* args, size_t argc);
  // The reference tier is a library of its own (//runtime:reference_tier), linked into the
  // programs that use it as an oracle (tests, fuzzers, the trinity command) and left out of
  // minimal embeddings; linking it sets this.
  static inline Result<Value, Trap> (*reference_tier)(Impl& vm, uint32_t function, const Value* args,
                                                      size_t argc) = nullptr;

  // --- Steps both tiers share, so limits behave identically on each (execution.cc) ---
  // Starts a call from the host: resets fuel, arms the deadline, fills fuel_budget.
  void BeginRun();
  // A safepoint whose budget ran out or whose heap asked for attention: charges the steps
  // and allocation since the last one as fuel (trapping past the limit), checks the
  // deadline, collects garbage with the value stack live up to `live_top`, refills
  // fuel_budget.
  void SafepointSlow(Value* live_top);
  // Charges what the last straight-line steps used when the outermost frame returns.
  void ChargeFuelAtReturn();
  // The checks push_frame makes before a call: depth, value-stack room, closure shape.
  void CheckCall(const Function& fn, Value* args_at, Closure* closure) const;
  // Turns a VmTrap raised with `active` frames into the call's Trap and unwinds.
  Trap UnwindTrap(VmTrap& trap, size_t active);
  // try_begin (opcodes.h) in frame depth - 1: opens a handler resuming at `target` (the
  // executing tier's code address); the stack-overflow trap when the handler slots are
  // full or the open handlers would pass max_stack_bytes with the frame's slots.
  void OpenHandler(const void* target);
  // A trap raised with `depth` frames active (their positions already set for MakeTrap):
  // when it is catchable and a handler is open, builds the error map, closes the innermost
  // handler, drops the frames above its frame (depth becomes its depth), stores the map in
  // that frame's first temporary and returns the handler's target; the tier then restores
  // that frame's state and continues there. nullptr when the trap ends the call; `trap`
  // then becomes out of memory if the error map did not fit.
  const void* CatchTrap(VmTrap& trap);
  // Calls import `index` with `n` arguments (through the gate's host domain); kept out of
  // the loop so the threaded dispatch never jumps across a live C++ object. The values
  // copied out for the host are charged against exactly the fuel that is left.
  Value CallHost(uint32_t index, const Value* args, uint8_t n);

  // Everything the collector must keep alive outside the heap graph.
  void MarkRoots(Heap& heap);
  void CollectGarbage();

  // Allocates materialised constants and globals; used at creation and by Reset().
  void InitializeGlobals();
  // Retries InitializeGlobals when an earlier one ran out of heap; the trap if it fails.
  std::optional<Trap> EnsureConstants();

  // Ends the call with a fuel trap (`detail` is appended to the message); fuel_used()
  // then reads one past the limit.
  [[noreturn]] void ThrowFuelExhausted(std::string_view detail);
  // Ends the call with the deadline trap.
  [[noreturn]] void ThrowDeadlineExceeded() const;

  // Builds the Trap for a VmTrap raised while frames [0, depth) were active.
  Trap MakeTrap(TrapKind kind, std::string message, size_t depth) const;
  // The map a catch block receives for `trap` (error_value.cc); may raise out of memory.
  Value NewErrorValue(const Trap& trap);

  Value NewStringValue(std::string_view s) { return Value::Object(Tag::kString, heap.NewString(s)); }
  Value FromHost(const HostValue& v, int depth = 0);
  // A result for the host: bounded by the heap limit like a copy passed to a host function.
  HostValue ToHost(const Value& v) const {
    ExportMeter meter;
    meter.memory_limit = heap.limit();
    return ExportValue(v, module.get(), &meter);
  }

  uint64_t id = 0;  // process-unique, from 1; the `instance` of the audit probes
  std::shared_ptr<const Module> module;
  InstanceOptions options;
  MemoryProvider* memory;
  Heap heap;
  LibraryState library;  // after `heap`: its caches release their charge before the heap dies
  std::vector<const HostFunctions::Entry*> imports;  // by import index
  HostFunctions host;                                // owns the entries `imports` points to

  ProviderArray<Value> stack;
  ProviderArray<Frame> frames;
  ProviderArray<Value> globals;
  ProviderArray<Value> constants;        // materialised constant values
  ProviderArray<Value> function_values;  // cached push_func closures (nil until first use)
  ProviderArray<Handler> handlers;       // open try blocks, innermost last
  size_t num_handlers = 0;

  Value* sp = nullptr;        // next free stack slot
  size_t depth = 0;           // active frames
  // Fuel steps (calls, back-edges) left before the next slow safepoint, counted down by
  // the loops at every safepoint; the steps since fuel_used was settled are
  // fuel_chunk - fuel_budget. A member rather than a loop local: one memory decrement
  // is cheaper than the register the big loops could not keep for it anyway.
  int64_t fuel_budget = 0;
  int64_t fuel_chunk = 0;
  bool started = false;
  bool constants_ready = false;
  bool running = false;
  uint64_t fuel_used = 0;
  std::chrono::steady_clock::time_point deadline{};
  bool has_deadline = false;

  // The tracing JIT, when the options ask for one (trace_hooks.h), and the hand-over
  // between the fast loop's normal and recording instantiations.
  std::unique_ptr<TraceEngine> jit;
  FastResume fast_resume;
  FastSwitch fast_switch = FastSwitch::kNone;
};

// Fuel charged per KiB allocated or copied to the host, and per refill of the budget.
inline constexpr int64_t kFuelChunk = 1024;
inline constexpr uint64_t kBytesPerFuel = 1024;

// Built-in functions (builtins_impl.cc). `args` points at `argc` values on the VM stack.
Value CallBuiltin(Instance::Impl& vm, Builtin id, Value* args, int argc);

// The language's str(): appends the display form of `v` to `out` (value.cc). The text is
// a temporary the VM holds for the plugin, so callers pass the heap limit as `max_bytes`:
// it is measured first, and an out-of-memory VmTrap is thrown before anything is built
// if `out` would grow past that; otherwise `out` grows once, to exactly its new length.
// `module` names functions (nullptr: "<fn ?>").
void AppendDisplay(std::string& out, const Value& v, const Module* module, bool quote_strings,
                   size_t max_bytes);
// The number of bytes AppendDisplay would add to a text of `already` bytes (the same trap
// once the whole would pass `max_bytes`), for callers that size a buffer holding several
// texts (print, join).
size_t DisplayLength(const Value& v, const Module* module, bool quote_strings, size_t max_bytes,
                     size_t already = 0);
std::string DisplayString(const Value& v, const Module* module, size_t max_bytes);
// A string as str() shows it inside a container: quoted, with \n \t \r \0 \" \\ \xHH escapes.
void AppendQuoted(std::string& out, std::string_view s);

}  // namespace trinity
