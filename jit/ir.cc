// Trace IR helpers: names, conditions, the container and its printer.
#include "jit/ir.h"

#include <cstdio>
#include <cstring>

namespace trinity::jit {

Cond Negate(Cond c) {
  switch (c) {
    case Cond::kEq: return Cond::kNe;
    case Cond::kNe: return Cond::kEq;
    case Cond::kLt: return Cond::kGe;
    case Cond::kLe: return Cond::kGt;
    case Cond::kGt: return Cond::kLe;
    case Cond::kGe: return Cond::kLt;
    case Cond::kULt: break;  // never negated: bounds checks are emitted in one form
  }
  return Cond::kULt;
}

bool CondHolds(Cond c, int64_t a, int64_t b) {
  switch (c) {
    case Cond::kEq: return a == b;
    case Cond::kNe: return a != b;
    case Cond::kLt: return a < b;
    case Cond::kLe: return a <= b;
    case Cond::kGt: return a > b;
    case Cond::kGe: return a >= b;
    case Cond::kULt: return static_cast<uint64_t>(a) < static_cast<uint64_t>(b);
  }
  return false;
}

const char* CondName(Cond c) {
  static const char* const kNames[] = {"eq", "ne", "lt", "le", "gt", "ge", "ult"};
  return kNames[static_cast<int>(c)];
}

const char* IrOpName(IrOp op) {
  static const char* const kNames[] = {
#define TRINITY_IR_NAME(name, operands, text) #name,
      TRINITY_IR_OPS(TRINITY_IR_NAME)
#undef TRINITY_IR_NAME
  };
  return kNames[static_cast<int>(op)];
}

bool UsesSnapshot(IrOp op) {
  switch (op) {
    case IrOp::kSLoad: case IrOp::kGLoad: case IrOp::kPLoad: case IrOp::kGuardI:
    case IrOp::kGuardF: case IrOp::kGuardFuel: case IrOp::kALoad: case IrOp::kFRef:
    case IrOp::kFLoad: case IrOp::kCallAlloc: case IrOp::kExit:
      return true;
    default:
      return false;
  }
}

bool IsFloatType(Tag t) { return t == Tag::kFloat; }
bool HasStorage(Tag t) { return t != Tag::kNil; }

IrRef TraceIr::Emit(const IrIns& ins) {
  ins_.push_back(ins);
  return static_cast<IrRef>(ins_.size() - 1);
}

uint32_t TraceIr::AddSnapshot(Snapshot s) {
  snaps_.push_back(std::move(s));
  return static_cast<uint32_t>(snaps_.size() - 1);
}

std::string TraceIr::ToString() const {
  std::string out;
  char line[160];
  for (IrRef r = 0; r < ins_.size(); ++r) {
    const IrIns& i = ins_[r];
    if (i.op == IrOp::kLoop) {
      out += "---- LOOP ----\n";
      continue;
    }
    int n = std::snprintf(line, sizeof line, "%04u %-6s %-9s", r, std::string(TypeName(i.type)).c_str(),
                          IrOpName(i.op));
    auto ref = [&](IrRef x) {
      if (x != kNoRef) n += std::snprintf(line + n, sizeof line - n, " %04u", x);
    };
    ref(i.a);
    ref(i.b);
    ref(i.c);
    if (i.op == IrOp::kConst) {
      if (i.type == Tag::kFloat) {
        double d;
        std::memcpy(&d, &i.imm, sizeof d);
        n += std::snprintf(line + n, sizeof line - n, " %g", d);
      } else {
        n += std::snprintf(line + n, sizeof line - n, " %lld", static_cast<long long>(i.imm));
      }
    } else if (i.op == IrOp::kSLoad || i.op == IrOp::kGLoad || i.op == IrOp::kGStore ||
               i.op == IrOp::kFRef || i.op == IrOp::kCallAlloc || i.op == IrOp::kPLoad) {
      n += std::snprintf(line + n, sizeof line - n, " #%lld", static_cast<long long>(i.imm));
    }
    if (i.op == IrOp::kGuardI || i.op == IrOp::kGuardF || i.op == IrOp::kSetI ||
        i.op == IrOp::kSetF) {
      n += std::snprintf(line + n, sizeof line - n, " %s", CondName(i.cond));
    }
    if (UsesSnapshot(i.op)) {
      n += std::snprintf(line + n, sizeof line - n, " snap %u", i.snap);
    }
    out.append(line, static_cast<size_t>(n));
    out += '\n';
  }
  for (uint32_t i = 0; i < snaps_.size(); ++i) {
    const Snapshot& s = snaps_[i];
    int n = std::snprintf(line, sizeof line, "snap %u: fn %u pc %u%s%s frames %zu {", i, s.function,
                          s.resume_pc, s.at_loop_edge ? " edge" : "", s.link ? " link" : "",
                          s.frames.size());
    out.append(line, static_cast<size_t>(n));
    for (const SnapEntry& e : s.entries) {
      n = std::snprintf(line, sizeof line, " %d=%04u", e.slot / 16, e.ref);
      out.append(line, static_cast<size_t>(n));
    }
    out += " }\n";
  }
  return out;
}

}  // namespace trinity::jit
