// Shared by the harnesses that execute modules: runs a verified module the way an embedder
// would (every import bound, top-level code, every export) under small limits, and aborts
// the process when a runtime invariant breaks, so the fuzzer records the input as a crash.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <unordered_map>

#include "runtime/memory.h"
#include "runtime/module.h"
#include "runtime/trinity.h"
#include "fuzz/invariants.h"

namespace trinity::fuzz {

// A malloc-backed provider that remembers every live block, so a harness can check that an
// instance returns every byte it took, and that each Free names the size it was given.
class CountingMemoryProvider final : public MemoryProvider {
 public:
  ~CountingMemoryProvider() override;
  void* Allocate(size_t size, size_t align) override;
  void Free(void* block, size_t size) override;
  size_t outstanding_bytes() const { return outstanding_bytes_; }
  size_t outstanding_blocks() const { return live_.size(); }

 private:
  std::unordered_map<void*, size_t> live_;
  size_t outstanding_bytes_ = 0;
};

// Small enough that one input runs in milliseconds, big enough to reach interesting states.
Limits FuzzLimits();

// Aborts unless `r` (a Start() or Call() of `instance`, described by `what`) keeps the
// runtime's promises: fuel_used() at most one past the limit, and no kInternal trap.
void CheckCallOutcome(const Instance& instance, const Result<HostValue, Trap>& r, std::string_view what);

// Instantiates `module` with a counting provider and print() discarded, binds each import
// to a variadic host function returning nil, runs Start() and calls every export with nil
// arguments of the right arity, resets and calls them again. Aborts if a call traps with
// kInternal, fuel_used() exceeds the limit by more than one, Reset() leaves more than the
// constants on the heap, or the provider still holds memory after the instance is gone.
void RunModuleChecked(std::shared_ptr<const Module> module);

}  // namespace trinity::fuzz
