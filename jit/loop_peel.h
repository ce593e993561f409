// The LOOP pass: turns one recorded iteration into a preamble (the iteration as
// recorded, every guard checked once) followed by a loop body that is a second copy of
// the iteration emitted through the builder again. Whatever the body computes from
// values that do not change in the loop folds into the preamble's instruction, so
// invariant guards, loads and arithmetic leave the loop. Values that do change become
// PHIs, one per frame slot the iteration writes.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "jit/ir.h"
#include "jit/ir_builder.h"

namespace trinity::jit {

struct SlotValue {
  int32_t slot;  // byte offset from the root base
  IrRef ref;     // its value at the end of the iteration (kNoRef: nil)
};

struct RecordedIteration {
  TraceIr ir;                         // no Loop marker; SLoads read the iteration's inputs
  std::vector<SlotValue> final_slots; // every slot the iteration wrote, sorted by slot
  Snapshot entry;                     // resumes at the loop header with nothing written
};

// A side trace recorded from an exit of the loop body that came back to the loop's own
// back-edge: it becomes a path of the loop (trace tree) instead of a trace of its own.
// `ir` is the side trace as recorded on its own: SLoads read its inputs, and its last
// instruction is the exit that links back to the loop.
struct SideSegment {
  uint32_t at = 0;  // the snapshot of rec.ir whose exits it continues
  TraceIr ir;
};

// The looping trace, or why the iteration cannot loop (a slot whose type at the end of
// the iteration differs from the type its start was specialised for). Side segments
// become paths of the loop; a slot any path writes is carried in a PHI.
std::variant<TraceIr, std::string> PeelLoop(const RecordedIteration& rec, FoldOptions options = {},
                                            const std::vector<SideSegment>& sides = {});

// Without the LOOP pass (for testing the pass itself): the iteration, a Loop marker at
// its start and PHIs that carry the written slots around, nothing hoisted.
std::variant<TraceIr, std::string> LoopWithoutPeeling(const RecordedIteration& rec);

}  // namespace trinity::jit
