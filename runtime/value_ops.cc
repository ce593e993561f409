// The language's operations on values (value_ops.h), out of line: the general cases
// behind both tiers' inline fast paths, and every trap message they raise.
#include "runtime/value_ops.h"

#include <cmath>
#include <cstring>
#include <string>

namespace trinity {

void TypeError2(const char* op, const Value& a, const Value& b) {
  ThrowTrap(TrapKind::kTypeError, std::string("cannot apply '") + op + "' to " +
                                      std::string(TypeName(a.tag)) + " and " +
                                      std::string(TypeName(b.tag)));
}

void TypeError1(const char* op, const Value& a) {
  ThrowTrap(TrapKind::kTypeError,
            std::string("cannot apply '") + op + "' to " + std::string(TypeName(a.tag)));
}

// Mixed int/float and string operands take CompareValues (value.cc), the exact
// comparison every tier shares.
int Compare(const char* op, const Value& a, const Value& b) { return CompareValues(op, a, b); }

bool CompareOp(Op op, const Value& a, const Value& b) {
  switch (op) {
    case Op::kLt: return Compare("<", a, b) == -1;
    case Op::kLe: {
      int c = Compare("<=", a, b);
      return c == -1 || c == 0;
    }
    case Op::kGt: return Compare(">", a, b) == 1;
    default: {
      int c = Compare(">=", a, b);
      return c == 1 || c == 0;
    }
  }
}

namespace {

Value Concat(Instance::Impl& vm, const Value& a, const Value& b) {
  String* x = AsString(a);
  String* y = AsString(b);
  String* s = vm.heap.NewStringUninitialized(size_t{x->length} + y->length);
  std::memcpy(s->data, x->data, x->length);
  std::memcpy(s->data + x->length, y->data, y->length);
  return Value::Object(Tag::kString, s);
}

[[noreturn]] void IndexError(int64_t index, size_t length, const char* what) {
  ThrowTrap(TrapKind::kIndexOutOfRange, "index " + std::to_string(index) + " out of range for " +
                                            what + " of length " + std::to_string(length));
}

int64_t Clamp(const Value& v, int64_t length, const Value& container) {
  if (v.tag != Tag::kInt) TypeError2("slice", container, v);
  if (v.i < 0) return 0;
  if (v.i > length) return length;
  return v.i;
}

}  // namespace

Value Arith(Instance::Impl& vm, Op op, const Value& a, const Value& b) {
  if (a.tag == Tag::kInt && b.tag == Tag::kInt) {
    int64_t x = a.i, y = b.i;
    switch (op) {
      case Op::kAdd: return Value::Int(WrapAdd(x, y));
      case Op::kSub: return Value::Int(WrapSub(x, y));
      case Op::kMul: return Value::Int(WrapMul(x, y));
      case Op::kDiv:
        if (y == 0) ThrowTrap(TrapKind::kDivisionByZero, "integer division by zero");
        if (y == -1) return Value::Int(WrapSub(0, x));
        return Value::Int(x / y);
      case Op::kMod:
        if (y == 0) ThrowTrap(TrapKind::kDivisionByZero, "integer modulo by zero");
        if (y == -1) return Value::Int(0);
        return Value::Int(x % y);
      default: break;
    }
  } else if (IsNumber(a) && IsNumber(b)) {
    double x = AsDouble(a), y = AsDouble(b);
    switch (op) {
      case Op::kAdd: return Value::Float(x + y);
      case Op::kSub: return Value::Float(x - y);
      case Op::kMul: return Value::Float(x * y);
      case Op::kDiv: return Value::Float(x / y);
      case Op::kMod: return Value::Float(std::fmod(x, y));
      default: break;
    }
  } else if (op == Op::kAdd && a.tag == Tag::kString && b.tag == Tag::kString) {
    return Concat(vm, a, b);
  }
  static const char* const kNames[] = {"+", "-", "*", "/", "%"};
  TypeError2(kNames[static_cast<int>(op) - static_cast<int>(Op::kAdd)], a, b);
}

Value BitOp(Op op, const Value& a, const Value& b) {
  if (a.tag != Tag::kInt || b.tag != Tag::kInt) {
    static const char* const kNames[] = {"&", "|", "^", "<<", ">>"};
    TypeError2(kNames[static_cast<int>(op) - static_cast<int>(Op::kBitAnd)], a, b);
  }
  int64_t x = a.i, y = b.i;
  switch (op) {
    case Op::kBitAnd: return Value::Int(x & y);
    case Op::kBitOr: return Value::Int(x | y);
    case Op::kBitXor: return Value::Int(x ^ y);
    case Op::kShl: return Value::Int(static_cast<int64_t>(static_cast<uint64_t>(x) << (y & 63)));
    default: return Value::Int(x >> (y & 63));
  }
}

Value Negate(const Value& a) {
  if (a.tag == Tag::kInt) return Value::Int(WrapSub(0, a.i));
  if (a.tag == Tag::kFloat) return Value::Float(-a.f);
  TypeError1("-", a);
}

Value BitNot(const Value& a) {
  if (a.tag != Tag::kInt) TypeError1("~", a);
  return Value::Int(~a.i);
}

Value IndexGet(Instance::Impl& vm, const Value& c, const Value& k) {
  switch (c.tag) {
    case Tag::kArray: {
      Array* a = AsArray(c);
      if (k.tag != Tag::kInt) TypeError2("[]", c, k);
      if (k.i < 0 || static_cast<uint64_t>(k.i) >= a->size) IndexError(k.i, a->size, "array");
      return a->items[k.i];
    }
    case Tag::kString: {
      String* s = AsString(c);
      if (k.tag != Tag::kInt) TypeError2("[]", c, k);
      if (k.i < 0 || static_cast<uint64_t>(k.i) >= s->length) IndexError(k.i, s->length, "string");
      return vm.NewStringValue(std::string_view(s->data + k.i, 1));
    }
    case Tag::kMap: {
      Value key = vm.heap.NormalizeKey(k);
      if (MapEntry* e = vm.heap.MapFind(AsMap(c), key)) return e->value;
      std::string shown;
      AppendDisplay(shown, k, vm.module.get(), /*quote_strings=*/true, vm.heap.limit());
      if (shown.size() > 200) shown = shown.substr(0, 197) + "...";  // a message, not a dump
      ThrowTrap(TrapKind::kKeyNotFound, "key " + shown + " not found in map");
    }
    default:
      TypeError2("[]", c, k);
  }
}

void IndexSet(Instance::Impl& vm, const Value& c, const Value& k, const Value& v) {
  switch (c.tag) {
    case Tag::kArray: {
      Array* a = AsArray(c);
      if (k.tag != Tag::kInt) TypeError2("[]=", c, k);
      if (k.i < 0 || static_cast<uint64_t>(k.i) >= a->size) IndexError(k.i, a->size, "array");
      a->items[k.i] = v;
      return;
    }
    case Tag::kMap:
      vm.heap.MapSet(AsMap(c), vm.heap.NormalizeKey(k), v);
      return;
    case Tag::kString:
      ThrowTrap(TrapKind::kTypeError, "strings are immutable");
    default:
      TypeError2("[]=", c, k);
  }
}

Value Length(const Value& v) {
  switch (v.tag) {
    case Tag::kString: return Value::Int(AsString(v)->length);
    case Tag::kArray: return Value::Int(AsArray(v)->size);
    case Tag::kMap: return Value::Int(AsMap(v)->live);
    default: TypeError1("len", v);
  }
}

Value Slice(Instance::Impl& vm, const Value& c, const Value& from, const Value& to) {
  if (c.tag == Tag::kString) {
    String* s = AsString(c);
    int64_t i = Clamp(from, s->length, c), j = Clamp(to, s->length, c);
    if (j < i) j = i;
    return vm.NewStringValue(std::string_view(s->data + i, static_cast<size_t>(j - i)));
  }
  if (c.tag == Tag::kArray) {
    Array* a = AsArray(c);
    int64_t i = Clamp(from, a->size, c), j = Clamp(to, a->size, c);
    if (j < i) j = i;
    Array* out = vm.heap.NewArray(static_cast<uint32_t>(j - i));
    // Re-read `a->items` after allocating: the source cannot move, but keep it obvious.
    for (int64_t k = i; k < j; ++k) out->items[out->size++] = a->items[k];
    return Value::Object(Tag::kArray, out);
  }
  TypeError1("slice", c);
}

void ArrayPushChecked(Instance::Impl& vm, const Value& a, const Value& v) {
  if (a.tag != Tag::kArray) TypeError2("push", a, v);
  vm.heap.ArrayPush(AsArray(a), v);
}

Value ArrayPopChecked(const Value& v) {
  if (v.tag != Tag::kArray) TypeError1("pop", v);
  Array* a = AsArray(v);
  if (a->size == 0) ThrowTrap(TrapKind::kIndexOutOfRange, "pop from an empty array");
  return a->items[--a->size];
}

Box* CheckedBox(const Value& v, const char* op) {
  if (v.tag != Tag::kBox) TypeError1(op, v);
  return AsBox(v);
}

Value NewArrayFrom(Instance::Impl& vm, const Value* items, uint32_t n) {
  Array* a = vm.heap.NewArray(n);
  for (uint32_t i = 0; i < n; ++i) a->items[i] = items[i];
  a->size = n;
  return Value::Object(Tag::kArray, a);
}

Value NewMapFrom(Instance::Impl& vm, const Value* pairs, uint32_t n) {
  Map* m = vm.heap.NewMap(n);
  for (uint32_t i = 0; i < n; ++i) {
    vm.heap.MapSet(m, vm.heap.NormalizeKey(pairs[2 * i]), pairs[2 * i + 1]);
  }
  return Value::Object(Tag::kMap, m);
}

Value NewClosureFrom(Instance::Impl& vm, uint32_t function, const Value* captures, uint32_t n) {
  Closure* c = vm.heap.NewClosure(function, n);
  for (uint32_t i = 0; i < n; ++i) c->captures[i] = captures[i];
  return Value::Object(Tag::kFunction, c);
}

Value FunctionValue(Instance::Impl& vm, uint32_t function) {
  Value& cached = vm.function_values[function];
  if (cached.tag != Tag::kFunction) {
    cached = Value::Object(Tag::kFunction, vm.heap.NewClosure(function, 0));
  }
  return cached;
}

Closure* CallableClosure(const Value& callee, const Module& m, uint32_t argc) {
  if (callee.tag != Tag::kFunction) {
    ThrowTrap(TrapKind::kTypeError, "cannot call a value of type " + std::string(TypeName(callee.tag)));
  }
  Closure* cl = AsClosure(callee);
  const Function& fn = m.functions[cl->function];
  if (fn.arity != argc) {
    ThrowTrap(TrapKind::kTypeError, "function '" + fn.name + "' expects " +
                                        std::to_string(fn.arity) + " argument(s), got " +
                                        std::to_string(argc));
  }
  return cl;
}

void RaiseError(Instance::Impl& vm, const Value& msg) {
  ThrowTrap(TrapKind::kError, DisplayString(msg, vm.module.get(), vm.heap.limit()));
}

bool IterNext(Instance::Impl& vm, const Value& container, const Value& cursor, IterStep* out) {
  if (cursor.tag != Tag::kInt) TypeError1("iterate (cursor)", cursor);
  int64_t at = cursor.i < 0 ? 0 : cursor.i;
  switch (container.tag) {
    case Tag::kArray: {
      Array* a = AsArray(container);
      if (static_cast<uint64_t>(at) >= a->size) return false;
      out->key = Value::Int(at);
      out->value = a->items[at];
      break;
    }
    case Tag::kString: {
      String* s = AsString(container);
      if (static_cast<uint64_t>(at) >= s->length) return false;
      out->key = Value::Int(at);
      out->value = vm.NewStringValue(std::string_view(s->data + at, 1));
      break;
    }
    case Tag::kMap: {
      Map* m = AsMap(container);
      while (static_cast<uint64_t>(at) < m->used && m->entries[at].key.tag == Tag::kNil) ++at;
      if (static_cast<uint64_t>(at) >= m->used) return false;
      out->key = m->entries[at].key;
      out->value = m->entries[at].value;
      break;
    }
    default:
      TypeError1("for-in", container);
  }
  out->next_cursor = Value::Int(at + 1);
  return true;
}

}  // namespace trinity
