// Heap allocation, accounting, maps and the mark-and-sweep collector for one instance.
// All memory comes from the instance's MemoryProvider; every byte is counted so the heap
// limit holds, and Heap::bytes() returns to zero once everything is freed.
#include "runtime/heap.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>

namespace trinity {
namespace {

constexpr size_t kMinCollectionBytes = 1u << 20;

uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

}  // namespace

void ThrowTrap(TrapKind kind, std::string message) { throw VmTrap{kind, std::move(message)}; }

Heap::Heap(MemoryProvider& memory, size_t limit, uint64_t hash_seed)
    : memory_(memory), limit_(limit), hash_seed_(hash_seed), small_(memory) {
  ScheduleNextCollection();
}

Heap::~Heap() { FreeAll(); }

void Heap::set_limit(size_t limit) {
  limit_ = limit;
  ScheduleNextCollection();
}

void Heap::ThrowLimitExceeded(size_t bytes) const {
  ThrowTrap(TrapKind::kOutOfMemory, "heap limit of " + std::to_string(limit_) +
                                        " bytes exceeded (allocating " + std::to_string(bytes) +
                                        " bytes with " + std::to_string(bytes_) + " in use)");
}

void Heap::ChargeExternal(size_t bytes) {
  CheckLimit(bytes);
  bytes_ += bytes;
}

void* Heap::Allocate(size_t bytes) {
  CheckLimit(bytes);
  void* p = nullptr;
  if (bytes <= SmallBlockPool::kMaxBytes) {
    p = small_.Take(bytes, ChunkBudget());
    if (p == nullptr) p = memory_.Allocate(SmallBlockPool::BlockSize(bytes), alignof(std::max_align_t));
  } else {
    p = memory_.Allocate(bytes, alignof(std::max_align_t));
  }
  if (p == nullptr) {
    ThrowTrap(TrapKind::kOutOfMemory, "memory provider refused " + std::to_string(bytes) + " bytes");
  }
  bytes_ += bytes;
  work_bytes_ += bytes;
  CountDown(bytes);
  return p;
}

void Heap::Release(void* block, size_t bytes) {
  if (block == nullptr) return;
  bytes_ -= bytes;
  if (bytes > SmallBlockPool::kMaxBytes) {
    memory_.Free(block, bytes);
  } else if (!small_.Give(block, bytes)) {
    memory_.Free(block, SmallBlockPool::BlockSize(bytes));
  }
}

void Heap::Track(Obj* o, ObjKind kind, size_t size) {
  o->kind = kind;
  o->marked = false;
  o->alloc_size = static_cast<uint32_t>(size);
  o->next = objects_;
  objects_ = o;
}

String* Heap::NewStringUninitialized(size_t length) {
  if (length > std::numeric_limits<uint32_t>::max() - sizeof(String)) {
    ThrowTrap(TrapKind::kOutOfMemory, "string of " + std::to_string(length) + " bytes is too long");
  }
  // sizeof(String) already holds data[1] for the terminating NUL.
  size_t size = sizeof(String) + length;
  auto* s = static_cast<String*>(Allocate(size));
  Track(s, ObjKind::kString, size);
  s->length = static_cast<uint32_t>(length);
  s->hash = 0;
  s->data[length] = '\0';
  return s;
}

String* Heap::NewString(std::string_view bytes) {
  String* s = NewStringUninitialized(bytes.size());
  if (!bytes.empty()) std::memcpy(s->data, bytes.data(), bytes.size());
  return s;
}

Array* Heap::NewArray(uint32_t capacity) {
  Value* items = capacity ? static_cast<Value*>(Allocate(sizeof(Value) * capacity)) : nullptr;
  Array* a;
  try {
    a = static_cast<Array*>(Allocate(sizeof(Array)));
  } catch (...) {
    Release(items, sizeof(Value) * capacity);
    throw;
  }
  Track(a, ObjKind::kArray, sizeof(Array));
  a->items = items;
  a->size = 0;
  a->capacity = capacity;
  return a;
}

void Heap::ArrayPush(Array* a, Value v) {
  if (a->size == a->capacity) {
    if (a->capacity >= (1u << 30)) ThrowTrap(TrapKind::kOutOfMemory, "array too large");
    uint32_t cap = a->capacity < 4 ? 4 : a->capacity * 2;
    auto* items = static_cast<Value*>(Allocate(sizeof(Value) * cap));
    if (a->size) std::memcpy(static_cast<void*>(items), a->items, sizeof(Value) * a->size);
    Release(a->items, sizeof(Value) * a->capacity);
    a->items = items;
    a->capacity = cap;
  }
  a->items[a->size++] = v;
}

Map* Heap::NewMap(uint32_t capacity) {
  auto* m = static_cast<Map*>(Allocate(sizeof(Map)));
  Track(m, ObjKind::kMap, sizeof(Map));
  m->entries = nullptr;
  m->index = nullptr;
  m->used = m->capacity = m->live = 0;
  m->index_mask = 0;
  if (capacity) {
    if (capacity > (1u << 28)) ThrowTrap(TrapKind::kOutOfMemory, "map too large");
    ResizeMap(m, capacity);
  }
  return m;
}

Closure* Heap::NewClosure(uint32_t function, uint32_t num_captures) {
  size_t size = sizeof(Closure) + sizeof(Value) * (num_captures ? num_captures - 1 : 0);
  auto* c = static_cast<Closure*>(Allocate(size));
  Track(c, ObjKind::kClosure, size);
  c->function = function;
  c->num_captures = num_captures;
  for (uint32_t i = 0; i < num_captures; ++i) c->captures[i] = Value::Nil();
  return c;
}

Box* Heap::NewBox(Value v) {
  auto* b = static_cast<Box*>(Allocate(sizeof(Box)));
  Track(b, ObjKind::kBox, sizeof(Box));
  b->value = v;
  return b;
}

Value Heap::NormalizeKey(Value key) const {
  switch (key.tag) {
    case Tag::kBool:
    case Tag::kInt:
    case Tag::kString:
      return key;
    case Tag::kFloat: {
      double f = key.f;
      if (std::isnan(f)) ThrowTrap(TrapKind::kTypeError, "NaN cannot be a map key");
      // Integral floats in int64 range are the same key as the int.
      if (f == std::trunc(f) && f >= -9223372036854775808.0 && f < 9223372036854775808.0) {
        return Value::Int(static_cast<int64_t>(f));
      }
      if (f == 0.0) return Value::Int(0);
      return key;
    }
    default:
      ThrowTrap(TrapKind::kTypeError, std::string("a ") + std::string(TypeName(key.tag)) +
                                          " cannot be a map key");
  }
}

uint64_t Heap::HashOf(const Value& key) const {
  switch (key.tag) {
    case Tag::kString: {
      const String* s = AsString(key);
      if (s->hash == 0) {
        uint64_t h = 0xcbf29ce484222325ull ^ hash_seed_;
        for (uint32_t i = 0; i < s->length; ++i) {
          h ^= static_cast<uint8_t>(s->data[i]);
          h *= 0x100000001b3ull;
        }
        h = Mix(h);
        s->hash = static_cast<uint32_t>(h) | 1u;
      }
      return s->hash;
    }
    case Tag::kFloat: {
      uint64_t bits;
      std::memcpy(&bits, &key.f, sizeof bits);
      return Mix(bits ^ hash_seed_ ^ 0x5555);
    }
    case Tag::kBool:
      return Mix(static_cast<uint64_t>(key.b) ^ hash_seed_ ^ 0xb001);
    default:
      return Mix(static_cast<uint64_t>(key.i) ^ hash_seed_);
  }
}

namespace {
bool SameKey(const Value& a, const Value& b) {
  if (a.tag != b.tag) return false;
  switch (a.tag) {
    case Tag::kString: {
      const String* x = AsString(a);
      const String* y = AsString(b);
      return x == y || (x->length == y->length && std::memcmp(x->data, y->data, x->length) == 0);
    }
    case Tag::kFloat:
      return a.f == b.f;
    case Tag::kBool:
      return a.b == b.b;
    default:
      return a.i == b.i;
  }
}
}  // namespace

MapEntry* Heap::MapFind(const Map* m, const Value& key) const {
  if (m->live == 0) return nullptr;
  uint64_t h = HashOf(key);
  uint32_t slot = static_cast<uint32_t>(h) & m->index_mask;
  for (;;) {
    int32_t e = m->index[slot];
    if (e == -1) return nullptr;
    if (e >= 0) {
      MapEntry* entry = &m->entries[e];
      if (entry->hash == h && SameKey(entry->key, key)) return entry;
    }
    slot = (slot + 1) & m->index_mask;
  }
}

void Heap::InstallIndex(Map* m, int32_t* index, uint32_t index_size) {
  for (uint32_t i = 0; i < index_size; ++i) index[i] = -1;
  if (m->index) Release(m->index, sizeof(int32_t) * (m->index_mask + 1));
  m->index = index;
  m->index_mask = index_size - 1;
  for (uint32_t e = 0; e < m->used; ++e) {
    if (m->entries[e].key.tag == Tag::kNil) continue;
    uint32_t slot = static_cast<uint32_t>(m->entries[e].hash) & m->index_mask;
    while (index[slot] != -1) slot = (slot + 1) & m->index_mask;
    index[slot] = static_cast<int32_t>(e);
  }
}

void Heap::GrowMap(Map* m) {
  // Compact away removed entries when they are at least half the table; otherwise grow.
  uint32_t cap = m->capacity;
  if (m->live * 2 > m->used || m->used == 0) {
    if (cap >= (1u << 28)) ThrowTrap(TrapKind::kOutOfMemory, "map too large");
    cap = cap < 4 ? 4 : cap * 2;
  }
  ResizeMap(m, cap);
}

void Heap::ResizeMap(Map* m, uint32_t cap) {
  uint32_t index_size = 8;
  while (index_size < cap * 2) index_size *= 2;
  // Allocate everything before changing the map, so an out-of-memory trap leaves it intact.
  auto* entries = static_cast<MapEntry*>(Allocate(sizeof(MapEntry) * cap));
  int32_t* index;
  try {
    index = static_cast<int32_t*>(Allocate(sizeof(int32_t) * index_size));
  } catch (...) {
    Release(entries, sizeof(MapEntry) * cap);
    throw;
  }
  uint32_t n = 0;
  for (uint32_t e = 0; e < m->used; ++e) {
    if (m->entries[e].key.tag != Tag::kNil) entries[n++] = m->entries[e];
  }
  Release(m->entries, sizeof(MapEntry) * m->capacity);
  m->entries = entries;
  m->capacity = cap;
  m->used = n;
  InstallIndex(m, index, index_size);
}

MapEntry* Heap::MapSet(Map* m, Value key, Value value) {
  if (MapEntry* e = MapFind(m, key)) {
    e->value = value;
    return e;
  }
  if (m->used == m->capacity) GrowMap(m);
  uint64_t h = HashOf(key);
  uint32_t pos = m->used++;
  m->entries[pos] = MapEntry{key, value, h};
  ++m->live;
  uint32_t slot = static_cast<uint32_t>(h) & m->index_mask;
  while (m->index[slot] >= 0) slot = (slot + 1) & m->index_mask;
  m->index[slot] = static_cast<int32_t>(pos);
  return &m->entries[pos];
}

bool Heap::MapRemove(Map* m, const Value& key, Value* removed) {
  MapEntry* e = MapFind(m, key);
  if (e == nullptr) return false;
  uint32_t pos = static_cast<uint32_t>(e - m->entries);
  uint32_t slot = static_cast<uint32_t>(e->hash) & m->index_mask;
  while (m->index[slot] != static_cast<int32_t>(pos)) slot = (slot + 1) & m->index_mask;
  m->index[slot] = -2;
  if (removed) *removed = e->value;
  e->key = Value::Nil();
  e->value = Value::Nil();
  --m->live;
  return true;
}

void Heap::Mark(const Value& v) {
  if (v.IsObject()) MarkObject(v.o);
}

void Heap::MarkObject(Obj* o) {
  if (o == nullptr || o->marked) return;
  o->marked = true;
  if (o->kind != ObjKind::kString) gray_.push_back(o);
}

void Heap::Collect(const std::function<void(Heap&)>& mark_roots) {
  ++collections_;
  mark_roots(*this);
  while (!gray_.empty()) {
    Obj* o = gray_.back();
    gray_.pop_back();
    switch (o->kind) {
      case ObjKind::kString:
        break;
      case ObjKind::kArray: {
        auto* a = static_cast<Array*>(o);
        for (uint32_t i = 0; i < a->size; ++i) Mark(a->items[i]);
        break;
      }
      case ObjKind::kMap: {
        auto* m = static_cast<Map*>(o);
        for (uint32_t i = 0; i < m->used; ++i) {
          Mark(m->entries[i].key);
          Mark(m->entries[i].value);
        }
        break;
      }
      case ObjKind::kClosure: {
        auto* c = static_cast<Closure*>(o);
        for (uint32_t i = 0; i < c->num_captures; ++i) Mark(c->captures[i]);
        break;
      }
      case ObjKind::kBox:
        Mark(static_cast<Box*>(o)->value);
        break;
    }
  }
  Obj** link = &objects_;
  while (Obj* o = *link) {
    if (o->marked) {
      o->marked = false;
      link = &o->next;
    } else {
      *link = o->next;
      FreeObject(o);
    }
  }
  ScheduleNextCollection();
}

void Heap::ScheduleNextCollection() {
  // Collect again once the heap has roughly doubled, but always leave at least half of the
  // remaining headroom for allocation between safepoints.
  size_t live = bytes_;
  size_t headroom = limit_ > live ? limit_ - live : 0;
  size_t growth = live > kMinCollectionBytes ? live : kMinCollectionBytes;
  if (growth > headroom / 2) growth = headroom / 2;
  next_collection_ = live + growth;
  Rearm();
}

void Heap::Rearm() {
  int64_t to_collection = static_cast<int64_t>(next_collection_) - static_cast<int64_t>(bytes_);
  int64_t to_quantum = static_cast<int64_t>(kWorkQuantum) - static_cast<int64_t>(work_bytes_);
  countdown_ = std::min(to_collection, to_quantum);
  attention_ = countdown_ <= 0;
}

void Heap::FreeObject(Obj* o) {
  switch (o->kind) {
    case ObjKind::kArray: {
      auto* a = static_cast<Array*>(o);
      Release(a->items, sizeof(Value) * a->capacity);
      break;
    }
    case ObjKind::kMap: {
      auto* m = static_cast<Map*>(o);
      Release(m->entries, sizeof(MapEntry) * m->capacity);
      if (m->index) Release(m->index, sizeof(int32_t) * (m->index_mask + 1));
      break;
    }
    default:
      break;
  }
  Release(o, o->alloc_size);
}

void Heap::FreeAll() {
  while (Obj* o = objects_) {
    objects_ = o->next;
    FreeObject(o);
  }
  gray_.clear();
  ScheduleNextCollection();
}

}  // namespace trinity
