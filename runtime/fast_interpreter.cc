// The fast tier: a threaded loop over the module's translated register-form code
// (fast_code.h, fast_interpreter.md). Operands are frame-slot byte offsets, constants and
// jump displacements decoded at load time; every instruction ends in its own indirect
// jump to the next handler. Semantics beyond the int/float fast paths, limits, calls into
// the host and traps go through the helpers the reference tier uses too (value_ops.h,
// execution.cc), so both tiers produce the same output, traps and fuel.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "runtime/fast_code.h"
#include "runtime/fast_translate.h"
#include "runtime/interpreter.h"
#include "runtime/trace_hooks.h"
#include "runtime/value_ops.h"
#ifdef TRINITY_FAST_PROFILE
#include "runtime/fast_profile.h"
#endif

namespace trinity {
namespace {

inline int32_t Field(const uint8_t* ip, int i) {
  int32_t v;
  std::memcpy(&v, ip + FastOperandOffset(static_cast<size_t>(i)), 4);
  return v;
}
inline const void* HandlerAt(const uint8_t* ip) {
  const void* h;
  std::memcpy(&h, ip, sizeof h);
  return h;
}
inline Value& SlotAt(Value* base, int32_t offset) {
  return *reinterpret_cast<Value*>(reinterpret_cast<char*>(base) + offset);
}
inline const Value& ConstAt(const Value* constants, int32_t offset) {
  return *reinterpret_cast<const Value*>(reinterpret_cast<const char*>(constants) + offset);
}
inline void SetInt(Value& d, int64_t x) {
  d.tag = Tag::kInt;
  d.i = x;
}
inline void SetFloat(Value& d, double x) {
  d.tag = Tag::kFloat;
  d.f = x;
}

// Inline-cache fields live in code shared by every instance of a module, possibly on
// several threads: relaxed atomics, and every cached position is validated before use.
inline uint32_t CacheLoad(const uint8_t* field) {
  return std::atomic_ref<uint32_t>(*const_cast<uint32_t*>(reinterpret_cast<const uint32_t*>(field)))
      .load(std::memory_order_relaxed);
}
inline void CacheStore(const uint8_t* field, uint32_t v) {
  std::atomic_ref<uint32_t>(*const_cast<uint32_t*>(reinterpret_cast<const uint32_t*>(field)))
      .store(v, std::memory_order_relaxed);
}
// The cached entry of `m` when it still holds the interned constant `key`.
inline MapEntry* CachedEntry(Map* m, uint32_t at, const Value& key) {
  if (at < m->used) {
    MapEntry* e = &m->entries[at];
    if (e->key.o == key.o && e->key.tag == Tag::kString) return e;
  }
  return nullptr;
}

// GetField / SetField when the cached entry does not hold the key: a full lookup that
// caches the entry it finds, or the shared operation (and its trap) for a missing key or a
// receiver that is not a map. Operands as in the instruction at `ip`.
[[gnu::noinline]] void GetFieldMiss(Instance::Impl& vm, const uint8_t* ip, Value* base,
                                    const Value* constants) {
  const Value& c = SlotAt(base, Field(ip, 1));
  const Value& key = ConstAt(constants, Field(ip, 2));
  if (c.tag == Tag::kMap) {
    Map* m = AsMap(c);
    if (MapEntry* e = vm.heap.MapFind(m, key)) {
      CacheStore(ip + FastOperandOffset(3), static_cast<uint32_t>(e - m->entries));
      SlotAt(base, Field(ip, 0)) = e->value;
      return;
    }
  }
  Value r = IndexGet(vm, c, key);
  SlotAt(base, Field(ip, 0)) = r;
}
[[gnu::noinline]] void SetFieldMiss(Instance::Impl& vm, const uint8_t* ip, Value* base,
                                    const Value* constants) {
  const Value& c = SlotAt(base, Field(ip, 0));
  const Value& key = ConstAt(constants, Field(ip, 1));
  const Value& v = SlotAt(base, Field(ip, 2));
  if (c.tag == Tag::kMap) {
    Map* m = AsMap(c);
    MapEntry* e = vm.heap.MapSet(m, key, v);
    CacheStore(ip + FastOperandOffset(3), static_cast<uint32_t>(e - m->entries));
    return;
  }
  IndexSet(vm, c, key, v);
}

// Comparisons with the int and float cases inline; everything else (mixed numbers,
// strings, type errors) through the shared helpers.
inline bool TestEq(const Value& a, const Value& b) {
  if (a.tag == Tag::kInt && b.tag == Tag::kInt) return a.i == b.i;
  return ValuesEqual(a, b);
}
inline bool TestNe(const Value& a, const Value& b) { return !TestEq(a, b); }
#define TRINITY_ORDERED_TEST(Name, op, wire)                                      \
  inline bool Test##Name(const Value& a, const Value& b) {                       \
    if (a.tag == Tag::kInt && b.tag == Tag::kInt) return a.i op b.i;             \
    if (a.tag == Tag::kFloat && b.tag == Tag::kFloat) return a.f op b.f;         \
    return CompareOp(Op::wire, a, b);                                            \
  }                                                                              \
  inline bool Test##Name##I(const Value& a, int64_t k) {                         \
    if (a.tag == Tag::kInt) return a.i op k;                                     \
    return CompareOp(Op::wire, a, Value::Int(k));                                \
  }
TRINITY_ORDERED_TEST(Lt, <, kLt)
TRINITY_ORDERED_TEST(Le, <=, kLe)
TRINITY_ORDERED_TEST(Gt, >, kGt)
TRINITY_ORDERED_TEST(Ge, >=, kGe)
#undef TRINITY_ORDERED_TEST
// Against a float constant: float and int operands inline (an int converts exactly only
// up to 2^53, so larger ones take the shared comparison).
#define TRINITY_FLOAT_TEST(Name, op, wire)                                        \
  inline bool Test##Name##F(const Value& a, const Value& k) {                    \
    if (a.tag == Tag::kFloat) return a.f op k.f;                                 \
    return CompareOp(Op::wire, a, k);                                            \
  }
