// Metering for the standard library, whose functions can do work proportional to their
// input inside a single instruction: bytes touched are charged as fuel (the unit of
// allocation, kBytesPerFuel), the fuel limit and the deadline are checked every 64 KiB of
// work so no call runs on past them, and memory held outside the heap (parser buffers,
// compiled patterns, strings being built) counts against the heap limit while it lives.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/interpreter.h"

namespace trinity {

class WorkMeter {
 public:
  // `fn` names the library function in trap messages ("json.decode").
  WorkMeter(Instance::Impl& vm, std::string_view fn) : vm_(vm), fn_(fn) {}
  ~WorkMeter() { vm_.heap.AddWorkBytes(pending_); }
  WorkMeter(const WorkMeter&) = delete;
  WorkMeter& operator=(const WorkMeter&) = delete;

  // Records `bytes` of work; every kCheckBytes it checks the limits (Check()).
  void Add(uint64_t bytes) {
    pending_ += bytes;
    if (pending_ >= kCheckBytes) Check();
  }
  // Moves the recorded work into the fuel count and traps when the fuel or the deadline is
  // exhausted. Fuel is compared against a lower bound of what the call has used (steps since
  // the last safepoint are not counted yet), so the trap never comes earlier than the
  // interpreter's own would.
  void Check();

  Instance::Impl& vm() const { return vm_; }
  std::string_view fn() const { return fn_; }

  static constexpr uint64_t kCheckBytes = 64u << 10;

 private:
  Instance::Impl& vm_;
  std::string_view fn_;
  uint64_t pending_ = 0;
};

// Bytes held outside the heap on the plugin's behalf, counted against the heap limit for
// as long as this object lives.
class HeapCharge {
 public:
  explicit HeapCharge(Heap& heap) : heap_(heap) {}
  ~HeapCharge() { heap_.ReleaseExternal(bytes_); }
  HeapCharge(const HeapCharge&) = delete;
  HeapCharge& operator=(const HeapCharge&) = delete;

  // Grows (an out-of-memory trap when it does not fit) or shrinks the charge to `bytes`.
  void Set(size_t bytes);
  size_t bytes() const { return bytes_; }

 private:
  Heap& heap_;
  size_t bytes_ = 0;
};

// A string a library function builds: its capacity is charged to the heap limit before it
// grows, and every byte appended is metered as work, so no call can build more than the
// limit allows nor spend more time than its fuel and deadline.
class OutputBuffer {
 public:
  explicit OutputBuffer(WorkMeter& meter) : meter_(meter), charge_(meter.vm().heap) {}

  void Append(std::string_view s) {
    Reserve(s.size());
    text_.append(s);
    Meter();
  }
  void Append(char c) {
    Reserve(1);
    text_.push_back(c);
    Meter();
  }
  // Direct writers: Reserve() room for at most `extra` bytes, write them through text(),
  // then Meter().
  void Reserve(size_t extra) {
    if (text_.capacity() - text_.size() < extra) Grow(extra);
  }
  std::string& text() { return text_; }
  void Meter() {
    if (text_.size() - metered_ >= kMeterBytes) {
      meter_.Add(text_.size() - metered_);
      metered_ = text_.size();
    }
  }
  size_t size() const { return text_.size(); }
  WorkMeter& meter() { return meter_; }

  // The result as a heap string.
  Value Finish() {
    meter_.Add(text_.size() - metered_);
    metered_ = text_.size();
    return meter_.vm().NewStringValue(text_);
  }

 private:
  static constexpr size_t kMeterBytes = 4096;  // batches the meter's bookkeeping
  void Grow(size_t extra);

  WorkMeter& meter_;
  HeapCharge charge_;
  std::string text_;
  size_t metered_ = 0;
};

// The current call's deadline, if it has passed: the same trap the interpreter's
// safepoints raise.
void CheckDeadline(Instance::Impl& vm);

}  // namespace trinity
