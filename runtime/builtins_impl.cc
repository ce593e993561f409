// Implementations of the built-in functions listed in builtins.h. Each checks its
// argument types and raises a trap with a clear message instead of misbehaving.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <string>

#include "runtime/interpreter.h"

namespace trinity {
namespace {

[[noreturn]] void ArgError(std::string_view fn, int index, std::string_view wanted, const Value& got) {
  ThrowTrap(TrapKind::kTypeError, std::string(fn) + "() argument " + std::to_string(index + 1) +
                                      " must be " + std::string(wanted) + ", got " +
                                      std::string(TypeName(got.tag)));
}

String* StringArg(std::string_view fn, Value* args, int i) {
  if (args[i].tag != Tag::kString) ArgError(fn, i, "a string", args[i]);
  return AsString(args[i]);
}
Map* MapArg(std::string_view fn, Value* args, int i) {
  if (args[i].tag != Tag::kMap) ArgError(fn, i, "a map", args[i]);
  return AsMap(args[i]);
}
Array* ArrayArg(std::string_view fn, Value* args, int i) {
  if (args[i].tag != Tag::kArray) ArgError(fn, i, "an array", args[i]);
  return AsArray(args[i]);
}
int64_t IntArg(std::string_view fn, Value* args, int i) {
  if (args[i].tag != Tag::kInt) ArgError(fn, i, "an int", args[i]);
  return args[i].i;
}
double NumberArg(std::string_view fn, Value* args, int i) {
  if (args[i].tag == Tag::kInt) return static_cast<double>(args[i].i);
  if (args[i].tag != Tag::kFloat) ArgError(fn, i, "a number", args[i]);
  return args[i].f;
}

// Substring search in linear time: glibc's memmem uses the two-way algorithm, where a naive
// search on plugin-chosen strings could take quadratic time outside any fuel accounting.
size_t FindBytes(std::string_view haystack, std::string_view needle, size_t from) {
  if (from > haystack.size()) return std::string_view::npos;
  if (needle.empty()) return from;
  const void* p = memmem(haystack.data() + from, haystack.size() - from, needle.data(), needle.size());
  if (p == nullptr) return std::string_view::npos;
  return static_cast<size_t>(static_cast<const char*>(p) - haystack.data());
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// Float → int for int(), floor(), ceil(), round(): out of range or NaN traps.
int64_t FloatToInt(std::string_view fn, double f) {
  if (std::isnan(f) || f < -9223372036854775808.0 || f >= 9223372036854775808.0) {
    std::string shown;
    AppendFloat(shown, f);
    ThrowTrap(TrapKind::kTypeError, std::string(fn) + "(): " + shown + " does not fit in an int");
  }
  return static_cast<int64_t>(f);
}

Value ParseInt(std::string_view s) {
  std::string_view t = s;
  while (!t.empty() && IsSpace(t.front())) t.remove_prefix(1);
  while (!t.empty() && IsSpace(t.back())) t.remove_suffix(1);
  bool neg = false;
  std::string_view digits = t;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    neg = digits[0] == '-';
    digits.remove_prefix(1);
  }
  uint64_t mag = 0;
  auto r = std::from_chars(digits.data(), digits.data() + digits.size(), mag);
  bool ok = !digits.empty() && r.ec == std::errc() && r.ptr == digits.data() + digits.size() &&
            (neg ? mag <= 9223372036854775808ull : mag <= 9223372036854775807ull);
  if (!ok) ThrowTrap(TrapKind::kTypeError, "int(): cannot convert \"" + std::string(s.substr(0, 64)) + "\" to an int");
  return Value::Int(neg ? static_cast<int64_t>(0 - mag) : static_cast<int64_t>(mag));
}

Value ParseFloat(std::string_view s) {
  std::string_view t = s;
  while (!t.empty() && IsSpace(t.front())) t.remove_prefix(1);
  while (!t.empty() && IsSpace(t.back())) t.remove_suffix(1);
  std::string_view body = t;
  if (!body.empty() && body[0] == '+') body.remove_prefix(1);
  double f = 0;
  auto r = std::from_chars(body.data(), body.data() + body.size(), f);
  if (body.empty() || r.ec != std::errc() || r.ptr != body.data() + body.size()) {
    ThrowTrap(TrapKind::kTypeError, "float(): cannot convert \"" + std::string(s.substr(0, 64)) + "\" to a float");
  }
  return Value::Float(f);
}

Value MinMax(Value* args, int argc, bool want_max, std::string_view fn) {
  Value best = args[0];
  if (best.tag != Tag::kInt && best.tag != Tag::kFloat) ArgError(fn, 0, "a number", best);
  for (int i = 1; i < argc; ++i) {
    const Value& v = args[i];
    if (v.tag != Tag::kInt && v.tag != Tag::kFloat) ArgError(fn, i, "a number", v);
    // Exact across int and float; a NaN on either side is never better.
    int c = CompareValues(want_max ? "math.max" : "math.min", v, best);
    if (want_max ? c == 1 : c == -1) best = v;
  }
  return best;
}

Value Sort(Instance::Impl& vm, Array* a) {
  if (a->size < 2) return Value::Nil();
  bool numbers = true, strings = true;
  for (uint32_t i = 0; i < a->size; ++i) {
    Tag t = a->items[i].tag;
    numbers = numbers && (t == Tag::kInt || t == Tag::kFloat);
    strings = strings && t == Tag::kString;
  }
  if (numbers) {
    std::stable_sort(a->items, a->items + a->size, [](const Value& x, const Value& y) {
      if (x.tag == Tag::kInt && y.tag == Tag::kInt) return x.i < y.i;
      // NaNs sort last so the order stays strict-weak; the rest compare exactly.
      bool x_nan = x.tag == Tag::kFloat && std::isnan(x.f);
      bool y_nan = y.tag == Tag::kFloat && std::isnan(y.f);
      if (x_nan || y_nan) return !x_nan;
      return CompareValues("sort", x, y) == -1;
    });
  } else if (strings) {
    std::stable_sort(a->items, a->items + a->size, [](const Value& x, const Value& y) {
      return AsString(x)->view() < AsString(y)->view();
    });
  } else {
    ThrowTrap(TrapKind::kTypeError, "sort() needs an array of all numbers or all strings");
  }
  return Value::Nil();
}

}  // namespace

Value CallBuiltin(Instance::Impl& vm, Builtin id, Value* args, int argc) {
  Heap& heap = vm.heap;
  const Module& mod = *vm.module;
  switch (id) {
    case Builtin::kPrint: {
      // The line is sized before it is built (a growing buffer would briefly hold twice
      // a long line) and, like any temporary for the plugin, bounded by the heap limit.
      size_t length = static_cast<size_t>(argc);  // separators and the newline
      for (int i = 0; i < argc; ++i) {
        length += DisplayLength(args[i], &mod, false, heap.limit(), length);
      }
      std::string line;
      line.reserve(length);
      for (int i = 0; i < argc; ++i) {
        if (i) line += ' ';
        AppendDisplay(line, args[i], &mod, false, heap.limit());
      }
      line += '\n';
      // Output is copied to the host like a host-call argument: metered the same way, so
      // a loop printing megabytes per step still reaches its fuel and deadline checks.
      heap.AddWorkBytes(line.size());
      vm.options.print(line);
      return Value::Nil();
    }
    case Builtin::kKeys:
    case Builtin::kValues: {
      Map* m = MapArg(id == Builtin::kKeys ? "keys" : "values", args, 0);
      Array* out = heap.NewArray(m->live);
      for (uint32_t i = 0; i < m->used; ++i) {
        if (m->entries[i].key.tag == Tag::kNil) continue;
        out->items[out->size++] = id == Builtin::kKeys ? m->entries[i].key : m->entries[i].value;
      }
      return Value::Object(Tag::kArray, out);
    }
    case Builtin::kHas: {
      Map* m = MapArg("has", args, 0);
      return Value::Bool(heap.MapFind(m, heap.NormalizeKey(args[1])) != nullptr);
    }
    case Builtin::kGet: {
      Map* m = MapArg("get", args, 0);
      if (MapEntry* e = heap.MapFind(m, heap.NormalizeKey(args[1]))) return e->value;
      return argc == 3 ? args[2] : Value::Nil();
    }
    case Builtin::kDel: {
      Map* m = MapArg("del", args, 0);
      Value removed = Value::Nil();
      heap.MapRemove(m, heap.NormalizeKey(args[1]), &removed);
      return removed;
    }
    case Builtin::kStr:
      if (args[0].tag == Tag::kString) return args[0];
      return vm.NewStringValue(DisplayString(args[0], &mod, heap.limit()));
    case Builtin::kInt:
      switch (args[0].tag) {
        case Tag::kInt: return args[0];
        case Tag::kFloat: return Value::Int(FloatToInt("int", args[0].f));
        case Tag::kBool: return Value::Int(args[0].b ? 1 : 0);
        case Tag::kString: return ParseInt(AsString(args[0])->view());
        default: ArgError("int", 0, "a number, bool or string", args[0]);
      }
    case Builtin::kFloat:
      switch (args[0].tag) {
        case Tag::kInt: return Value::Float(static_cast<double>(args[0].i));
        case Tag::kFloat: return args[0];
        case Tag::kString: return ParseFloat(AsString(args[0])->view());
        default: ArgError("float", 0, "a number or string", args[0]);
      }
    case Builtin::kType:
      return vm.NewStringValue(TypeName(args[0].tag));
    case Builtin::kFind: {
      std::string_view s = StringArg("find", args, 0)->view();
      std::string_view sub = StringArg("find", args, 1)->view();
      int64_t start = argc == 3 ? IntArg("find", args, 2) : 0;
      if (start < 0) start = 0;
      if (static_cast<uint64_t>(start) > s.size()) return Value::Int(-1);
      size_t at = FindBytes(s, sub, static_cast<size_t>(start));
      return Value::Int(at == std::string_view::npos ? -1 : static_cast<int64_t>(at));
    }
    case Builtin::kSplit: {
      std::string_view s = StringArg("split", args, 0)->view();
      std::string_view sep = StringArg("split", args, 1)->view();
      if (sep.empty()) ThrowTrap(TrapKind::kError, "split(): separator must not be empty");
      // The result array is not reachable from a root while it is filled; the collector
      // only runs at safepoints, never inside a built-in, so that is safe.
      Array* out = heap.NewArray(0);
      size_t from = 0;
      for (;;) {
        size_t at = FindBytes(s, sep, from);
        if (at == std::string_view::npos) {
          heap.ArrayPush(out, vm.NewStringValue(s.substr(from)));
          break;
        }
        heap.ArrayPush(out, vm.NewStringValue(s.substr(from, at - from)));
        from = at + sep.size();
      }
      return Value::Object(Tag::kArray, out);
    }
    case Builtin::kJoin: {
      Array* a = ArrayArg("join", args, 0);
      std::string_view sep = StringArg("join", args, 1)->view();
      // Measured first, so the text is built once at its final size.
      size_t length = 0;
      for (uint32_t i = 0; i < a->size; ++i) {
        if (i) length += sep.size();
        if (length > heap.limit()) ThrowTrap(TrapKind::kOutOfMemory, "join(): result exceeds the heap limit");
        length += DisplayLength(a->items[i], &mod, false, heap.limit(), length);
      }
      std::string out;
      out.reserve(length);
      for (uint32_t i = 0; i < a->size; ++i) {
        if (i) out += sep;
        AppendDisplay(out, a->items[i], &mod, false, heap.limit());
      }
      return vm.NewStringValue(out);
    }
    case Builtin::kUpper:
    case Builtin::kLower: {
      bool up = id == Builtin::kUpper;
      String* s = StringArg(up ? "upper" : "lower", args, 0);
      String* out = heap.NewStringUninitialized(s->length);
      for (uint32_t i = 0; i < s->length; ++i) {
        char c = s->data[i];
        if (up && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
        if (!up && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        out->data[i] = c;
      }
      return Value::Object(Tag::kString, out);
    }
    case Builtin::kTrim: {
      std::string_view s = StringArg("trim", args, 0)->view();
      while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
      while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
      return vm.NewStringValue(s);
    }
    case Builtin::kReplace: {
      std::string_view s = StringArg("replace", args, 0)->view();
      std::string_view old = StringArg("replace", args, 1)->view();
      std::string_view with = StringArg("replace", args, 2)->view();
      if (old.empty()) ThrowTrap(TrapKind::kError, "replace(): the string to replace must not be empty");
      // Counted first, so the result is checked against the heap limit and built at its
      // final size rather than in a buffer that doubles.
      uint64_t found = 0;
      for (size_t at = FindBytes(s, old, 0); at != std::string_view::npos; at = FindBytes(s, old, at + old.size())) ++found;
      if (s.size() - found * old.size() + found * with.size() > heap.limit()) {
        ThrowTrap(TrapKind::kOutOfMemory, "replace(): result exceeds the heap limit");
      }
      std::string out;
      out.reserve(s.size() - found * old.size() + found * with.size());
      size_t from = 0;
      for (;;) {
        size_t at = FindBytes(s, old, from);
        if (at == std::string_view::npos) break;
        out.append(s.substr(from, at - from));
        out.append(with);
        if (out.size() > heap.limit()) ThrowTrap(TrapKind::kOutOfMemory, "replace(): result exceeds the heap limit");
        from = at + old.size();
      }
      out.append(s.substr(from));
      return vm.NewStringValue(out);
    }
    case Builtin::kStartsWith:
      return Value::Bool(StringArg("starts_with", args, 0)->view().starts_with(StringArg("starts_with", args, 1)->view()));
    case Builtin::kEndsWith:
      return Value::Bool(StringArg("ends_with", args, 0)->view().ends_with(StringArg("ends_with", args, 1)->view()));
    case Builtin::kRepeat: {
      String* s = StringArg("repeat", args, 0);
      int64_t n = IntArg("repeat", args, 1);
      if (n < 0) ThrowTrap(TrapKind::kError, "repeat(): count must not be negative");
      if (s->length != 0 && static_cast<uint64_t>(n) > heap.limit() / s->length) {
        ThrowTrap(TrapKind::kOutOfMemory, "repeat(): result exceeds the heap limit");
      }
      if (s->length == 0 || n == 0) return vm.NewStringValue("");
      size_t total = s->length * static_cast<size_t>(n);
      String* out = heap.NewStringUninitialized(total);
      // Doubling copies: O(log n) memcpy calls, whatever the count (a loop per repetition
      // would let repeat("x", huge) spin for seconds inside one instruction).
      std::memcpy(out->data, s->data, s->length);
      size_t filled = s->length;
      while (filled < total) {
        size_t chunk = filled < total - filled ? filled : total - filled;
        std::memcpy(out->data + filled, out->data, chunk);
        filled += chunk;
      }
      return Value::Object(Tag::kString, out);
    }
    case Builtin::kOrd: {
      String* s = StringArg("ord", args, 0);
      if (s->length != 1) ThrowTrap(TrapKind::kError, "ord(): needs a one-byte string, got " + std::to_string(s->length) + " bytes");
      return Value::Int(static_cast<uint8_t>(s->data[0]));
    }
    case Builtin::kChr: {
      int64_t n = IntArg("chr", args, 0);
      if (n < 0 || n > 255) ThrowTrap(TrapKind::kIndexOutOfRange, "chr(): " + std::to_string(n) + " is not in 0..255");
      char c = static_cast<char>(n);
      return vm.NewStringValue(std::string_view(&c, 1));
    }
    case Builtin::kSort:
      return Sort(vm, ArrayArg("sort", args, 0));
    case Builtin::kAssert:
      if (!args[0].Truthy()) {
        ThrowTrap(TrapKind::kError, argc == 2 ? DisplayString(args[1], &mod, heap.limit()) : std::string("assertion failed"));
      }
      return Value::Nil();
    case Builtin::kMathAbs:
      if (args[0].tag == Tag::kInt) {
        return Value::Int(args[0].i < 0 ? static_cast<int64_t>(0 - static_cast<uint64_t>(args[0].i)) : args[0].i);
      }
      return Value::Float(std::fabs(NumberArg("math.abs", args, 0)));
    case Builtin::kMathMin:
      return MinMax(args, argc, false, "math.min");
    case Builtin::kMathMax:
      return MinMax(args, argc, true, "math.max");
    case Builtin::kMathFloor:
    case Builtin::kMathCeil:
    case Builtin::kMathRound: {
      const char* name = id == Builtin::kMathFloor ? "math.floor" : id == Builtin::kMathCeil ? "math.ceil" : "math.round";
      if (args[0].tag == Tag::kInt) return args[0];
      double f = NumberArg(name, args, 0);
      double r = id == Builtin::kMathFloor ? std::floor(f) : id == Builtin::kMathCeil ? std::ceil(f) : std::round(f);
      return Value::Int(FloatToInt(name, r));
    }
    case Builtin::kMathSqrt: return Value::Float(std::sqrt(NumberArg("math.sqrt", args, 0)));
    case Builtin::kMathPow: return Value::Float(std::pow(NumberArg("math.pow", args, 0), NumberArg("math.pow", args, 1)));
    case Builtin::kMathSin: return Value::Float(std::sin(NumberArg("math.sin", args, 0)));
    case Builtin::kMathCos: return Value::Float(std::cos(NumberArg("math.cos", args, 0)));
    case Builtin::kMathTan: return Value::Float(std::tan(NumberArg("math.tan", args, 0)));
    case Builtin::kMathAtan:
      if (argc == 2) return Value::Float(std::atan2(NumberArg("math.atan", args, 0), NumberArg("math.atan", args, 1)));
      return Value::Float(std::atan(NumberArg("math.atan", args, 0)));
    case Builtin::kMathExp: return Value::Float(std::exp(NumberArg("math.exp", args, 0)));
    case Builtin::kMathLog: return Value::Float(std::log(NumberArg("math.log", args, 0)));
#ifdef TRINITY_TEST_OOB_PRIMITIVE
    // The deliberate bug: 8 bytes at any integer address, unchecked.
    case Builtin::kTestPeek:
      return Value::Int(*reinterpret_cast<volatile int64_t*>(IntArg("__peek", args, 0)));
    case Builtin::kTestPoke:
      *reinterpret_cast<volatile int64_t*>(IntArg("__poke", args, 0)) = IntArg("__poke", args, 1);
      return Value::Nil();
#endif
    case Builtin::kCount:
      break;
  }
  ThrowTrap(TrapKind::kInternal, "unknown built-in");
}

}  // namespace trinity
