// The reference tier: one dispatch loop straight over verified wire bytecode, kept simple
// and readable as the oracle the fast tier (fast_interpreter.cc) is checked against. The
// hot state (ip, sp, locals base) lives in locals. Limits are checked at safepoints (calls
// and backward jumps); every runtime failure leaves the loop as a VmTrap turned into a Trap.
#include <cstring>
#include <string>

#include "runtime/interpreter.h"
#include "runtime/opcodes.h"
#include "runtime/value_ops.h"

namespace trinity {
namespace {

template <typename T>
inline T ReadOperand(const uint8_t*& ip) {
  T v;
  std::memcpy(&v, ip, sizeof v);
  ip += sizeof v;
  return v;
}

// Linking this file makes the tier selectable (InstanceOptions::tier).
const bool registered = [] {
  Instance::Impl::reference_tier = [](Instance::Impl& vm, uint32_t entry, const Value* args,
                                      size_t argc) { return vm.RunReference(entry, args, argc); };
  return true;
}();

}  // namespace

Result<Value, Trap> Instance::Impl::RunReference(uint32_t entry, const Value* args, size_t argc) {
  const Module& mod = *module;
  const Function* functions = mod.functions.data();
  Value* const stack_begin = stack.data();
  Value* const stack_end = stack_begin + stack.size();

  // Fuel is counted down in fuel_budget; the shared steps in execution.cc (SafepointSlow,
  // ChargeFuelAtReturn, UnwindTrap) account for what it counted.
  BeginRun();
  const uint8_t* ip = nullptr;
  Value* base = nullptr;
  Value* sp = stack_begin;
  Closure* closure = nullptr;

  // The hot state (ip, sp, base, closure) must stay in registers: the helpers
  // take it by value and never capture it by reference, which would force it into memory.

  // Checks and pushes a frame for `fn_index` whose arguments start at `args_at`.
  auto push_frame = [this, functions](uint32_t fn_index, Value* args_at, Value* result,
                                      Closure* cl, const uint8_t* caller_ip) -> const Function& {
    const Function& fn = functions[fn_index];
    CheckCall(fn, args_at, cl);
    for (Value* p = args_at + fn.arity; p < args_at + fn.num_locals; ++p) *p = Value::Nil();
    if (depth > 0) frames[depth - 1].ip = caller_ip;
    Frame& f = frames[depth];
    f.function = fn_index;
    f.ip = fn.code.data();
    f.base = args_at;
    f.result = result;
    f.closure = cl;
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
        ThrowTrap(TrapKind::kStackOverflow, "stack limit of " + std::to_string(options.limits.max_stack_bytes) +
                                                " bytes too small for the call's arguments");
      }
      Value* result_slot = sp++;
      *result_slot = Value::Nil();
      for (size_t i = 0; i < argc; ++i) *sp++ = args[i];
      ENTER(entry, result_slot + 1, result_slot, nullptr);
    }

#define SAFEPOINT()                                \
  do {                                             \
    if (--fuel_budget == 0 || heap.ShouldCollect()) { \
      frames[depth - 1].ip = ip;                   \
      SafepointSlow(sp);                           \
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
          sp[-1] = CheckedBox(sp[-1], "box_get")->value;
          NEXT();
        CASE(kBoxSet):
          CheckedBox(sp[-2], "box_set")->value = sp[-1];
          sp -= 2;
          NEXT();
        // The reference tier has no fast paths of its own: every operation is the shared
        // definition in value_ops.cc, which the fast tier's inline cases must match.
#define BINARY(name, expr)        \
  CASE(name) : {                  \
    const Value& a = sp[-2];      \
    const Value& b = sp[-1];      \
    sp[-2] = (expr);              \
    --sp;                         \
    NEXT();                       \
  }
        BINARY(kAdd, Arith(*this, Op::kAdd, a, b))
        BINARY(kSub, Arith(*this, Op::kSub, a, b))
        BINARY(kMul, Arith(*this, Op::kMul, a, b))
        BINARY(kDiv, Arith(*this, Op::kDiv, a, b))
        BINARY(kMod, Arith(*this, Op::kMod, a, b))
        BINARY(kEq, Value::Bool(ValuesEqual(a, b)))
        BINARY(kNe, Value::Bool(!ValuesEqual(a, b)))
        BINARY(kLt, Value::Bool(CompareOp(Op::kLt, a, b)))
        BINARY(kLe, Value::Bool(CompareOp(Op::kLe, a, b)))
        BINARY(kGt, Value::Bool(CompareOp(Op::kGt, a, b)))
        BINARY(kGe, Value::Bool(CompareOp(Op::kGe, a, b)))
        BINARY(kBitAnd, BitOp(Op::kBitAnd, a, b))
        BINARY(kBitOr, BitOp(Op::kBitOr, a, b))
        BINARY(kBitXor, BitOp(Op::kBitXor, a, b))
        BINARY(kShl, BitOp(Op::kShl, a, b))
        BINARY(kShr, BitOp(Op::kShr, a, b))
        BINARY(kIndexGet, IndexGet(*this, a, b))
#undef BINARY
        CASE(kNeg):
          sp[-1] = Negate(sp[-1]);
          NEXT();
        CASE(kNot):
          sp[-1] = Value::Bool(!sp[-1].Truthy());
          NEXT();
        CASE(kBitNot):
          sp[-1] = BitNot(sp[-1]);
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
          Closure* cl = CallableClosure(*callee, mod, n);
          ENTER(cl->function, callee + 1, callee, cl->num_captures ? cl : nullptr);
          NEXT();
        }
        CASE(kCallHost): {
          uint32_t index = ReadOperand<uint32_t>(ip);
          uint8_t n = ReadOperand<uint8_t>(ip);
          frames[depth - 1].ip = ip;
          this->sp = sp;
          Value v = CallHost(index, sp - n, n);
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
            ChargeFuelAtReturn();  // allocation in the last straight-line steps counts too
            this->sp = stack_begin;
            return v;
          }
          const Frame& caller = frames[depth - 1];
          ip = caller.ip;
          base = caller.base;
          closure = caller.closure;
          NEXT();
        }
        CASE(kPushFunc):
          *sp++ = FunctionValue(*this, ReadOperand<uint32_t>(ip));
          NEXT();
        CASE(kMakeClosure): {
          uint32_t f = ReadOperand<uint32_t>(ip);
          uint8_t n = ReadOperand<uint8_t>(ip);
          Value c = NewClosureFrom(*this, f, sp - n, n);
          sp -= n;
          *sp++ = c;
          NEXT();
        }
        CASE(kNewArray): {
          uint32_t n = ReadOperand<uint32_t>(ip);
          Value a = NewArrayFrom(*this, sp - n, n);
          sp -= n;
          *sp++ = a;
          NEXT();
        }
        CASE(kNewMap): {
          uint32_t n = ReadOperand<uint32_t>(ip);
          Value* pairs = sp - 2 * static_cast<ptrdiff_t>(n);
          Value m = NewMapFrom(*this, pairs, n);
          sp = pairs;
          *sp++ = m;
          NEXT();
        }
        CASE(kIndexSet):
          IndexSet(*this, sp[-3], sp[-2], sp[-1]);
          sp -= 3;
          NEXT();
        CASE(kLen):
          sp[-1] = Length(sp[-1]);
          NEXT();
        CASE(kArrayPush):
          ArrayPushChecked(*this, sp[-2], sp[-1]);
          sp -= 2;
          NEXT();
        CASE(kArrayPop):
          sp[-1] = ArrayPopChecked(sp[-1]);
          NEXT();
        CASE(kSlice):
          sp[-3] = Slice(*this, sp[-3], sp[-2], sp[-1]);
          sp -= 2;
          NEXT();
        CASE(kIterNext): {
          uint16_t slot = ReadOperand<uint16_t>(ip);
          int32_t off = ReadOperand<int32_t>(ip);
          IterStep step;
          if (IterNext(*this, base[slot], base[slot + 1], &step)) {
            base[slot + 1] = step.next_cursor;
            sp[0] = step.key;
            sp[1] = step.value;
            sp += 2;
          } else {
            if (off < 0) SAFEPOINT();
            ip += off;
          }
          NEXT();
        }
        CASE(kTrap):
          RaiseError(*this, *--sp);
        CASE(kTryBegin): {
          int32_t off = ReadOperand<int32_t>(ip);
          OpenHandler(ip + off);
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
    // The innermost open try block takes a catchable trap (opcodes.h): continue at its
    // catch code with the error map in the handler frame's first temporary.
    if (const void* target = CatchTrap(t)) {
      const Frame& frame = frames[depth - 1];
      base = frame.base;
      closure = frame.closure;
      sp = base + functions[frame.function].num_locals + 1;  // the error map
      ip = static_cast<const uint8_t*>(target);
      continue;
    }
    return Err(UnwindTrap(t, depth));
  }
  }
}

}  // namespace trinity
