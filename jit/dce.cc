// EliminateDeadCode: one backward pass marks what is needed (side effects, guard
// operands, the values every used snapshot restores, PHI inputs), the rest is dropped.
#include "jit/dce.h"

#include <vector>

namespace trinity::jit {
namespace {

bool HasEffect(IrOp op) {
  switch (op) {
    case IrOp::kGuardI: case IrOp::kGuardF: case IrOp::kGuardFuel: case IrOp::kGStore:
    case IrOp::kAStore: case IrOp::kFStore: case IrOp::kCallAlloc: case IrOp::kLoop: case IrOp::kExit:
    // Loads that guard a type leave the trace when the type differs: keep them.
    case IrOp::kSLoad: case IrOp::kGLoad: case IrOp::kALoad: case IrOp::kFRef: case IrOp::kFLoad:
    case IrOp::kPLoad:
      return true;
    default:
      return false;
  }
}

}  // namespace

size_t EliminateDeadCode(TraceIr& ir) {
  std::vector<bool> live(ir.size(), false);
  std::vector<bool> snap_used(ir.snapshots().size(), false);
  auto mark = [&](IrRef r) {
    if (r != kNoRef) live[r] = true;
  };
  // PHIs are needed when anything reads them; their inputs then too. Iterate to a fixed
  // point because a PHI's input comes after the PHI.
  bool changed = true;
  while (changed) {
    changed = false;
    // A side path's values for the PHIs are needed when the PHI is.
    for (const TreeSide& side : ir.sides()) {
      for (const auto& [phi, next] : side.moves) {
        if (live[phi] && next != kNoRef && !live[next]) {
          live[next] = true;
          changed = true;
        }
      }
    }
    for (IrRef r = static_cast<IrRef>(ir.size()); r-- > 0;) {
      const IrIns& ins = ir[r];
      if (!live[r] && !HasEffect(ins.op)) continue;
      if (!live[r]) {
        live[r] = true;
        changed = true;
      }
      for (IrRef x : {ins.a, ins.b, ins.c}) {
        if (x != kNoRef && !live[x]) {
          live[x] = true;
          changed = true;
        }
      }
      if (UsesSnapshot(ins.op)) {
        if (ins.snap < snap_used.size() && !snap_used[ins.snap]) {
          snap_used[ins.snap] = true;
          for (const SnapEntry& e : ir.snapshots()[ins.snap].entries) {
            if (e.ref != kNoRef && !live[e.ref]) {
              mark(e.ref);
              changed = true;
            }
          }
        }
      }
    }
  }
  size_t removed = 0;
  for (IrRef r = 0; r < ir.size(); ++r) {
    if (!live[r] && ir[r].op != IrOp::kNop) {
      ir.at(r).op = IrOp::kNop;
      ++removed;
    }
  }
  return removed;
}

}  // namespace trinity::jit
