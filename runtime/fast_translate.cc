// The translator from verified wire bytecode to the fast tier's register form. One linear
// pass per function with a virtual operand stack: loads of locals and constants cost no
// code (operands name the local or carry the constant), results go straight into the
// local a following store_local names, compare + conditional jump become one instruction.
// Every value the reference tier would hold on its operand stack at a block boundary or a
// call is materialised in the same frame slot (local count + stack depth), so the
// collector sees the same roots at every safepoint (fast_interpreter.md).
#include "runtime/fast_translate.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "runtime/opcodes.h"
#include "runtime/verifier.h"

namespace trinity {

uint32_t FastFunction::WirePcAt(size_t offset) const {
  // The last row starting at or before `offset`.
  size_t lo = 0, hi = pcs.size();
  while (hi - lo > 1) {
    size_t mid = (lo + hi) / 2;
    if (pcs[mid].offset <= offset) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return pcs.empty() ? 0 : pcs[lo].wire_pc;
}

namespace {

constexpr int32_t kSlot = kFastSlotBytes;

FastOp Offset(FastOp base, int by) { return static_cast<FastOp>(static_cast<int>(base) + by); }

struct WireInsn {
  Op op;
  uint32_t size;
  int64_t a = 0;
  int64_t b = 0;
};

int64_t ReadField(const uint8_t* p, OperandKind kind) {
  switch (kind) {
    case OperandKind::kNone: return 0;
    case OperandKind::kU8: return p[0];
    case OperandKind::kU16: {
      uint16_t v;
      std::memcpy(&v, p, 2);
      return v;
    }
    case OperandKind::kU32: {
      uint32_t v;
      std::memcpy(&v, p, 4);
      return v;
    }
    case OperandKind::kI32: {
      int32_t v;
      std::memcpy(&v, p, 4);
      return v;
    }
  }
  return 0;
}

// Only called on offsets the verifier decoded and accepted.
WireInsn Decode(const Function& f, uint32_t pc) {
  WireInsn in;
  in.op = static_cast<Op>(f.code[pc]);
  in.size = static_cast<uint32_t>(InstructionSize(in.op));
  const OpInfo& info = InfoOf(in.op);
  const uint8_t* p = f.code.data() + pc + 1;
  in.a = ReadField(p, info.operand[0]);
  in.b = ReadField(p + OperandSize(info.operand[0]), info.operand[1]);
  return in;
}

int64_t BranchTarget(uint32_t pc, const WireInsn& in) {
  return static_cast<int64_t>(pc) + in.size + (in.op == Op::kIterNext ? in.b : in.a);
}

// What the reference tier would have in one operand-stack slot, as far as the translator
// knows it. Only kTemp entries are really in their slot (local count + depth); the others
// are produced on demand, which is what saves the loads and pushes. Aliases only ever
// name locals, never other temporaries, so materialising can never form a cycle.
struct Entry {
  enum class Kind : uint8_t { kTemp, kLocal, kInt, kConst, kNil, kTrue, kFalse };
  Kind kind = Kind::kTemp;
  int64_t value = 0;  // local index, int32 immediate, or constant index

  bool IsConstant() const { return kind != Kind::kTemp && kind != Kind::kLocal; }
};

class FunctionTranslator {
 public:
  FunctionTranslator(const Module& m, FastModule& out, uint32_t index,
                     std::vector<uint16_t> heights, const void* const* handlers)
      : m_(m),
        f_(m.functions[index]),
        out_(out),
        fast_(out.functions[index]),
        heights_(std::move(heights)),
        handlers_(handlers) {}

  // Appends the function's instructions to `code`.
  Result<Unit, LoadError> Run(std::vector<uint8_t>& code) {
    MarkTargets();
    label_.assign(f_.code.size(), -1);
    for (uint32_t pc = 0; pc < f_.code.size();) {
      WireInsn in = Decode(f_, pc);
      if (heights_[pc] == kUnreachable) {
        pc += in.size;
        continue;
      }
      pc_ = pc;
      if (is_target_[pc]) {
        // Control arrives from jumps too, which leave every value in its own slot.
        if (live_) Flush();
        stack_.assign(heights_[pc], Entry{});
        label_[pc] = static_cast<int32_t>(code_.size());
        last_label_ = code_.size();
        producer_.valid = false;
        live_ = true;
      }
      if (stack_.size() != heights_[pc]) {
        return Fail(pc, "stack height " + std::to_string(stack_.size()) +
                            " disagrees with the verifier's " + std::to_string(heights_[pc]));
      }
      pc += Translate(pc, in);
      if (EndsBlock(in.op)) live_ = false;
    }
    for (const JumpPatch& p : patches_) {
      int32_t target = label_[p.target_pc];
      if (target < 0) return Fail(p.target_pc, "jump to an instruction without a label");
      int32_t disp = target - static_cast<int32_t>(p.insn);
      std::memcpy(code_.data() + p.insn + FastOperandOffset(p.field), &disp, 4);
    }
    fast_.code_offset = code.size();
    fast_.code_size = code_.size();
    code.insert(code.end(), code_.begin(), code_.end());
    return Unit{};
  }

 private:
  struct JumpPatch {
    size_t insn;
    int field;
    uint32_t target_pc;
  };
  // The last emitted instruction wrote the temporaries at these depths through these
  // operand fields; a store_local right after may redirect the write to the local.
  struct Producer {
    bool valid = false;
    size_t insn = 0;
    size_t depth[2] = {SIZE_MAX, SIZE_MAX};
    int field[2] = {-1, -1};
  };

  Result<Unit, LoadError> Fail(uint32_t pc, std::string reason) {
    return Err(LoadError{f_.name, pc, "fast-tier translation: " + std::move(reason)});
  }

  void MarkTargets() {
    is_target_.assign(f_.code.size(), 0);
    for (uint32_t pc = 0; pc < f_.code.size();) {
      WireInsn in = Decode(f_, pc);
      if (heights_[pc] != kUnreachable && IsBranch(in.op)) {
        is_target_[static_cast<size_t>(BranchTarget(pc, in))] = 1;
      }
      pc += in.size;
    }
  }

  // --- slots and emission ---------------------------------------------------------

  int32_t Own(size_t depth) const { return static_cast<int32_t>((f_.num_locals + depth) * kSlot); }
  static int32_t Local(int64_t index) { return static_cast<int32_t>(index * kSlot); }
  static int32_t ConstOffset(int64_t index) { return static_cast<int32_t>(index * kSlot); }
  size_t Top() const { return stack_.size() - 1; }

  size_t Emit(FastOp op, std::initializer_list<int32_t> fields) {
    size_t at = code_.size();
    size_t size = InfoOf(op).size();
    code_.resize(at + size, 0);
    const void* handler = handlers_[static_cast<int>(op)];
    std::memcpy(code_.data() + at, &handler, sizeof handler);
    size_t i = 0;
    for (int32_t v : fields) {
      if (i == InfoOf(op).operands.size()) break;  // a shorter form of a longer field list
      std::memcpy(code_.data() + at + FastOperandOffset(i++), &v, 4);
    }
    fast_.pcs.push_back(FastPc{static_cast<uint32_t>(at), pc_, op});
    producer_.valid = false;
    return at;
  }

  // Records that the instruction at `insn` leaves the value for `depth` in `field`.
  void Produced(size_t insn, size_t depth, int field) {
    if (!producer_.valid || producer_.insn != insn) {
      producer_ = Producer{};
      producer_.valid = true;
      producer_.insn = insn;
    }
    int slot = producer_.depth[0] == SIZE_MAX ? 0 : 1;
    producer_.depth[slot] = depth;
    producer_.field[slot] = field;
  }

  void Jump(size_t insn, int field, uint32_t target_pc) { patches_.push_back({insn, field, target_pc}); }

  // --- the virtual stack ------------------------------------------------------------

  void Push(Entry e) { stack_.push_back(e); }
  void PushTemp() { stack_.push_back(Entry{}); }
  void Pop(size_t n = 1) { stack_.resize(stack_.size() - n); }

  Entry ConstantEntry(uint32_t k) const {
    const Constant& c = m_.constants[k];
    if (const int64_t* i = std::get_if<int64_t>(&c)) {
      if (*i >= std::numeric_limits<int32_t>::min() && *i <= std::numeric_limits<int32_t>::max()) {
        return Entry{Entry::Kind::kInt, *i};
      }
    }
    return Entry{Entry::Kind::kConst, k};
  }
  bool IsFloatConst(const Entry& e) const {
    return e.kind == Entry::Kind::kConst && std::holds_alternative<double>(m_.constants[e.value]);
  }
  bool IsStringConst(const Entry& e) const {
    return e.kind == Entry::Kind::kConst && std::holds_alternative<std::string>(m_.constants[e.value]);
  }

  // Writes entry `e` into slot `dst` (a temporary or a local).
  void EmitLoad(int32_t dst, const Entry& e, size_t own_depth) {
    switch (e.kind) {
      case Entry::Kind::kTemp: Emit(FastOp::kMov, {dst, Own(own_depth)}); break;
      case Entry::Kind::kLocal: Emit(FastOp::kMov, {dst, Local(e.value)}); break;
      case Entry::Kind::kInt: Emit(FastOp::kLoadInt, {dst, static_cast<int32_t>(e.value)}); break;
      case Entry::Kind::kConst: Emit(FastOp::kLoadConst, {dst, ConstOffset(e.value)}); break;
      case Entry::Kind::kNil: Emit(FastOp::kLoadNil, {dst}); break;
      case Entry::Kind::kTrue: Emit(FastOp::kLoadTrue, {dst}); break;
      case Entry::Kind::kFalse: Emit(FastOp::kLoadFalse, {dst}); break;
    }
  }

  // Puts the entry at `depth` into its own slot. Temporaries are never aliased, so this
  // write cannot invalidate another entry.
  void Materialize(size_t depth) {
    Entry& e = stack_[depth];
    if (e.kind == Entry::Kind::kTemp) return;
    EmitLoad(Own(depth), e, depth);
    e = Entry{};
  }
  void MaterializeRange(size_t from, size_t to) {
    for (size_t d = from; d < to; ++d) Materialize(d);
  }
  void Flush() { MaterializeRange(0, stack_.size()); }

  // The slot an instruction can read the entry at `depth` from.
  int32_t Src(size_t depth) {
    const Entry& e = stack_[depth];
    if (e.kind == Entry::Kind::kLocal) return Local(e.value);
    Materialize(depth);
    return Own(depth);
  }

  bool Aliases(int64_t local, size_t except) const {
    for (size_t d = 0; d < stack_.size(); ++d) {
      if (d != except && stack_[d].kind == Entry::Kind::kLocal && stack_[d].value == local) return true;
    }
    return false;
  }
  // Before `local` is overwritten, entries still standing for its old value take a copy.
  void BeforeWriteLocal(int64_t local) {
    for (size_t d = 0; d < stack_.size(); ++d) {
      if (stack_[d].kind == Entry::Kind::kLocal && stack_[d].value == local) Materialize(d);
    }
  }

  // --- one wire instruction ----------------------------------------------------------

  // Translates the instruction at `pc`; returns how many wire bytes it consumed (more
  // than its own size when it fused with the next instruction).
  uint32_t Translate(uint32_t pc, const WireInsn& in) {
    switch (in.op) {
      case Op::kNop: break;
      case Op::kPushNil: Push({Entry::Kind::kNil, 0}); break;
      case Op::kPushTrue: Push({Entry::Kind::kTrue, 0}); break;
      case Op::kPushFalse: Push({Entry::Kind::kFalse, 0}); break;
      case Op::kPushInt: Push({Entry::Kind::kInt, in.a}); break;
      case Op::kConst: Push(ConstantEntry(static_cast<uint32_t>(in.a))); break;
      case Op::kPop: Pop(); break;
      case Op::kDup: Dup(1); break;
      case Op::kDup2: Dup(2); break;
      case Op::kSwap: return Swap(pc, in);
      case Op::kLoadLocal: Push({Entry::Kind::kLocal, in.a}); break;
      case Op::kStoreLocal: StoreLocal(in.a); break;
      case Op::kLoadGlobal: Produce(FastOp::kLoadGlobal, {static_cast<int32_t>(in.a)}, 0); break;
      case Op::kStoreGlobal: {
        int32_t s = Src(Top());
        Emit(FastOp::kStoreGlobal, {static_cast<int32_t>(in.a), s});
        Pop();
        break;
      }
      case Op::kLoadCapture: Produce(FastOp::kLoadCapture, {static_cast<int32_t>(in.a)}, 0); break;
      case Op::kNewBox: Unary(FastOp::kNewBox); break;
      case Op::kBoxGet: Unary(FastOp::kBoxGet); break;
      case Op::kBoxSet: {
        int32_t box = Src(Top() - 1), v = Src(Top());
        Emit(FastOp::kBoxSet, {box, v});
        Pop(2);
        break;
      }
      case Op::kAdd: case Op::kSub: case Op::kMul: case Op::kDiv: case Op::kMod:
        Arith(in.op);
        break;
      case Op::kNeg: Unary(FastOp::kNeg); break;
      case Op::kNot: Unary(FastOp::kNot); break;
      case Op::kBitNot: Unary(FastOp::kBitNot); break;
      case Op::kBitAnd: case Op::kBitOr: case Op::kBitXor: case Op::kShl: case Op::kShr:
        Binary(Offset(FastOp::kBitAnd, static_cast<int>(in.op) - static_cast<int>(Op::kBitAnd)));
        break;
      case Op::kEq: case Op::kNe: case Op::kLt: case Op::kLe: case Op::kGt: case Op::kGe:
        return Comparison(pc, in);
      case Op::kJump: {
        uint32_t target = static_cast<uint32_t>(BranchTarget(pc, in));
        Flush();
        if (target <= pc) {
          BackEdge(pc, target);
        } else if (target != pc + in.size) {
          Jump(Emit(FastOp::kJump, {0}), 0, target);
        }
        break;
      }
      case Op::kJumpIfFalse: case Op::kJumpIfTrue:
        CondJump(pc, in, static_cast<uint32_t>(BranchTarget(pc, in)), in.op == Op::kJumpIfTrue);
        break;
      case Op::kCall: Call(static_cast<uint32_t>(in.a)); break;
      case Op::kCallValue: {
        size_t n = static_cast<size_t>(in.a);
        Flush();
        size_t callee = stack_.size() - 1 - n;
        size_t at = Emit(FastOp::kCallValue, {Own(callee), static_cast<int32_t>(n), Own(callee)});
        Pop(n + 1);
        PushTemp();
        Produced(at, callee, 2);
        break;
      }
      case Op::kCallHost: CallWithArgs(FastOp::kCallHost, in.a, in.b); break;
      case Op::kCallBuiltin: CallWithArgs(FastOp::kCallBuiltin, in.a, in.b); break;
      case Op::kReturn:
        if (stack_[Top()].kind == Entry::Kind::kNil) {
          Emit(FastOp::kReturnNil, {});
        } else {
          Emit(FastOp::kReturn, {Src(Top())});
        }
        Pop();
        break;
      case Op::kPushFunc: Produce(FastOp::kPushFunc, {static_cast<int32_t>(in.a)}, 0); break;
      case Op::kMakeClosure: Build(FastOp::kMakeClosure, static_cast<size_t>(in.b),
                                   static_cast<int32_t>(in.a));
        break;
      case Op::kNewArray: Build(FastOp::kNewArray, static_cast<size_t>(in.a), -1); break;
      case Op::kNewMap: Build(FastOp::kNewMap, 2 * static_cast<size_t>(in.a), -1); break;
      case Op::kIndexGet: IndexGet(); break;
      case Op::kIndexSet: IndexSet(); break;
      case Op::kLen: Unary(FastOp::kLen); break;
      case Op::kArrayPush: {
        int32_t a = Src(Top() - 1), v = Src(Top());
        Emit(FastOp::kArrayPush, {a, v});
        Pop(2);
        break;
      }
      case Op::kArrayPop: Unary(FastOp::kArrayPop); break;
      case Op::kSlice: {
        size_t c = Top() - 2;
        int32_t sc = Src(c), si = Src(c + 1), sj = Src(c + 2);
        size_t at = Emit(FastOp::kSlice, {Own(c), sc, si, sj});
        Pop(3);
        PushTemp();
        Produced(at, c, 0);
        break;
      }
      case Op::kIterNext: IterNext(pc, in); break;
      case Op::kTrap: Emit(FastOp::kTrap, {Src(Top())}); Pop(); break;
      // The operand stack is empty here (verifier). The target is a label (IsBranch) entered
      // with stack height 1: the error map in temporary 0, where the catch stores it.
      case Op::kTryBegin: {
        Flush();
        Jump(Emit(FastOp::kTryBegin, {0}), 0, static_cast<uint32_t>(BranchTarget(pc, in)));
        break;
      }
      case Op::kTryEnd: Emit(FastOp::kTryEnd, {}); break;
      case Op::kCount: break;
    }
    return in.size;
  }

  // --- back-edges and the superinstructions made from them ------------------------------

  int32_t FieldAt(size_t insn, int field) const {
    int32_t v;
    std::memcpy(&v, code_.data() + insn + FastOperandOffset(static_cast<size_t>(field)), 4);
    return v;
  }
  // The instruction starting at `offset`, if one does.
  const FastPc* PcAt(size_t offset) const {
    auto it = std::lower_bound(fast_.pcs.begin(), fast_.pcs.end(), offset,
                               [](const FastPc& p, size_t o) { return p.offset < o; });
    return it != fast_.pcs.end() && it->offset == offset ? &*it : nullptr;
  }
  // The wire target of the forward jump in the instruction at `insn`.
  uint32_t ExitOf(size_t insn) const {
    for (const JumpPatch& p : patches_) {
      if (p.insn == insn) return p.target_pc;
    }
    return UINT32_MAX;
  }
  int32_t Disp(size_t to) const { return static_cast<int32_t>(to) - static_cast<int32_t>(code_.size()); }

  // A backward jmp (every value already in its slot). When it returns to a loop head the
  // translator made, the safepoint and the head fuse into one instruction; a for-range step
  // just before it becomes a ForLoop with the general instructions kept after it.
  void BackEdge(uint32_t pc, uint32_t target) {
    const int32_t top = Own(stack_.size());
    const size_t head = static_cast<size_t>(label_[target]);
    const FastPc* h = PcAt(head);
    const FastOp hop = h ? h->op : FastOp::kCount;
    if (!is_target_[pc]) TryForLoop(head, hop, top);
    int group = -1;
    bool imm = false;
    if (hop >= FastOp::kJumpIfNotLt && hop <= FastOp::kJumpIfNotGe) {
      group = static_cast<int>(hop) - static_cast<int>(FastOp::kJumpIfNotLt);
    } else if (hop >= FastOp::kJumpIfNotLtI && hop <= FastOp::kJumpIfNotGeI) {
      group = static_cast<int>(hop) - static_cast<int>(FastOp::kJumpIfNotLtI);
      imm = true;
    }
    if (group >= 0) {
      FastOp op = Offset(imm ? FastOp::kLoopLtI : FastOp::kLoopLt, group);
      size_t at = Emit(op, {FieldAt(head, 0), FieldAt(head, 1), 0, Disp(head), top});
      Jump(at, 2, ExitOf(head));
      return;
    }
    if (hop == FastOp::kIterNext) {
      size_t at = Emit(FastOp::kLoopIter,
                       {FieldAt(head, 0), FieldAt(head, 1), FieldAt(head, 2), 0, Disp(head), top});
      Jump(at, 3, ExitOf(head));
      return;
    }
    Jump(Emit(FastOp::kLoop, {0, top}), 0, target);
  }

  // [x += k; back to `if !(x < e) exit; v = x`] -> ForLoop, then the same increment again
  // as the general path ForLoop falls into when x is not an int.
  void TryForLoop(size_t head, FastOp hop, int32_t top) {
    if (hop != FastOp::kJumpIfNotLt && hop != FastOp::kJumpIfNotLtI) return;
    if (fast_.pcs.empty() || fast_.pcs.back().op != FastOp::kAddI) return;
    const size_t step = fast_.pcs.back().offset;
    if (last_label_ > step) return;  // a label after the step: nothing may move
    const int32_t x = FieldAt(step, 0);
    if (FieldAt(step, 1) != x || FieldAt(step, 3) != 0 || FieldAt(head, 0) != x) return;
    if (x >= Own(0)) return;  // the counter must be a local
    const int32_t k = FieldAt(step, 2);
    // The loop variable's copy right after the head, when there is one.
    size_t body = head + InfoOf(hop).size();
    int32_t var = -1;
    if (const FastPc* next = PcAt(body);
        next != nullptr && next->op == FastOp::kMov && FieldAt(body, 1) == x) {
      var = FieldAt(body, 0);
      body += InfoOf(FastOp::kMov).size();
    }
    // Take the increment out, put ForLoop in its place, then the increment back.
    std::vector<uint8_t> step_code(code_.begin() + static_cast<ptrdiff_t>(step), code_.end());
    FastPc step_pc = fast_.pcs.back();
    code_.resize(step);
    fast_.pcs.pop_back();
    size_t at = Emit(hop == FastOp::kJumpIfNotLt ? FastOp::kForLoop : FastOp::kForLoopI,
                     {x, FieldAt(head, 1), var, k, Disp(head), 0, Disp(body), top});
    Jump(at, 5, ExitOf(head));
    step_pc.offset = static_cast<uint32_t>(code_.size());
    code_.insert(code_.end(), step_code.begin(), step_code.end());
    fast_.pcs.push_back(step_pc);
    producer_.valid = false;
  }

  void Dup(size_t n) {
    size_t first = stack_.size() - n;
    for (size_t i = 0; i < n; ++i) {
      Entry e = stack_[first + i];
      size_t to = stack_.size();
      Push(e);
      // A copy of a temporary gets its own slot: temporaries are never aliased.
      if (e.kind == Entry::Kind::kTemp) {
        Emit(FastOp::kMov, {Own(to), Own(first + i)});
        producer_.valid = false;
      }
    }
  }

  uint32_t Swap(uint32_t pc, const WireInsn& in) {
    size_t d = Top() - 1;
    uint32_t next = pc + in.size;
    // swap; pop keeps the top value one slot lower (for-in over a single variable).
    if (next < f_.code.size() && !is_target_[next] && static_cast<Op>(f_.code[next]) == Op::kPop) {
      Entry top = stack_[d + 1];
      Pop(2);
      if (top.kind == Entry::Kind::kTemp) {
        size_t at = Emit(FastOp::kMov, {Own(d), Own(d + 1)});
        PushTemp();
        Produced(at, d, 0);
      } else {
        Push(top);
      }
      return in.size + 1;
    }
    Materialize(d);
    Materialize(d + 1);
    Emit(FastOp::kSwap, {Own(d), Own(d + 1)});
    return in.size;
  }

  void StoreLocal(int64_t local) {
    size_t d = Top();
    Entry e = stack_[d];
    if (e.kind == Entry::Kind::kLocal && e.value == local) {  // x = x
      Pop();
      return;
    }
    if (e.kind == Entry::Kind::kTemp && producer_.valid && !Aliases(local, d)) {
      for (int i = 0; i < 2; ++i) {
        if (producer_.depth[i] != d) continue;
        int32_t dst = Local(local);
        std::memcpy(code_.data() + producer_.insn + FastOperandOffset(producer_.field[i]), &dst, 4);
        producer_.depth[i] = SIZE_MAX;
        Pop();
        return;
      }
    }
    BeforeWriteLocal(local);
    EmitLoad(Local(local), stack_[d], d);
    Pop();
  }

  // An instruction with no stack operands whose result is pushed.
  void Produce(FastOp op, std::initializer_list<int32_t> rest, int dst_field) {
    size_t d = stack_.size();
    std::vector<int32_t> fields{Own(d)};
    fields.insert(fields.end(), rest.begin(), rest.end());
    size_t at = code_.size();
    EmitFields(op, fields);
    PushTemp();
    Produced(at, d, dst_field);
  }

  void EmitFields(FastOp op, const std::vector<int32_t>& fields) {
    switch (fields.size()) {
      case 1: Emit(op, {fields[0]}); break;
      case 2: Emit(op, {fields[0], fields[1]}); break;
      case 3: Emit(op, {fields[0], fields[1], fields[2]}); break;
      default: Emit(op, {fields[0], fields[1], fields[2], fields[3]}); break;
    }
  }

  void Unary(FastOp op) {
    size_t d = Top();
    int32_t s = Src(d);
    size_t at = Emit(op, {Own(d), s});
    Pop();
    PushTemp();
    Produced(at, d, 0);
  }

  void Binary(FastOp op) {
    size_t d = Top() - 1;
    int32_t a = Src(d), b = Src(d + 1);
    size_t at = Emit(op, {Own(d), a, b});
    Pop(2);
    PushTemp();
    Produced(at, d, 0);
  }

  void Arith(Op op) {
    size_t d = Top() - 1;
    const Entry a = stack_[d], b = stack_[d + 1];
    int group = static_cast<int>(op) - static_cast<int>(Op::kAdd);
    bool commutes = op == Op::kAdd || op == Op::kMul;
    size_t at;
    const int64_t k = b.value;
    if (b.kind == Entry::Kind::kInt && (op == Op::kDiv || op == Op::kMod) && k >= 2 && (k & (k - 1)) == 0) {
      int32_t s = Src(d);
      at = Emit(op == Op::kDiv ? FastOp::kDivP2 : FastOp::kModP2,
                {Own(d), s, static_cast<int32_t>(k), std::countr_zero(static_cast<uint64_t>(k))});
    } else if (b.kind == Entry::Kind::kInt) {
      int32_t s = Src(d);
      at = Emit(Offset(FastOp::kAddI, group), {Own(d), s, static_cast<int32_t>(b.value), 0});
    } else if (a.kind == Entry::Kind::kInt && commutes) {
      int32_t s = Src(d + 1);
      at = Emit(Offset(FastOp::kAddI, group), {Own(d), s, static_cast<int32_t>(a.value), 1});
    } else if (IsFloatConst(b)) {
      int32_t s = Src(d);
      at = Emit(Offset(FastOp::kAddF, group), {Own(d), s, ConstOffset(b.value), 0});
    } else if (IsFloatConst(a) && commutes) {
      int32_t s = Src(d + 1);
      at = Emit(Offset(FastOp::kAddF, group), {Own(d), s, ConstOffset(a.value), 1});
    } else if (IsFloatConst(a) && (op == Op::kSub || op == Op::kDiv)) {
      int32_t s = Src(d + 1);
      at = Emit(op == Op::kSub ? FastOp::kRSubF : FastOp::kRDivF, {Own(d), s, ConstOffset(a.value)});
    } else if (op == Op::kAdd && b.kind == Entry::Kind::kConst) {
      int32_t s = Src(d);
      at = Emit(FastOp::kAddK, {Own(d), s, ConstOffset(b.value), 0});
    } else if (op == Op::kAdd && a.kind == Entry::Kind::kConst) {
      int32_t s = Src(d + 1);
      at = Emit(FastOp::kAddK, {Own(d), s, ConstOffset(a.value), 1});
    } else {
      int32_t sa = Src(d), sb = Src(d + 1);
      at = Emit(Offset(FastOp::kAdd, group), {Own(d), sa, sb});
    }
    Pop(2);
    PushTemp();
    Produced(at, d, 0);
  }

  uint32_t Comparison(uint32_t pc, const WireInsn& in) {
    int group = static_cast<int>(in.op) - static_cast<int>(Op::kEq);
    uint32_t next = pc + in.size;
    if (next < f_.code.size() && !is_target_[next]) {
      Op jop = static_cast<Op>(f_.code[next]);
      // Compilers branch on a comparison with jmp_if_false (`if`, `while`, `for`); a
      // jmp_if_true after one stays a compare and a jt.
      if (jop == Op::kJumpIfFalse) {
        WireInsn jump = Decode(f_, next);
        uint32_t target = static_cast<uint32_t>(BranchTarget(next, jump));
        if (target > next) {  // forward only: a taken back-edge is a safepoint
          size_t d = Top() - 1;
          MaterializeRange(0, d);
          const Entry a = stack_[d], b = stack_[d + 1];
          size_t at;
          const bool equality = in.op == Op::kEq || in.op == Op::kNe;
          if (equality && (a.kind == Entry::Kind::kNil || b.kind == Entry::Kind::kNil)) {
            // x == nil is a tag test; jump when the comparison is false.
            int32_t sx = Src(a.kind == Entry::Kind::kNil ? d + 1 : d);
            at = Emit(in.op == Op::kEq ? FastOp::kJumpIfNotNil : FastOp::kJumpIfNil, {sx, 0});
            Jump(at, 1, target);
            Pop(2);
            return in.size + jump.size;
          }
          if (b.kind == Entry::Kind::kInt) {
            int32_t sa = Src(d);
            at = Emit(Offset(FastOp::kJumpIfNotEqI, group), {sa, static_cast<int32_t>(b.value), 0});
          } else if (IsFloatConst(b) && !equality) {
            int32_t sa = Src(d);
            at = Emit(Offset(FastOp::kJumpIfNotLtF, group - 2), {sa, ConstOffset(b.value), 0});
          } else {
            int32_t sa = Src(d), sb = Src(d + 1);
            at = Emit(Offset(FastOp::kJumpIfNotEq, group), {sa, sb, 0});
          }
          Jump(at, 2, target);
          Pop(2);
          return in.size + jump.size;
        }
      }
    }
    Binary(Offset(FastOp::kEq, group));
    return in.size;
  }

  static bool Truthy(const Entry& e) {
    return e.kind != Entry::Kind::kNil && e.kind != Entry::Kind::kFalse;
  }

  void CondJump(uint32_t pc, const WireInsn& in, uint32_t target, bool when_true) {
    size_t d = Top();
    const Entry cond = stack_[d];
    bool back = target <= pc;
    if (cond.IsConstant()) {
      Pop();
      if (Truthy(cond) != when_true) return;  // never taken
      Flush();
      live_ = false;
      if (back) {
        Jump(Emit(FastOp::kLoop, {0, Own(stack_.size())}), 0, target);
      } else if (target != pc + in.size) {
        Jump(Emit(FastOp::kJump, {0}), 0, target);
      }
      return;
    }
    MaterializeRange(0, d);
    int32_t s = Src(d);
    size_t at;
    if (back) {
      at = Emit(when_true ? FastOp::kLoopIfTrue : FastOp::kLoopIfFalse, {s, 0, Own(d)});
    } else {
      at = Emit(when_true ? FastOp::kJumpIfTrue : FastOp::kJumpIfFalse, {s, 0});
    }
    Jump(at, 1, target);
    Pop();
  }

  void Call(uint32_t callee) {
    size_t argc = m_.functions[callee].arity;
    size_t first = stack_.size() - argc;
    const FastFunction* target = &out_.functions[callee];
    int32_t halves[2];
    std::memcpy(halves, &target, sizeof target);
    bool passes_locals = false;
    for (size_t d = first; d < stack_.size(); ++d) {
      passes_locals = passes_locals || stack_[d].kind == Entry::Kind::kLocal;
    }
    size_t at;
    if (passes_locals && argc >= 1 && argc <= 3) {
      // Everything below the arguments in its slot, as at any safepoint; the arguments
      // that name locals are copied by the call itself.
      MaterializeRange(0, first);
      int32_t src[3] = {0, 0, 0};
      for (size_t i = 0; i < argc; ++i) src[i] = Src(first + i);
      at = Emit(Offset(FastOp::kCallArgs1, static_cast<int>(argc) - 1),
                {Own(first), Own(first), halves[0], halves[1], src[0], src[1], src[2]});
    } else {
      Flush();
      at = Emit(FastOp::kCall, {Own(first), Own(first), halves[0], halves[1]});
    }
    Pop(argc);
    PushTemp();
    Produced(at, first, 1);
  }

  // call_host / call_builtin: the arguments must sit in consecutive slots.
  void CallWithArgs(FastOp op, int64_t id, int64_t argc) {
    size_t n = static_cast<size_t>(argc);
    size_t first = stack_.size() - n;
    MaterializeRange(first, stack_.size());
    size_t at = Emit(op, {Own(first), Own(first), static_cast<int32_t>(id), static_cast<int32_t>(n)});
    Pop(n);
    PushTemp();
    Produced(at, first, 0);
  }

  // make_closure / new_array / new_map: `n` operands in consecutive slots.
  void Build(FastOp op, size_t n, int32_t function) {
    size_t first = stack_.size() - n;
    MaterializeRange(first, stack_.size());
    size_t at;
    if (op == FastOp::kMakeClosure) {
      at = Emit(op, {Own(first), function, Own(first), static_cast<int32_t>(n)});
    } else {
      int32_t count = static_cast<int32_t>(op == FastOp::kNewMap ? n / 2 : n);
      at = Emit(op, {Own(first), Own(first), count});
    }
    Pop(n);
    PushTemp();
    Produced(at, first, 0);
  }

  void IndexGet() {
    size_t d = Top() - 1;
    const Entry key = stack_[d + 1];
    size_t at;
    if (IsStringConst(key)) {
      int32_t c = Src(d);
      at = Emit(FastOp::kGetField, {Own(d), c, ConstOffset(key.value), 0});
    } else if (key.kind == Entry::Kind::kInt) {
      int32_t c = Src(d);
      at = Emit(FastOp::kIndexGetI, {Own(d), c, static_cast<int32_t>(key.value)});
    } else {
      int32_t c = Src(d), k = Src(d + 1);
      at = Emit(FastOp::kIndexGet, {Own(d), c, k});
    }
    Pop(2);
    PushTemp();
    Produced(at, d, 0);
  }

  void IndexSet() {
    size_t d = Top() - 2;
    const Entry key = stack_[d + 1];
    const Entry value = stack_[d + 2];
    if (IsStringConst(key)) {
      int32_t c = Src(d), v = Src(d + 2);
      Emit(FastOp::kSetField, {c, ConstOffset(key.value), v, 0});
    } else if (value.IsConstant() && value.kind != Entry::Kind::kConst) {
      int32_t c = Src(d), k = Src(d + 1);
      FastSmallConstant kind = value.kind == Entry::Kind::kInt     ? FastSmallConstant::kInt
                               : value.kind == Entry::Kind::kTrue  ? FastSmallConstant::kTrue
                               : value.kind == Entry::Kind::kFalse ? FastSmallConstant::kFalse
                                                                   : FastSmallConstant::kNil;
      Emit(FastOp::kIndexSetV,
           {c, k, static_cast<int32_t>(kind), static_cast<int32_t>(value.kind == Entry::Kind::kInt ? value.value : 0)});
    } else {
      int32_t c = Src(d), k = Src(d + 1), v = Src(d + 2);
      Emit(FastOp::kIndexSet, {c, k, v});
    }
    Pop(3);
  }

  void IterNext(uint32_t pc, const WireInsn& in) {
    uint32_t target = static_cast<uint32_t>(BranchTarget(pc, in));
    Flush();  // the exhausted edge is a jump
    size_t h = stack_.size();
    int32_t slot = Local(in.a);
    size_t at;
    if (target <= pc) {
      at = Emit(FastOp::kIterNextLoop, {slot, Own(h), Own(h + 1), 0, Own(h)});
    } else {
      at = Emit(FastOp::kIterNext, {slot, Own(h), Own(h + 1), 0});
    }
    Jump(at, 3, target);
    PushTemp();
    PushTemp();
    Produced(at, h, 1);
    Produced(at, h + 1, 2);
  }

  const Module& m_;
  const Function& f_;
  FastModule& out_;
  FastFunction& fast_;
  std::vector<uint16_t> heights_;
  const void* const* handlers_;
  std::vector<uint8_t> is_target_;
  std::vector<int32_t> label_;   // fast offset of each wire jump target
  std::vector<Entry> stack_;
  std::vector<uint8_t> code_;
  std::vector<JumpPatch> patches_;
  Producer producer_;
  uint32_t pc_ = 0;
  size_t last_label_ = 0;  // the highest offset a label points at so far
  bool live_ = true;  // false after an instruction control cannot fall through
};

}  // namespace

Result<std::shared_ptr<const FastModule>, LoadError> TranslateModule(
    const Module& m, std::vector<std::vector<uint16_t>> stack_heights, const void* const* handlers) {
  if (stack_heights.size() != m.functions.size()) {
    return Err(LoadError{"", 0, "fast-tier translation: no verifier analysis for the module"});
  }
  auto out = std::make_shared<FastModule>();
  out->functions.resize(m.functions.size());
  std::vector<uint8_t> code;
  for (uint32_t i = 0; i < m.functions.size(); ++i) {
    const Function& f = m.functions[i];
    FastFunction& ff = out->functions[i];
    ff.wire = &f;
    ff.index = i;
    ff.arity = f.arity;
    ff.num_locals = f.num_locals;
    ff.num_captures = f.num_captures;
    ff.frame_slots = uint32_t{f.num_locals} + f.max_stack;
    ff.arity_bytes = uint32_t{f.arity} * kSlot;
    ff.locals_bytes = uint32_t{f.num_locals} * kSlot;
    ff.call_bytes = f.num_captures != 0 ? UINT32_MAX / 2 : ff.frame_slots * kSlot;
    if (stack_heights[i].size() != f.code.size()) {
      return Err(LoadError{f.name, 0, "fast-tier translation: the verifier's analysis does not match"});
    }
    FunctionTranslator t(m, *out, i, std::move(stack_heights[i]), handlers);
    auto done = t.Run(code);
    if (!done.ok()) return Err(std::move(done).error());
  }
  out->code_bytes = code.size();
  out->code.reset(new uint64_t[(code.size() + 7) / 8]);
  if (!code.empty()) std::memcpy(out->code.get(), code.data(), code.size());  // no functions: no code
  for (FastFunction& ff : out->functions) ff.code = out->bytes() + ff.code_offset;
  return std::shared_ptr<const FastModule>(std::move(out));
}

}  // namespace trinity
