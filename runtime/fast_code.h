// The fast tier's private instruction form (see fast_interpreter.md): verified wire
// bytecode translated at load time into register-form instructions whose operands name
// frame slots directly, pre-decoded and with jumps resolved. Never read from untrusted
// bytes: only fast_translate.cc writes it, from a module the verifier accepted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace trinity {

struct Function;

// Operand kinds, one letter per 32-bit operand field (see FastOpInfo::operands):
//   d  destination frame slot      s  source frame slot      (byte offset from the frame base)
//   i  int32 immediate             k  constant (byte offset into the instance's constants)
//   j  jump displacement in bytes from the start of this instruction
//   t  live top of the frame (byte offset) for the collector at a back-edge safepoint
//   g  global index   c  capture index   f  function index   n  count   x  import/builtin id
//   w  1 when the immediate/constant was the left operand (messages keep the source order)
//   h  inline cache: a map entry position, validated on every use
//   p  two fields holding a pointer (the callee's FastFunction)
//   m  a small constant's kind (FastSmallConstant), its int in the next field
//
// X(Name, mnemonic, operand kinds). Instruction size: an 8-byte handler address, then the
// 32-bit fields in order, rounded up to a multiple of 8 bytes. Arithmetic and comparison
// groups keep the wire order Add Sub Mul Div Mod / Eq Ne Lt Le Gt Ge (the translator
// computes opcodes by offset within a group).
#define TRINITY_FAST_OPS(X)                                                            \
  X(Mov, "mov", "ds")                                                                  \
  X(LoadInt, "loadi", "di")                                                            \
  X(LoadConst, "loadk", "dk")                                                          \
  X(LoadNil, "loadnil", "d")                                                           \
  X(LoadTrue, "loadtrue", "d")                                                         \
  X(LoadFalse, "loadfalse", "d")                                                       \
  X(LoadGlobal, "loadg", "dg")                                                         \
  X(StoreGlobal, "storeg", "gs")                                                       \
  X(LoadCapture, "loadcap", "dc")                                                      \
  X(NewBox, "newbox", "ds")                                                            \
  X(BoxGet, "boxget", "ds")                                                            \
  X(BoxSet, "boxset", "ss")                                                            \
  X(Swap, "swap", "ss")                                                                \
  X(Add, "add", "dss")                                                                 \
  X(Sub, "sub", "dss")                                                                 \
  X(Mul, "mul", "dss")                                                                 \
  X(Div, "div", "dss")                                                                 \
  X(Mod, "mod", "dss")                                                                 \
  X(AddI, "addi", "dsiw")                                                              \
  X(SubI, "subi", "dsiw")                                                              \
  X(MulI, "muli", "dsiw")                                                              \
  X(DivI, "divi", "dsiw")                                                              \
  X(ModI, "modi", "dsiw")                                                              \
  X(AddF, "addf", "dskw")                                                              \
  X(SubF, "subf", "dskw")                                                              \
  X(MulF, "mulf", "dskw")                                                              \
  X(DivF, "divf", "dskw")                                                              \
  X(ModF, "modf", "dskw")                                                              \
  X(RSubF, "rsubf", "dsk")       /* d = k - s */                                       \
  X(RDivF, "rdivf", "dsk")       /* d = k / s */                                       \
  X(AddK, "addk", "dskw")        /* + with any other constant (string concatenation) */ \
  /* / and % by 2^i (field 3): int quotient and remainder by shifts, truncating toward   \
     zero like idiv, without its latency */                                             \
  X(DivP2, "divp2", "dsii")                                                            \
  X(ModP2, "modp2", "dsii")                                                            \
  X(Neg, "neg", "ds")                                                                  \
  X(Not, "not", "ds")                                                                  \
  X(BitNot, "bnot", "ds")                                                              \
  X(BitAnd, "band", "dss")                                                             \
  X(BitOr, "bor", "dss")                                                               \
  X(BitXor, "bxor", "dss")                                                             \
  X(Shl, "shl", "dss")                                                                 \
  X(Shr, "shr", "dss")                                                                 \
  X(Eq, "eq", "dss")                                                                   \
  X(Ne, "ne", "dss")                                                                   \
  X(Lt, "lt", "dss")                                                                   \
  X(Le, "le", "dss")                                                                   \
  X(Gt, "gt", "dss")                                                                   \
  X(Ge, "ge", "dss")                                                                   \
  X(Jump, "jmp", "j")                                                                  \
  X(Loop, "loop", "jt")                                                                \
  X(JumpIfTrue, "jt", "sj")                                                            \
  X(JumpIfFalse, "jf", "sj")                                                           \
  X(JumpIfNil, "jnil", "sj")                                                           \
  X(JumpIfNotNil, "jnnil", "sj")                                                       \
  X(LoopIfTrue, "loopt", "sjt")                                                        \
  X(LoopIfFalse, "loopf", "sjt")                                                       \
  X(JumpIfNotEq, "jneq", "ssj")                                                        \
  X(JumpIfNotNe, "jnne", "ssj")                                                        \
  X(JumpIfNotLt, "jnlt", "ssj")                                                        \
  X(JumpIfNotLe, "jnle", "ssj")                                                        \
  X(JumpIfNotGt, "jngt", "ssj")                                                        \
  X(JumpIfNotGe, "jnge", "ssj")                                                        \
  X(JumpIfNotEqI, "jneqi", "sij")                                                      \
  X(JumpIfNotNeI, "jnnei", "sij")                                                      \
  X(JumpIfNotLtI, "jnlti", "sij")                                                      \
  X(JumpIfNotLeI, "jnlei", "sij")                                                      \
  X(JumpIfNotGtI, "jngti", "sij")                                                      \
  X(JumpIfNotGeI, "jngei", "sij")                                                      \
  X(JumpIfNotLtF, "jnltf", "skj")                                                      \
  X(JumpIfNotLeF, "jnlef", "skj")                                                      \
  X(JumpIfNotGtF, "jngtf", "skj")                                                      \
  X(JumpIfNotGeF, "jngef", "skj")                                                      \
  X(Call, "call", "sdpp")                                                              \
  /* call whose 1, 2 or 3 arguments are first copied from the slots named: locals are  \
     passed without a move each */                                                      \
  X(CallArgs1, "callargs1", "sdpps")                                                   \
  X(CallArgs2, "callargs2", "sdppss")                                                  \
  X(CallArgs3, "callargs3", "sdppsss")                                                 \
  X(CallValue, "callv", "snd")                                                         \
  X(CallHost, "callhost", "dsxn")                                                      \
  X(CallBuiltin, "callb", "dsxn")                                                      \
  X(Return, "ret", "s")                                                                \
  X(ReturnNil, "retnil", "")                                                           \
  X(PushFunc, "pushfunc", "df")                                                        \
  X(MakeClosure, "closure", "dfsn")                                                    \
  X(NewArray, "newarray", "dsn")                                                       \
  X(NewMap, "newmap", "dsn")                                                           \
  X(IndexGet, "index", "dss")                                                          \
  X(IndexSet, "setindex", "sss")                                                       \
  X(IndexGetI, "indexi", "dsi")                                                        \
  X(IndexSetV, "setindexv", "ssmi")  /* c[k] = a nil, bool or int constant */         \
  X(GetField, "getfield", "dskh")                                                      \
  X(SetField, "setfield", "sksh")                                                      \
  X(Len, "len", "ds")                                                                  \
  X(ArrayPush, "push", "ss")                                                           \
  X(ArrayPop, "pop", "ds")                                                             \
  X(Slice, "slice", "dsss")                                                            \
  X(IterNext, "iter", "sddj")                                                          \
  X(IterNextLoop, "iterloop", "sddjt")                                                 \
  X(Trap, "trap", "s")                                                                 \
  /* try_begin: opens a handler whose catch code starts at the jump target; try_end. */ \
  X(TryBegin, "try", "j")                                                              \
  X(TryEnd, "tryend", "")                                                              \
  /* Superinstructions (bench/results/opcode_pairs.md). A back-edge fused with the     \
     loop head: the safepoint, then the head's int (and float) case inline; any other  \
     case continues at the head instruction itself (field 3), which does it the general \
     way and raises its own traps. */                                                  \
  X(LoopLt, "looplt", "ssjjt")                                                         \
  X(LoopLe, "loople", "ssjjt")                                                         \
  X(LoopGt, "loopgt", "ssjjt")                                                         \
  X(LoopGe, "loopge", "ssjjt")                                                         \
  X(LoopLtI, "looplti", "sijjt")                                                       \
  X(LoopLeI, "looplei", "sijjt")                                                       \
  X(LoopGtI, "loopgti", "sijjt")                                                       \
  X(LoopGeI, "loopgei", "sijjt")                                                       \
  X(LoopIter, "loopiter", "sddjjt")                                                    \
  /* for-range / counting while: x += imm; back-edge; x < e (slot or imm); the loop    \
     variable (d, or -1) = x. Falls through to the general increment when x is no int. */ \
  X(ForLoop, "forloop", "ssdijjjt")                                                    \
  X(ForLoopI, "forloopi", "sidijjjt")

