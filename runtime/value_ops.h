// The language's operations on values — arithmetic, comparison, indexing, length, slicing,
// iteration — shared by both execution tiers, so the reference interpreter and the fast
// tier cannot disagree about semantics. Fast paths a tier inlines must call these for
// every case they do not handle themselves.
#pragma once

#include <cstdint>

#include "runtime/fast_code.h"
#include "runtime/interpreter.h"
#include "runtime/opcodes.h"
#include "runtime/value.h"

namespace trinity {

// The value an `m` operand of the fast code names (fast_code.h): its kind, and for kInt the
// next field's int, for code outside the fast loop (the trace recorder). The loop's own
// `IndexSetV` handler spells the same switch out: through this function GCC compiles the
// loop 0.6 % slower on sieve (callgrind), a store of a small constant being that hot.
inline Value SmallConstant(int32_t kind, int32_t i) {
  switch (static_cast<FastSmallConstant>(kind)) {
    case FastSmallConstant::kInt: return Value::Int(i);
    case FastSmallConstant::kTrue: return Value::Bool(true);
    case FastSmallConstant::kFalse: return Value::Bool(false);
    default: return Value::Nil();
  }
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

// Type errors: "cannot apply '+' to int and string".
[[noreturn]] void TypeError2(const char* op, const Value& a, const Value& b);
[[noreturn]] void TypeError1(const char* op, const Value& a);

// Three-way comparison for < <= > >=: numbers or strings only; 2 means unordered (NaN).
int Compare(const char* op, const Value& a, const Value& b);
// The result of comparison opcode `op` (kLt, kLe, kGt, kGe) on any operands.
bool CompareOp(Op op, const Value& a, const Value& b);

// + - * / % on any operands (op is kAdd..kMod): numbers, string concatenation, or a trap.
Value Arith(Instance::Impl& vm, Op op, const Value& a, const Value& b);
// & | ^ << >> (op is kBitAnd..kShr): ints only.
Value BitOp(Op op, const Value& a, const Value& b);
// Unary - and ~.
Value Negate(const Value& a);
Value BitNot(const Value& a);

Value IndexGet(Instance::Impl& vm, const Value& c, const Value& k);
void IndexSet(Instance::Impl& vm, const Value& c, const Value& k, const Value& v);
Value Length(const Value& v);
Value Slice(Instance::Impl& vm, const Value& c, const Value& from, const Value& to);
void ArrayPushChecked(Instance::Impl& vm, const Value& a, const Value& v);
Value ArrayPopChecked(const Value& a);
Box* CheckedBox(const Value& v, const char* op);  // box_get / box_set operand
// new_array / new_map / make_closure / push_func from operands already evaluated.
Value NewArrayFrom(Instance::Impl& vm, const Value* items, uint32_t n);
Value NewMapFrom(Instance::Impl& vm, const Value* pairs, uint32_t n);
Value NewClosureFrom(Instance::Impl& vm, uint32_t function, const Value* captures, uint32_t n);
Value FunctionValue(Instance::Impl& vm, uint32_t function);  // push_func's shared closure
// call_value: the closure `callee` holds when it can take `argc` arguments, else a trap.
Closure* CallableClosure(const Value& callee, const Module& m, uint32_t argc);
// error(msg): traps with kind `error`.
[[noreturn]] void RaiseError(Instance::Impl& vm, const Value& msg);

// iter_next over `container` from `cursor` (the two locals the loop keeps). When there is
// a next element, returns true with its key and value and the cursor to store back.
struct IterStep {
  Value key;
  Value value;
  Value next_cursor;
};
bool IterNext(Instance::Impl& vm, const Value& container, const Value& cursor, IterStep* out);

}  // namespace trinity
