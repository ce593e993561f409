// RunModuleChecked and the counting memory provider: the execution half of the fuzz
// harnesses. The invariants checked here are the runtime's promises to embedders
// (docs/DESIGN.md, runtime/trinity.h); a violation is a VM bug whatever the input was.
#include "fuzz/checked_run.h"

#include <cstdlib>
#include <string>
#include <vector>

namespace trinity::fuzz {

CountingMemoryProvider::~CountingMemoryProvider() {
  for (auto& [block, size] : live_) DefaultMemoryProvider().Free(block, size);
}

void* CountingMemoryProvider::Allocate(size_t size, size_t align) {
  if (align == 0 || (align & (align - 1)) != 0 || align > 4096) {
    InvariantFailed("MemoryProvider::Allocate called with a bad alignment",
                    std::to_string(align));
  }
  // The runtime's own default provider does the allocating, so it is exercised too.
  void* block = DefaultMemoryProvider().Allocate(size, align);
  if (block == nullptr) return nullptr;
  live_.emplace(block, size);
  outstanding_bytes_ += size;
  return block;
}

void CountingMemoryProvider::Free(void* block, size_t size) {
  if (block == nullptr) return;
  auto it = live_.find(block);
  if (it == live_.end()) InvariantFailed("MemoryProvider::Free of a block it did not hand out");
  if (it->second != size) {
    InvariantFailed("MemoryProvider::Free with another size than Allocate",
                    "allocated " + std::to_string(it->second) + ", freed " + std::to_string(size));
  }
  outstanding_bytes_ -= size;
  live_.erase(it);
  DefaultMemoryProvider().Free(block, size);
}

Limits FuzzLimits() {
  Limits limits;
  limits.fuel = 10000;
  limits.max_heap_bytes = 1u << 20;
  limits.max_depth = 64;
  return limits;
}

void CheckCallOutcome(const Instance& instance, const Result<HostValue, Trap>& r,
                      std::string_view what) {
  if (instance.fuel_used() > instance.limits().fuel + 1) {
    InvariantFailed("fuel_used() exceeds the fuel limit by more than one",
                    std::string(what) + ": used " + std::to_string(instance.fuel_used()) +
                        " of " + std::to_string(instance.limits().fuel));
  }
  if (r.ok()) {
    (void)r.value().ToString();
    return;
  }
  const Trap& trap = r.error();
  if (trap.kind == TrapKind::kInternal) {
    InvariantFailed("an accepted module trapped with kInternal",
                    std::string(what) + ": " + trap.ToString());
  }
  (void)trap.ToString();
}

namespace {

void CallEveryExport(Instance& instance) {
  const Module& m = instance.module();
  for (const Export& e : m.exports) {
    std::vector<HostValue> args(m.functions[e.function].arity);
    CheckCallOutcome(instance, instance.Call(e.name, args), "export '" + e.name + "'");
  }
}

}  // namespace

void RunModuleChecked(std::shared_ptr<const Module> module) {
  HostFunctions host;
  for (const std::string& name : module->imports) {
    // Echo the arguments back as an array: both directions of value conversion get
    // plugin-shaped inputs (nested, cyclic, huge), not just nil.
    host.Register(name, HostFunctions::kVariadic, [](HostArgs args) -> Result<HostValue, std::string> {
      HostValue echo = HostValue::Array({});
      for (size_t i = 0; i < args.size(); ++i) echo.items.push_back(args.Get(i));
      (void)echo.ToString();
      if (args.size() > 0 && args.TypeOf(0) == HostValue::Type::kString) (void)args.String(0);
      if (args.size() > 0 && args.IsInt(0) && args.Int(0) < 0) return Err(std::string("negative"));
      return echo;
    });
  }
  CountingMemoryProvider memory;
  {
    InstanceOptions options;
    options.limits = FuzzLimits();
    options.memory = &memory;
    options.print = [](std::string_view) {};
    auto created = Instance::Create(module, host, std::move(options));
    if (created.ok()) {
      Instance& instance = *created.value();
      size_t constant_bytes = instance.heap_bytes();
      CheckCallOutcome(instance, instance.Start(), "start function");
      CallEveryExport(instance);
      instance.Reset();
      if (instance.heap_bytes() != constant_bytes) {
        InvariantFailed("Reset() left more than the constants on the heap",
                        std::to_string(instance.heap_bytes()) + " bytes after Reset(), " +
                            std::to_string(constant_bytes) + " after Create()");
      }
      // Once more from a reset state: globals back to nil, top-level code runs again.
      CallEveryExport(instance);
    }
  }
  if (memory.outstanding_bytes() != 0 || memory.outstanding_blocks() != 0) {
    InvariantFailed("the memory provider still holds memory after the instance was destroyed",
                    std::to_string(memory.outstanding_bytes()) + " bytes in " +
                        std::to_string(memory.outstanding_blocks()) + " blocks");
  }
}

}  // namespace trinity::fuzz
