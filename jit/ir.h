// The trace IR: a linear SSA form of one recorded loop iteration, with typed values,
// guards that leave the trace through snapshots, and a LOOP marker after which the body
// repeats. Design notes: jit/README.md. Values are unboxed: an int, bool or object
// pointer lives in a general register, a float in an XMM register, nil has no storage.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/value.h"

namespace trinity::jit {

using IrRef = uint32_t;
inline constexpr IrRef kNoRef = 0xFFFFFFFFu;

// Comparison conditions of guards. Unsigned forms serve bounds checks.
enum class Cond : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe, kULt };
Cond Negate(Cond c);
// Whether `a c b` holds for two ints (kULt compares them as unsigned).
bool CondHolds(Cond c, int64_t a, int64_t b);
const char* CondName(Cond c);

// X(Name, operands, description). Operand letters: r = IR ref, i = imm, - = unused.
// Result type is per instruction (IrIns::type); guards and stores produce nothing.
#define TRINITY_IR_OPS(X)                                                              \
  X(Nop, "--", "removed by a pass")                                                    \
  /* constants: imm holds the bits (int, double, pointer, bool) */                     \
  X(Const, "--", "constant of `type`")                                                 \
  /* frame access, offsets in bytes from the root frame's base */                      \
  X(SLoad, "-i", "load slot imm, guard its tag == type")                              \
  X(GLoad, "-i", "load global imm, guard its tag == type")                            \
  X(GStore, "r-", "globals[imm] = a (tag from a's type)")                            \
  /* integers (wrapping) */                                                            \
  X(AddI, "rr", "a + b") X(SubI, "rr", "a - b") X(MulI, "rr", "a * b")                 \
  X(DivI, "rr", "a / b for b > 0 (guarded before)")                                  \
  X(ModI, "rr", "a % b for b > 0 (guarded before)")                                  \
  X(NegI, "r-", "-a") X(BAnd, "rr", "a & b") X(BOr, "rr", "a | b")                      \
  X(BXor, "rr", "a ^ b") X(Shl, "rr", "a << (b & 63)") X(Shr, "rr", "a >> (b & 63)")    \
  X(BNot, "r-", "~a")                                                                  \
  /* floats */                                                                         \
  X(AddF, "rr", "a + b") X(SubF, "rr", "a - b") X(MulF, "rr", "a * b")                 \
  X(DivF, "rr", "a / b") X(ModF, "rr", "fmod(a, b)") X(NegF, "r-", "-a")                \
  X(SqrtF, "r-", "sqrt(a)") X(ConvIF, "r-", "double(a)")                              \
  /* guards: exit through snapshot `snap` unless the condition holds */                \
  X(GuardI, "rr", "a cond b (ints, bools, pointers)")                                 \
  X(GuardF, "rr", "a cond b (floats; unordered makes every cond but ne false)")       \
  X(GuardFuel, "--", "budget left for one more step, then take it")                   \
  /* comparisons to a bool value */                                                    \
  X(SetI, "rr", "bool(a cond b) for ints, bools, pointers")                           \
  X(SetF, "rr", "bool(a cond b) for floats, false when unordered but ne")             \
  /* a Value at a fixed address (a capture of a guarded closure) */                    \
  X(PLoad, "-i", "load the Value at address imm, guard its tag == type")              \
  /* arrays */                                                                         \
  X(ALen, "r-", "size of array a")                                                    \
  X(ALoad, "rr", "a.items[b], guard its tag == type (bounds guarded before)")         \
  X(AStore, "rrr", "a.items[b] = c (bounds guarded before)")                         \
  /* maps: a field whose entry position imm was seen while recording */               \
  X(FRef, "ri", "&a.entries[imm] when it holds key constant b; else exit")           \
  X(FLoad, "r-", "value of entry a, guard its tag == type")                           \
  X(FStore, "rr", "entry a value = b")                                                \
  /* a call of a runtime helper that cannot throw: imm = helper id */                  \
  X(CallAlloc, "rrr", "helper imm(ctx, a, b, c): may allocate; 0 exits")           \
  /* control */                                                                         \
  X(Exit, "--", "leave through snapshot `snap` (the end of a trace that links onward)") \
  X(Loop, "--", "the body after this repeats")                                        \
  X(Phi, "rr", "loop-carried value: a on entry, b from the previous iteration")