TRINITY_FLOAT_TEST(Lt, <, kLt)
TRINITY_FLOAT_TEST(Le, <=, kLe)
TRINITY_FLOAT_TEST(Gt, >, kGt)
TRINITY_FLOAT_TEST(Ge, >=, kGe)
#undef TRINITY_FLOAT_TEST
inline bool TestEqI(const Value& a, int64_t k) {
  if (a.tag == Tag::kInt) return a.i == k;
  return ValuesEqual(a, Value::Int(k));
}
inline bool TestNeI(const Value& a, int64_t k) { return !TestEqI(a, k); }

template <FastOp op>
constexpr ptrdiff_t kSize = static_cast<ptrdiff_t>(InfoOf(op).size());  // signed: added to negative jumps
static_assert(sizeof(Value) == kFastSlotBytes, "slot operands are byte offsets of Values");

// Before a trap unwinds, each frame's fast position becomes the wire position it stands
// for, so MakeTrap reports function and line exactly as the reference tier does. `ip` is
// the instruction the innermost frame was executing; callers hold return addresses.
void FramesToWirePositions(Instance::Impl& vm, const FastModule& fm, const uint8_t* ip) {
  for (size_t d = vm.depth; d-- > 0;) {
    Frame& frame = vm.frames[d];
    const FastFunction& fn = fm.functions[frame.function];
    size_t offset = d + 1 == vm.depth
                        ? static_cast<size_t>(ip - fn.code)
                        : static_cast<size_t>(reinterpret_cast<const uint8_t*>(frame.fast_ip) - fn.code) - 1;
    frame.ip = fn.wire->code.data() + fn.WirePcAt(offset) + 1;
  }
}

// GCC would otherwise merge the handlers' identical tails (cross-jumping, GCSE), folding
// their indirect jumps into a few shared ones that predict badly.
#if defined(__GNUC__) && !defined(__clang__)
#define TRINITY_DISTINCT_TAILS __attribute__((optimize("no-gcse", "no-crossjumping")))
#else
#define TRINITY_DISTINCT_TAILS
#endif

// True when the JIT left the loop whose back-edge is at `back_edge` to the interpreter.
inline bool LoopLeftToInterpreter(const LoopCounter* loops, const uint8_t* back_edge) {
  const LoopCounter& lc = loops[TraceEngine::LoopIndex(back_edge)];
  return lc.loop_ip == back_edge && lc.trace == nullptr && lc.hot > (INT32_MAX >> 1);
}

// The FastOp a handler address written into the code stands for (the recording loop
// dispatches through its own labels).
FastOp OpOfHandler(const void* handler);

