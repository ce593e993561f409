// WorkMeter, HeapCharge and OutputBuffer (stdlib_meter.h).
#include "runtime/stdlib_meter.h"

#include <algorithm>
#include <chrono>

namespace trinity {

void WorkMeter::Check() {
  Heap& heap = vm_.heap;
  heap.AddWorkBytes(pending_);
  pending_ = 0;
  uint64_t fuel = vm_.options.limits.fuel;
  if (fuel != 0 && vm_.fuel_used + heap.pending_work_bytes() / kBytesPerFuel > fuel) {
    vm_.ThrowFuelExhausted(" in " + std::string(fn_) + "()");
  }
  CheckDeadline(vm_);
}

void CheckDeadline(Instance::Impl& vm) {
  if (vm.has_deadline && std::chrono::steady_clock::now() >= vm.deadline) vm.ThrowDeadlineExceeded();
}

void HeapCharge::Set(size_t bytes) {
  if (bytes > bytes_) {
    heap_.ChargeExternal(bytes - bytes_);
  } else {
    heap_.ReleaseExternal(bytes_ - bytes);
  }
  bytes_ = bytes;
}

void OutputBuffer::Grow(size_t extra) {
  size_t need = text_.size() + extra;
  if (need < extra) ThrowTrap(TrapKind::kOutOfMemory, "string too long");
  // Doubling, but never past what is left under the limit when less would do.
  Heap& heap = meter_.vm().heap;
  size_t room = heap.limit() - std::min(heap.limit(), heap.bytes()) + charge_.bytes();
  size_t want = std::max(need, std::min(std::max(text_.capacity() * 2, size_t{64}), room));
  // Charge first: a request past the heap limit traps before anything is allocated.
  charge_.Set(want);
  text_.reserve(want);
}

}  // namespace trinity
