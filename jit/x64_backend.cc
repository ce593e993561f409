// Lowering of trace IR to x86-64 with asmjit's Compiler. Each SSA value gets a virtual
// register (general purpose for ints, bools and pointers, XMM for floats); the loop's PHI
// values get their own registers, set before the loop and updated by a parallel move at
// the back-edge. Guards jump to one exit stub per snapshot. Constants go through
// EmitVariant so no immediate can smuggle a forbidden byte sequence into the code.
#include "jit/x64_backend.h"

#include "jit/divide_by_constant.h"

#include <cmath>
#include <cstring>
#include <unordered_map>
#include <vector>

namespace trinity::jit {
namespace {

namespace x86 = asmjit::x86;
using asmjit::Label;

bool FitsClean32(int64_t v) {
  return v >= INT32_MIN && v <= INT32_MAX && ImmediateIsClean(static_cast<uint32_t>(v), 4);
}

double DoubleOf(int64_t bits) {
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

class Lowering {
 public:
  Lowering(const TraceIr& ir, x86::Compiler& cc, EmitVariant& variant, BackendOptions options)
      : ir_(ir), cc_(cc), v_(variant), options_(options), layout_(RuntimeLayout()), gp_(ir.size()),
        xmm_(ir.size()) {}

  asmjit::Error Run();
  const std::string& unsupported() const { return unsupported_; }

 private:
  const IrIns& I(IrRef r) const { return ir_[r]; }
  bool IsConst(IrRef r) const { return r != kNoRef && I(r).op == IrOp::kConst; }

  // The register holding an int/bool/pointer value; constants are materialised at use.
  x86::Gp G(IrRef r) {
    if (IsConst(r)) {
      x86::Gp t = cc_.newInt64();
      v_.MovImm(cc_, t, static_cast<uint64_t>(I(r).imm));
      return t;
    }
    return gp_[r];
  }
  x86::Xmm X(IrRef r) {
    if (IsConst(r)) {
      auto it = float_consts_.find(r);
      if (it != float_consts_.end()) return it->second;
      x86::Xmm t = cc_.newXmmSd();
      x86::Gp g = cc_.newInt64();
      v_.MovImm(cc_, g, static_cast<uint64_t>(I(r).imm));
      cc_.movq(t, g);
      return t;
    }
    return xmm_[r];
  }
  x86::Gp NewGp(IrRef r) { return gp_[r] = cc_.newInt64(); }
  x86::Xmm NewXmm(IrRef r) { return xmm_[r] = cc_.newXmmSd(); }

  Label Exit(uint32_t snap) {
    // Guards whose snapshot a side path continues jump to it instead of leaving.
    if (auto side = side_labels_.find(snap); side != side_labels_.end()) return side->second;
    auto it = exits_.find(snap);
    if (it != exits_.end()) return it->second;
    Label l = cc_.newLabel();
    exits_.emplace(snap, l);
    exit_order_.push_back(snap);
    return l;
  }

  // Guard `value_tag == tag` for a tag byte at `mem`.
  void GuardTag(const x86::Mem& mem, Tag tag, uint32_t snap) {
    x86::Mem m = mem;
    m.setSize(1);
    cc_.cmp(m, static_cast<uint8_t>(tag));
    cc_.jne(Exit(snap));
  }
  // Loads a payload at `mem` into the register class of `type`.
  void LoadPayload(IrRef r, Tag type, const x86::Mem& mem) {
    x86::Mem m = mem;
    if (type == Tag::kFloat) {
      m.setSize(8);
      cc_.movsd(NewXmm(r), m);
    } else if (HasStorage(type)) {
      m.setSize(8);
      cc_.mov(NewGp(r), m);
    }
  }
  // Stores value `r` (or nil when kNoRef) as a full Value (tag byte + payload) at `mem`.
  void StoreValue(const x86::Mem& mem, IrRef r) {
    const Tag type = r == kNoRef ? Tag::kNil : I(r).type;
    x86::Mem tag = mem;
    tag.setSize(1);
    cc_.mov(tag, static_cast<uint8_t>(type));
    x86::Mem payload = mem.cloneAdjusted(layout_.value_payload);
    payload.setSize(8);
    if (type == Tag::kNil) {
      cc_.mov(payload, 0);
    } else if (IsConst(r)) {
      const int64_t bits = I(r).imm;
      if (FitsClean32(bits)) {
        cc_.mov(payload, static_cast<int32_t>(bits));
      } else {
        x86::Gp t = cc_.newInt64();
        v_.MovImm(cc_, t, static_cast<uint64_t>(bits));
        cc_.mov(payload, t);
      }
    } else if (type == Tag::kFloat) {
      cc_.movsd(payload, xmm_[r]);
    } else {
      cc_.mov(payload, gp_[r]);
    }
  }

  // Gives each PHI its next value at a back-edge; through temporaries, so that PHIs
  // reading each other see the old values.
  void ParallelMove(const std::vector<std::pair<IrRef, IrRef>>& moves);
  void IntBinary(IrRef r, const IrIns& ins);
  void DivideByConstant(const x86::Gp& d, int64_t divisor, bool remainder);
  void FloatBinary(IrRef r, const IrIns& ins);
  void GuardInt(const IrIns& ins);
  void GuardFloat(const IrIns& ins);
  void Lower(IrRef r);

  const TraceIr& ir_;
  x86::Compiler& cc_;
  EmitVariant& v_;
  BackendOptions options_;
  const Layout& layout_;
  std::vector<x86::Gp> gp_;
  std::vector<x86::Xmm> xmm_;
  std::unordered_map<IrRef, x86::Xmm> float_consts_;
  std::unordered_map<uint32_t, Label> exits_;
  std::unordered_map<uint32_t, Label> side_labels_;
  std::vector<uint32_t> exit_order_;
  x86::Gp base_, ctx_, budget_, globals_;
  bool allocates_ = false;  // the trace calls helpers that may allocate
  Label loop_;
  std::string unsupported_;
};

void Lowering::IntBinary(IrRef r, const IrIns& ins) {
  x86::Gp d = NewGp(r);
  cc_.mov(d, G(ins.a));
  const bool imm = IsConst(ins.b) && FitsClean32(I(ins.b).imm);
  const int32_t k = imm ? static_cast<int32_t>(I(ins.b).imm) : 0;
  switch (ins.op) {
    case IrOp::kAddI: imm ? cc_.add(d, k) : cc_.add(d, G(ins.b)); break;
    case IrOp::kSubI: imm ? cc_.sub(d, k) : cc_.sub(d, G(ins.b)); break;
    case IrOp::kMulI: imm ? cc_.imul(d, d, k) : cc_.imul(d, G(ins.b)); break;
    case IrOp::kBAnd: imm ? cc_.and_(d, k) : cc_.and_(d, G(ins.b)); break;
    case IrOp::kBOr: imm ? cc_.or_(d, k) : cc_.or_(d, G(ins.b)); break;
    case IrOp::kBXor: imm ? cc_.xor_(d, k) : cc_.xor_(d, G(ins.b)); break;
    case IrOp::kShl:
      // x86 masks a 64-bit shift count to 0..63, which is the language's rule.
      if (IsConst(ins.b)) cc_.shl(d, static_cast<uint8_t>(I(ins.b).imm & 63));
      else cc_.shl(d, G(ins.b).r8());
      break;
    case IrOp::kShr:
      if (IsConst(ins.b)) cc_.sar(d, static_cast<uint8_t>(I(ins.b).imm & 63));
      else cc_.sar(d, G(ins.b).r8());
      break;
    case IrOp::kDivI:
    case IrOp::kModI: {
      if (IsConst(ins.b) && I(ins.b).imm >= 2) {
        DivideByConstant(d, I(ins.b).imm, ins.op == IrOp::kModI);
        break;
      }
      // The recorder guarded b > 0, so idiv cannot fault.
      x86::Gp hi = cc_.newInt64();
      cc_.cqo(hi, d);
      cc_.idiv(hi, d, G(ins.b));
      if (ins.op == IrOp::kModI) cc_.mov(d, hi);
      break;
    }
    default: break;
  }
}

// d = d / divisor or d % divisor (divisor >= 2), truncating, without idiv: see
// divide_by_constant.h for the arithmetic this mirrors.
void Lowering::DivideByConstant(const x86::Gp& d, int64_t divisor, bool remainder) {
  x86::Gp x = cc_.newInt64();
  cc_.mov(x, d);
  x86::Gp q = d;
  if (IsPowerOfTwo(divisor)) {
    const int k = Log2(divisor);
    x86::Gp bias = cc_.newInt64();
    cc_.mov(bias, x);
    cc_.sar(bias, 63);
    cc_.shr(bias, 64 - k);
    cc_.add(q, bias);
    cc_.sar(q, k);
  } else {
    const SignedMagic m = MagicFor(divisor);
    x86::Gp lo = cc_.newInt64(), hi = cc_.newInt64();
    v_.MovImm(cc_, lo, static_cast<uint64_t>(m.multiplier));
    cc_.imul(hi, lo, x);  // hi:lo = lo * x (signed)
    if (m.add_dividend) cc_.add(hi, x);
    if (m.shift != 0) cc_.sar(hi, m.shift);
    cc_.mov(q, hi);
    cc_.shr(hi, 63);
    cc_.add(q, hi);
  }
  if (remainder) {
    x86::Gp product = cc_.newInt64();
    if (FitsClean32(divisor)) {
      cc_.imul(product, q, static_cast<int32_t>(divisor));
    } else {
      v_.MovImm(cc_, product, static_cast<uint64_t>(divisor));
      cc_.imul(product, q);
    }
    cc_.mov(d, x);
    cc_.sub(d, product);
  }
}

void Lowering::FloatBinary(IrRef r, const IrIns& ins) {
  if (ins.op == IrOp::kModF) {
    // Operands first: anything emitted after invoke() runs after the call.
    x86::Xmm a = X(ins.a), b = X(ins.b);
    asmjit::InvokeNode* call;
    x86::Gp fn = cc_.newIntPtr();
    double (*fmod_fn)(double, double) = std::fmod;
    v_.MovImm(cc_, fn, reinterpret_cast<uint64_t>(fmod_fn));
    cc_.invoke(&call, fn, asmjit::FuncSignatureT<double, double, double>());
    call->setArg(0, a);
    call->setArg(1, b);
    call->setRet(0, NewXmm(r));
    return;
  }
  x86::Xmm d = NewXmm(r);
  cc_.movapd(d, X(ins.a));  // a full copy: movsd between registers merges
  x86::Xmm b = X(ins.b);
  switch (ins.op) {
    case IrOp::kAddF: cc_.addsd(d, b); break;
    case IrOp::kSubF: cc_.subsd(d, b); break;
    case IrOp::kMulF: cc_.mulsd(d, b); break;
    case IrOp::kDivF: cc_.divsd(d, b); break;
    default: break;
  }
}

void Lowering::GuardInt(const IrIns& ins) {
  IrRef a = ins.a, b = ins.b;
  Cond c = ins.cond;
  // Keep a constant on the right, where cmp takes an immediate (an unsigned "below" has no
  // swapped form in Cond: the constant then goes into a register).
  if (IsConst(a) && !IsConst(b) && c != Cond::kULt) {
    std::swap(a, b);
    switch (c) {
      case Cond::kLt: c = Cond::kGt; break;
      case Cond::kLe: c = Cond::kGe; break;
      case Cond::kGt: c = Cond::kLt; break;
      case Cond::kGe: c = Cond::kLe; break;
      default: break;
    }
  }
  if (IsConst(b) && FitsClean32(I(b).imm)) {
    cc_.cmp(G(a), static_cast<int32_t>(I(b).imm));
  } else {
    cc_.cmp(G(a), G(b));
  }
  Label exit = Exit(ins.snap);
  switch (c) {  // leave when the condition does not hold
    case Cond::kEq: cc_.jne(exit); break;
    case Cond::kNe: cc_.je(exit); break;
    case Cond::kLt: cc_.jge(exit); break;
    case Cond::kLe: cc_.jg(exit); break;
    case Cond::kGt: cc_.jle(exit); break;
    case Cond::kGe: cc_.jl(exit); break;
    case Cond::kULt: cc_.jae(exit); break;
  }
}

void Lowering::GuardFloat(const IrIns& ins) {
  x86::Xmm a = X(ins.a), b = X(ins.b);
  Label exit = Exit(ins.snap);
  // ucomisd sets ZF, PF and CF when either side is NaN: every ordered condition fails.
  switch (ins.cond) {
    case Cond::kLt: cc_.ucomisd(b, a); cc_.jbe(exit); break;   // b > a
    case Cond::kLe: cc_.ucomisd(b, a); cc_.jb(exit); break;    // b >= a
    case Cond::kGt: cc_.ucomisd(a, b); cc_.jbe(exit); break;
    case Cond::kGe: cc_.ucomisd(a, b); cc_.jb(exit); break;
    case Cond::kEq:
      cc_.ucomisd(a, b);
      cc_.jp(exit);
      cc_.jne(exit);
      break;
    case Cond::kNe: {
      Label ok = cc_.newLabel();
      cc_.ucomisd(a, b);
      cc_.jp(ok);
      cc_.je(exit);
      cc_.bind(ok);
      break;
    }
    case Cond::kULt: unsupported_ = "unsigned float guard"; break;
  }
}

void Lowering::Lower(IrRef r) {
  const IrIns& ins = I(r);
  const int32_t payload = layout_.value_payload;
  if (options_.stress_exits && UsesSnapshot(ins.op)) {
    cc_.dec(x86::dword_ptr(ctx_, layout_.ctx_stress));
    cc_.jz(Exit(ins.snap));
  }
  switch (ins.op) {
    case IrOp::kConst:
      // Float constants live in a register for the whole trace (they are usually loop
      // invariants); integers become immediates or are materialised where used.
      if (ins.type == Tag::kFloat) {
        x86::Xmm x = cc_.newXmmSd();
        x86::Gp g = cc_.newInt64();
        v_.MovImm(cc_, g, static_cast<uint64_t>(ins.imm));
        cc_.movq(x, g);
        float_consts_.emplace(r, x);
      }
      break;
    case IrOp::kSLoad: {
      x86::Mem slot = x86::ptr(base_, static_cast<int32_t>(ins.imm));
      GuardTag(slot, ins.type, ins.snap);
      LoadPayload(r, ins.type, slot.cloneAdjusted(payload));
      break;
    }
    case IrOp::kGLoad: {
      x86::Mem g = x86::ptr(globals_, static_cast<int32_t>(ins.imm * layout_.value_size));
      GuardTag(g, ins.type, ins.snap);
      LoadPayload(r, ins.type, g.cloneAdjusted(payload));
      break;
    }
    case IrOp::kGStore:
      StoreValue(x86::ptr(globals_, static_cast<int32_t>(ins.imm * layout_.value_size)), ins.a);
      break;
    case IrOp::kAddI: case IrOp::kSubI: case IrOp::kMulI: case IrOp::kDivI: case IrOp::kModI:
    case IrOp::kBAnd: case IrOp::kBOr: case IrOp::kBXor: case IrOp::kShl: case IrOp::kShr:
      IntBinary(r, ins);
      break;
    case IrOp::kNegI: {
      x86::Gp d = NewGp(r);
      cc_.mov(d, G(ins.a));
      cc_.neg(d);
      break;
    }
    case IrOp::kBNot: {
      x86::Gp d = NewGp(r);
      cc_.mov(d, G(ins.a));
      cc_.not_(d);
      break;
    }
    case IrOp::kAddF: case IrOp::kSubF: case IrOp::kMulF: case IrOp::kDivF: case IrOp::kModF:
      FloatBinary(r, ins);
      break;
    case IrOp::kNegF: {
      x86::Gp g = cc_.newInt64();
      x86::Xmm mask = cc_.newXmmSd();
      v_.MovImm(cc_, g, 0x8000000000000000ull);
      cc_.movq(mask, g);
      x86::Xmm d = NewXmm(r);
      cc_.movapd(d, X(ins.a));
      cc_.xorpd(d, mask);
      break;
    }
    case IrOp::kSqrtF:
      cc_.sqrtsd(NewXmm(r), X(ins.a));
      break;
    case IrOp::kConvIF: {
      x86::Xmm d = NewXmm(r);
      cc_.xorps(d, d);  // no false dependency on the register's old contents
      cc_.cvtsi2sd(d, G(ins.a));
      break;
    }
    case IrOp::kGuardI:
      GuardInt(ins);
      break;
    case IrOp::kGuardF:
      GuardFloat(ins);
      break;
    case IrOp::kSetI:
    case IrOp::kSetF: {
      x86::Gp d = NewGp(r);
      x86::Gp flag = cc_.newGpb();
      Label done = cc_.newLabel();
      cc_.xor_(d.r32(), d.r32());
      if (ins.op == IrOp::kSetI) {
        if (IsConst(ins.b) && FitsClean32(I(ins.b).imm)) {
          cc_.cmp(G(ins.a), static_cast<int32_t>(I(ins.b).imm));
        } else {
          cc_.cmp(G(ins.a), G(ins.b));
        }
        switch (ins.cond) {
          case Cond::kEq: cc_.sete(flag); break;
          case Cond::kNe: cc_.setne(flag); break;
          case Cond::kLt: cc_.setl(flag); break;
          case Cond::kLe: cc_.setle(flag); break;
          case Cond::kGt: cc_.setg(flag); break;
          case Cond::kGe: cc_.setge(flag); break;
          case Cond::kULt: cc_.setb(flag); break;
        }
        cc_.movzx(d.r32(), flag);
      } else {
        x86::Xmm a = X(ins.a), b = X(ins.b);
        // Unordered operands: every comparison is false except ne.
        switch (ins.cond) {
          case Cond::kLt: cc_.ucomisd(b, a); cc_.seta(flag); cc_.movzx(d.r32(), flag); break;
          case Cond::kLe: cc_.ucomisd(b, a); cc_.setae(flag); cc_.movzx(d.r32(), flag); break;
          case Cond::kGt: cc_.ucomisd(a, b); cc_.seta(flag); cc_.movzx(d.r32(), flag); break;
          case Cond::kGe: cc_.ucomisd(a, b); cc_.setae(flag); cc_.movzx(d.r32(), flag); break;
          case Cond::kEq:
            cc_.ucomisd(a, b);
            cc_.jp(done);
            cc_.sete(flag);
            cc_.movzx(d.r32(), flag);
            break;
          case Cond::kNe:
            cc_.mov(d.r32(), 1);
            cc_.ucomisd(a, b);
            cc_.jp(done);
            cc_.setne(flag);
            cc_.movzx(d.r32(), flag);
            break;
          case Cond::kULt: unsupported_ = "unsigned float comparison"; break;
        }
      }
      cc_.bind(done);
      break;
    }
    case IrOp::kPLoad: {
      x86::Gp addr = cc_.newIntPtr();
      v_.MovImm(cc_, addr, static_cast<uint64_t>(ins.imm));
      GuardTag(x86::ptr(addr), ins.type, ins.snap);
      LoadPayload(r, ins.type, x86::ptr(addr, payload));
      break;
    }
    case IrOp::kGuardFuel: {
      // Leave while one step of budget is still there: the interpreter then takes the
      // back-edge itself and runs its safepoint (fuel, deadline, collection) exactly.
      if (allocates_) {
        cc_.cmp(x86::byte_ptr(ctx_, layout_.ctx_safepoint_due), 0);
        cc_.jne(Exit(ins.snap));
      }
      x86::Gp left = cc_.newInt64();
      cc_.mov(left, x86::qword_ptr(budget_));
      cc_.cmp(left, 1);
      cc_.jle(Exit(ins.snap));
      cc_.dec(left);
      cc_.mov(x86::qword_ptr(budget_), left);
      break;
    }
    case IrOp::kALen: {
      x86::Gp d = NewGp(r);
      cc_.mov(d.r32(), x86::dword_ptr(G(ins.a), layout_.array_size));  // zero-extends
      break;
    }
    case IrOp::kALoad:
    case IrOp::kAStore: {
      x86::Gp items = cc_.newIntPtr();
      cc_.mov(items, x86::qword_ptr(G(ins.a), layout_.array_items));
      x86::Mem elem;
      if (IsConst(ins.b)) {
        elem = x86::ptr(items, static_cast<int32_t>(I(ins.b).imm * layout_.value_size));
      } else {
        // x86 scales an index by at most 8: index * 2 * 8 addresses 16-byte Values.
        static_assert(sizeof(Value) == 16);
        x86::Gp twice = cc_.newInt64();
        cc_.lea(twice, x86::ptr(G(ins.b), G(ins.b)));
        elem = x86::ptr(items, twice, 3);
      }
      if (ins.op == IrOp::kALoad) {
        GuardTag(elem, ins.type, ins.snap);
        LoadPayload(r, ins.type, elem.cloneAdjusted(payload));
      } else {
        StoreValue(elem, ins.c);
      }
      break;
    }
    case IrOp::kFRef: {
      x86::Gp map = G(ins.a);
      Label exit = Exit(ins.snap);
      cc_.cmp(x86::dword_ptr(map, layout_.map_used), static_cast<int32_t>(ins.imm));
      cc_.jbe(exit);
      x86::Gp e = NewGp(r);
      cc_.mov(e, x86::qword_ptr(map, layout_.map_entries));
      cc_.add(e, static_cast<int32_t>(ins.imm * layout_.entry_size));
      GuardTag(x86::ptr(e, layout_.entry_key), Tag::kString, ins.snap);
      cc_.cmp(x86::qword_ptr(e, layout_.entry_key + payload), G(ins.b));
      cc_.jne(exit);
      break;
    }
    case IrOp::kFLoad: {
      x86::Mem value = x86::ptr(G(ins.a), layout_.entry_value);
      GuardTag(value, ins.type, ins.snap);
      LoadPayload(r, ins.type, value.cloneAdjusted(payload));
      break;
    }
    case IrOp::kFStore:
      StoreValue(x86::ptr(G(ins.a), layout_.entry_value), ins.b);
      break;
    case IrOp::kCallAlloc: {
      // Arguments are computed before the call node: code emitted after invoke() would
      // run after the call. Floats travel as their bits in a general register.
      auto arg = [&](IrRef x) -> x86::Gp {
        x86::Gp g = cc_.newInt64();
        if (x == kNoRef || !HasStorage(I(x).type)) {
          cc_.xor_(g.r32(), g.r32());
        } else if (I(x).type == Tag::kFloat && !IsConst(x)) {
          cc_.movq(g, xmm_[x]);
        } else {
          cc_.mov(g, G(x));
        }
        return g;
      };
      x86::Gp a0 = arg(ins.a), a1 = arg(ins.b), a2 = arg(ins.c);
      x86::Gp fn = cc_.newIntPtr();
      v_.MovImm(cc_, fn, static_cast<uint64_t>(ins.imm));
      asmjit::InvokeNode* call;
      cc_.invoke(&call, fn,
                 asmjit::FuncSignatureT<uint64_t, void*, uint64_t, uint64_t, uint64_t>());
      call->setArg(0, ctx_);
      call->setArg(1, a0);
      call->setArg(2, a1);
      call->setArg(3, a2);
      x86::Gp result = NewGp(r);
      call->setRet(0, result);
      cc_.test(result, result);
      cc_.jz(Exit(ins.snap));
      break;
    }
    case IrOp::kLoop:
      // PHIs follow the marker: each gets its own register, set from its entry value.
      for (IrRef p = r + 1; p < ir_.size(); ++p) {
        if (I(p).op != IrOp::kPhi) continue;
        if (I(p).type == Tag::kFloat) {
          cc_.movapd(NewXmm(p), X(I(p).a));
        } else if (HasStorage(I(p).type)) {
          cc_.mov(NewGp(p), G(I(p).a));
        }
      }
      cc_.bind(loop_);
      break;
    case IrOp::kExit:
      cc_.jmp(Exit(ins.snap));
      break;
    case IrOp::kPhi:
      break;  // set up at kLoop, updated at the back-edge
    case IrOp::kNop:
      break;
    case IrOp::kCount:
      break;
  }
}

void Lowering::ParallelMove(const std::vector<std::pair<IrRef, IrRef>>& moves) {
  // Sequentialise: a PHI may be written once no pending move still reads it; a cycle of
  // PHIs reading each other is broken through one temporary.
  struct Move {
    IrRef dst;
    IrRef src;       // an IR value, or kNoRef when `temp` holds it
    asmjit::Operand temp;
  };
  std::vector<Move> pending;
  for (const auto& [p, next] : moves) {
    const IrIns& phi = I(p);
    if (phi.op != IrOp::kPhi || !HasStorage(phi.type) || next == kNoRef || next == p) continue;
    pending.push_back({p, next, {}});
  }
  auto copy = [&](const Move& m) {
    const bool fp = I(m.dst).type == Tag::kFloat;
    if (m.src == kNoRef) {
      if (fp) cc_.movapd(xmm_[m.dst], m.temp.as<x86::Xmm>());
      else cc_.mov(gp_[m.dst], m.temp.as<x86::Gp>());
    } else if (fp) {
      cc_.movapd(xmm_[m.dst], X(m.src));
    } else {
      cc_.mov(gp_[m.dst], G(m.src));
    }
  };
  while (!pending.empty()) {
    bool progressed = false;
    for (size_t i = 0; i < pending.size(); ++i) {
      bool read_later = false;
      for (size_t j = 0; j < pending.size(); ++j) {
        if (j != i && pending[j].src == pending[i].dst) read_later = true;
      }
      if (read_later) continue;
      copy(pending[i]);
      pending.erase(pending.begin() + static_cast<ptrdiff_t>(i));
      progressed = true;
      break;
    }
    if (progressed) continue;
    // Only cycles are left: park one PHI's current value, which frees it for writing.
    Move& m = pending.front();
    const IrRef parked = m.dst;
    asmjit::Operand temp;
    if (I(parked).type == Tag::kFloat) {
      x86::Xmm t = cc_.newXmmSd();
      cc_.movapd(t, xmm_[parked]);
      temp = t;
    } else {
      x86::Gp t = cc_.newInt64();
      cc_.mov(t, gp_[parked]);
      temp = t;
    }
    for (Move& other : pending) {
      if (other.src == parked) {
        other.src = kNoRef;
        other.temp = temp;
      }
    }
  }
}

asmjit::Error Lowering::Run() {
  asmjit::FuncNode* fn = cc_.addFunc(asmjit::FuncSignatureT<uint32_t, void*, void*>());
  base_ = cc_.newIntPtr("base");
  ctx_ = cc_.newIntPtr("ctx");
  fn->setArg(0, base_);
  fn->setArg(1, ctx_);
  budget_ = cc_.newIntPtr("budget");
  globals_ = cc_.newIntPtr("globals");
  cc_.mov(budget_, x86::qword_ptr(ctx_, layout_.ctx_budget));
  cc_.mov(globals_, x86::qword_ptr(ctx_, layout_.ctx_globals));
  loop_ = cc_.newLabel();
  for (const IrIns& ins : ir_.instructions()) {
    if (ins.op == IrOp::kCallAlloc) allocates_ = true;
  }

  // Side paths are appended after the body and emitted after the back-edge.
  const IrRef main_end = ir_.sides().empty() ? static_cast<IrRef>(ir_.size()) : ir_.sides()[0].first;
  for (const TreeSide& side : ir_.sides()) side_labels_.emplace(side.snap, cc_.newLabel());
  for (IrRef r = 0; r < main_end; ++r) {
    Lower(r);
    if (!unsupported_.empty()) return asmjit::kErrorInvalidState;
  }
  if (ir_.loop() != kNoRef) {
    // Back-edge: every PHI takes its value from this iteration.
    std::vector<std::pair<IrRef, IrRef>> moves;
    for (IrRef p = ir_.loop() + 1; p < main_end; ++p) {
      if (I(p).op == IrOp::kPhi) moves.emplace_back(p, I(p).b);
    }
    ParallelMove(moves);
    v_.Pad(cc_);
    cc_.jmp(loop_);
    // Side paths: each ends like the loop body, with its own values for the PHIs.
    for (const TreeSide& side : ir_.sides()) {
      cc_.bind(side_labels_.at(side.snap));
      for (IrRef r = side.first; r <= side.last; ++r) {
        Lower(r);
        if (!unsupported_.empty()) return asmjit::kErrorInvalidState;
      }
      ParallelMove(side.moves);
      v_.Pad(cc_);
      cc_.jmp(loop_);
    }
  } else if (ir_.size() == 0 || I(static_cast<IrRef>(ir_.size() - 1)).op != IrOp::kExit) {
    unsupported_ = "a trace without a loop must end in an exit";
    return asmjit::kErrorInvalidState;
  }

  // Exit stubs: write the snapshot's slots, return its index.
  for (size_t i = 0; i < exit_order_.size(); ++i) {
    const uint32_t snap = exit_order_[i];
    cc_.bind(exits_.at(snap));
    for (const SnapEntry& e : ir_.snapshots()[snap].entries) {
      StoreValue(x86::ptr(base_, e.slot), e.ref);
    }
    x86::Gp index = cc_.newUInt32();
    cc_.mov(index, snap);
    cc_.ret(index);
  }
  cc_.endFunc();
  return cc_.finalize();
}

}  // namespace

std::variant<CompiledTrace, EmitFailure> CompileTrace(const TraceIr& ir, CodeArena& arena,
                                                      BackendOptions options) {
  std::string unsupported;
  asmjit::StringLogger logger;
  auto result = EmitAndPublish(arena, [&](asmjit::CodeHolder& code, EmitVariant& variant) {
    if (options.assembly != nullptr) {
      logger.content().clear();
      code.setLogger(&logger);
    }
    x86::Compiler cc(&code);
    Lowering lowering(ir, cc, variant, options);
    asmjit::Error err = lowering.Run();
    unsupported = lowering.unsupported();
    return err;
  });
  if (auto* failure = std::get_if<EmitFailure>(&result)) {
    if (!unsupported.empty()) failure->message = "unsupported in the backend: " + unsupported;
    return *failure;
  }
  if (options.assembly != nullptr) *options.assembly = logger.data();
  const PublishedCode& code = std::get<PublishedCode>(result);
  CompiledTrace t;
  t.entry = reinterpret_cast<TraceEntry>(code.code);
  t.block = code.code;
  t.code_size = code.size;
  t.attempts = code.attempts;
  return t;
}

}  // namespace trinity::jit