enum class IrOp : uint8_t {
#define TRINITY_IR_ENUM(name, operands, text) k##name,
  TRINITY_IR_OPS(TRINITY_IR_ENUM)
#undef TRINITY_IR_ENUM
      kCount
};
const char* IrOpName(IrOp op);

struct IrIns {
  IrOp op;
  Tag type = Tag::kNil;  // result type; kNil for instructions without a result
  Cond cond = Cond::kEq;
  IrRef a = kNoRef, b = kNoRef, c = kNoRef;
  int64_t imm = 0;
  uint32_t snap = 0;     // guards: the snapshot that rebuilds the interpreter's state
};

// One frame the interpreter must have when a side exit resumes: the root frame (depth
// 0 of the trace) is the one the trace was entered from; deeper ones are inlined calls.
struct SnapFrame {
  uint32_t function = 0;       // module function index
  int32_t base_offset = 0;     // of its slot 0, in bytes from the root frame's base
  int32_t result_offset = 0;   // where its result goes (bytes from the root base)
  uint64_t closure = 0;        // Closure* of the call, or 0
  uint32_t return_pc = 0;      // fast-code offset in the caller where it returns to
};

// The interpreter state at a guard: which slots hold which IR values (every slot the
// trace has written, with its current value), the inlined frames, and where to resume.
struct SnapEntry {
  int32_t slot;  // byte offset from the root frame's base
  IrRef ref;     // kNoRef: the value is nil
};
struct Snapshot {
  std::vector<SnapEntry> entries;  // sorted by slot
  std::vector<SnapFrame> frames;   // inlined frames, outermost first (root excluded)
  uint32_t resume_pc = 0;          // fast-code offset in the innermost frame's function
  uint32_t function = 0;           // the innermost frame's function
  bool at_loop_edge = false;       // resumes at the loop's back-edge instruction
  bool fuel = false;               // a fuel guard leaves through it (budget ran low)
  // Set on the last snapshot of a trace that ends at a back-edge with a trace of its own:
  // that back-edge instruction (its fuel step already charged); the trace to run next is
  // the one installed for it, entered at resume_pc, the loop header.
  const uint8_t* link = nullptr;
};

// A side path compiled into the loop (a trace tree): guards whose snapshot is `snap`
// continue at instructions [first, last] instead of leaving, which end by giving every
// PHI its value for the next iteration and jumping back to the loop.
struct TreeSide {
  uint32_t snap = 0;
  IrRef first = 0, last = 0;
  std::vector<std::pair<IrRef, IrRef>> moves;  // phi, its next value
};

class TraceIr {
 public:
  IrRef Emit(const IrIns& ins);  // appends without folding (passes use it)
  const IrIns& operator[](IrRef r) const { return ins_[r]; }
  IrIns& at(IrRef r) { return ins_[r]; }
  size_t size() const { return ins_.size(); }
  const std::vector<IrIns>& instructions() const { return ins_; }
  std::vector<Snapshot>& snapshots() { return snaps_; }
  const std::vector<Snapshot>& snapshots() const { return snaps_; }
  uint32_t AddSnapshot(Snapshot s);
  IrRef loop() const { return loop_; }
  void set_loop(IrRef r) { loop_ = r; }
  std::vector<TreeSide>& sides() { return sides_; }
  const std::vector<TreeSide>& sides() const { return sides_; }
  // For each snapshot of a looping trace: the recorded iteration's snapshot it copies in
  // the loop body, or -1 (preamble, side paths).
  std::vector<int32_t>& snap_origin() { return snap_origin_; }
  const std::vector<int32_t>& snap_origin() const { return snap_origin_; }
  std::string ToString() const;  // one instruction per line, for tests and --jit-dump

 private:
  std::vector<IrIns> ins_;
  std::vector<Snapshot> snaps_;
  IrRef loop_ = kNoRef;
  std::vector<TreeSide> sides_;
  std::vector<int32_t> snap_origin_;
};

// Instructions that can leave the trace through their snapshot.
bool UsesSnapshot(IrOp op);

bool IsFloatType(Tag t);
bool HasStorage(Tag t);  // nil needs no register

}  // namespace trinity::jit
