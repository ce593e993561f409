// The Trinity embedding API: the one header a host includes to load verified plugin
// modules, give them host functions, and call their exports under limits.
// Errors are values (Result); no exception crosses this API.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/domain_gate.h"
#include "runtime/load_error.h"
#include "runtime/memory.h"
#include "runtime/result.h"

namespace trinity {

struct Module;
class Instance;
struct Value;  // the VM's internal value; hosts see it through HostArgs

// --- Loading -------------------------------------------------------------------------

// Parses and verifies a module. Nothing in it runs before this returns success.
Result<std::shared_ptr<const Module>, LoadError> LoadModule(std::span<const uint8_t> bytes);

// --- Values that cross the API ---------------------------------------------------------

// An owned value: arguments the host passes in, results it gets back. Arrays and maps are
// deep copies (cycles are cut at depth 64 into nil).
struct HostValue {
  enum class Type : uint8_t { kNil, kBool, kInt, kFloat, kString, kArray, kMap, kFunction, kHandle };
  // Declared here and defaulted after the class: clang 14 otherwise loops checking the
  // vector<pair<HostValue, HostValue>> member while HostValue is still incomplete.
  HostValue();
  Type type = Type::kNil;
  bool b = false;
  int64_t i = 0;  // int value, or handle id for kHandle
  double f = 0;
  std::string s;  // string bytes, or function name for kFunction
  std::vector<HostValue> items;                              // kArray
  std::vector<std::pair<HostValue, HostValue>> entries;      // kMap, insertion order

  static HostValue Nil() { return {}; }
  static HostValue Bool(bool v) { HostValue h; h.type = Type::kBool; h.b = v; return h; }
  static HostValue Int(int64_t v) { HostValue h; h.type = Type::kInt; h.i = v; return h; }
  static HostValue Float(double v) { HostValue h; h.type = Type::kFloat; h.f = v; return h; }
  static HostValue String(std::string v) { HostValue h; h.type = Type::kString; h.s = std::move(v); return h; }
  static HostValue Array(std::vector<HostValue> v) { HostValue h; h.type = Type::kArray; h.items = std::move(v); return h; }
  static HostValue Handle(int64_t id) { HostValue h; h.type = Type::kHandle; h.i = id; return h; }

  // The same text the language's str() produces.
  std::string ToString() const;
  bool operator==(const HostValue& o) const;
};

inline HostValue::HostValue() = default;

// Read-only view of the arguments of a host call. Cheap accessors for the common types;
// each As* traps the call with a type error when the argument has another type.
struct ExportMeter;  // runtime-internal: charges values copied to the host as fuel

class HostArgs {
 public:
  HostArgs(const Value* args, size_t count, ExportMeter* meter = nullptr)
      : args_(args), count_(count), meter_(meter) {}
  size_t size() const { return count_; }
  HostValue::Type TypeOf(size_t i) const;
  // Deep copy. Everything copied during one host call (Get and Text together) must fit
  // the instance's heap limit, or the call traps with out of memory before the copy is
  // made; so is it charged as fuel (see Limits).
  HostValue Get(size_t i) const;
  // The text str() gives argument i (a string as it is), built straight from the VM
  // value without a HostValue copy; bounded and charged like Get.
  std::string Text(size_t i) const;
  bool IsInt(size_t i) const { return TypeOf(i) == HostValue::Type::kInt; }
  int64_t Int(size_t i) const;          // requires int
  double Number(size_t i) const;        // int or float
  std::string_view String(size_t i) const;  // requires string; valid during the call

