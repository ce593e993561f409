// Recorder: one handler per fast-tier instruction family. Each reads the concrete operand
// values the interpreter is about to use, emits the guards under which the recorded
// behaviour repeats (types, branch directions, bounds, map entry positions), and updates
// the slot map. Semantics follow the fast tier's fast paths exactly; every other case
// aborts, so the interpreter keeps handling it (and raising its traps).
#include "jit/recorder.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "jit/trace_abi.h"
#include "runtime/builtins.h"
#include "runtime/heap.h"
#include "runtime/value_ops.h"

namespace trinity::jit {
namespace {

// A back-edge fused with its loop head (fast_translate.cc). While a JIT watches, the fast
// loop runs it as a plain back-edge to the head, whose compare then runs by itself.
bool IsFusedBackEdge(FastOp op) {
  switch (op) {
    case FastOp::kLoopLt: case FastOp::kLoopLe: case FastOp::kLoopGt: case FastOp::kLoopGe:
    case FastOp::kLoopLtI: case FastOp::kLoopLeI: case FastOp::kLoopGtI: case FastOp::kLoopGeI:
    case FastOp::kLoopIter:
      return true;
    default:
      return false;
  }
}

// The field holding a back-edge's displacement to its loop header.
int BackEdgeJumpField(FastOp op) {
  switch (op) {
    case FastOp::kLoop: return 0;
    case FastOp::kLoopIter: return 4;
    case FastOp::kLoopIfTrue: case FastOp::kLoopIfFalse: return 1;
    default: return 3;  // the fused compares
  }
}

constexpr int32_t kValueSize = sizeof(Value);

int32_t Field(const uint8_t* ip, int i) {
  int32_t v;
  std::memcpy(&v, ip + FastOperandOffset(static_cast<size_t>(i)), 4);
  return v;
}

const FastPc* FindPc(const FastFunction& fn, uint32_t offset) {
  auto it = std::lower_bound(fn.pcs.begin(), fn.pcs.end(), offset,
                             [](const FastPc& p, uint32_t o) { return p.offset < o; });
  if (it == fn.pcs.end() || it->offset != offset) return nullptr;
  return &*it;
}

constexpr Cond kCompareConds[] = {Cond::kEq, Cond::kNe, Cond::kLt, Cond::kLe, Cond::kGt, Cond::kGe};

bool HoldsFloat(Cond c, double a, double b) {
  switch (c) {
    case Cond::kEq: return a == b;
    case Cond::kNe: return a != b;
    case Cond::kLt: return a < b;
    case Cond::kLe: return a <= b;
    case Cond::kGt: return a > b;
    case Cond::kGe: return a >= b;
    case Cond::kULt: return false;
  }
  return false;
}

// Values whose == is identity (or plain equality of the payload).
bool EqualityByPayload(Tag t) {
  return t == Tag::kBool || t == Tag::kArray || t == Tag::kMap || t == Tag::kFunction ||
         t == Tag::kBox || t == Tag::kHandle;
}

uint64_t PushHelper(TraceContext* ctx, uint64_t array, uint64_t bits, uint64_t tag) {
  auto& vm = *static_cast<Instance::Impl*>(ctx->vm);
  Value v;
  v.tag = static_cast<Tag>(tag);
  v.i = static_cast<int64_t>(bits);
  try {
    vm.heap.ArrayPush(reinterpret_cast<Array*>(array), v);
  } catch (const VmTrap&) {
    return 0;  // nothing changed: the interpreter re-runs the push and traps
  }
  if (vm.heap.ShouldCollect()) ctx->safepoint_due = 1;
  return 1;
}

}  // namespace

Recorder::Recorder(Instance::Impl& vm, const uint8_t* loop_ip, const FastState& at, size_t depth,
                   FoldOptions fold, RecorderLimits limits, HasTrace has_trace)
    : vm_(vm),
      fm_(*vm.module->executable.fast()),
      b_(rec_.ir, fold),
      limits_(limits),
      has_trace_(std::move(has_trace)),
      loop_ip_(loop_ip),
      root_fn_(&fm_.functions[vm.frames[depth - 1].function]),
      root_base_(at.base),
      root_depth_(depth),
      fn_(root_fn_),
      closure_(at.closure),
      root_closure_(at.closure) {
  rec_.entry.function = root_fn_->index;
  rec_.entry.resume_pc = static_cast<uint32_t>(at.ip - root_fn_->code);
  cur_base_ = at.base;
}

Recorder::Status Recorder::Abort(std::string why) {
  abort_ = std::move(why);
  return Status::kAborted;
}

const Value& Recorder::Concrete(int32_t field) const {
  return *reinterpret_cast<const Value*>(reinterpret_cast<const char*>(cur_base_) + field);
}

IrIns Recorder::Ins(IrOp op, Tag type, IrRef a, IrRef b, IrRef c) {
  IrIns i{op};
  i.type = type;
  i.a = a;
  i.b = b;
  i.c = c;
  return i;
}

uint32_t Recorder::Snap() {
  if (have_snap_ && snap_fn_ == fn_ && snap_pc_ == pc_ && snap_writes_ == writes_ &&
      snap_depth_ == inline_.size() && snap_base_ == base_off_) {
    return snap_;
  }
  Snapshot s;
  for (const auto& [slot, ref] : written_) s.entries.push_back({slot, ref});
  for (const InlineFrame& f : inline_) {
    s.frames.push_back(SnapFrame{f.fn->index, f.base_offset, f.result_offset,
                                 reinterpret_cast<uint64_t>(f.closure), f.return_pc});
  }
  s.resume_pc = pc_;
  s.function = fn_->index;
  snap_ = rec_.ir.AddSnapshot(std::move(s));
  have_snap_ = true;
  snap_depth_ = inline_.size();
  snap_base_ = base_off_;
  snap_fn_ = fn_;
  snap_pc_ = pc_;
  snap_writes_ = writes_;
  return snap_;
}

IrRef Recorder::Read(int32_t field) {
  const int32_t abs = base_off_ + field;
  auto it = slots_.find(abs);
  if (it != slots_.end()) return it->second;
  IrIns load = Ins(IrOp::kSLoad, Concrete(field).tag);
  load.imm = abs;
  load.snap = Snap();
  IrRef r = b_.Emit(load);
  slots_.emplace(abs, r);
  return r;
}

void Recorder::Write(int32_t field, IrRef v) {
  const int32_t abs = base_off_ + field;
  slots_[abs] = v;
  written_[abs] = v;
  ++writes_;
  max_extent_ = std::max<int64_t>(max_extent_, abs + kValueSize);
}

IrRef Recorder::ConstantValue(const Value& v) {
  switch (v.tag) {
    case Tag::kNil: {
      IrIns nil = Ins(IrOp::kConst, Tag::kNil);
      return b_.Emit(nil);
    }
    case Tag::kBool: return b_.Bool(v.b);
    case Tag::kInt: return b_.Int(v.i);
    case Tag::kFloat: return b_.Float(v.f);
    case Tag::kHandle: {
      IrIns h = Ins(IrOp::kConst, Tag::kHandle);
      h.imm = v.i;
      return b_.Emit(h);
    }
    default: return b_.Pointer(v.tag, v.o);
  }
}

IrRef Recorder::Guard(IrOp op, Cond c, IrRef a, IrRef b) {
  IrIns g = Ins(op, Tag::kNil, a, b);
  g.cond = c;
  g.snap = Snap();
  return b_.Emit(g);
}

IrRef Recorder::ToFloat(IrRef r) {
  if (TypeOf(r) == Tag::kFloat) return r;
  return b_.Emit(Ins(IrOp::kConvIF, Tag::kFloat, r));
}

Recorder::Status Recorder::Step(const FastState& at, size_t depth) {
  if (++steps_ > limits_.max_steps) {
    return Abort("the iteration runs more than " + std::to_string(limits_.max_steps) + " instructions");
  }
  if (rec_.ir.size() > limits_.max_instructions) return Abort("the trace grew too long");
  if (depth != root_depth_ + inline_.size()) return Abort("the frame depth changed unexpectedly");
  if (reinterpret_cast<const char*>(at.base) - reinterpret_cast<const char*>(root_base_) != base_off_) {
    return Abort("the frame moved unexpectedly");
  }
  if (at.ip < fn_->code || at.ip >= fn_->code + fn_->code_size) return Abort("left the function's code");
  pc_ = static_cast<uint32_t>(at.ip - fn_->code);
  const FastPc* pc = FindPc(*fn_, pc_);
  if (pc == nullptr) return Abort("not at an instruction boundary");
  cur_base_ = at.base;
  const FastOp op = pc->op;
  if (inline_.empty() && (op == FastOp::kLoop || op == FastOp::kLoopIfTrue || op == FastOp::kLoopIfFalse ||
                          IsFusedBackEdge(op))) {
    if (at.ip == loop_ip_) return CloseLoop(op, at);
    // A conditional back-edge not taken now is an ordinary forward branch.
    if (!BackEdgeTaken(op, at.ip)) return Status::kRecording;
    if (has_trace_ && has_trace_(at.ip)) return CloseLink(op, at);
    return Abort("an inner loop");
  }
  return Record(op, at.ip, at);
}

bool Recorder::BackEdgeTaken(FastOp op, const uint8_t* ip) {
  if (op == FastOp::kLoop || IsFusedBackEdge(op)) return true;
  const Value& v = Concrete(Field(ip, 0));
  const bool taken = (op == FastOp::kLoopIfTrue) == v.Truthy();
  IrRef c = Read(Field(ip, 0));
  if (v.tag == Tag::kBool) Guard(IrOp::kGuardI, v.b ? Cond::kNe : Cond::kEq, c, b_.Bool(false));
  return taken;
}

Recorder::Status Recorder::CloseLink(FastOp op, const FastState& at) {
  // The back-edge's safepoint charges its step; the trace then leaves for the loop
  // header, where the other loop's trace takes over.
  uint32_t before = Snap();
  rec_.ir.snapshots()[before].at_loop_edge = true;
  rec_.ir.snapshots()[before].fuel = true;
  IrIns fuel = Ins(IrOp::kGuardFuel, Tag::kNil);
  fuel.snap = before;
  b_.Emit(fuel);
  Snapshot link;
  for (const auto& [slot, ref] : written_) link.entries.push_back({slot, ref});
  const int32_t jump = Field(at.ip, BackEdgeJumpField(op));
  link.resume_pc = static_cast<uint32_t>(static_cast<int64_t>(pc_) + jump);
  link.function = fn_->index;
  link.link = at.ip;
  IrIns exit = Ins(IrOp::kExit, Tag::kNil);
  exit.snap = rec_.ir.AddSnapshot(std::move(link));
  b_.Emit(exit);
  linked_ = true;
  link_target_ = at.ip;
  return Status::kComplete;
}

Recorder::Status Recorder::CloseLoop(FastOp op, const FastState& at) {
  if (!BackEdgeTaken(op, at.ip)) return Abort("the loop ends while its first iteration is recorded");
  // The back-edge's safepoint: leave with one step of budget left so the interpreter
  // takes this edge (and its safepoint) itself.
  uint32_t s = Snap();
  rec_.ir.snapshots()[s].at_loop_edge = true;
  rec_.ir.snapshots()[s].fuel = true;
  IrIns fuel = Ins(IrOp::kGuardFuel, Tag::kNil);
  fuel.snap = s;
  b_.Emit(fuel);
  for (const auto& [slot, ref] : written_) rec_.final_slots.push_back({slot, ref});
  return Status::kComplete;
}

// container[index] with the bounds check every array access makes (unsigned, so negative
// indices fail too); the load also guards the element's type.
IrRef Recorder::ArrayLoad(IrRef container, IrRef index, Tag element) {
  IrRef len = b_.Emit(Ins(IrOp::kALen, Tag::kInt, container));
  Guard(IrOp::kGuardI, Cond::kULt, index, len);
  IrIns load = Ins(IrOp::kALoad, element, container, index);
  load.snap = Snap();
  return b_.Emit(load);
}

void Recorder::ArrayStore(IrRef container, IrRef index, IrRef value) {
  IrRef len = b_.Emit(Ins(IrOp::kALen, Tag::kInt, container));
  Guard(IrOp::kGuardI, Cond::kULt, index, len);
  b_.Emit(Ins(IrOp::kAStore, Tag::kNil, container, index, value));
}

Recorder::Status Recorder::Arith(int group, IrRef a, IrRef b, const Value& x, const Value& y,
                                 int32_t dst) {
  static constexpr IrOp kInt[] = {IrOp::kAddI, IrOp::kSubI, IrOp::kMulI, IrOp::kDivI, IrOp::kModI};
  static constexpr IrOp kFloat[] = {IrOp::kAddF, IrOp::kSubF, IrOp::kMulF, IrOp::kDivF, IrOp::kModF};
  IrRef r;
  if (x.tag == Tag::kInt && y.tag == Tag::kInt) {
    if (group >= 3) {
      // The fast path divides only by a positive int; the rest (zero, -1, negatives)
      // stays with the interpreter.
      if (y.i <= 0) return Abort("integer division by a non-positive value");
      Guard(IrOp::kGuardI, Cond::kGt, b, b_.Int(0));
    }
    r = b_.Emit(Ins(kInt[group], Tag::kInt, a, b));
  } else if ((x.tag == Tag::kInt || x.tag == Tag::kFloat) && (y.tag == Tag::kInt || y.tag == Tag::kFloat)) {
    r = b_.Emit(Ins(kFloat[group], Tag::kFloat, ToFloat(a), ToFloat(b)));
  } else {
    return Abort("arithmetic on " + std::string(TypeName(x.tag)) + " and " + std::string(TypeName(y.tag)));
  }
  Write(dst, r);
  return Status::kRecording;
}

Recorder::Status Recorder::CompareBranch(int group, bool want, const Value& x, const Value& y,
                                         IrRef a, IrRef b) {
  // Emits a guard that the comparison comes out as it does now; `want` is unused beyond
  // documenting that the interpreter follows whichever way it comes out.
  (void)want;
  const Cond c = kCompareConds[group];
  if (x.tag == Tag::kInt && y.tag == Tag::kInt) {
    const bool holds = CondHolds(c, x.i, y.i);
    Guard(IrOp::kGuardI, holds ? c : Negate(c), a, b);
    return Status::kRecording;
  }
  if (x.tag == Tag::kFloat && y.tag == Tag::kFloat) {
    const bool holds = HoldsFloat(c, x.f, y.f);
    // The negation of an ordered comparison is not the opposite ordered comparison when
    // a NaN is involved; the guard then simply fails and the interpreter decides.
    Guard(IrOp::kGuardF, holds ? c : Negate(c), a, b);
    return Status::kRecording;
  }
  if (group <= 1) {  // == and != on other pairs
    if (x.tag != y.tag) {
      if ((x.tag == Tag::kInt || x.tag == Tag::kFloat) && (y.tag == Tag::kInt || y.tag == Tag::kFloat)) {
        return Abort("int/float equality");
      }
      return Status::kRecording;  // different types: the outcome is fixed by the type guards
    }
    if (x.tag == Tag::kNil) return Status::kRecording;
    if (EqualityByPayload(x.tag)) {
      const bool same = x.i == y.i;
      const bool holds = group == 0 ? same : !same;
      Guard(IrOp::kGuardI, holds ? c : Negate(c), a, b);
      return Status::kRecording;
    }
  }
  return Abort("comparison of " + std::string(TypeName(x.tag)) + " and " + std::string(TypeName(y.tag)));
}

Recorder::Status Recorder::CompareValue(int group, IrRef a, IrRef b, const Value& x, const Value& y,
                                        int32_t dst) {
  const Cond c = kCompareConds[group];
  IrRef r;
  if (x.tag == Tag::kInt && y.tag == Tag::kInt) {
    IrIns s = Ins(IrOp::kSetI, Tag::kBool, a, b);
    s.cond = c;
    r = b_.Emit(s);
  } else if (x.tag == Tag::kFloat && y.tag == Tag::kFloat) {
    IrIns s = Ins(IrOp::kSetF, Tag::kBool, a, b);
    s.cond = c;
    r = b_.Emit(s);
  } else if (group <= 1 && x.tag != y.tag &&
             !((x.tag == Tag::kInt || x.tag == Tag::kFloat) && (y.tag == Tag::kInt || y.tag == Tag::kFloat))) {
    r = b_.Bool(group == 1);
  } else if (group <= 1 && x.tag == y.tag && x.tag == Tag::kNil) {
    r = b_.Bool(group == 0);
  } else if (group <= 1 && x.tag == y.tag && EqualityByPayload(x.tag)) {
    IrIns s = Ins(IrOp::kSetI, Tag::kBool, a, b);
    s.cond = c;
    r = b_.Emit(s);
  } else {
    return Abort("comparison of " + std::string(TypeName(x.tag)) + " and " + std::string(TypeName(y.tag)));
  }
  Write(dst, r);
  return Status::kRecording;
}

Recorder::Status Recorder::Inline(const FastFunction* callee, Closure* closure, int32_t args_field,
                                  int32_t result_field, uint32_t return_pc) {
  if (inline_.size() >= limits_.max_inline_depth) return Abort("calls nest too deeply to inline");
  if (callee == root_fn_) return Abort("recursive call");
  for (const InlineFrame& f : inline_) {
    if (f.fn == callee) return Abort("recursive call");
  }
  // The call's safepoint charges one step of fuel, as the interpreter's does.
  IrIns fuel = Ins(IrOp::kGuardFuel, Tag::kNil);
  fuel.snap = Snap();
  rec_.ir.snapshots()[fuel.snap].fuel = true;
  b_.Emit(fuel);
  // The callee's locals past its parameters start as nil.
  for (uint32_t i = callee->arity; i < callee->num_locals; ++i) {
    Write(args_field + static_cast<int32_t>(i) * kValueSize, ConstantValue(Value::Nil()));
  }
  InlineFrame f;
  f.fn = callee;
  f.base_offset = base_off_ + args_field;
  f.result_offset = base_off_ + result_field;
  f.closure = closure;
  f.return_pc = return_pc;
  f.caller = fn_;
  f.caller_base = base_off_;
  f.caller_closure = closure_;
  inline_.push_back(f);
  fn_ = callee;
  base_off_ = f.base_offset;
  closure_ = closure;
  max_inline_ = std::max(max_inline_, inline_.size());
  max_extent_ = std::max<int64_t>(max_extent_, base_off_ + int64_t{callee->frame_slots} * kValueSize);
  return Status::kRecording;
}

Recorder::Status Recorder::Return(IrRef value) {
  if (inline_.empty()) return Abort("returns from the loop's function");
  InlineFrame f = inline_.back();
  inline_.pop_back();
  fn_ = f.caller;
  base_off_ = f.caller_base;
  closure_ = f.caller_closure;
  slots_[f.result_offset] = value;
  written_[f.result_offset] = value;
  ++writes_;
  return Status::kRecording;
}

Recorder::Status Recorder::Record(FastOp op, const uint8_t* ip, const FastState& at) {
  auto F = [ip](int i) { return Field(ip, i); };
  const uint32_t next_pc = pc_ + static_cast<uint32_t>(InfoOf(op).size());
  switch (op) {
    case FastOp::kMov: Write(F(0), Read(F(1))); break;
    case FastOp::kLoadInt: Write(F(0), b_.Int(F(1))); break;
    case FastOp::kLoadConst:
      Write(F(0), ConstantValue(*reinterpret_cast<const Value*>(
                      reinterpret_cast<const char*>(vm_.constants.data()) + F(1))));
      break;
    case FastOp::kLoadNil: Write(F(0), ConstantValue(Value::Nil())); break;
    case FastOp::kLoadTrue: Write(F(0), b_.Bool(true)); break;
    case FastOp::kLoadFalse: Write(F(0), b_.Bool(false)); break;
    case FastOp::kLoadGlobal: {
      const int64_t g = F(1);
      auto it = globals_.find(g);
      IrRef r;
      if (it != globals_.end()) {
        r = it->second;
      } else {
        IrIns load = Ins(IrOp::kGLoad, vm_.globals[static_cast<size_t>(g)].tag);
        load.imm = g;
        load.snap = Snap();
        r = b_.Emit(load);
        globals_[g] = r;
      }
      Write(F(0), r);
      break;
    }
    case FastOp::kStoreGlobal: {
      IrRef v = Read(F(1));
      IrIns store = Ins(IrOp::kGStore, Tag::kNil, v);
      store.imm = F(0);
      b_.Emit(store);
      globals_[F(0)] = v;
      break;
    }
    case FastOp::kLoadCapture: {
      if (closure_ == nullptr) return Abort("load_capture without a closure");
      if (inline_.empty()) uses_root_closure_ = true;
      const Value& v = closure_->captures[F(1)];
      IrIns load = Ins(IrOp::kPLoad, v.tag);
      load.imm = static_cast<int64_t>(reinterpret_cast<uintptr_t>(&closure_->captures[F(1)]));
      load.snap = Snap();
      Write(F(0), b_.Emit(load));
      break;
    }
    case FastOp::kSwap: {
      IrRef x = Read(F(0)), y = Read(F(1));
      Write(F(0), y);
      Write(F(1), x);
      break;
    }
    case FastOp::kAdd: case FastOp::kSub: case FastOp::kMul: case FastOp::kDiv: case FastOp::kMod: {
      const int group = static_cast<int>(op) - static_cast<int>(FastOp::kAdd);
      IrRef a = Read(F(1)), b = Read(F(2));
      return Arith(group, a, b, Concrete(F(1)), Concrete(F(2)), F(0));
    }
    case FastOp::kAddI: case FastOp::kSubI: case FastOp::kMulI: case FastOp::kDivI: case FastOp::kModI: {
      const int group = static_cast<int>(op) - static_cast<int>(FastOp::kAddI);
      IrRef a = Read(F(1));
      const Value k = Value::Int(F(2));
      if (F(3) != 0) return Arith(group, b_.Int(k.i), a, k, Concrete(F(1)), F(0));
      return Arith(group, a, b_.Int(k.i), Concrete(F(1)), k, F(0));
    }
    case FastOp::kAddF: case FastOp::kSubF: case FastOp::kMulF: case FastOp::kDivF: case FastOp::kModF: {
      const int group = static_cast<int>(op) - static_cast<int>(FastOp::kAddF);
      IrRef a = Read(F(1));
      const Value& k = *reinterpret_cast<const Value*>(
          reinterpret_cast<const char*>(vm_.constants.data()) + F(2));
      if (F(3) != 0) return Arith(group, b_.Float(k.f), a, k, Concrete(F(1)), F(0));
      return Arith(group, a, b_.Float(k.f), Concrete(F(1)), k, F(0));
    }
    case FastOp::kDivP2: case FastOp::kModP2: {
      const int group = op == FastOp::kDivP2 ? 3 : 4;
      const Value k = Value::Int(F(2));
      return Arith(group, Read(F(1)), b_.Int(k.i), Concrete(F(1)), k, F(0));
    }
    case FastOp::kRSubF: case FastOp::kRDivF: {
      const int group = op == FastOp::kRSubF ? 1 : 3;
      const Value& k = *reinterpret_cast<const Value*>(
          reinterpret_cast<const char*>(vm_.constants.data()) + F(2));
      return Arith(group, b_.Float(k.f), Read(F(1)), k, Concrete(F(1)), F(0));
    }
    case FastOp::kNeg: {
      const Value& x = Concrete(F(1));
      IrRef a = Read(F(1));
      if (x.tag == Tag::kInt) {
        Write(F(0), b_.Emit(Ins(IrOp::kNegI, Tag::kInt, a)));
      } else if (x.tag == Tag::kFloat) {
        Write(F(0), b_.Emit(Ins(IrOp::kNegF, Tag::kFloat, a)));
      } else {
        return Abort("negation of " + std::string(TypeName(x.tag)));
      }
      break;
    }
    case FastOp::kNot: {
      const Value& x = Concrete(F(1));
      IrRef a = Read(F(1));
      if (x.tag == Tag::kBool) {
        Write(F(0), b_.Emit(Ins(IrOp::kBXor, Tag::kBool, a, b_.Bool(true))));
      } else {
        Write(F(0), b_.Bool(x.tag == Tag::kNil));
      }
      break;
    }
    case FastOp::kBitNot: {
      if (Concrete(F(1)).tag != Tag::kInt) return Abort("~ on a non-int");
      Write(F(0), b_.Emit(Ins(IrOp::kBNot, Tag::kInt, Read(F(1)))));
      break;
    }
    case FastOp::kBitAnd: case FastOp::kBitOr: case FastOp::kBitXor: case FastOp::kShl: case FastOp::kShr: {
      static constexpr IrOp kOps[] = {IrOp::kBAnd, IrOp::kBOr, IrOp::kBXor, IrOp::kShl, IrOp::kShr};
      if (Concrete(F(1)).tag != Tag::kInt || Concrete(F(2)).tag != Tag::kInt) {
        return Abort("bit operation on a non-int");
      }
      IrRef a = Read(F(1)), b = Read(F(2));
      Write(F(0), b_.Emit(Ins(kOps[static_cast<int>(op) - static_cast<int>(FastOp::kBitAnd)], Tag::kInt, a, b)));
      break;
    }
    case FastOp::kEq: case FastOp::kNe: case FastOp::kLt: case FastOp::kLe: case FastOp::kGt: case FastOp::kGe: {
      const int group = static_cast<int>(op) - static_cast<int>(FastOp::kEq);
      IrRef a = Read(F(1)), b = Read(F(2));
      return CompareValue(group, a, b, Concrete(F(1)), Concrete(F(2)), F(0));
    }
    case FastOp::kJump: break;
    case FastOp::kJumpIfTrue: case FastOp::kJumpIfFalse: {
      const Value& v = Concrete(F(0));
      IrRef c = Read(F(0));
      if (v.tag == Tag::kBool) Guard(IrOp::kGuardI, v.b ? Cond::kNe : Cond::kEq, c, b_.Bool(false));
      break;  // other types: truthiness follows from the type guard
    }
    // Nil or not follows from the slot's type guard.
    case FastOp::kJumpIfNil: case FastOp::kJumpIfNotNil: (void)Read(F(0)); break;
    case FastOp::kJumpIfNotEq: case FastOp::kJumpIfNotNe: case FastOp::kJumpIfNotLt:
    case FastOp::kJumpIfNotLe: case FastOp::kJumpIfNotGt: case FastOp::kJumpIfNotGe: {
      const int group = static_cast<int>(op) - static_cast<int>(FastOp::kJumpIfNotEq);
      IrRef a = Read(F(0)), b = Read(F(1));
      return CompareBranch(group, false, Concrete(F(0)), Concrete(F(1)), a, b);
    }
    case FastOp::kJumpIfNotLtF: case FastOp::kJumpIfNotLeF: case FastOp::kJumpIfNotGtF:
    case FastOp::kJumpIfNotGeF: {
      // Ordered groups start at 2 (<) in kCompareConds.
      const int group = 2 + static_cast<int>(op) - static_cast<int>(FastOp::kJumpIfNotLtF);
      const Value& x = Concrete(F(0));
      const Value& k = *reinterpret_cast<const Value*>(
          reinterpret_cast<const char*>(vm_.constants.data()) + F(1));
      // An int against a float constant is compared exactly by the interpreter; not here.
      if (x.tag != Tag::kFloat) return Abort("comparison of " + std::string(TypeName(x.tag)) + " with a float");
      return CompareBranch(group, false, x, k, Read(F(0)), b_.Float(k.f));
    }
    case FastOp::kJumpIfNotEqI: case FastOp::kJumpIfNotNeI: case FastOp::kJumpIfNotLtI:
    case FastOp::kJumpIfNotLeI: case FastOp::kJumpIfNotGtI: case FastOp::kJumpIfNotGeI: {
      const bool negated = true;
      const int group = static_cast<int>(op) - static_cast<int>(FastOp::kJumpIfNotEqI);
      const Value& x = Concrete(F(0));
      const int64_t k = F(1);
      IrRef a = Read(F(0));
      if (x.tag == Tag::kInt) return CompareBranch(group, !negated, x, Value::Int(k), a, b_.Int(k));
      if (x.tag == Tag::kFloat) {
        // An int32 converts to double exactly, so this is the exact int/float comparison.
        return CompareBranch(group, !negated, x, Value::Float(static_cast<double>(k)), a,
                             b_.Float(static_cast<double>(k)));
      }
      return Abort("comparison of " + std::string(TypeName(x.tag)) + " with an int");
    }
    case FastOp::kLoop: case FastOp::kLoopIfTrue: case FastOp::kLoopIfFalse:
    case FastOp::kIterNextLoop:
    case FastOp::kLoopLt: case FastOp::kLoopLe: case FastOp::kLoopGt: case FastOp::kLoopGe:
    case FastOp::kLoopLtI: case FastOp::kLoopLeI: case FastOp::kLoopGtI: case FastOp::kLoopGeI:
    case FastOp::kLoopIter:
      return Abort("an inner loop");
    // While a JIT watches, the fast loop runs ForLoop as the increment and back-edge it
    // stands for, which follow it: nothing to record here.
    case FastOp::kForLoop: case FastOp::kForLoopI: break;
    case FastOp::kCall: {
      const FastFunction* callee;
      std::memcpy(&callee, ip + FastOperandOffset(2), sizeof callee);
      if (callee->num_captures != 0) return Abort("direct call of a closure");
      return Inline(callee, nullptr, F(0), F(1), next_pc);
    }
    case FastOp::kCallArgs1: case FastOp::kCallArgs2: case FastOp::kCallArgs3: {
      const FastFunction* callee;
      std::memcpy(&callee, ip + FastOperandOffset(2), sizeof callee);
      if (callee->num_captures != 0) return Abort("direct call of a closure");
      // The arguments are copied from locals into the callee's frame first.
      const int n = 1 + static_cast<int>(op) - static_cast<int>(FastOp::kCallArgs1);
      IrRef args[3];
      for (int i = 0; i < n; ++i) args[i] = Read(F(4 + i));
      for (int i = 0; i < n; ++i) Write(F(0) + i * kValueSize, args[i]);
      return Inline(callee, nullptr, F(0), F(1), next_pc);
    }
    case FastOp::kCallValue: {
      const Value& v = Concrete(F(0));
      if (v.tag != Tag::kFunction) return Abort("call of a non-function");
      Closure* cl = AsClosure(v);
      const FastFunction* callee = &fm_.functions[cl->function];
      if (callee->arity != static_cast<uint32_t>(F(1))) return Abort("call with the wrong argument count");
      Closure* frame_closure = cl->num_captures ? cl : nullptr;
      if (callee->num_captures != (frame_closure ? frame_closure->num_captures : 0)) {
        return Abort("closure shape mismatch");
      }
      Guard(IrOp::kGuardI, Cond::kEq, Read(F(0)), b_.Pointer(Tag::kFunction, cl));
      return Inline(callee, frame_closure, F(0) + kValueSize, F(2), next_pc);
    }
    case FastOp::kReturn: return Return(Read(F(0)));
    case FastOp::kReturnNil: return Return(ConstantValue(Value::Nil()));
    case FastOp::kCallBuiltin: {
      const auto id = static_cast<Builtin>(F(2));
      if (id == Builtin::kMathSqrt && F(3) == 1) {
        const Value& x = Concrete(F(1));
        if (x.tag != Tag::kInt && x.tag != Tag::kFloat) return Abort("math.sqrt of a non-number");
        Write(F(0), b_.Emit(Ins(IrOp::kSqrtF, Tag::kFloat, ToFloat(Read(F(1))))));
        break;
      }
      return Abort("built-in call");
    }
    case FastOp::kPushFunc: {
      const Value& f = vm_.function_values[static_cast<size_t>(F(1))];
      if (f.tag != Tag::kFunction) return Abort("first use of a function value");
      Write(F(0), ConstantValue(f));
      break;
    }
    case FastOp::kIndexGet: {
      const Value& c = Concrete(F(1));
      const Value& k = Concrete(F(2));
      if (c.tag != Tag::kArray || k.tag != Tag::kInt) return Abort("indexing other than array[int]");
      Array* arr = AsArray(c);
      if (static_cast<uint64_t>(k.i) >= arr->size) return Abort("index out of range");
      IrRef cr = Read(F(1)), kr = Read(F(2));  // in this order: each read may guard
      Write(F(0), ArrayLoad(cr, kr, arr->items[k.i].tag));
      break;
    }
    case FastOp::kIndexSet: {
      const Value& c = Concrete(F(0));
      const Value& k = Concrete(F(1));
      if (c.tag != Tag::kArray || k.tag != Tag::kInt) return Abort("index store other than array[int]");
      if (static_cast<uint64_t>(k.i) >= AsArray(c)->size) return Abort("index out of range");
      IrRef cr = Read(F(0)), kr = Read(F(1)), v = Read(F(2));
      ArrayStore(cr, kr, v);
      break;
    }
    case FastOp::kIndexGetI: {
      const Value& c = Concrete(F(1));
      const int64_t k = F(2);
      if (c.tag != Tag::kArray) return Abort("constant index into a non-array");
      Array* arr = AsArray(c);
      if (static_cast<uint64_t>(k) >= arr->size) return Abort("index out of range");
      IrRef cr = Read(F(1));
      Write(F(0), ArrayLoad(cr, b_.Int(k), arr->items[k].tag));
      break;
    }
    case FastOp::kIndexSetV: {
      const Value& c = Concrete(F(0));
      const Value& k = Concrete(F(1));
      if (c.tag != Tag::kArray || k.tag != Tag::kInt) return Abort("index store other than array[int]");
      if (static_cast<uint64_t>(k.i) >= AsArray(c)->size) return Abort("index out of range");
      IrRef cr = Read(F(0)), kr = Read(F(1)), v = ConstantValue(SmallConstant(F(2), F(3)));
      ArrayStore(cr, kr, v);
      break;
    }
    case FastOp::kGetField:
    case FastOp::kSetField: {
      const bool get = op == FastOp::kGetField;
      const int32_t obj = get ? F(1) : F(0);
      const Value& c = Concrete(obj);
      const Value& key = *reinterpret_cast<const Value*>(
          reinterpret_cast<const char*>(vm_.constants.data()) + (get ? F(2) : F(1)));
      if (c.tag != Tag::kMap || key.tag != Tag::kString) return Abort("field access on a non-map");
      Map* m = AsMap(c);
      MapEntry* e = vm_.heap.MapFind(m, key);
      if (e == nullptr) return Abort(get ? "missing field" : "field insertion");
      IrRef mr = Read(obj);
      IrIns ref = Ins(IrOp::kFRef, Tag::kInt, mr, b_.Pointer(Tag::kString, key.o));
      ref.imm = e - m->entries;
      ref.snap = Snap();
      IrRef er = b_.Emit(ref);
      if (get) {
        IrIns load = Ins(IrOp::kFLoad, e->value.tag, er);
        load.snap = Snap();
        Write(F(0), b_.Emit(load));
      } else {
        b_.Emit(Ins(IrOp::kFStore, Tag::kNil, er, Read(F(2))));
      }
      break;
    }
    case FastOp::kLen: {
      if (Concrete(F(1)).tag != Tag::kArray) return Abort("len of a non-array");
      Write(F(0), b_.Emit(Ins(IrOp::kALen, Tag::kInt, Read(F(1)))));
      break;
    }
    case FastOp::kArrayPush: {
      if (Concrete(F(0)).tag != Tag::kArray) return Abort("push on a non-array");
      IrRef a = Read(F(0)), v = Read(F(1));
      IrIns call = Ins(IrOp::kCallAlloc, Tag::kInt, a, v, b_.Int(static_cast<int64_t>(TypeOf(v))));
      call.imm = static_cast<int64_t>(reinterpret_cast<uintptr_t>(&PushHelper));
      call.snap = Snap();
      b_.Emit(call);
      break;
    }
    case FastOp::kIterNext: {
      const Value& c = Concrete(F(0));
      const Value& cursor = Concrete(F(0) + kValueSize);
      if (c.tag != Tag::kArray) return Abort("for-in over a non-array");
      if (cursor.tag != Tag::kInt || cursor.i < 0) return Abort("unusual for-in cursor");
      Array* arr = AsArray(c);
      IrRef cr = Read(F(0)), cur = Read(F(0) + kValueSize);
      Guard(IrOp::kGuardI, Cond::kGe, cur, b_.Int(0));
      IrRef len = b_.Emit(Ins(IrOp::kALen, Tag::kInt, cr));
      if (static_cast<uint64_t>(cursor.i) < arr->size) {
        Guard(IrOp::kGuardI, Cond::kLt, cur, len);
        IrIns load = Ins(IrOp::kALoad, arr->items[cursor.i].tag, cr, cur);
        load.snap = Snap();
        IrRef v = b_.Emit(load);
        IrRef next = b_.Emit(Ins(IrOp::kAddI, Tag::kInt, cur, b_.Int(1)));
        Write(F(0) + kValueSize, next);
        Write(F(2), v);
        Write(F(1), cur);
      } else {
        Guard(IrOp::kGuardI, Cond::kGe, cur, len);
      }
      break;
    }
    default:
      return Abort(std::string("unsupported instruction ") + std::string(InfoOf(op).mnemonic));
  }
  (void)at;
  return Status::kRecording;
}

}  // namespace trinity::jit
