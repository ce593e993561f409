// The parts of running plugin code that both interpreter tiers share: entering through
// the domain gate, fuel and safepoints, the checks before a call, host calls, and turning
// a VmTrap into a Trap. Keeping them here makes limits behave identically on each tier.
#include <algorithm>
#include <exception>
#include <optional>
#include <string>

#include "runtime/interpreter.h"
#include "runtime/probes.h"

namespace trinity {

Result<Value, Trap> Instance::Impl::Execute(uint32_t entry, const Value* args, size_t argc) {
  auto run = [&] {
    // Instance::Create refused the reference tier when it is not linked in.
    return options.tier == ExecutionTier::kReference ? reference_tier(*this, entry, args, argc)
                                                     : RunFast(entry, args, argc);
  };
  if (options.gate == nullptr) return run();
  std::optional<Result<Value, Trap>> result;
  std::optional<Trap> fault = options.gate->RunPlugin([&] { result.emplace(run()); });
  if (!fault) return std::move(*result);
  // The gate abandoned execution mid-instruction: frames, stack and possibly heap objects
  // are inconsistent, so the instance starts over from a clean heap.
  depth = 0;
  sp = stack.data();
  try {
    InitializeGlobals();
  } catch (const VmTrap&) {
  }
  return Err(std::move(*fault));
}

void Instance::Impl::BeginRun() {
  const Limits& limits = options.limits;
  fuel_used = 0;
  heap.TakeWorkBytes();
  has_deadline = limits.timeout.count() > 0;
  if (has_deadline) deadline = std::chrono::steady_clock::now() + limits.timeout;
  fuel_chunk = kFuelChunk;
  if (limits.fuel != 0 && limits.fuel < static_cast<uint64_t>(fuel_chunk)) {
    fuel_chunk = static_cast<int64_t>(limits.fuel) + 1;
  }
  depth = 0;
  num_handlers = 0;
  fuel_budget = fuel_chunk;
}

namespace {

// Brings fuel_used up to date: the steps run since the budget was last re-based, plus
// allocation, which a single instruction can do a lot of (s = s + s): one unit of fuel per
// KiB allocated keeps such loops metered. Re-basing the chunk on the budget makes a
// second settle (after a trap) count nothing twice.
void SettleFuel(Instance::Impl& vm) {
  vm.fuel_used += static_cast<uint64_t>(vm.fuel_chunk - vm.fuel_budget);
  vm.fuel_chunk = vm.fuel_budget;
  vm.fuel_used += vm.heap.TakeWorkBytes() / kBytesPerFuel;
}

// The same, then the fuel trap if the limit is passed.
void ChargeFuel(Instance::Impl& vm) {
  SettleFuel(vm);
  const uint64_t limit = vm.options.limits.fuel;
  if (limit != 0 && vm.fuel_used > limit) vm.ThrowFuelExhausted("");
}

}  // namespace

void Instance::Impl::SafepointSlow(Value* live_top) {
  const Limits& limits = options.limits;
  ChargeFuel(*this);
  if (has_deadline && std::chrono::steady_clock::now() >= deadline) ThrowDeadlineExceeded();
  if (heap.CollectionDue()) {
    sp = live_top;
    CollectGarbage();
  }
  int64_t chunk = kFuelChunk;
  if (limits.fuel != 0) {
    uint64_t left = limits.fuel - fuel_used;
    if (left < static_cast<uint64_t>(chunk)) chunk = static_cast<int64_t>(left) + 1;
  }
  fuel_chunk = chunk;
  fuel_budget = chunk;
}

void Instance::Impl::ChargeFuelAtReturn() { ChargeFuel(*this); }

void Instance::Impl::CheckCall(const Function& fn, Value* args_at, Closure* closure) const {
  const Limits& limits = options.limits;
  if (depth >= limits.max_depth || depth >= frames.size()) {
    ThrowTrap(TrapKind::kStackOverflow,
              "call depth limit of " + std::to_string(limits.max_depth) + " exceeded");
  }
  // The value slots this frame may use plus every frame record count against
  // max_stack_bytes (trinity.h); the arrays themselves are sized for that budget.
  Value* stack_end = stack.data() + stack.size();
  size_t slots = static_cast<size_t>(args_at - stack.data()) + fn.num_locals + fn.max_stack;
  if (slots * sizeof(Value) + (depth + 1) * sizeof(Frame) + num_handlers * sizeof(Handler) >
          limits.max_stack_bytes ||
      static_cast<size_t>(stack_end - args_at) < size_t{fn.num_locals} + fn.max_stack) {
    ThrowTrap(TrapKind::kStackOverflow,
              "stack limit of " + std::to_string(limits.max_stack_bytes) +
                  " bytes exceeded (value stack and call frames, at call depth " +
                  std::to_string(depth) + ")");
  }
  if (fn.num_captures != 0 && (closure == nullptr || closure->num_captures != fn.num_captures)) {
    ThrowTrap(TrapKind::kTypeError, "function '" + fn.name + "' can only be called as a closure");
  }
}

void Instance::Impl::OpenHandler(const void* target) {
  const Limits& limits = options.limits;
  if (num_handlers == handlers.size()) {
    ThrowTrap(TrapKind::kStackOverflow,
              "more than " + std::to_string(handlers.size()) + " try blocks open at once");
  }
  // Open handlers count against max_stack_bytes with the frames and value slots.
  const Frame& f = frames[depth - 1];
  const Function& fn = module->functions[f.function];
  size_t slots = static_cast<size_t>(f.base - stack.data()) + fn.num_locals + fn.max_stack;
  if (slots * sizeof(Value) + depth * sizeof(Frame) + (num_handlers + 1) * sizeof(Handler) >
      limits.max_stack_bytes) {
    ThrowTrap(TrapKind::kStackOverflow,
              "stack limit of " + std::to_string(limits.max_stack_bytes) +
                  " bytes exceeded (value stack, call frames and open try blocks)");
  }
  handlers[num_handlers++] = Handler{depth, target};
}

const void* Instance::Impl::CatchTrap(VmTrap& t) {
  if (!IsCatchable(t.kind) || num_handlers == 0) return nullptr;
  Value error;
  try {
    error = NewErrorValue(MakeTrap(t.kind, t.message, depth));
  } catch (VmTrap& again) {  // no heap left for the error map: that ends the call
    t.kind = again.kind;
    t.message = std::move(again.message);
    return nullptr;
  }
  const Handler& h = handlers[--num_handlers];
  depth = h.depth;
  const Frame& frame = frames[depth - 1];
  frame.base[module->functions[frame.function].num_locals] = error;
  return h.target;
}

Trap Instance::Impl::UnwindTrap(VmTrap& t, size_t active) {
  if (t.kind != TrapKind::kFuelExhausted) {
    SettleFuel(*this);
    if (options.limits.fuel != 0) fuel_used = std::min(fuel_used, options.limits.fuel + 1);
  }
  Trap trap = MakeTrap(t.kind, std::move(t.message), active);
  depth = 0;
  num_handlers = 0;
  sp = stack.data();
  return trap;
}

Value Instance::Impl::CallHost(uint32_t index, const Value* args, uint8_t n) {
  const uint64_t fuel_since_safepoint = static_cast<uint64_t>(fuel_chunk - fuel_budget);
  const HostFunctions::Entry& host_fn = *imports[index];
  if (host_fn.arity != HostFunctions::kVariadic && host_fn.arity != n) {
    ThrowTrap(TrapKind::kHostError, "host function '" + host_fn.name + "' expects " +
                                        std::to_string(host_fn.arity) + " argument(s), got " +
                                        std::to_string(n));
  }
  const uint64_t fuel_limit = options.limits.fuel;
  ExportMeter meter;
  meter.memory_limit = heap.limit();  // what the host may hold for this call's copies
  meter.module = module.get();
  if (fuel_limit != 0) {
    uint64_t used = fuel_used + fuel_since_safepoint + heap.pending_work_bytes() / kBytesPerFuel;
    uint64_t left = used >= fuel_limit ? 0 : fuel_limit - used;
    meter.bytes_left = left * kBytesPerFuel;
  }
  std::optional<Result<HostValue, std::string>> r;
  auto call = [&] {
    try {
      r.emplace(host_fn.fn(HostArgs(args, n, &meter)));
    } catch (const VmTrap&) {
      throw;
    } catch (const std::exception& e) {
      r.emplace(Err(std::string("host function threw: ") + e.what()));
    } catch (...) {
      r.emplace(Err(std::string("host function threw an exception")));
    }
  };
  TRINITY_PROBE(host_call, id, index, host_fn.name.c_str());
  try {
    if (options.gate != nullptr) {
      options.gate->RunHost(call);
    } else {
      call();
    }
  } catch (const VmTrap&) {
    TRINITY_PROBE(host_return, id, index);
    if (meter.exhausted) ThrowFuelExhausted(" while passing a value to the host");
    throw;
  }
  TRINITY_PROBE(host_return, id, index);
  // A host that caught the trap (catch (...)) still does not get the copy for free.
  if (meter.exhausted) ThrowFuelExhausted(" while passing a value to the host");
  heap.AddWorkBytes(meter.bytes_used);
  if (!r->ok()) ThrowTrap(TrapKind::kHostError, host_fn.name + ": " + r->error());
  return FromHost(r->value());
}

void Instance::Impl::ThrowFuelExhausted(std::string_view detail) {
  // The step that crossed the limit is the one that exhausted it.
  fuel_used = options.limits.fuel + 1;
  ThrowTrap(TrapKind::kFuelExhausted, "fuel limit of " + std::to_string(options.limits.fuel) +
                                          " exhausted" + std::string(detail));
}

void Instance::Impl::ThrowDeadlineExceeded() const {
  ThrowTrap(TrapKind::kDeadlineExceeded,
            "deadline of " + std::to_string(options.limits.timeout.count()) + " ms exceeded");
}

Trap Instance::Impl::MakeTrap(TrapKind kind, std::string message, size_t active) const {
  Trap trap;
  trap.kind = kind;
  trap.message = std::move(message);
  constexpr size_t kMaxFrames = 64;
  for (size_t d = active; d-- > 0 && trap.stack.size() < kMaxFrames;) {
    const Function& fn = module->functions[frames[d].function];
    size_t pc = 0;
    if (frames[d].ip > fn.code.data()) pc = static_cast<size_t>(frames[d].ip - fn.code.data()) - 1;
    trap.stack.push_back(TrapFrame{fn.name, fn.LineAt(static_cast<uint32_t>(pc))});
  }
  if (!trap.stack.empty()) {
    trap.function = trap.stack.front().function;
    trap.line = trap.stack.front().line;
  }
  return trap;
}

}  // namespace trinity
