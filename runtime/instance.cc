// Instance lifecycle: linking imports, allocating the instance's memory from its provider,
// running top-level code and exports, converting values at the API boundary, and the
// collector's root set.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <optional>
#include <random>

#include "runtime/interpreter.h"
#include "runtime/probes.h"

namespace trinity {
namespace {

constexpr size_t kMinStackSlots = 16;
constexpr int kMaxHostValueDepth = 64;

// The value stack and the frames share Limits::max_stack_bytes, which the interpreter
// checks as it pushes each frame. Each array is allocated large enough for the whole
// budget, so the check alone decides; only the pages a plugin touches become resident.
size_t StackSlotsFor(const Limits& limits) {
  return std::max(limits.max_stack_bytes / sizeof(Value), kMinStackSlots);
}
size_t FramesFor(const Limits& limits) {
  return std::min(size_t{limits.max_depth}, limits.max_stack_bytes / sizeof(Frame)) + 1;
}

// Open try blocks (Handler records) share the same budget: at most kHandlersPerFrame per
// frame, and no more than the budget holds.
size_t HandlersFor(const Limits& limits) {
  return std::min(FramesFor(limits) * kHandlersPerFrame, limits.max_stack_bytes / sizeof(Handler) + 1);
}

uint64_t NewHashSeed() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

Trap ApiTrap(TrapKind kind, std::string message) {
  Trap t;
  t.kind = kind;
  t.message = std::move(message);
  return t;
}

uint64_t NextInstanceId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

// What runs the bytecode, as the audit probes report it.
int ProbeTier(const Instance::Impl& vm) {
  return static_cast<int>(vm.options.tier == ExecutionTier::kReference ? probes::Tier::kInterpreter
                                                                       : probes::Tier::kFastInterpreter);
}

// The host -> plugin boundary as the audit probes see it (runtime/probes.h): entry, then
// the trap if there was one, then exit. Probes cost a load and a branch while detached.
Result<Value, Trap> ExecuteProbed(Instance::Impl& vm, uint32_t function, const Value* args,
                                  size_t argc) {
  const int tier = ProbeTier(vm);
  TRINITY_PROBE(call_entry, vm.id, tier, vm.module->functions[function].name.c_str());
  Result<Value, Trap> r = vm.Execute(function, args, argc);
  if (!r.ok()) {
    TRINITY_PROBE(trap, vm.id, tier, static_cast<int>(r.error().kind), r.error().message.c_str());
  }
  TRINITY_PROBE(call_exit, vm.id, tier, r.ok() ? -1 : static_cast<int>(r.error().kind));
  return r;
}

Result<HostValue, Trap> ResultToHost(const Instance::Impl& vm, const Value& v) {
  try {
    return vm.ToHost(v);
  } catch (const VmTrap& t) {
    return Err(ApiTrap(t.kind, t.message));
  }
}

}  // namespace

Instance::Impl::Impl(std::shared_ptr<const Module> m, InstanceOptions opts)
    : module(std::move(m)),
      options(std::move(opts)),
      memory(options.memory ? options.memory : &DefaultMemoryProvider()),
      heap(*memory, options.limits.max_heap_bytes, NewHashSeed()) {
  if (!options.print) {
    options.print = [](std::string_view s) { std::fwrite(s.data(), 1, s.size(), stdout); };
  }
}

void Instance::Impl::InitializeGlobals() {
  constants_ready = false;
  library.Clear();
  if (jit) jit->Flush();  // traces hold constants' addresses
  heap.FreeAll();
  for (size_t i = 0; i < globals.size(); ++i) globals[i] = Value::Nil();
  for (size_t i = 0; i < function_values.size(); ++i) function_values[i] = Value::Nil();
  // Constants are materialised on creation and after a reset; they must fit the heap limit.
  for (size_t i = 0; i < constants.size(); ++i) constants[i] = Value::Nil();
  for (size_t i = 0; i < constants.size(); ++i) {
    const Constant& c = module->constants[i];
    if (auto* iv = std::get_if<int64_t>(&c)) {
      constants[i] = Value::Int(*iv);
    } else if (auto* fv = std::get_if<double>(&c)) {
      constants[i] = Value::Float(*fv);
    } else {
      constants[i] = NewStringValue(std::get<std::string>(c));
    }
  }
  started = false;
  constants_ready = true;
}

// Constants are re-materialised after a reset or a contained fault; if that ran out of
// heap then, the instance must not run with missing constants.
std::optional<Trap> Instance::Impl::EnsureConstants() {
  if (constants_ready) return std::nullopt;
  try {
    InitializeGlobals();
  } catch (const VmTrap& t) {
    Trap trap;
    trap.kind = t.kind;
    trap.message = "cannot materialise the module's constants: " + t.message;
    return trap;
  }
  return std::nullopt;
}

void Instance::Impl::MarkRoots(Heap& h) {
  for (Value* p = stack.data(); p < sp; ++p) h.Mark(*p);
  for (size_t i = 0; i < globals.size(); ++i) h.Mark(globals[i]);
  for (size_t i = 0; i < constants.size(); ++i) h.Mark(constants[i]);
  for (size_t i = 0; i < function_values.size(); ++i) h.Mark(function_values[i]);
  for (size_t d = 0; d < depth; ++d) h.MarkObject(frames[d].closure);
}

void Instance::Impl::CollectGarbage() {
  heap.Collect([this](Heap& h) { MarkRoots(h); });
}

Value Instance::Impl::FromHost(const HostValue& v, int depth) {
  if (depth > kMaxHostValueDepth) return Value::Nil();
  switch (v.type) {
    case HostValue::Type::kNil: return Value::Nil();
    case HostValue::Type::kBool: return Value::Bool(v.b);
    case HostValue::Type::kInt: return Value::Int(v.i);
    case HostValue::Type::kFloat: return Value::Float(v.f);
    case HostValue::Type::kHandle: return Value::Handle(v.i);
    case HostValue::Type::kString: return NewStringValue(v.s);
    case HostValue::Type::kArray: {
      if (v.items.size() > (1u << 30)) ThrowTrap(TrapKind::kOutOfMemory, "host array too large");
      // The array is not reachable from any root while it is filled; nothing here runs
      // the collector (it only runs at safepoints), so that is safe.
      Array* a = heap.NewArray(static_cast<uint32_t>(v.items.size()));
      for (const HostValue& item : v.items) a->items[a->size++] = FromHost(item, depth + 1);
      return Value::Object(Tag::kArray, a);
    }
    case HostValue::Type::kMap: {
      Map* m = heap.NewMap(0);
      for (const auto& [k, val] : v.entries) {
        Value key = heap.NormalizeKey(FromHost(k, depth + 1));
        heap.MapSet(m, key, FromHost(val, depth + 1));
      }
      return Value::Object(Tag::kMap, m);
    }
    case HostValue::Type::kFunction:
      ThrowTrap(TrapKind::kTypeError, "a host cannot pass a function value to a plugin");
  }
  return Value::Nil();
}

// --- Instance -----------------------------------------------------------------------------

Instance::Instance(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  TRINITY_PROBE(instance_create, impl_->id, ProbeTier(*impl_));
}

Instance::~Instance() { TRINITY_PROBE(instance_destroy, impl_->id, ProbeTier(*impl_)); }

Result<std::unique_ptr<Instance>, std::string> Instance::Create(std::shared_ptr<const Module> module,
                                                                const HostFunctions& host,
                                                                InstanceOptions options) {
  if (!module) return Err(std::string("no module"));
  if (module->executable.fast() == nullptr) {
    // Only LoadModule attaches code, after verification: nothing unverified ever runs.
    return Err(std::string("module was not loaded with LoadModule (unverified)"));
  }
  if (options.tier == ExecutionTier::kReference && Impl::reference_tier == nullptr) {
    return Err(std::string("the reference tier is not linked into this program "
                           "(link //runtime:reference_tier)"));
  }
  auto impl = std::make_unique<Impl>(module, std::move(options));
  impl->id = NextInstanceId();
  impl->host = host;
  for (const std::string& name : module->imports) {
    const HostFunctions::Entry* e = impl->host.Find(name);
    if (e == nullptr) return Err("unresolved import: host function '" + name + "' is not provided");
    impl->imports.push_back(e);
  }
  const Limits& limits = impl->options.limits;
  if (!impl->stack.Allocate(impl->memory, StackSlotsFor(limits)) ||
      !impl->frames.Allocate(impl->memory, FramesFor(limits)) ||
      !impl->handlers.Allocate(impl->memory, HandlersFor(limits)) ||
      !impl->globals.Allocate(impl->memory, module->globals.size()) ||
      !impl->constants.Allocate(impl->memory, module->constants.size()) ||
      !impl->function_values.Allocate(impl->memory, module->functions.size())) {
    return Err(std::string("memory provider could not supply the instance's memory"));
  }
  impl->sp = impl->stack.data();
  if (impl->options.jit && impl->options.tier == ExecutionTier::kFast) {
    impl->jit = impl->options.jit->Create(impl.get());
  }
  // Constants live on the heap and count against its limit.
  try {
    impl->InitializeGlobals();
  } catch (const VmTrap& t) {
    return Err("cannot create instance: " + t.message);
  }
  return std::unique_ptr<Instance>(new Instance(std::move(impl)));
}

Result<HostValue, Trap> Instance::Start() {
  Impl& vm = *impl_;
  if (vm.running) return Err(ApiTrap(TrapKind::kLinkError, "instance is already running"));
  if (vm.started) return HostValue::Nil();
  if (auto trap = vm.EnsureConstants()) return Err(std::move(*trap));
  vm.started = true;
  if (vm.module->start_function == kNoFunction) return HostValue::Nil();
  vm.running = true;
  Result<Value, Trap> r = ExecuteProbed(vm, vm.module->start_function, nullptr, 0);
  vm.running = false;
  if (!r.ok()) return Err(std::move(r).error());
  return ResultToHost(vm, r.value());
}

Result<HostValue, Trap> Instance::Call(std::string_view name, std::span<const HostValue> args) {
  Impl& vm = *impl_;
  if (vm.running) return Err(ApiTrap(TrapKind::kLinkError, "instance is already running"));
  if (!vm.started) {
    Result<HostValue, Trap> s = Start();
    if (!s.ok()) return s;
  }
  if (auto trap = vm.EnsureConstants()) return Err(std::move(*trap));
  uint32_t f = vm.module->FindExport(name);
  if (f == kNoFunction) {
    return Err(ApiTrap(TrapKind::kLinkError, "no exported function named '" + std::string(name) + "'"));
  }
  const Function& fn = vm.module->functions[f];
  if (fn.arity != args.size()) {
    return Err(ApiTrap(TrapKind::kLinkError, "export '" + std::string(name) + "' takes " +
                                                 std::to_string(fn.arity) + " argument(s), got " +
                                                 std::to_string(args.size())));
  }
  vm.running = true;
  // Arguments are converted straight onto the value stack so the collector sees them.
  Result<Value, Trap> r = [&]() -> Result<Value, Trap> {
    std::vector<Value> converted;
    converted.reserve(args.size());
    try {
      for (const HostValue& a : args) {
        converted.push_back(vm.FromHost(a));
      }
    } catch (const VmTrap& t) {
      return Err(ApiTrap(t.kind, t.message));
    }
    return ExecuteProbed(vm, f, converted.data(), converted.size());
  }();
  vm.running = false;
  if (!r.ok()) return Err(std::move(r).error());
  return ResultToHost(vm, r.value());
}

void Instance::Reset() {
  Impl& vm = *impl_;
  if (vm.running) return;
  try {
    vm.InitializeGlobals();
  } catch (const VmTrap&) {
    // Constants did not fit the heap limit; the next Start or Call retries and traps.
  }
}

void Instance::set_limits(const Limits& limits) {
  Impl& vm = *impl_;
  if (vm.running) return;
  if (FramesFor(limits) > vm.frames.size()) {
    if (!vm.frames.Allocate(vm.memory, FramesFor(limits))) return;
  }
  if (HandlersFor(limits) > vm.handlers.size() &&
      !vm.handlers.Allocate(vm.memory, HandlersFor(limits))) {
    return;
  }
  size_t slots = StackSlotsFor(limits);
  if (slots > vm.stack.size()) {
    if (!vm.stack.Allocate(vm.memory, slots)) return;
    vm.sp = vm.stack.data();
  }
  vm.options.limits = limits;
  vm.heap.set_limit(limits.max_heap_bytes);
}

const Limits& Instance::limits() const { return impl_->options.limits; }
size_t Instance::heap_bytes() const { return impl_->heap.bytes(); }
uint64_t Instance::fuel_used() const { return impl_->fuel_used; }
uint64_t Instance::id() const { return impl_->id; }
const Module& Instance::module() const { return *impl_->module; }

}  // namespace trinity
