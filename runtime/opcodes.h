// The single source of truth for Trinity's bytecode instruction set.
// Assembler, disassembler, verifier, interpreter and compiler all derive names,
// operand formats and stack effects from TRINITY_OPCODES, so they cannot disagree.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace trinity {

// Operand encodings, little-endian, immediately after the opcode byte.
enum class OperandKind : uint8_t {
  kNone,
  kU8,   // small count (argument count, capture count)
  kU16,  // local slot / capture index / builtin id
  kU32,  // constant / global / function / import index, element count
  kI32,  // jump offset, relative to the end of this instruction; or a small integer
};

// X(NAME, mnemonic, operand0, operand1, pops, pushes)
// pops/pushes of -1 mean "depends on an operand" and are computed by StackEffect().
// Jump-like instructions are listed by IsBranch() below.
#define TRINITY_OPCODES(X)                                                   \
  X(kNop, "nop", kNone, kNone, 0, 0)                                         \
  X(kPushNil, "push_nil", kNone, kNone, 0, 1)                                \
  X(kPushTrue, "push_true", kNone, kNone, 0, 1)                              \
  X(kPushFalse, "push_false", kNone, kNone, 0, 1)                            \
  X(kPushInt, "push_int", kI32, kNone, 0, 1)                                 \
  X(kConst, "const", kU32, kNone, 0, 1)                                      \
  X(kPop, "pop", kNone, kNone, 1, 0)                                         \
  X(kDup, "dup", kNone, kNone, 1, 2)                                         \
  X(kDup2, "dup2", kNone, kNone, 2, 4)                                       \
  X(kSwap, "swap", kNone, kNone, 2, 2)                                       \
  X(kLoadLocal, "load_local", kU16, kNone, 0, 1)                             \
  X(kStoreLocal, "store_local", kU16, kNone, 1, 0)                           \
  X(kLoadGlobal, "load_global", kU32, kNone, 0, 1)                           \
  X(kStoreGlobal, "store_global", kU32, kNone, 1, 0)                         \
  X(kLoadCapture, "load_capture", kU16, kNone, 0, 1)                         \
  X(kNewBox, "new_box", kNone, kNone, 1, 1)                                  \
  X(kBoxGet, "box_get", kNone, kNone, 1, 1)                                  \
  X(kBoxSet, "box_set", kNone, kNone, 2, 0)                                  \
  X(kAdd, "add", kNone, kNone, 2, 1)                                         \
  X(kSub, "sub", kNone, kNone, 2, 1)                                         \
  X(kMul, "mul", kNone, kNone, 2, 1)                                         \
  X(kDiv, "div", kNone, kNone, 2, 1)                                         \
  X(kMod, "mod", kNone, kNone, 2, 1)                                         \
  X(kNeg, "neg", kNone, kNone, 1, 1)                                         \
  X(kEq, "eq", kNone, kNone, 2, 1)                                           \
  X(kNe, "ne", kNone, kNone, 2, 1)                                           \
  X(kLt, "lt", kNone, kNone, 2, 1)                                           \
  X(kLe, "le", kNone, kNone, 2, 1)                                           \
  X(kGt, "gt", kNone, kNone, 2, 1)                                           \
  X(kGe, "ge", kNone, kNone, 2, 1)                                           \
  X(kNot, "not", kNone, kNone, 1, 1)                                         \
  X(kBitAnd, "band", kNone, kNone, 2, 1)                                     \
  X(kBitOr, "bor", kNone, kNone, 2, 1)                                       \
  X(kBitXor, "bxor", kNone, kNone, 2, 1)                                     \
  X(kShl, "shl", kNone, kNone, 2, 1)                                         \
  X(kShr, "shr", kNone, kNone, 2, 1)                                         \
  X(kBitNot, "bnot", kNone, kNone, 1, 1)                                     \
  X(kJump, "jmp", kI32, kNone, 0, 0)                                         \
  X(kJumpIfFalse, "jmp_if_false", kI32, kNone, 1, 0)                         \
  X(kJumpIfTrue, "jmp_if_true", kI32, kNone, 1, 0)                           \
  X(kCall, "call", kU32, kNone, -1, 1)                                       \
  X(kCallValue, "call_value", kU8, kNone, -1, 1)                             \
  X(kCallHost, "call_host", kU32, kU8, -1, 1)                                \
  X(kCallBuiltin, "call_builtin", kU16, kU8, -1, 1)                          \
  X(kReturn, "ret", kNone, kNone, 1, 0)                                      \
  X(kPushFunc, "push_func", kU32, kNone, 0, 1)                               \
  X(kMakeClosure, "make_closure", kU32, kU8, -1, 1)                          \
  X(kNewArray, "new_array", kU32, kNone, -1, 1)                              \
  X(kNewMap, "new_map", kU32, kNone, -1, 1)                                  \
  X(kIndexGet, "index_get", kNone, kNone, 2, 1)                              \
  X(kIndexSet, "index_set", kNone, kNone, 3, 0)                              \
  X(kLen, "len", kNone, kNone, 1, 1)                                         \
  X(kArrayPush, "array_push", kNone, kNone, 2, 0)                            \
  X(kArrayPop, "array_pop", kNone, kNone, 1, 1)                              \
  X(kSlice, "slice", kNone, kNone, 3, 1)                                     \
  X(kIterNext, "iter_next", kU16, kI32, 0, 2)                                \
  X(kTrap, "trap", kNone, kNone, 1, 0)                                       \
  X(kTryBegin, "try_begin", kI32, kNone, 0, 0)                               \
  X(kTryEnd, "try_end", kNone, kNone, 0, 0)