enum class FastOp : uint16_t {
#define TRINITY_FAST_OP_ENUM(name, mnemonic, operands) k##name,
  TRINITY_FAST_OPS(TRINITY_FAST_OP_ENUM)
#undef TRINITY_FAST_OP_ENUM
      kCount
};

inline constexpr int kFastOpCount = static_cast<int>(FastOp::kCount);

struct FastOpInfo {
  std::string_view mnemonic;
  std::string_view operands;  // one kind letter per 32-bit field, in order

  constexpr size_t size() const { return (8 + 4 * operands.size() + 7) / 8 * 8; }
};

inline constexpr FastOpInfo kFastOpInfo[kFastOpCount] = {
#define TRINITY_FAST_OP_INFO(name, mnemonic, operands) {mnemonic, operands},
    TRINITY_FAST_OPS(TRINITY_FAST_OP_INFO)
#undef TRINITY_FAST_OP_INFO
};

constexpr const FastOpInfo& InfoOf(FastOp op) { return kFastOpInfo[static_cast<int>(op)]; }

// What an `m` operand names.
enum class FastSmallConstant : int32_t { kNil, kFalse, kTrue, kInt };

// A frame slot holds one Value (value.h checks the size); slot operands are byte offsets.
inline constexpr int32_t kFastSlotBytes = 16;