// The loop. Called with `handlers_out` it only reports its handler table (label addresses
// exist only inside this function) for the translator to write into instructions.
// `resume` continues a run another instantiation left (kRecord: every instruction is shown
// to the trace recorder before it runs; see trace_hooks.h).
template <bool kRecord>
TRINITY_DISTINCT_TAILS Result<Value, Trap> FastLoop(Instance::Impl* vm_ptr, uint32_t entry, const Value* args, size_t argc,
                             const void* const** handlers_out, const FastResume* resume) {
  static const void* const kHandlers[kFastOpCount] = {
#define TRINITY_FAST_LABEL(name, mnemonic, operands) &&L_##name,
      TRINITY_FAST_OPS(TRINITY_FAST_LABEL)
#undef TRINITY_FAST_LABEL
  };
  if (handlers_out != nullptr) {
    *handlers_out = kHandlers;
    return Value::Nil();
  }
  Instance::Impl& vm = *vm_ptr;
  const FastModule& fm = *vm.module->executable.fast();
  Heap& heap = vm.heap;
  Frame* const frames = vm.frames.data();
  Value* const stack_begin = vm.stack.data();
  Value* const stack_end = stack_begin + vm.stack.size();
  const Value* const K = vm.constants.data();
  Value* const G = vm.globals.data();
  // A call from frame `fp` needs the depth check of CheckCall only when fp reaches this.
  Frame* const last_caller =
      frames + std::min<size_t>(vm.options.limits.max_depth, vm.frames.size()) - 1;
  // CheckCall's stack budget (slots * 16 + frames * sizeof(Frame) <= max_stack_bytes) as
  // one pointer compare: a callee whose frame ends at `end`, called from `fp`, fits when
  // end + (fp - frames) * sizeof(Frame) <= stack_budget_end. The value stack holds at
  // least the budget, so this also keeps every frame inside it.
  const size_t stack_budget =
      std::min(vm.options.limits.max_stack_bytes, vm.stack.size() * sizeof(Value));
  // Each open try block (Handler) takes sizeof(Handler) of the budget too: the end moves
  // down when one opens and back up when it closes, so the check stays one compare.
#define BUDGET_END(open_handlers)                                                        \
  (stack_budget < 2 * sizeof(Frame) + (open_handlers) * sizeof(Handler)                  \
       ? reinterpret_cast<uintptr_t>(stack_begin)                                        \
       : reinterpret_cast<uintptr_t>(stack_begin) + stack_budget - 2 * sizeof(Frame) -   \
             (open_handlers) * sizeof(Handler))
  uintptr_t stack_budget_end = BUDGET_END(vm.num_handlers);
#define OVER_STACK_BUDGET(end)                                                       \
  (reinterpret_cast<uintptr_t>(end) +                                               \
       static_cast<uintptr_t>(reinterpret_cast<char*>(fp) - reinterpret_cast<char*>(frames)) > \
   stack_budget_end)

  if (resume == nullptr) {
    vm.BeginRun();
    stack_budget_end = BUDGET_END(0);
  }
  TraceEngine* const jit = vm.jit.get();
  LoopCounter* const loops = jit != nullptr ? jit->loop_table() : nullptr;
  const uint8_t* ip = nullptr;      // the instruction being executed
  Value* base = nullptr;            // the current frame's slot 0
  // The current frame. vm.depth (= fp - frames + 1) is brought up to date only before
  // code outside the loop reads it: slow safepoints, call checks, traps.
  Frame* fp = nullptr;
#define SYNC_DEPTH() (vm.depth = fp ? static_cast<size_t>(fp - frames + 1) : 0)

#define F(i) Field(ip, i)
#define S(i) SlotAt(base, F(i))
#define KV(i) ConstAt(K, F(i))
  // Leaves this instantiation for the other one, which resumes at `ip` (the frames are
  // in the instance, vm.depth brought up to date).
#define SWITCH_LOOP(to_record)                                                  \
  do {                                                                          \
    SYNC_DEPTH();                                                               \
    vm.fast_resume = FastResume{ip, base};                                      \
    vm.fast_switch = (to_record) ? FastSwitch::kRecord : FastSwitch::kNormal;   \
    return Value::Nil();                                                        \
  } while (0)
#define CURRENT_STATE() FastState{ip, base, fp->closure}
#ifdef TRINITY_FAST_PROFILE
#define DISPATCH()                                   \
  do {                                               \
    CountFastStep(kHandlers, HandlerAt(ip));         \
    goto* HandlerAt(ip);                             \
  } while (0)
#else
  // While recording, every instruction is shown to the recorder before it runs; the code
  // holds the normal instantiation's handlers, so this one maps them to its own labels.
  // Every dispatch site of the recording instantiation jumps to one shared step
  // (L_record_step, after the handlers), which keeps that instantiation small.
#define DISPATCH()                                                              \
  do {                                                                          \
    if constexpr (kRecord) {                                                    \
      goto L_record_step;                                                       \
    } else {                                                                    \
      goto* HandlerAt(ip);                                                      \
    }                                                                           \
  } while (0)
#endif
  // A taken back-edge at `from` has moved `ip` to the loop header: run the loop's trace,
  // or count towards recording one. A trace may leave with inlined frames pushed.
#define BACK_EDGE(from)                                                                   \
  do {                                                                                    \
    if constexpr (!kRecord) {                                                             \
      if (loops != nullptr) {                                                             \
        LoopCounter& lc_ = loops[TraceEngine::LoopIndex(from)];                           \
        if (lc_.trace != nullptr && lc_.loop_ip == (from)) {                              \
          SYNC_DEPTH();                                                                   \
          FastState s_ = jit->RunTrace(lc_.trace, CURRENT_STATE(), &vm.fuel_budget);      \
          ip = s_.ip;                                                                     \
          base = s_.base;                                                                 \
          fp = frames + vm.depth - 1;                                                     \
          if (s_.record) SWITCH_LOOP(true);                                               \
        } else if (--lc_.hot <= 0) {                                                      \
          SYNC_DEPTH();                                                                   \
          if (jit->OnHotLoop((from), CURRENT_STATE(), vm.depth)) SWITCH_LOOP(true);       \
        }                                                                                 \
      }                                                                                   \
    }                                                                                     \
  } while (0)
  // Back-edges fused with their loop head, while a JIT watches (counting or recording):
  // the plain back-edge to the head, which then runs as its own instruction, so traces
  // see (and start at) the same loop header as with the unfused code.
  // A loop the engine gave up on (blacklisted: no trace, counter parked at INT32_MAX)
  // keeps its fused instructions.
#define JIT_WATCHES(back_edge)                                                        \
  (kRecord || (loops != nullptr && !LoopLeftToInterpreter(loops, (back_edge))))
#define JIT_UNFUSED_BACK_EDGE(head_field)                                         \
  do {                                                                            \
    if (JIT_WATCHES(ip)) {                                                        \
      const uint8_t* from_ = ip;                                                  \
      ip += F(head_field);                                                        \
      BACK_EDGE(from_);                                                           \
      DISPATCH();                                                                 \
    }                                                                             \
  } while (0)
#define NEXT(name)                       \
  do {                                   \
    ip += kSize<FastOp::k##name>;        \
    DISPATCH();                          \
  } while (0)
  // Fuel and the collector, exactly where the reference tier checks them: `top` is where
  // the reference tier's stack pointer would be, the end of what the collector must scan.
#define SAFEPOINT(top)                                              \
  do {                                                              \
    if (__builtin_expect(--vm.fuel_budget == 0 || heap.ShouldCollect(), 0)) { \
      SYNC_DEPTH();                                                 \
      vm.SafepointSlow(top);                                        \
    }                                                               \
  } while (0)
  // Pushes a frame for `fn` whose arguments start at `at`; the checks went first.
#define ENTER(fn, at, result_slot, cl, return_ip)                                  \
  do {                                                                             \
    for (Value *p_ = (at) + (fn)->arity, *e_ = (at) + (fn)->num_locals; p_ < e_; ++p_) \
      *p_ = Value::Nil();                                                          \
    fp->fast_ip = reinterpret_cast<const FastInsn*>(return_ip);                    \
    ++fp;                                                                          \
    fp->function = (fn)->index;                                                    \
    fp->base = (at);                                                               \
    fp->result = (result_slot);                                                    \
    fp->closure = (cl);                                                            \
    base = (at);                                                                   \
    ip = (fn)->code;                                                               \
  } while (0)

  // A trap a try block catches leaves the catch block below, which resumes the loop at
  // the handler's target through `resume`.
  FastResume caught;
  for (;;) {
  try {
    if (resume != nullptr) {
      ip = resume->ip;
      base = resume->base;
      fp = frames + vm.depth - 1;
      DISPATCH();
    }
    {  // a scope of its own: a resumed run jumps past these declarations
      if (static_cast<size_t>(stack_end - stack_begin) < argc + 1) {
        ThrowTrap(TrapKind::kStackOverflow, "stack limit of " + std::to_string(vm.options.limits.max_stack_bytes) +
                                                " bytes too small for the call's arguments");
      }
      Value* result_slot = stack_begin;
      *result_slot = Value::Nil();
      for (size_t i = 0; i < argc; ++i) result_slot[1 + i] = args[i];
      const FastFunction* fn = &fm.functions[entry];
      Value* at = result_slot + 1;
      vm.CheckCall(*fn->wire, at, nullptr);
      for (Value* p = at + fn->arity; p < at + fn->num_locals; ++p) *p = Value::Nil();
      fp = frames;
      fp->function = entry;
      fp->base = at;
      fp->result = result_slot;
      fp->closure = nullptr;
      base = at;
      ip = fn->code;
      DISPATCH();
    }

    // --- moves and constants ---------------------------------------------------------
  L_Mov:
    S(0) = S(1);
    NEXT(Mov);
  L_LoadInt:
    SetInt(S(0), F(1));
    NEXT(LoadInt);
  L_LoadConst:
    S(0) = KV(1);
    NEXT(LoadConst);
  L_LoadNil:
    S(0) = Value::Nil();
    NEXT(LoadNil);
  L_LoadTrue:
    S(0) = Value::Bool(true);
    NEXT(LoadTrue);
  L_LoadFalse:
    S(0) = Value::Bool(false);
    NEXT(LoadFalse);
  L_LoadGlobal:
    S(0) = G[F(1)];
    NEXT(LoadGlobal);
  L_StoreGlobal:
    G[F(0)] = S(1);
    NEXT(StoreGlobal);
  L_LoadCapture:
    S(0) = fp->closure->captures[F(1)];
    NEXT(LoadCapture);
  L_NewBox: {
    Value v = S(1);
    S(0) = Value::Object(Tag::kBox, heap.NewBox(v));
    NEXT(NewBox);
  }
  L_BoxGet: {
    Value v = CheckedBox(S(1), "box_get")->value;
    S(0) = v;
    NEXT(BoxGet);
  }
  L_BoxSet:
    CheckedBox(S(0), "box_set")->value = S(1);
    NEXT(BoxSet);
  L_Swap:
    std::swap(S(0), S(1));
    NEXT(Swap);

    // --- arithmetic: int and float inline, the rest through Arith ---------------------
#define TRINITY_ARITH(Name, wire, int_ok, int_expr, float_expr)                      \
  L_##Name: {                                                                        \
    const Value& a = S(1);                                                           \
    const Value& b = S(2);                                                           \
    if (a.tag == Tag::kInt && b.tag == Tag::kInt) {                                  \
      const int64_t x = a.i, y = b.i;                                                \
      if (int_ok) {                                                                  \
        SetInt(S(0), int_expr);                                                      \
        NEXT(Name);                                                                  \
      }                                                                              \
    } else if (a.tag == Tag::kFloat && b.tag == Tag::kFloat) {                       \
      const double x = a.f, y = b.f;                                                 \
      SetFloat(S(0), float_expr);                                                    \
      NEXT(Name);                                                                    \
    }                                                                                \
    Value r = Arith(vm, Op::wire, a, b);                                             \
    S(0) = r;                                                                        \
    NEXT(Name);                                                                      \
  }                                                                                  \
  L_##Name##I: {                                                                     \
    const Value& a = S(1);                                                           \
    if (a.tag == Tag::kInt) {                                                        \
      const int64_t x = a.i, y = F(2);                                               \
      if (int_ok) {                                                                  \
        SetInt(S(0), int_expr);                                                      \
        NEXT(Name##I);                                                               \
      }                                                                              \
    } else if (a.tag == Tag::kFloat) {                                               \
      const double x = a.f, y = static_cast<double>(F(2));                           \
      SetFloat(S(0), float_expr);                                                    \
      NEXT(Name##I);                                                                 \
    }                                                                                \
    Value k = Value::Int(F(2));                                                      \
    Value r = F(3) ? Arith(vm, Op::wire, k, a) : Arith(vm, Op::wire, a, k);          \
    S(0) = r;                                                                        \
    NEXT(Name##I);                                                                   \
  }                                                                                  \
  L_##Name##F: {                                                                     \
    const Value& a = S(1);                                                           \
    const Value& k = KV(2);                                                          \
    if (a.tag == Tag::kFloat || a.tag == Tag::kInt) {                                \
      const double x = AsDouble(a), y = k.f;                                         \
      SetFloat(S(0), float_expr);                                                    \
      NEXT(Name##F);                                                                 \
    }                                                                                \
    Value r = F(3) ? Arith(vm, Op::wire, k, a) : Arith(vm, Op::wire, a, k);          \
    S(0) = r;                                                                        \
    NEXT(Name##F);                                                                   \
  }
    TRINITY_ARITH(Add, kAdd, true, WrapAdd(x, y), x + y)
    TRINITY_ARITH(Sub, kSub, true, WrapSub(x, y), x - y)
    TRINITY_ARITH(Mul, kMul, true, WrapMul(x, y), x * y)
    TRINITY_ARITH(Div, kDiv, y > 0, x / y, x / y)
    TRINITY_ARITH(Mod, kMod, y > 0, x % y, std::fmod(x, y))
#undef TRINITY_ARITH
#define TRINITY_REVERSED(Name, wire, expr)                                       \
  L_##Name: {                                                                    \
    const Value& a = S(1);                                                       \
    const Value& k = KV(2);                                                      \
    if (a.tag == Tag::kFloat || a.tag == Tag::kInt) {                            \
      const double x = k.f, y = AsDouble(a);                                     \
      SetFloat(S(0), expr);                                                      \
      NEXT(Name);                                                                \
    }                                                                            \
    Value r = Arith(vm, Op::wire, k, a);                                         \
    S(0) = r;                                                                    \
    NEXT(Name);                                                                  \
  }
    TRINITY_REVERSED(RSubF, kSub, x - y)
    TRINITY_REVERSED(RDivF, kDiv, x / y)
#undef TRINITY_REVERSED
  L_DivP2: {
    const Value& a = S(1);
    if (a.tag == Tag::kInt) {
      const int64_t x = a.i;
      // Negative dividends first add 2^k - 1 so the shift truncates toward zero.
      SetInt(S(0), (x >= 0 ? x : x + (F(2) - 1)) >> F(3));
      NEXT(DivP2);
    }
    Value r = a.tag == Tag::kFloat ? Value::Float(a.f / static_cast<double>(F(2)))
                                   : Arith(vm, Op::kDiv, a, Value::Int(F(2)));
    S(0) = r;
    NEXT(DivP2);
  }
  L_ModP2: {
    const Value& a = S(1);
    if (a.tag == Tag::kInt) {
      const int64_t x = a.i;
      int64_t r = x & (F(2) - 1);
      if (x < 0 && r != 0) r -= F(2);  // the remainder takes the dividend's sign
      SetInt(S(0), r);
      NEXT(ModP2);
    }
    Value r = Arith(vm, Op::kMod, a, Value::Int(F(2)));
    S(0) = r;
    NEXT(ModP2);
  }
  L_AddK: {
    const Value& a = S(1);
    const Value& k = KV(2);
    Value r = F(3) ? Arith(vm, Op::kAdd, k, a) : Arith(vm, Op::kAdd, a, k);
    S(0) = r;
    NEXT(AddK);
  }

  L_Neg: {
    const Value& a = S(1);
    if (a.tag == Tag::kInt) {
      SetInt(S(0), WrapSub(0, a.i));
    } else {
      Value r = Negate(a);
      S(0) = r;
    }
    NEXT(Neg);
  }
  L_Not:
    S(0) = Value::Bool(!S(1).Truthy());
    NEXT(Not);
  L_BitNot: {
    Value r = BitNot(S(1));
    S(0) = r;
    NEXT(BitNot);
  }
#define TRINITY_BITS(Name, wire)                                \
  L_##Name: {                                                   \
    Value r = BitOp(Op::wire, S(1), S(2));                      \
    S(0) = r;                                                   \
    NEXT(Name);                                                 \
  }
    TRINITY_BITS(BitAnd, kBitAnd)
    TRINITY_BITS(BitOr, kBitOr)
    TRINITY_BITS(BitXor, kBitXor)
    TRINITY_BITS(Shl, kShl)
    TRINITY_BITS(Shr, kShr)
#undef TRINITY_BITS

    // --- comparisons: to a bool, or fused with the conditional jump after them --------
#define TRINITY_COMPARE(Name)                                                   \
  L_##Name: {                                                                   \
    bool r = Test##Name(S(1), S(2));                                            \
    S(0) = Value::Bool(r);                                                      \
    NEXT(Name);                                                                 \
  }                                                                             \
  L_JumpIfNot##Name:                                                            \
    if (!Test##Name(S(0), S(1))) {                                              \
      ip += F(2);                                                               \
      DISPATCH();                                                               \
    }                                                                           \
    NEXT(JumpIfNot##Name);                                                      \
  L_JumpIfNot##Name##I:                                                         \
    if (!Test##Name##I(S(0), F(1))) {                                           \
      ip += F(2);                                                               \
      DISPATCH();                                                               \
    }                                                                           \
    NEXT(JumpIfNot##Name##I);
#define TRINITY_COMPARE_F(Name)                                                 \
  L_JumpIfNot##Name##F:                                                         \
    if (!Test##Name##F(S(0), KV(1))) {                                          \
      ip += F(2);                                                               \
      DISPATCH();                                                               \
    }                                                                           \
    NEXT(JumpIfNot##Name##F);
    TRINITY_COMPARE_F(Lt)
    TRINITY_COMPARE_F(Le)
    TRINITY_COMPARE_F(Gt)
    TRINITY_COMPARE_F(Ge)
#undef TRINITY_COMPARE_F
    TRINITY_COMPARE(Eq)
    TRINITY_COMPARE(Ne)
    TRINITY_COMPARE(Lt)
    TRINITY_COMPARE(Le)
    TRINITY_COMPARE(Gt)
    TRINITY_COMPARE(Ge)
#undef TRINITY_COMPARE

    // --- jumps; a taken backward jump is a safepoint, as in the reference tier -------
  L_Jump:
    ip += F(0);
    DISPATCH();
  L_Loop: {
    SAFEPOINT(&S(1));
    const uint8_t* from = ip;
    ip += F(0);
    BACK_EDGE(from);
    DISPATCH();
  }
  L_JumpIfTrue:
    if (S(0).Truthy()) {
      ip += F(1);
      DISPATCH();
    }
    NEXT(JumpIfTrue);
  L_JumpIfFalse:
    if (!S(0).Truthy()) {
      ip += F(1);
      DISPATCH();
    }
    NEXT(JumpIfFalse);
  L_JumpIfNil:
    if (S(0).tag == Tag::kNil) {
      ip += F(1);
      DISPATCH();
    }
    NEXT(JumpIfNil);
  L_JumpIfNotNil:
    if (S(0).tag != Tag::kNil) {
      ip += F(1);
      DISPATCH();
    }
    NEXT(JumpIfNotNil);
  L_LoopIfTrue:
    if (S(0).Truthy()) {
      SAFEPOINT(&S(2));
      const uint8_t* from = ip;
      ip += F(1);
      BACK_EDGE(from);
      DISPATCH();
    }
    NEXT(LoopIfTrue);
  L_LoopIfFalse:
    if (!S(0).Truthy()) {
      SAFEPOINT(&S(2));
      const uint8_t* from = ip;
      ip += F(1);
      BACK_EDGE(from);
      DISPATCH();
    }
    NEXT(LoopIfFalse);

    // --- calls ---------------------------------------------------------------------------
    // A call of a known function: the checks CheckCall would make, inline (call_bytes
    // folds in the closure check); CheckCall runs only to raise the reference tier's trap.
#define CALL_KNOWN(Name, copy_arguments)                                                  \
  L_##Name: {                                                                             \
    const FastFunction* callee;                                                           \
    std::memcpy(&callee, ip + FastOperandOffset(2), sizeof callee);                       \
    char* at = reinterpret_cast<char*>(&S(0));                                            \
    copy_arguments;                                                                       \
    SAFEPOINT(reinterpret_cast<Value*>(at + callee->arity_bytes));                        \
    if (fp >= last_caller || OVER_STACK_BUDGET(at + callee->call_bytes)) {                   \
      SYNC_DEPTH();                                                                       \
      vm.CheckCall(*callee->wire, reinterpret_cast<Value*>(at), nullptr);                 \
    }                                                                                     \
    for (char* p = at + callee->arity_bytes; p < at + callee->locals_bytes; p += sizeof(Value)) { \
      *reinterpret_cast<Value*>(p) = Value::Nil();                                        \
    }                                                                                     \
    fp->fast_ip = reinterpret_cast<const FastInsn*>(ip + kSize<FastOp::k##Name>);         \
    fp[1].result = &S(1);                                                                 \
    ++fp;                                                                                 \
    fp->function = callee->index;                                                         \
    fp->base = base = reinterpret_cast<Value*>(at);                                       \
    fp->closure = nullptr;                                                                \
    ip = callee->code;                                                                    \
    DISPATCH();                                                                           \
  }
    CALL_KNOWN(Call, (void)0)
    // The arguments that are locals, copied into the callee's frame before the safepoint,
    // where the collector expects them.
    CALL_KNOWN(CallArgs1, reinterpret_cast<Value*>(at)[0] = S(4))
    CALL_KNOWN(CallArgs2, reinterpret_cast<Value*>(at)[0] = S(4); reinterpret_cast<Value*>(at)[1] = S(5))
    CALL_KNOWN(CallArgs3, reinterpret_cast<Value*>(at)[0] = S(4); reinterpret_cast<Value*>(at)[1] = S(5);
               reinterpret_cast<Value*>(at)[2] = S(6))
#undef CALL_KNOWN
  L_CallValue: {
    Value* callee_slot = &S(0);
    const uint32_t n = static_cast<uint32_t>(F(1));
    SAFEPOINT(callee_slot + 1 + n);
    Closure* cl = CallableClosure(*callee_slot, *vm.module, n);
    const FastFunction* callee = &fm.functions[cl->function];
    Closure* frame_closure = cl->num_captures ? cl : nullptr;
    Value* at = callee_slot + 1;
    if (fp >= last_caller ||
        OVER_STACK_BUDGET(reinterpret_cast<char*>(at) + callee->frame_slots * sizeof(Value)) ||
        callee->num_captures != (frame_closure ? frame_closure->num_captures : 0)) {
      SYNC_DEPTH();
      vm.CheckCall(*callee->wire, at, frame_closure);
    }
    Value* result = &S(2);
    const uint8_t* return_ip = ip + kSize<FastOp::kCallValue>;
    ENTER(callee, at, result, frame_closure, return_ip);
    DISPATCH();
  }
  L_CallHost: {
    Value* first = &S(1);
    const uint8_t n = static_cast<uint8_t>(F(3));
    vm.sp = first + n;
    Value v = vm.CallHost(static_cast<uint32_t>(F(2)), first, n);
    S(0) = v;
    NEXT(CallHost);
  }
  L_CallBuiltin: {
    Value v = CallBuiltin(vm, static_cast<Builtin>(F(2)), &S(1), F(3));
    S(0) = v;
    NEXT(CallBuiltin);
  }
#define RETURN(value)                                                                      \
  do {                                                                                     \
    Value v_ = (value);                                                                    \
    *fp->result = v_;                                                                      \
    if (fp == frames) {                                                                    \
      vm.depth = 0;                                                                        \
      vm.ChargeFuelAtReturn(); /* allocation in the last straight-line steps too */       \
      vm.sp = stack_begin;                                                                 \
      return v_;                                                                           \
    }                                                                                      \
    --fp;                                                                                  \
    ip = reinterpret_cast<const uint8_t*>(fp->fast_ip);                                   \
    base = fp->base;                                                                       \
    DISPATCH();                                                                            \
  } while (0)
  L_Return:
    RETURN(S(0));
  L_ReturnNil:
    RETURN(Value::Nil());
#undef RETURN

    // --- functions and containers ---------------------------------------------------
  L_PushFunc: {
    Value f = FunctionValue(vm, static_cast<uint32_t>(F(1)));
    S(0) = f;
    NEXT(PushFunc);
  }
  L_MakeClosure: {
    Value c = NewClosureFrom(vm, static_cast<uint32_t>(F(1)), &S(2), static_cast<uint32_t>(F(3)));
    S(0) = c;
    NEXT(MakeClosure);
  }
  L_NewArray: {
    Value a = NewArrayFrom(vm, &S(1), static_cast<uint32_t>(F(2)));
    S(0) = a;
    NEXT(NewArray);
  }
  L_NewMap: {
    Value m = NewMapFrom(vm, &S(1), static_cast<uint32_t>(F(2)));
    S(0) = m;
    NEXT(NewMap);
  }
  L_IndexGet: {
    const Value& c = S(1);
    const Value& k = S(2);
    if (c.tag == Tag::kArray && k.tag == Tag::kInt &&
        static_cast<uint64_t>(k.i) < AsArray(c)->size) {
      S(0) = AsArray(c)->items[k.i];
    } else {
      Value r = IndexGet(vm, c, k);
      S(0) = r;
    }
    NEXT(IndexGet);
  }
  L_IndexSet: {
    const Value& c = S(0);
    const Value& k = S(1);
    if (c.tag == Tag::kArray && k.tag == Tag::kInt &&
        static_cast<uint64_t>(k.i) < AsArray(c)->size) {
      AsArray(c)->items[k.i] = S(2);
    } else {
      IndexSet(vm, c, k, S(2));
    }
    NEXT(IndexSet);
  }
  L_IndexGetI: {
    const Value& c = S(1);
    const int64_t k = F(2);
    if (c.tag == Tag::kArray && static_cast<uint64_t>(k) < AsArray(c)->size) {
      S(0) = AsArray(c)->items[k];
    } else {
      Value r = IndexGet(vm, c, Value::Int(k));
      S(0) = r;
    }
    NEXT(IndexGetI);
  }
  L_IndexSetV: {
    const Value& c = S(0);
    const Value& k = S(1);
    Value v;  // SmallConstant(F(2), F(3)) (value_ops.h), spelled out: see there
    switch (static_cast<FastSmallConstant>(F(2))) {
      case FastSmallConstant::kInt: v = Value::Int(F(3)); break;
      case FastSmallConstant::kTrue: v = Value::Bool(true); break;
      case FastSmallConstant::kFalse: v = Value::Bool(false); break;
      default: v = Value::Nil(); break;
    }
    if (c.tag == Tag::kArray && k.tag == Tag::kInt &&
        static_cast<uint64_t>(k.i) < AsArray(c)->size) {
      AsArray(c)->items[k.i] = v;
    } else {
      IndexSet(vm, c, k, v);
    }
    NEXT(IndexSetV);
  }
  L_GetField: {
    // m.k with a constant string key: the entry position cached in the instruction is
    // tried first; interned constants make the key check a pointer compare. Everything
    // else is out of line, so the hit path keeps nothing alive for it.
    const Value& c = S(1);
    if (c.tag == Tag::kMap) {
      if (const MapEntry* e = CachedEntry(AsMap(c), CacheLoad(ip + FastOperandOffset(3)), KV(2))) {
        S(0) = e->value;
        NEXT(GetField);
      }
    }
    GetFieldMiss(vm, ip, base, K);
    NEXT(GetField);
  }
  L_SetField: {
    const Value& c = S(0);
    if (c.tag == Tag::kMap) {
      if (MapEntry* e = CachedEntry(AsMap(c), CacheLoad(ip + FastOperandOffset(3)), KV(1))) {
        e->value = S(2);
        NEXT(SetField);
      }
    }
    SetFieldMiss(vm, ip, base, K);
    NEXT(SetField);
  }
  L_Len: {
    Value r = Length(S(1));
    S(0) = r;
    NEXT(Len);
  }
  L_ArrayPush: {
    const Value& a = S(0);
    if (a.tag == Tag::kArray && AsArray(a)->size < AsArray(a)->capacity) {
      Array* arr = AsArray(a);
      arr->items[arr->size++] = S(1);  // room left: Heap::ArrayPush would only store
    } else {
      ArrayPushChecked(vm, a, S(1));
    }
    NEXT(ArrayPush);
  }
  L_ArrayPop: {
    Value r = ArrayPopChecked(S(1));
    S(0) = r;
    NEXT(ArrayPop);
  }
  L_Slice: {
    Value r = Slice(vm, S(1), S(2), S(3));
    S(0) = r;
    NEXT(Slice);
  }
    // The cursor is written first, then value and key: the order in which the reference
    // tier's iter_next and the two store_locals after it write them.
#define TRINITY_ITER(Name, on_exhausted)                     \
  L_##Name: {                                                \
    Value* loop = &S(0);                                     \
    if (loop[0].tag == Tag::kArray && loop[1].tag == Tag::kInt && loop[1].i >= 0 && \
        static_cast<uint64_t>(loop[1].i) < AsArray(loop[0])->size) {              \
      const int64_t at = loop[1].i;                          \
      Value v = AsArray(loop[0])->items[at];                 \
      SetInt(loop[1], at + 1);                               \
      S(2) = v;                                              \
      SetInt(S(1), at);                                      \
      NEXT(Name);                                            \
    }                                                        \
    IterStep step;                                           \
    if (IterNext(vm, loop[0], loop[1], &step)) {             \
      loop[1] = step.next_cursor;                            \
      S(2) = step.value;                                     \
      S(1) = step.key;                                       \
      NEXT(Name);                                            \
    }                                                        \
    on_exhausted;                                            \
    ip += F(3);                                              \
    DISPATCH();                                              \
  }
    TRINITY_ITER(IterNext, (void)0)
    TRINITY_ITER(IterNextLoop, SAFEPOINT(&S(4)))
#undef TRINITY_ITER
  L_Trap:
    RaiseError(vm, S(0));
  L_TryBegin:
    SYNC_DEPTH();
    vm.OpenHandler(ip + F(0));
    stack_budget_end = BUDGET_END(vm.num_handlers);
    NEXT(TryBegin);
  L_TryEnd:
    --vm.num_handlers;
    stack_budget_end = BUDGET_END(vm.num_handlers);
    NEXT(TryEnd);

    // --- superinstructions: back-edges fused with their loop head ----------------------
#define TRINITY_LOOP_CMP(Name, op)                                                 \
  L_Loop##Name: {                                                                  \
    SAFEPOINT(&S(4));                                                              \
    JIT_UNFUSED_BACK_EDGE(3);                                                      \
    const Value& a = S(0);                                                         \
    const Value& b = S(1);                                                         \
    if (a.tag == Tag::kInt && b.tag == Tag::kInt) {                                \
      ip += a.i op b.i ? F(3) + kSize<FastOp::kJumpIfNotLt> : F(2);                \
      DISPATCH();                                                                  \
    }                                                                              \
    if (a.tag == Tag::kFloat && b.tag == Tag::kFloat) {                            \
      ip += a.f op b.f ? F(3) + kSize<FastOp::kJumpIfNotLt> : F(2);                \
      DISPATCH();                                                                  \
    }                                                                              \
    ip += F(3); /* the head compares the general way */                            \
    DISPATCH();                                                                    \
  }                                                                                \
  L_Loop##Name##I: {                                                               \
    SAFEPOINT(&S(4));                                                              \
    JIT_UNFUSED_BACK_EDGE(3);                                                      \
    const Value& a = S(0);                                                         \
    if (a.tag == Tag::kInt) {                                                      \
      ip += a.i op F(1) ? F(3) + kSize<FastOp::kJumpIfNotLtI> : F(2);              \
      DISPATCH();                                                                  \
    }                                                                              \
    ip += F(3);                                                                    \
    DISPATCH();                                                                    \
  }
    TRINITY_LOOP_CMP(Lt, <)
    TRINITY_LOOP_CMP(Le, <=)
    TRINITY_LOOP_CMP(Gt, >)
    TRINITY_LOOP_CMP(Ge, >=)
#undef TRINITY_LOOP_CMP
  L_LoopIter: {
    SAFEPOINT(&S(5));
    JIT_UNFUSED_BACK_EDGE(4);
    Value* loop = &S(0);
    if (loop[0].tag == Tag::kArray && loop[1].tag == Tag::kInt && loop[1].i >= 0) {
      const Array* a = AsArray(loop[0]);
      const int64_t at = loop[1].i;
      if (static_cast<uint64_t>(at) < a->size) {
        Value v = a->items[at];
        SetInt(loop[1], at + 1);
        S(2) = v;
        SetInt(S(1), at);
        ip += F(4) + kSize<FastOp::kIterNext>;
        DISPATCH();
      }
      ip += F(3);
      DISPATCH();
    }
    ip += F(4);
    DISPATCH();
  }
#define TRINITY_FOR_LOOP(Name, end)                                                \
  L_##Name: {                                                                      \
    Value& x = S(0);                                                               \
    /* the general increment and back-edge follow (always while a JIT watches) */  \
    if (x.tag != Tag::kInt ||                                                      \
        JIT_WATCHES(ip + kSize<FastOp::k##Name> + kSize<FastOp::kAddI>))           \
      NEXT(Name);                                                                  \
    x.i = WrapAdd(x.i, F(3));                                                      \
    SAFEPOINT(&S(7));                                                              \
    if (end) {                                                                     \
      if (F(2) >= 0) SetInt(S(2), x.i);                                            \
      ip += F(6);                                                                  \
      DISPATCH();                                                                  \
    }                                                                              \
    ip += F(5);                                                                    \
    DISPATCH();                                                                    \
  }
    TRINITY_FOR_LOOP(ForLoopI, x.i < F(1))
  L_ForLoop: {
    Value& x = S(0);
    if (x.tag != Tag::kInt || JIT_WATCHES(ip + kSize<FastOp::kForLoop> + kSize<FastOp::kAddI>)) {
      NEXT(ForLoop);
    }
    x.i = WrapAdd(x.i, F(3));
    SAFEPOINT(&S(7));
    const Value& e = S(1);
    if (e.tag != Tag::kInt) {
      ip += F(4);  // the head compares the general way
      DISPATCH();
    }
    if (x.i < e.i) {
      if (F(2) >= 0) SetInt(S(2), x.i);
      ip += F(6);
      DISPATCH();
    }
    ip += F(5);
    DISPATCH();
  }
#undef TRINITY_FOR_LOOP
  L_record_step: __attribute__((unused));
    if constexpr (kRecord) {
      SYNC_DEPTH();
      if (!jit->RecordStep(CURRENT_STATE(), vm.depth)) SWITCH_LOOP(false);
      goto* kHandlers[static_cast<int>(OpOfHandler(HandlerAt(ip)))];
    }
    __builtin_unreachable();
#undef ENTER
#undef SAFEPOINT
#undef NEXT
#undef BACK_EDGE
#undef JIT_UNFUSED_BACK_EDGE
#undef JIT_WATCHES
#undef CURRENT_STATE
#undef SWITCH_LOOP
#undef DISPATCH
#undef KV
#undef S
#undef F
  } catch (VmTrap& t) {
    if constexpr (kRecord) jit->AbortRecording();
    SYNC_DEPTH();
    // MakeTrap needs wire positions in the frames; the frames below a handler's own keep
    // running afterwards, so their return addresses are put back if the trap is caught.
    std::vector<const FastInsn*> return_ips;
    if (IsCatchable(t.kind) && vm.num_handlers > 0) {
      const size_t keep = vm.handlers[vm.num_handlers - 1].depth - 1;
      return_ips.resize(keep);
      for (size_t d = 0; d < keep; ++d) return_ips[d] = frames[d].fast_ip;
    }
    FramesToWirePositions(vm, fm, ip);
    if (const void* target = vm.CatchTrap(t)) {
      for (size_t d = 0; d < return_ips.size(); ++d) frames[d].fast_ip = return_ips[d];
      fp = frames + vm.depth - 1;
      base = fp->base;
      ip = static_cast<const uint8_t*>(target);
      stack_budget_end = BUDGET_END(vm.num_handlers);
      caught = FastResume{ip, base};
      if constexpr (kRecord) {
        // The recording was abandoned: the normal loop continues at the catch code.
        vm.fast_resume = caught;
        vm.fast_switch = FastSwitch::kNormal;
        return Value::Nil();
      }
      resume = &caught;
      continue;
    }
    return Err(vm.UnwindTrap(t, vm.depth));
  }
  }
#undef BUDGET_END
#undef SYNC_DEPTH
}