 private:
  const Value* args_;
  size_t count_;
  ExportMeter* meter_;
};

// A host function: returns a value, or an error message that becomes a `host error` trap.
using HostFunction = std::function<Result<HostValue, std::string>(HostArgs args)>;

// The host functions offered to plugins, by name. A module's imports are linked against
// it when an instance is created; a missing import is a link error.
class HostFunctions {
 public:
  static constexpr int kVariadic = -1;
  // `arity` is the exact argument count, or kVariadic. A call with another count traps.
  void Register(std::string name, int arity, HostFunction fn);
  struct Entry {
    std::string name;
    int arity;
    HostFunction fn;
  };
  const Entry* Find(std::string_view name) const;
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

// --- Instances and limits ----------------------------------------------------------------

// What one instance may use. Memory a plugin can make the host hold is bounded by these
// (README, "Memory model"): heap objects count against max_heap_bytes, the value stack
// and call frames against max_stack_bytes, and each temporary the VM builds for it
// outside the heap (a value copied out to a host function, the text of str/print/join)
// against max_heap_bytes again, before it is built.
struct Limits {
  // Per call; 0 = unlimited. One unit per call and loop back-edge, plus one per KiB the
  // plugin makes the VM allocate, copy out to host functions or print.
  uint64_t fuel = 0;
  size_t max_heap_bytes = 256u << 20;  // per instance
  uint32_t max_depth = 512;      // nested plugin calls
  // Per instance: the value stack, the call frames and open try blocks together (16
  // bytes per value slot a frame reserves, 40 per frame, 16 per open try block); a call
  // or try_begin that would pass it traps with
  // `stack overflow`, whatever max_depth allows.
  size_t max_stack_bytes = 1u << 20;
  // Per call wall-clock deadline; 0 = none. Finite by default, so a plugin that loops
  // forever ends with a `deadline exceeded` trap instead of holding its host (or a
  // process-tier worker) for good; checked at calls and loop back-edges.
  std::chrono::milliseconds timeout{10'000};
};

enum class TrapKind : uint8_t {
  kTypeError,
  kDivisionByZero,
  kIndexOutOfRange,
  kKeyNotFound,
  kError,  // raised by the plugin with error()/assert()
  kFuelExhausted,
  kOutOfMemory,
  kStackOverflow,
  kDeadlineExceeded,
  kHostError,
  kIsolationViolation,
  kForbiddenSyscall,
  kLinkError,   // calling an export that does not exist, bad arguments from the host
  kInternal,    // a VM invariant failed; a bug, never caused by a verified module
};

// Lower-case name used in messages: "type error", "division by zero", ...
std::string_view TrapKindName(TrapKind kind);

// Whether a plugin's try/catch can handle a trap of this kind: its own errors are; limits
// and containment never are, so a plugin cannot swallow its own fuel, memory, stack or
// deadline limit, nor an isolation or seccomp violation.
constexpr bool IsCatchable(TrapKind kind) {
  switch (kind) {
    case TrapKind::kTypeError:
    case TrapKind::kDivisionByZero:
    case TrapKind::kIndexOutOfRange:
    case TrapKind::kKeyNotFound:
    case TrapKind::kError:
    case TrapKind::kHostError:
      return true;
    default:
      return false;
  }
}

struct TrapFrame {
  std::string function;
  uint32_t line = 0;
};

struct Trap {
  TrapKind kind = TrapKind::kInternal;
  std::string message;
  std::string function;  // innermost plugin function
  uint32_t line = 0;     // its .tri line (0 when unknown)
  std::vector<TrapFrame> stack;  // innermost first
  // "division by zero: integer division by zero (in fn div at line 3)"
  std::string ToString() const;
};

// Which interpreter runs plugin code. Both give the same output, results, traps (kind,
// message, line) and fuel use; the reference tier is the simple oracle the fast tier is
// tested against (runtime/fast_interpreter.md).
enum class ExecutionTier : uint8_t {
  kFast,       // translated register-form code (default)
  kReference,  // straight over the wire bytecode
};

class TraceEngineFactory;  // runtime/trace_hooks.h: a tracing JIT plugs in through it

struct InstanceOptions {
  Limits limits;
  ExecutionTier tier = ExecutionTier::kFast;
  // Compiles hot loops of the fast tier to machine code (jit/). Default: none.
  std::shared_ptr<TraceEngineFactory> jit;
  // Where the heap, value stack and frames come from; default: DefaultMemoryProvider().
  MemoryProvider* memory = nullptr;
  // Output of print(); default: stdout.
  std::function<void(std::string_view)> print;
  // Wraps plugin execution and host calls (isolation layer); default: none. Not owned;
  // must outlive the instance.
  DomainGate* gate = nullptr;
};

class Instance {
 public:
  // Links the module's imports against `host` (a missing import is an error naming it)
  // and allocates the instance's memory. Does not run any plugin code.
  static Result<std::unique_ptr<Instance>, std::string> Create(
      std::shared_ptr<const Module> module, const HostFunctions& host,
      InstanceOptions options = {});
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  // Runs the module's top-level code (once; later calls return nil). Call() runs it
  // first when it has not run yet.
  Result<HostValue, Trap> Start();

  // Calls exported function `name`. A trap ends this call only; the instance stays
  // usable (globals keep what the plugin stored before the trap).
  Result<HostValue, Trap> Call(std::string_view name, std::span<const HostValue> args = {});

  // Frees every heap object and returns globals to the not-started state.
  void Reset();

  void set_limits(const Limits& limits);
  const Limits& limits() const;
  size_t heap_bytes() const;       // live heap bytes accounted to this instance
  uint64_t fuel_used() const;      // by the last call
  uint64_t id() const;             // unique in this process; the instance in audit events
  const Module& module() const;

  class Impl;

 private:
  explicit Instance(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace trinity
