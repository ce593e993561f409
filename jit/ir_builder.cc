// IrBuilder: the FOLD/CSE stage every instruction passes through when it is emitted.
#include "jit/ir_builder.h"

#include <cmath>
#include <cstring>

namespace trinity::jit {
namespace {

int64_t Wrap(uint64_t v) { return static_cast<int64_t>(v); }

double AsDouble(int64_t bits) {
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

}  // namespace

size_t IrBuilder::KeyHash::operator()(const Key& k) const {
  uint64_t h = static_cast<uint64_t>(k.op) * 0x9E3779B97F4A7C15ull;
  h ^= (static_cast<uint64_t>(k.type) << 8) ^ (static_cast<uint64_t>(k.cond) << 16);
  h = (h ^ k.a) * 0xBF58476D1CE4E5B9ull;
  h = (h ^ k.b) * 0x94D049BB133111EBull;
  h = (h ^ k.c) * 0x9E3779B97F4A7C15ull;
  h ^= static_cast<uint64_t>(k.imm) + (h << 6) + (h >> 2);
  return static_cast<size_t>(h);
}

bool IrBuilder::Pure(IrOp op) {
  switch (op) {
    case IrOp::kConst: case IrOp::kAddI: case IrOp::kSubI: case IrOp::kMulI: case IrOp::kDivI:
    case IrOp::kModI: case IrOp::kNegI: case IrOp::kBAnd: case IrOp::kBOr: case IrOp::kBXor:
    case IrOp::kShl: case IrOp::kShr: case IrOp::kBNot: case IrOp::kAddF: case IrOp::kSubF:
    case IrOp::kMulF: case IrOp::kDivF: case IrOp::kModF: case IrOp::kNegF: case IrOp::kSqrtF:
    case IrOp::kConvIF: case IrOp::kGuardI: case IrOp::kGuardF: case IrOp::kSetI:
    case IrOp::kSetF:
      return true;
    default:
      return false;
  }
}

bool IrBuilder::Load(IrOp op) {
  // PLoad reads a closure's captures, which nothing in a trace writes.
  return op == IrOp::kALen || op == IrOp::kALoad || op == IrOp::kFRef || op == IrOp::kFLoad ||
         op == IrOp::kGLoad || op == IrOp::kSLoad || op == IrOp::kPLoad;
}

bool IrBuilder::Reads(IrOp op, MemoryClass c) {
  switch (c) {
    case MemoryClass::kArrayItems: return op == IrOp::kALoad;
    case MemoryClass::kArrayLength: return op == IrOp::kALen;
    case MemoryClass::kFields: return op == IrOp::kFLoad;
    case MemoryClass::kGlobals: return op == IrOp::kGLoad;
    case MemoryClass::kCount: break;
  }
  return false;
}

bool IrBuilder::Writes(const IrIns& ins, MemoryClass c) {
  if (ins.op == IrOp::kCallAlloc) return true;  // a helper may change anything
  switch (c) {
    case MemoryClass::kArrayItems: return ins.op == IrOp::kAStore;
    case MemoryClass::kArrayLength: return false;
    case MemoryClass::kFields: return ins.op == IrOp::kFStore;
    case MemoryClass::kGlobals: return ins.op == IrOp::kGStore;
    case MemoryClass::kCount: break;
  }
  return false;
}

void IrBuilder::Kill(MemoryClass c) {
  for (auto it = seen_.begin(); it != seen_.end();) {
    if (Reads(it->first.op, c)) {
      it = seen_.erase(it);
    } else {
      ++it;
    }
  }
}

void IrBuilder::KillAll() {
  for (auto it = seen_.begin(); it != seen_.end();) {
    // Map entry positions move only when a helper inserts, so FRef dies here only.
    if (Load(it->first.op) && it->first.op != IrOp::kSLoad) {
      it = seen_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<IrRef> IrBuilder::Fold(const IrIns& ins) {
  auto is_const = [&](IrRef r) { return r != kNoRef && ir_[r].op == IrOp::kConst; };
  const bool ca = is_const(ins.a), cb = is_const(ins.b);
  const int64_t x = ca ? ir_[ins.a].imm : 0, y = cb ? ir_[ins.b].imm : 0;
  switch (ins.op) {
    case IrOp::kAddI:
      if (ca && cb) return Int(Wrap(static_cast<uint64_t>(x) + static_cast<uint64_t>(y)));
      if (cb && y == 0) return ins.a;
      if (ca && x == 0) return ins.b;
      break;
    case IrOp::kSubI:
      if (ca && cb) return Int(Wrap(static_cast<uint64_t>(x) - static_cast<uint64_t>(y)));
      if (cb && y == 0) return ins.a;
      break;
    case IrOp::kMulI:
      if (ca && cb) return Int(Wrap(static_cast<uint64_t>(x) * static_cast<uint64_t>(y)));
      if (cb && y == 1) return ins.a;
      if (ca && x == 1) return ins.b;
      break;
    case IrOp::kDivI:
      if (ca && cb && y > 0) return Int(x / y);
      if (cb && y == 1) return ins.a;
      break;
    case IrOp::kModI:
      if (ca && cb && y > 0) return Int(x % y);
      break;
    case IrOp::kBAnd: if (ca && cb) return Int(x & y); break;
    case IrOp::kBOr: if (ca && cb) return Int(x | y); break;
    case IrOp::kBXor: if (ca && cb) return Int(x ^ y); break;
    case IrOp::kShl: if (ca && cb) return Int(Wrap(static_cast<uint64_t>(x) << (y & 63))); break;
    case IrOp::kShr: if (ca && cb) return Int(x >> (y & 63)); break;
    case IrOp::kNegI: if (ca) return Int(Wrap(0 - static_cast<uint64_t>(x))); break;
    case IrOp::kBNot: if (ca) return Int(~x); break;
    case IrOp::kConvIF: if (ca) return Float(static_cast<double>(x)); break;
    case IrOp::kAddF: if (ca && cb) return Float(AsDouble(x) + AsDouble(y)); break;
    case IrOp::kSubF: if (ca && cb) return Float(AsDouble(x) - AsDouble(y)); break;
    case IrOp::kMulF: if (ca && cb) return Float(AsDouble(x) * AsDouble(y)); break;
    case IrOp::kDivF: if (ca && cb) return Float(AsDouble(x) / AsDouble(y)); break;
    case IrOp::kNegF: if (ca) return Float(-AsDouble(x)); break;
    case IrOp::kSqrtF: if (ca) return Float(std::sqrt(AsDouble(x))); break;
    case IrOp::kGuardI:
      // Recorded guards held when they were recorded; with constant operands they
      // always do. (A guard that never holds is never recorded.)
      if (ca && cb && CondHolds(ins.cond, x, y)) return kNoRef;
      break;
    default:
      break;
  }
  return std::nullopt;
}

IrRef IrBuilder::Emit(IrIns ins) {
  if (options_.fold) {
    if (std::optional<IrRef> folded = Fold(ins)) return *folded;
  }
  const bool cse = options_.cse && (Pure(ins.op) || (Load(ins.op) && ins.op != IrOp::kSLoad));
  Key key{ins.op, ins.type, ins.cond, ins.a, ins.b, ins.c, ins.imm};
  if (cse || ins.op == IrOp::kConst) {
    auto it = seen_.find(key);
    if (it != seen_.end()) return it->second;
  }
  IrRef r = ir_.Emit(ins);
  if (cse || ins.op == IrOp::kConst) seen_.emplace(key, r);
  // A store or call makes later loads of what it may have changed read memory again.
  for (int c = 0; c < static_cast<int>(MemoryClass::kCount); ++c) {
    if (Writes(ins, static_cast<MemoryClass>(c))) Kill(static_cast<MemoryClass>(c));
  }
  if (ins.op == IrOp::kCallAlloc) KillAll();
  return r;
}

IrRef IrBuilder::Int(int64_t v) {
  IrIns i{IrOp::kConst};
  i.type = Tag::kInt;
  i.imm = v;
  return Emit(i);
}

IrRef IrBuilder::Float(double v) {
  IrIns i{IrOp::kConst};
  i.type = Tag::kFloat;
  std::memcpy(&i.imm, &v, sizeof v);
  return Emit(i);
}

IrRef IrBuilder::Bool(bool v) {
  IrIns i{IrOp::kConst};
  i.type = Tag::kBool;
  i.imm = v ? 1 : 0;
  return Emit(i);
}

IrRef IrBuilder::Pointer(Tag type, const void* p) {
  IrIns i{IrOp::kConst};
  i.type = type;
  i.imm = static_cast<int64_t>(reinterpret_cast<uintptr_t>(p));
  return Emit(i);
}

}  // namespace trinity::jit