FastOp OpOfHandler(const void* handler) {
  // Sorted (address, op) pairs of the normal loop's labels: recording only.
  static const std::vector<std::pair<const void*, FastOp>> sorted = [] {
    std::vector<std::pair<const void*, FastOp>> v;
    const void* const* table = FastHandlerTable();
    for (int i = 0; i < kFastOpCount; ++i) v.emplace_back(table[i], static_cast<FastOp>(i));
    std::sort(v.begin(), v.end());
    return v;
  }();
  auto it = std::lower_bound(sorted.begin(), sorted.end(), std::make_pair(handler, FastOp{}));
  return it->second;
}

}  // namespace

Result<Value, Trap> Instance::Impl::RunFast(uint32_t entry, const Value* args, size_t argc) {
  Result<Value, Trap> r = FastLoop<false>(this, entry, args, argc, nullptr, nullptr);
  // A JIT switches between the normal and the recording loop; each picks up where the
  // other left off (the frames live in the instance, the rest in fast_resume).
  while (fast_switch != FastSwitch::kNone) {
    const FastSwitch to = fast_switch;
    fast_switch = FastSwitch::kNone;
    const FastResume at = fast_resume;
    r = to == FastSwitch::kRecord ? FastLoop<true>(this, entry, nullptr, 0, nullptr, &at)
                                  : FastLoop<false>(this, entry, nullptr, 0, nullptr, &at);
  }
  return r;
}

const void* const* FastHandlerTable() {
  static const void* const* table = [] {
    const void* const* t = nullptr;
    (void)FastLoop<false>(nullptr, 0, nullptr, 0, &t, nullptr);
    return t;
  }();
  return table;
}

}  // namespace trinity
