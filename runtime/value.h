// The VM's value and heap-object layout. Internal to runtime/ (hosts use HostValue and
// HostArgs from trinity.h); the interpreter, builtins and collector share it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace trinity {

enum class Tag : uint8_t { kNil, kBool, kInt, kFloat, kHandle, kString, kArray, kMap, kFunction, kBox };

enum class ObjKind : uint8_t { kString, kArray, kMap, kClosure, kBox };

// Every heap object starts with this header; `next` threads all objects of one heap
// for the sweep phase.
struct Obj {
  ObjKind kind;
  bool marked;
  uint32_t alloc_size;  // bytes of this header block, for freeing and accounting
  Obj* next;
};

// A value is a 16-byte tagged union rather than a NaN-boxed double: Trinity ints are full
// 64-bit two's complement, which a NaN box cannot hold without allocating. Sixteen bytes
// still travel in two registers, ints and floats never touch the heap, and the type test
// the interpreter does on every arithmetic op is a single byte compare on `tag`.
struct Value {
  Tag tag;
  union {
    bool b;
    int64_t i;
    double f;
    Obj* o;
  };

  static Value Nil() { Value v; v.tag = Tag::kNil; v.i = 0; return v; }
  static Value Bool(bool x) { Value v; v.tag = Tag::kBool; v.i = 0; v.b = x; return v; }
  static Value Int(int64_t x) { Value v; v.tag = Tag::kInt; v.i = x; return v; }
  static Value Float(double x) { Value v; v.tag = Tag::kFloat; v.f = x; return v; }
  static Value Handle(int64_t id) { Value v; v.tag = Tag::kHandle; v.i = id; return v; }
  static Value Object(Tag t, Obj* obj) { Value v; v.tag = t; v.o = obj; return v; }

  bool IsObject() const { return tag >= Tag::kString; }
  bool Truthy() const { return !(tag == Tag::kNil || (tag == Tag::kBool && !b)); }
};
static_assert(sizeof(Value) == 16);

struct String : Obj {
  uint32_t length;
  mutable uint32_t hash;  // 0 = not computed yet
  char data[1];           // `length` bytes follow, plus a NUL for convenience

  std::string_view view() const { return {data, length}; }
};

struct Array : Obj {
  Value* items;
  uint32_t size;
  uint32_t capacity;
};

// Insertion-ordered hash map: entries are appended in order; `index` is an open-addressed
// table of entry positions. A removed entry keeps its slot with a nil key (nil is never a
// valid key), so iteration cursors stay valid across removals.
struct MapEntry {
  Value key;
  Value value;
  uint64_t hash;
};

struct Map : Obj {
  MapEntry* entries;
  int32_t* index;          // -1 empty, -2 removed, else entry position
  uint32_t used;           // entries appended so far (including removed ones)
  uint32_t capacity;       // entries allocated
  uint32_t live;           // entries present
  uint32_t index_mask;     // index table size - 1 (power of two), 0 when no table
};

struct Closure : Obj {
  uint32_t function;
  uint32_t num_captures;
  Value captures[1];  // num_captures values follow
};

struct Box : Obj {
  Value value;
};

inline String* AsString(const Value& v) { return static_cast<String*>(v.o); }
inline Array* AsArray(const Value& v) { return static_cast<Array*>(v.o); }
inline Map* AsMap(const Value& v) { return static_cast<Map*>(v.o); }
inline Closure* AsClosure(const Value& v) { return static_cast<Closure*>(v.o); }
inline Box* AsBox(const Value& v) { return static_cast<Box*>(v.o); }

// "nil", "bool", "int", ... as the language's type() returns them.
std::string_view TypeName(Tag tag);

// Language equality (==): numbers compare exactly across int/float (numbers.h), strings
// by bytes, everything else by identity.
bool ValuesEqual(const Value& a, const Value& b);

// Language ordering for < <= > >= (operator `op`, for the message): -1, 0 or 1 for two
// numbers (exact across int/float) or two strings (bytewise); kUnordered (numbers.h) when
// a NaN is involved; any other pair throws a type-error VmTrap.
int CompareValues(const char* op, const Value& a, const Value& b);

}  // namespace trinity