// Byte offset of operand field `i` inside an instruction.
constexpr size_t FastOperandOffset(size_t i) { return 8 + 4 * i; }

// The head every instruction starts with: the address of the code that executes it (a
// label inside the fast interpreter loop). Operands follow as 32-bit fields.
struct FastInsn {
  const void* handler;
};

// One row per translated instruction, in code order: what a trap, the disassembler or a
// trace recorder needs to know about it without decoding the handler address.
struct FastPc {
  uint32_t offset;   // byte offset of the instruction in its function's code
  uint32_t wire_pc;  // the wire instruction it executes (for fused forms: the one that can trap)
  FastOp op;
};

struct FastFunction {
  // What a call reads, first and in bytes (frame offsets are byte offsets):
  const uint8_t* code = nullptr;    // = FastModule::code + code_offset, set once laid out
  uint32_t arity_bytes = 0;         // arity * 16: the arguments' end
  uint32_t locals_bytes = 0;        // num_locals * 16: locals past the arguments start nil
  // (num_locals + max_stack) * 16: the room a call must find; larger than any stack when a
  // plain call must fail (the function needs a closure), so the inline check sends it to
  // CheckCall, which raises the reference tier's trap in the reference tier's order.
  uint32_t call_bytes = 0;
  uint32_t index = 0;
  const Function* wire = nullptr;   // the verified wire function (name, line table)
  uint16_t arity = 0;
  uint16_t num_locals = 0;
  uint16_t num_captures = 0;
  uint32_t frame_slots = 0;         // num_locals + max_stack
  size_t code_offset = 0;           // where its code starts in FastModule::code (bytes)
  size_t code_size = 0;
  std::vector<FastPc> pcs;          // sorted by offset

  // The wire pc of the instruction containing byte `offset` of this function's code.
  uint32_t WirePcAt(size_t offset) const;
};

// A module's translated code. Immutable once built, except the inline-cache fields, which
// instances update with relaxed atomic stores and validate on every read, so instances of
// one module may run on several threads at once.
struct FastModule {
  std::vector<FastFunction> functions;  // by wire function index
  std::unique_ptr<uint64_t[]> code;     // every function's instructions, 8-byte aligned
  size_t code_bytes = 0;

  const uint8_t* bytes() const { return reinterpret_cast<const uint8_t*>(code.get()); }
};

}  // namespace trinity
