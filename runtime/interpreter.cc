// The bytecode interpreter: one dispatch loop over verified wire bytecode, with the hot
// state (ip, sp, locals base) in locals. Limits are checked at safepoints (calls and
// backward jumps); every runtime failure leaves the loop as a VmTrap turned into a Trap.
#include "runtime/interpreter.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <optional>
#include <string>

#include "runtime/opcodes.h"
#include "runtime/probes.h"

namespace trinity {
namespace {

constexpr int64_t kFuelChunk = 1024;

template <typename T>
inline T ReadOperand(const uint8_t*& ip) {
  T v;
  std::memcpy(&v, ip, sizeof v);
  ip += sizeof v;
  return v;
}

[[noreturn]] __attribute__((noinline)) void TypeError2(const char* op, const Value& a, const Value& b) {
  ThrowTrap(TrapKind::kTypeError, std::string("cannot apply '") + op + "' to " +
                                      std::string(TypeName(a.tag)) + " and " +
                                      std::string(TypeName(b.tag)));
}

[[noreturn]] __attribute__((noinline)) void TypeError1(const char* op, const Value& a) {
  ThrowTrap(TrapKind::kTypeError,
            std::string("cannot apply '") + op + "' to " + std::string(TypeName(a.tag)));
}

inline bool IsNumber(const Value& v) { return v.tag == Tag::kInt || v.tag == Tag::kFloat; }
inline double AsDouble(const Value& v) { return v.tag == Tag::kInt ? static_cast<double>(v.i) : v.f; }

inline int64_t WrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
inline int64_t WrapSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
inline int64_t WrapMul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}

Value Concat(Instance::Impl& vm, const Value& a, const Value& b) {
  String* x = AsString(a);
  String* y = AsString(b);
  String* s = vm.heap.NewStringUninitialized(size_t{x->length} + y->length);
  std::memcpy(s->data, x->data, x->length);
  std::memcpy(s->data + x->length, y->data, y->length);
  return Value::Object(Tag::kString, s);
}

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

[[noreturn]] __attribute__((noinline)) void IndexError(int64_t index, size_t length, const char* what) {
  ThrowTrap(TrapKind::kIndexOutOfRange, "index " + std::to_string(index) + " out of range for " +
                                            what + " of length " + std::to_string(length));
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

int64_t Clamp(const Value& v, int64_t length, const Value& container) {
  if (v.tag != Tag::kInt) TypeError2("slice", container, v);
  if (v.i < 0) return 0;
  if (v.i > length) return length;
  return v.i;
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

}  // namespace

Result<Value, Trap> Instance::Impl::Execute(uint32_t entry, const Value* args, size_t argc) {
  if (options.gate == nullptr) return Run(entry, args, argc);
  std::optional<Result<Value, Trap>> result;
  std::optional<Trap> fault = options.gate->RunPlugin([&] { result.emplace(Run(entry, args, argc)); });
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

Result<Value, Trap> Instance::Impl::Run(uint32_t entry, const Value* args, size_t argc) {
  const Module& mod = *module;
  const Function* functions = mod.functions.data();
  const Limits& limits = options.limits;
  Value* const stack_begin = stack.data();
  Value* const stack_end = stack_begin + stack.size();

  fuel_used = 0;
  heap.TakeWorkBytes();
  has_deadline = limits.timeout.count() > 0;
  if (has_deadline) deadline = std::chrono::steady_clock::now() + limits.timeout;
  int64_t chunk = kFuelChunk;
  if (limits.fuel != 0 && limits.fuel < static_cast<uint64_t>(chunk)) chunk = static_cast<int64_t>(limits.fuel) + 1;
  int64_t budget = chunk;

  depth = 0;
  num_handlers = 0;
  const uint8_t* ip = nullptr;
  Value* base = nullptr;
  Value* sp = stack_begin;
  Closure* closure = nullptr;

  // The hot state (ip, sp, base, closure) must stay in registers: the helpers below take
  // it by value and never capture it by reference, which would force it into memory.

  // Brings fuel_used up to date: the steps run since the last refill, plus allocation,
  // which a single instruction can do a lot of (s = s + s): one unit of fuel per KiB
  // allocated keeps such loops metered.
  auto settle_fuel = [this, &chunk, &budget]() {
    fuel_used += static_cast<uint64_t>(chunk - budget);
    budget = chunk;
    fuel_used += heap.TakeWorkBytes() / kBytesPerFuel;
  };
  // The same, then the fuel trap if the limit is passed.
  auto charge_fuel = [this, &limits, &settle_fuel]() {
    settle_fuel();
    if (limits.fuel != 0 && fuel_used > limits.fuel) ThrowFuelExhausted("");
  };
  // Charges fuel, checks the deadline, collects garbage when due and refills the budget.
  auto safepoint_slow = [this, &limits, &chunk, &budget, &charge_fuel](Value* live_sp) {
    charge_fuel();
    if (has_deadline && std::chrono::steady_clock::now() >= deadline) ThrowDeadlineExceeded();
    if (heap.CollectionDue()) {
      this->sp = live_sp;
      CollectGarbage();
    }
    chunk = kFuelChunk;
    if (limits.fuel != 0) {
      uint64_t left = limits.fuel - fuel_used;
      if (left < static_cast<uint64_t>(chunk)) chunk = static_cast<int64_t>(left) + 1;
    }
    budget = chunk;
  };

  // Checks and pushes a frame for `fn_index` whose arguments start at `args_at`.
  auto push_frame = [this, functions, &limits, stack_begin, stack_end](
                        uint32_t fn_index, Value* args_at, Value* result, Closure* cl,
                        const uint8_t* caller_ip) -> const Function& {
    const Function& fn = functions[fn_index];
    if (depth >= limits.max_depth || depth >= frames.size()) {
      ThrowTrap(TrapKind::kStackOverflow,
                "call depth limit of " + std::to_string(limits.max_depth) + " exceeded");
    }
    // The value slots this frame may use plus every frame record count against
    // max_stack_bytes (trinity.h); the arrays themselves are sized for that budget.
    size_t slots = static_cast<size_t>(args_at - stack_begin) + fn.num_locals + fn.max_stack;
    if (slots * sizeof(Value) + (depth + 1) * sizeof(Frame) + num_handlers * sizeof(Handler) >
            limits.max_stack_bytes ||
        static_cast<size_t>(stack_end - args_at) < size_t{fn.num_locals} + fn.max_stack) {
      ThrowTrap(TrapKind::kStackOverflow,
                "stack limit of " + std::to_string(limits.max_stack_bytes) +
                    " bytes exceeded (value stack and call frames, at call depth " +
                    std::to_string(depth) + ")");
    }
    if (fn.num_captures != 0 && (cl == nullptr || cl->num_captures != fn.num_captures)) {
      ThrowTrap(TrapKind::kTypeError, "function '" + fn.name + "' can only be called as a closure");
    }
    for (Value* p = args_at + fn.arity; p < args_at + fn.num_locals; ++p) *p = Value::Nil();
    if (depth > 0) frames[depth - 1].ip = caller_ip;
    frames[depth] = Frame{fn_index, fn.code.data(), args_at, result, cl};
    ++depth;
    return fn;
  };

#define ENTER(fn_index, args_at, result, cl)                                 \
  do {                                                                       \
    Value* at_ = (args_at);                                                  \
    Closure* cl_ = (cl);                                                     \
    const Function& fn_ = push_frame((fn_index), at_, (result), cl_, ip);    \
    ip = fn_.code.data();                                                    \
    base = at_;                                                              \
    sp = at_ + fn_.num_locals;                                               \
    closure = cl_;                                                           \
  } while (0)

  // A trap a try block catches leaves the catch block below, which resumes the loop.
  bool entered = false;
  for (;;) {
  try {
    if (!entered) {
      entered = true;
      if (static_cast<size_t>(stack_end - stack_begin) < argc + 1) {
        ThrowTrap(TrapKind::kStackOverflow, "stack limit of " + std::to_string(limits.max_stack_bytes) +
                                                " bytes too small for the call's arguments");
      }
      Value* result_slot = sp++;
      *result_slot = Value::Nil();
      for (size_t i = 0; i < argc; ++i) *sp++ = args[i];
      ENTER(entry, result_slot + 1, result_slot, nullptr);
    }

#define SAFEPOINT()                                \
  do {                                             \
    if (--budget <= 0 || heap.ShouldCollect()) {   \
      frames[depth - 1].ip = ip;                   \
      safepoint_slow(sp);                          \
    }                                              \
  } while (0)

    // Threaded dispatch: every handler ends by jumping straight to the next handler
    // through this table (GCC/Clang labels-as-values), instead of returning to one shared
    // switch, so each opcode gets its own well-predicted indirect branch. The switch is
    // only entered for the first instruction. Bytes past the table are rejected by the
    // verifier; the bound check keeps that true even if the verifier had a bug.
    static const void* const kHandlers[kOpCount] = {
#define TRINITY_OP_LABEL(name, mnemonic, a, b, pops, pushes) &&L_##name,
        TRINITY_OPCODES(TRINITY_OP_LABEL)
#undef TRINITY_OP_LABEL
    };
#define CASE(name) \
  case Op::name:   \
  L_##name
#define NEXT()                                          \
  do {                                                  \
    uint8_t next_ = *ip++;                              \
    if (__builtin_expect(next_ >= kOpCount, 0)) goto L_invalid; \
    goto* kHandlers[next_];                             \
  } while (0)

    for (;;) {
      switch (static_cast<Op>(*ip++)) {
        CASE(kNop):
          NEXT();
        CASE(kPushNil):
          *sp++ = Value::Nil();
          NEXT();
        CASE(kPushTrue):
          *sp++ = Value::Bool(true);
          NEXT();
        CASE(kPushFalse):
          *sp++ = Value::Bool(false);
          NEXT();
        CASE(kPushInt):
          *sp++ = Value::Int(ReadOperand<int32_t>(ip));
          NEXT();
        CASE(kConst):
          *sp++ = constants[ReadOperand<uint32_t>(ip)];
          NEXT();
        CASE(kPop):
          --sp;
          NEXT();
        CASE(kDup):
          sp[0] = sp[-1];
          ++sp;
          NEXT();
        CASE(kDup2):
          sp[0] = sp[-2];
          sp[1] = sp[-1];
          sp += 2;
          NEXT();
        CASE(kSwap): {
          Value t = sp[-1];
          sp[-1] = sp[-2];
          sp[-2] = t;
          NEXT();
        }
        CASE(kLoadLocal):
          *sp++ = base[ReadOperand<uint16_t>(ip)];
          NEXT();
        CASE(kStoreLocal):
          base[ReadOperand<uint16_t>(ip)] = *--sp;
          NEXT();
        CASE(kLoadGlobal):
          *sp++ = globals[ReadOperand<uint32_t>(ip)];
          NEXT();
        CASE(kStoreGlobal):
          globals[ReadOperand<uint32_t>(ip)] = *--sp;
          NEXT();
        CASE(kLoadCapture):
          *sp++ = closure->captures[ReadOperand<uint16_t>(ip)];
          NEXT();
        CASE(kNewBox):
          sp[-1] = Value::Object(Tag::kBox, heap.NewBox(sp[-1]));
          NEXT();
        CASE(kBoxGet):
          if (sp[-1].tag != Tag::kBox) TypeError1("box_get", sp[-1]);
          sp[-1] = AsBox(sp[-1])->value;
          NEXT();
        CASE(kBoxSet):
          if (sp[-2].tag != Tag::kBox) TypeError1("box_set", sp[-2]);
          AsBox(sp[-2])->value = sp[-1];
          sp -= 2;
          NEXT();
        CASE(kAdd):
          if (sp[-2].tag == Tag::kInt && sp[-1].tag == Tag::kInt) {
            sp[-2].i = WrapAdd(sp[-2].i, sp[-1].i);
          } else if (sp[-2].tag == Tag::kFloat && sp[-1].tag == Tag::kFloat) {
            sp[-2].f = sp[-2].f + sp[-1].f;
          } else {
            sp[-2] = Arith(*this, Op::kAdd, sp[-2], sp[-1]);
          }
          --sp;
          NEXT();
        CASE(kSub):
          if (sp[-2].tag == Tag::kInt && sp[-1].tag == Tag::kInt) {
            sp[-2].i = WrapSub(sp[-2].i, sp[-1].i);
          } else if (sp[-2].tag == Tag::kFloat && sp[-1].tag == Tag::kFloat) {
            sp[-2].f = sp[-2].f - sp[-1].f;
          } else {
            sp[-2] = Arith(*this, Op::kSub, sp[-2], sp[-1]);
          }
          --sp;
          NEXT();
        CASE(kMul):
          if (sp[-2].tag == Tag::kInt && sp[-1].tag == Tag::kInt) {
            sp[-2].i = WrapMul(sp[-2].i, sp[-1].i);
          } else if (sp[-2].tag == Tag::kFloat && sp[-1].tag == Tag::kFloat) {
            sp[-2].f = sp[-2].f * sp[-1].f;
          } else {
            sp[-2] = Arith(*this, Op::kMul, sp[-2], sp[-1]);
          }
          --sp;
          NEXT();
        CASE(kMod):
          // Fast path for the common case; zero and -1 divisors take the checked path.
          if (sp[-2].tag == Tag::kInt && sp[-1].tag == Tag::kInt && sp[-1].i > 0) {
            sp[-2].i = sp[-2].i % sp[-1].i;
          } else {
            sp[-2] = Arith(*this, Op::kMod, sp[-2], sp[-1]);
          }
          --sp;
          NEXT();
        CASE(kDiv):
          if (sp[-2].tag == Tag::kInt && sp[-1].tag == Tag::kInt && sp[-1].i > 0) {
            sp[-2].i = sp[-2].i / sp[-1].i;
          } else if (sp[-2].tag == Tag::kFloat && sp[-1].tag == Tag::kFloat) {
            sp[-2].f = sp[-2].f / sp[-1].f;
          } else {
            sp[-2] = Arith(*this, Op::kDiv, sp[-2], sp[-1]);
          }
          --sp;
          NEXT();
        CASE(kNeg):
          if (sp[-1].tag == Tag::kInt) {
            sp[-1].i = WrapSub(0, sp[-1].i);
          } else if (sp[-1].tag == Tag::kFloat) {
            sp[-1].f = -sp[-1].f;
          } else {
            TypeError1("-", sp[-1]);
          }
          NEXT();
        CASE(kEq):
          if (sp[-2].tag == Tag::kInt && sp[-1].tag == Tag::kInt) {
            sp[-2] = Value::Bool(sp[-2].i == sp[-1].i);
          } else {
            sp[-2] = Value::Bool(ValuesEqual(sp[-2], sp[-1]));
          }
          --sp;
          NEXT();
        CASE(kNe):
          if (sp[-2].tag == Tag::kInt && sp[-1].tag == Tag::kInt) {
            sp[-2] = Value::Bool(sp[-2].i != sp[-1].i);
          } else {
            sp[-2] = Value::Bool(!ValuesEqual(sp[-2], sp[-1]));
          }
          --sp;
          NEXT();
        // Mixed int/float and string operands take CompareValues (value.cc), the exact
        // comparison every tier shares.
        CASE(kLt):
          if (sp[-2].tag == Tag::kInt && sp[-1].tag == Tag::kInt) {
            sp[-2] = Value::Bool(sp[-2].i < sp[-1].i);
          } else {
            sp[-2] = Value::Bool(CompareValues("<", sp[-2], sp[-1]) == -1);
          }
          --sp;
          NEXT();
        CASE(kLe):
          if (sp[-2].tag == Tag::kInt && sp[-1].tag == Tag::kInt) {
            sp[-2] = Value::Bool(sp[-2].i <= sp[-1].i);
          } else {
            int c = CompareValues("<=", sp[-2], sp[-1]);
            sp[-2] = Value::Bool(c == -1 || c == 0);
          }
          --sp;
          NEXT();
        CASE(kGt):
          if (sp[-2].tag == Tag::kInt && sp[-1].tag == Tag::kInt) {
            sp[-2] = Value::Bool(sp[-2].i > sp[-1].i);
          } else {
            sp[-2] = Value::Bool(CompareValues(">", sp[-2], sp[-1]) == 1);
          }
          --sp;
          NEXT();
        CASE(kGe):
          if (sp[-2].tag == Tag::kInt && sp[-1].tag == Tag::kInt) {
            sp[-2] = Value::Bool(sp[-2].i >= sp[-1].i);
          } else {
            int c = CompareValues(">=", sp[-2], sp[-1]);
            sp[-2] = Value::Bool(c == 1 || c == 0);
          }
          --sp;
          NEXT();
        CASE(kNot):
          sp[-1] = Value::Bool(!sp[-1].Truthy());
          NEXT();
        CASE(kBitAnd):
          sp[-2] = BitOp(Op::kBitAnd, sp[-2], sp[-1]);
          --sp;
          NEXT();
        CASE(kBitOr):
          sp[-2] = BitOp(Op::kBitOr, sp[-2], sp[-1]);
          --sp;
          NEXT();
        CASE(kBitXor):
          sp[-2] = BitOp(Op::kBitXor, sp[-2], sp[-1]);
          --sp;
          NEXT();
        CASE(kShl):
          sp[-2] = BitOp(Op::kShl, sp[-2], sp[-1]);
          --sp;
          NEXT();
        CASE(kShr):
          sp[-2] = BitOp(Op::kShr, sp[-2], sp[-1]);
          --sp;
          NEXT();
        CASE(kBitNot):
          if (sp[-1].tag != Tag::kInt) TypeError1("~", sp[-1]);
          sp[-1].i = ~sp[-1].i;
          NEXT();
        CASE(kJump): {
          int32_t off = ReadOperand<int32_t>(ip);
          // Safepoints run before the jump so a trap there names the back-edge's line.
          if (off < 0) SAFEPOINT();
          ip += off;
          NEXT();
        }
        CASE(kJumpIfFalse): {
          int32_t off = ReadOperand<int32_t>(ip);
          if (!(--sp)->Truthy()) {
            if (off < 0) SAFEPOINT();
            ip += off;
          }
          NEXT();
        }
        CASE(kJumpIfTrue): {
          int32_t off = ReadOperand<int32_t>(ip);
          if ((--sp)->Truthy()) {
            if (off < 0) SAFEPOINT();
            ip += off;
          }
          NEXT();
        }
        CASE(kCall): {
          uint32_t callee = ReadOperand<uint32_t>(ip);
          SAFEPOINT();
          Value* args_at = sp - functions[callee].arity;
          ENTER(callee, args_at, args_at, nullptr);
          NEXT();
        }
        CASE(kCallValue): {
          uint8_t n = ReadOperand<uint8_t>(ip);
          SAFEPOINT();
          Value* callee = sp - n - 1;
          if (callee->tag != Tag::kFunction) {
            ThrowTrap(TrapKind::kTypeError,
                      "cannot call a value of type " + std::string(TypeName(callee->tag)));
          }
          Closure* cl = AsClosure(*callee);
          const Function& fn = functions[cl->function];
          if (fn.arity != n) {
            ThrowTrap(TrapKind::kTypeError, "function '" + fn.name + "' expects " +
                                                std::to_string(fn.arity) + " argument(s), got " +
                                                std::to_string(n));
          }
          ENTER(cl->function, callee + 1, callee, cl->num_captures ? cl : nullptr);
          NEXT();
        }
        CASE(kCallHost): {
          uint32_t index = ReadOperand<uint32_t>(ip);
          uint8_t n = ReadOperand<uint8_t>(ip);
          frames[depth - 1].ip = ip;
          this->sp = sp;
          Value v = CallHost(index, sp - n, n, static_cast<uint64_t>(chunk - budget));
          sp -= n;
          *sp++ = v;
          NEXT();
        }
        CASE(kCallBuiltin): {
          auto id = static_cast<Builtin>(ReadOperand<uint16_t>(ip));
          uint8_t n = ReadOperand<uint8_t>(ip);
          Value v = CallBuiltin(*this, id, sp - n, n);
          sp -= n;
          *sp++ = v;
          NEXT();
        }
        CASE(kReturn): {
          Value v = sp[-1];
          Frame& done = frames[--depth];
          *done.result = v;
          sp = done.result + 1;
          if (depth == 0) {
            charge_fuel();  // allocation in the last straight-line steps counts too
            this->sp = stack_begin;
            return v;
          }
          const Frame& caller = frames[depth - 1];
          ip = caller.ip;
          base = caller.base;
          closure = caller.closure;
          NEXT();
        }
        CASE(kPushFunc): {
          uint32_t f = ReadOperand<uint32_t>(ip);
          if (function_values[f].tag != Tag::kFunction) {
            function_values[f] = Value::Object(Tag::kFunction, heap.NewClosure(f, 0));
          }
          *sp++ = function_values[f];
          NEXT();
        }
        CASE(kMakeClosure): {
          uint32_t f = ReadOperand<uint32_t>(ip);
          uint8_t n = ReadOperand<uint8_t>(ip);
          Closure* c = heap.NewClosure(f, n);
          for (uint8_t i = 0; i < n; ++i) c->captures[i] = sp[i - n];
          sp -= n;
          *sp++ = Value::Object(Tag::kFunction, c);
          NEXT();
        }
        CASE(kNewArray): {
          uint32_t n = ReadOperand<uint32_t>(ip);
          Array* a = heap.NewArray(n);
          for (uint32_t i = 0; i < n; ++i) a->items[i] = sp[static_cast<ptrdiff_t>(i) - n];
          a->size = n;
          sp -= n;
          *sp++ = Value::Object(Tag::kArray, a);
          NEXT();
        }
        CASE(kNewMap): {
          uint32_t n = ReadOperand<uint32_t>(ip);
          Map* m = heap.NewMap(n);
          Value* pairs = sp - 2 * static_cast<ptrdiff_t>(n);
          for (uint32_t i = 0; i < n; ++i) {
            heap.MapSet(m, heap.NormalizeKey(pairs[2 * i]), pairs[2 * i + 1]);
          }
          sp = pairs;
          *sp++ = Value::Object(Tag::kMap, m);
          NEXT();
        }
        CASE(kIndexGet):
          sp[-2] = IndexGet(*this, sp[-2], sp[-1]);
          --sp;
          NEXT();
        CASE(kIndexSet):
          IndexSet(*this, sp[-3], sp[-2], sp[-1]);
          sp -= 3;
          NEXT();
        CASE(kLen):
          sp[-1] = Length(sp[-1]);
          NEXT();
        CASE(kArrayPush):
          if (sp[-2].tag != Tag::kArray) TypeError2("push", sp[-2], sp[-1]);
          heap.ArrayPush(AsArray(sp[-2]), sp[-1]);
          sp -= 2;
          NEXT();
        CASE(kArrayPop): {
          if (sp[-1].tag != Tag::kArray) TypeError1("pop", sp[-1]);
          Array* a = AsArray(sp[-1]);
          if (a->size == 0) ThrowTrap(TrapKind::kIndexOutOfRange, "pop from an empty array");
          sp[-1] = a->items[--a->size];
          NEXT();
        }
        CASE(kSlice):
          sp[-3] = Slice(*this, sp[-3], sp[-2], sp[-1]);
          sp -= 2;
          NEXT();
        CASE(kIterNext): {
          uint16_t slot = ReadOperand<uint16_t>(ip);
          int32_t off = ReadOperand<int32_t>(ip);
          Value& container = base[slot];
          Value& cursor = base[slot + 1];
          if (cursor.tag != Tag::kInt) TypeError1("iterate (cursor)", cursor);
          int64_t at = cursor.i < 0 ? 0 : cursor.i;
          bool more = false;
          switch (container.tag) {
            case Tag::kArray: {
              Array* a = AsArray(container);
              if (static_cast<uint64_t>(at) < a->size) {
                sp[0] = Value::Int(at);
                sp[1] = a->items[at];
                more = true;
              }
              break;
            }
            case Tag::kString: {
              String* s = AsString(container);
              if (static_cast<uint64_t>(at) < s->length) {
                sp[0] = Value::Int(at);
                sp[1] = NewStringValue(std::string_view(s->data + at, 1));
                more = true;
              }
              break;
            }
            case Tag::kMap: {
              Map* m = AsMap(container);
              while (static_cast<uint64_t>(at) < m->used && m->entries[at].key.tag == Tag::kNil) ++at;
              if (static_cast<uint64_t>(at) < m->used) {
                sp[0] = m->entries[at].key;
                sp[1] = m->entries[at].value;
                more = true;
              }
              break;
            }
            default:
              TypeError1("for-in", container);
          }
          if (more) {
            cursor = Value::Int(at + 1);
            sp += 2;
          } else {
            if (off < 0) SAFEPOINT();
            ip += off;
          }
          NEXT();
        }
        CASE(kTrap): {
          Value msg = *--sp;
          ThrowTrap(TrapKind::kError, DisplayString(msg, &mod, heap.limit()));
        }
        CASE(kTryBegin): {
          int32_t off = ReadOperand<int32_t>(ip);
          if (num_handlers == handlers.size()) {
            ThrowTrap(TrapKind::kStackOverflow,
                      "more than " + std::to_string(handlers.size()) + " try blocks open at once");
          }
          {
            // Open handlers count against max_stack_bytes with the frames and value slots.
            const Frame& f = frames[depth - 1];
            const Function& fn = functions[f.function];
            size_t slots = static_cast<size_t>(f.base - stack_begin) + fn.num_locals + fn.max_stack;
            if (slots * sizeof(Value) + depth * sizeof(Frame) + (num_handlers + 1) * sizeof(Handler) >
                limits.max_stack_bytes) {
              ThrowTrap(TrapKind::kStackOverflow,
                        "stack limit of " + std::to_string(limits.max_stack_bytes) +
                            " bytes exceeded (value stack, call frames and open try blocks)");
            }
          }
          handlers[num_handlers++] = Handler{depth, ip + off};
          NEXT();
        }
        CASE(kTryEnd):
          --num_handlers;
          NEXT();
        case Op::kCount:
        default:
        L_invalid:
          ThrowTrap(TrapKind::kInternal, "invalid opcode reached the interpreter");
      }
    }
#undef SAFEPOINT
#undef ENTER
#undef CASE
#undef NEXT
  } catch (VmTrap& t) {
    if (depth > 0) frames[depth - 1].ip = ip;
    Trap trap = MakeTrap(t.kind, std::move(t.message), depth);
    if (IsCatchable(trap.kind) && num_handlers > 0) {
      // The innermost open handler takes it (opcodes.h): drop the frames above its own,
      // empty its operand stack, push the error map and continue at the catch code.
      try {
        Value error = NewErrorValue(trap);
        const Handler& h = handlers[--num_handlers];
        depth = h.depth;
        const Frame& frame = frames[depth - 1];
        base = frame.base;
        closure = frame.closure;
        sp = base + functions[frame.function].num_locals;
        *sp++ = error;
        ip = static_cast<const uint8_t*>(h.target);
        continue;
      } catch (VmTrap& again) {  // no heap left for the error map
        trap = MakeTrap(again.kind, std::move(again.message), depth);
      }
    }
    if (trap.kind != TrapKind::kFuelExhausted) {
      settle_fuel();
      if (limits.fuel != 0) fuel_used = std::min(fuel_used, limits.fuel + 1);
    }
    depth = 0;
    num_handlers = 0;
    this->sp = stack_begin;
    return Err(std::move(trap));
  }
  }
}

Value Instance::Impl::CallHost(uint32_t index, const Value* args, uint8_t n,
                               uint64_t fuel_since_safepoint) {
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