enum class Op : uint8_t {
#define TRINITY_OP_ENUM(name, mnemonic, a, b, pops, pushes) name,
  TRINITY_OPCODES(TRINITY_OP_ENUM)
#undef TRINITY_OP_ENUM
      kCount
};

inline constexpr int kOpCount = static_cast<int>(Op::kCount);

struct OpInfo {
  std::string_view mnemonic;
  OperandKind operand[2];
  int pops;    // -1: computed from operands
  int pushes;
};

inline constexpr OpInfo kOpInfo[kOpCount] = {
#define TRINITY_OP_INFO(name, mnemonic, a, b, pops, pushes) \
  {mnemonic, {OperandKind::a, OperandKind::b}, pops, pushes},
    TRINITY_OPCODES(TRINITY_OP_INFO)
#undef TRINITY_OP_INFO
};

constexpr const OpInfo& InfoOf(Op op) { return kOpInfo[static_cast<int>(op)]; }

constexpr int OperandSize(OperandKind k) {
  switch (k) {
    case OperandKind::kNone: return 0;
    case OperandKind::kU8: return 1;
    case OperandKind::kU16: return 2;
    case OperandKind::kU32: return 4;
    case OperandKind::kI32: return 4;
  }
  return 0;
}

// Total encoded length of an instruction (opcode byte + operands).
constexpr int InstructionSize(Op op) {
  const OpInfo& info = InfoOf(op);
  return 1 + OperandSize(info.operand[0]) + OperandSize(info.operand[1]);
}

// Instructions that transfer control to a relative target.
// kJump: unconditional. kJumpIfFalse/kJumpIfTrue: conditional, pop the condition.
// kIterNext slot, off: if locals[slot] (container) at cursor locals[slot+1] has a next
//   element, advance the cursor and push key and value (fall through, +2);
//   otherwise jump to the target with nothing pushed.
// kTryBegin off: falls through; its target is where a caught trap resumes (below).
constexpr bool IsBranch(Op op) {
  return op == Op::kJump || op == Op::kJumpIfFalse || op == Op::kJumpIfTrue ||
         op == Op::kIterNext || op == Op::kTryBegin;
}

// Error handling (module format 1.1); every execution tier implements exactly this.
// kTryBegin off: opens a handler: {frame: the current one, target: the end of this
//   instruction + off}. The operand stack must be empty. Nothing is pushed or popped.
// kTryEnd: closes the current frame's innermost open handler.
// The verifier gives every instruction a try depth (open handlers of its frame) the way it
// gives a stack height: equal on every path into a join, try_end needs depth >= 1,
// ret needs depth 0 (no frame returns with a handler open), at most kMaxTryDepth.
// When a trap that IsCatchable() (trinity.h) is raised — by an instruction of the
// handler's frame or of any frame it called — while a handler is open, the innermost open
// handler takes it: the frames above the handler's frame are dropped, the handler is
// closed, its frame's operand stack is emptied and then holds exactly one value, the error
// map {"kind": TrapKindName, "message": ..., "function": ..., "line": ...} of the trap
// (function and line as in the Trap), and execution continues at the target; locals keep
// the values they had when the trap was raised. The verifier enters the target with stack
// height 1 and the try_begin's depth. Traps that are not catchable, and catchable ones
// with no handler open, end the call as before. At most 4 handlers per allowed frame
// are open at once, and each open handler (16 bytes) counts against
// Limits::max_stack_bytes with the value slots and frames; one more is a (never
// catchable) stack-overflow trap.
inline constexpr int kMaxTryDepth = 64;

// Instructions after which control never falls through.
constexpr bool EndsBlock(Op op) {
  return op == Op::kJump || op == Op::kReturn || op == Op::kTrap;
}

std::optional<Op> OpFromMnemonic(std::string_view mnemonic);

}  // namespace trinity
