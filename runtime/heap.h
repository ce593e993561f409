// A plugin instance's heap: allocation of strings, arrays, maps, closures and boxes from
// the instance's MemoryProvider, byte accounting against the heap limit, and a
// mark-and-sweep collector that runs only at interpreter safepoints.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "runtime/memory.h"
#include "runtime/small_blocks.h"
#include "runtime/trinity.h"
#include "runtime/value.h"

namespace trinity {

// Thrown inside the runtime (never across the API) to abandon the current call; the
// interpreter converts it into a Trap with function and line.
struct VmTrap {
  TrapKind kind;
  std::string message;
};

[[noreturn]] void ThrowTrap(TrapKind kind, std::string message);

class Heap {
 public:
  Heap(MemoryProvider& memory, size_t limit, uint64_t hash_seed);
  ~Heap();
  Heap(const Heap&) = delete;
  Heap& operator=(const Heap&) = delete;

  // Raw accounted memory; throws an out-of-memory VmTrap past the limit.
  void* Allocate(size_t bytes);
  void Release(void* block, size_t bytes);
  // Memory a library built-in holds outside the heap (a compiled regex, a JSON parser's
  // buffers, an output being built) counts against the limit too; throws out of memory
  // past it. Charged bytes are part of bytes() until released.
  void ChargeExternal(size_t bytes);
  void ReleaseExternal(size_t bytes) { bytes_ -= bytes; }

  String* NewString(std::string_view bytes);
  String* NewStringUninitialized(size_t length);  // caller fills data[0..length)
  Array* NewArray(uint32_t capacity);
  Map* NewMap(uint32_t capacity);
  Closure* NewClosure(uint32_t function, uint32_t num_captures);
  Box* NewBox(Value v);

  // Arrays.
  void ArrayPush(Array* a, Value v);
  // Maps. Keys must already be normalised (NormalizeKey).
  Value NormalizeKey(Value key) const;  // throws type error for unhashable keys
  MapEntry* MapFind(const Map* m, const Value& key) const;
  // Returns the entry that now holds `key` (valid until the map next grows or shrinks).
  MapEntry* MapSet(Map* m, Value key, Value value);
  bool MapRemove(Map* m, const Value& key, Value* removed);

  uint64_t HashOf(const Value& key) const;

  // Collection: `mark_roots` must call Mark() on every root value.
  // True when the interpreter's next safepoint must take its slow path: a collection is
  // due, or enough allocation work has piled up to be charged as fuel.
  // The interpreters ask at every safepoint, so the common "no" is one flag test:
  // allocation counts down to the first point the answer could change and raises the flag
  // there; the exact test runs only then.
  bool ShouldCollect() {
    if (!attention_) return false;
    if (bytes_ >= next_collection_ || work_bytes_ >= kWorkQuantum) return true;
    Rearm();  // memory was released since the flag went up
    return false;
  }
  bool CollectionDue() const { return bytes_ >= next_collection_; }
  // Bytes allocated since the last call; the interpreter charges them as fuel so that
  // copying work inside one instruction (string building, repeat, join) is metered too.
  uint64_t TakeWorkBytes() {
    uint64_t w = work_bytes_;
    work_bytes_ = 0;
    Rearm();
    return w;
  }
  // Work done for the plugin outside the heap (values copied out to the host).
  void AddWorkBytes(uint64_t bytes) {
    work_bytes_ += bytes;
    CountDown(bytes);
  }
  uint64_t pending_work_bytes() const { return work_bytes_; }
  static constexpr uint64_t kWorkQuantum = 64u << 10;
  void Collect(const std::function<void(Heap&)>& mark_roots);
  void Mark(const Value& v);
  void MarkObject(Obj* o);
  void FreeAll();

  size_t bytes() const { return bytes_; }
  size_t limit() const { return limit_; }
  void set_limit(size_t limit);
  uint64_t collections() const { return collections_; }

 private:
  // Out-of-memory trap when `bytes` more would not fit under the limit.
  void CheckLimit(size_t bytes) const {
    if (bytes > limit_ || bytes_ > limit_ - bytes) ThrowLimitExceeded(bytes);
  }
  [[noreturn]] __attribute__((noinline)) void ThrowLimitExceeded(size_t bytes) const;
  void Track(Obj* o, ObjKind kind, size_t size);
  void FreeObject(Obj* o);
  void GrowMap(Map* m);
  void ResizeMap(Map* m, uint32_t capacity);
  void InstallIndex(Map* m, int32_t* index, uint32_t index_size);
  void ScheduleNextCollection();
  // Chunk memory the small-block pool may hold: with the live heap (at most the limit) the
  // provider is never asked for more than 1.5 times the limit.
  size_t ChunkBudget() const { return limit_ / 2; }
  // attention_ is set whenever ShouldCollect's condition may hold: after allocating
  // `countdown_` more bytes at the latest (releases only postpone the condition).
  void Rearm();
  void CountDown(uint64_t bytes) {
    countdown_ -= static_cast<int64_t>(bytes);
    if (countdown_ <= 0) attention_ = true;
  }

  MemoryProvider& memory_;
  size_t limit_;
  size_t bytes_ = 0;
  size_t next_collection_ = 0;
  uint64_t work_bytes_ = 0;
  int64_t countdown_ = 0;
  bool attention_ = true;
  uint64_t hash_seed_;
  uint64_t collections_ = 0;
  Obj* objects_ = nullptr;
  SmallBlockPool small_;
  std::vector<Obj*> gray_;
};

}  // namespace trinity
