// The trace recorder: watches the fast tier execute one iteration of a hot loop, one
// instruction at a time, and turns it into trace IR specialised to the types it sees.
// It never executes anything itself; before each instruction it reads the operands'
// concrete values, emits guards that make the trace valid only while they hold, and
// tracks which SSA value every frame slot holds. Anything it does not support ends the
// recording (the loop then stays interpreted), never wrong code.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "jit/ir.h"
#include "jit/ir_builder.h"
#include "jit/loop_peel.h"
#include "runtime/fast_code.h"
#include "runtime/interpreter.h"
#include "runtime/trace_hooks.h"

namespace trinity::jit {

struct RecorderLimits {
  size_t max_instructions = 4000;  // IR instructions per iteration
  size_t max_steps = 2000;         // interpreter instructions per iteration
  size_t max_inline_depth = 8;     // nested calls inlined into one trace
};

class Recorder {
 public:
  enum class Status { kRecording, kComplete, kAborted };
  // Whether the loop at a back-edge instruction has a trace to link to.
  using HasTrace = std::function<bool(const uint8_t* back_edge)>;

  // A root trace starts at the loop header `at`; `loop_ip` is the back-edge instruction
  // that closes the iteration. A side trace (loop_ip == nullptr) starts where a trace left
  // through a hot exit. Either ends, linking onward, at a back-edge whose loop has a
  // trace. The frame at `at` is frames[depth - 1].
  Recorder(Instance::Impl& vm, const uint8_t* loop_ip, const FastState& at, size_t depth,
           FoldOptions fold, RecorderLimits limits, HasTrace has_trace);

  // The interpreter is about to run the instruction at `at`.
  Status Step(const FastState& at, size_t depth);

  const std::string& abort_reason() const { return abort_; }
  // After kComplete: the iteration, and facts the engine checks on every trace entry.
  RecordedIteration& iteration() { return rec_; }
  // The trace ends by linking to another loop's trace (no LOOP pass applies).
  bool linked() const { return linked_; }
  const uint8_t* link_target() const { return link_target_; }  // that back-edge
  uint32_t root_function() const { return root_fn_->index; }
  size_t max_inline_depth() const { return max_inline_; }
  int64_t max_extent() const { return max_extent_; }  // bytes from the root base
  // The trace read captures of the root frame's closure: it is valid for that closure only.
  bool uses_root_closure() const { return uses_root_closure_; }
  Closure* root_closure() const { return root_closure_; }

 private:
  struct InlineFrame {
    const FastFunction* fn;        // the inlined callee
    int32_t base_offset;           // its slot 0, bytes from the root base
    int32_t result_offset;
    Closure* closure;
    uint32_t return_pc;            // in the caller's code
    const FastFunction* caller;    // restored on return
    int32_t caller_base;
    Closure* caller_closure;
  };

  Status Abort(std::string why);
  Status Record(FastOp op, const uint8_t* ip, const FastState& at);
  // Slot access relative to the current frame's base (the field values of instructions).
  IrRef Read(int32_t field);
  void Write(int32_t field, IrRef v);
  const Value& Concrete(int32_t field) const;
  IrRef ConstantValue(const Value& v);
  uint32_t Snap();  // the state before the current instruction
  IrIns Ins(IrOp op, Tag type, IrRef a = kNoRef, IrRef b = kNoRef, IrRef c = kNoRef);
  IrRef Guard(IrOp op, Cond c, IrRef a, IrRef b);
  Tag TypeOf(IrRef r) const { return rec_.ir[r].type; }
  IrRef ToFloat(IrRef r);
  // Array access with its bounds guard (recorder.cc).
  IrRef ArrayLoad(IrRef container, IrRef index, Tag element);
  void ArrayStore(IrRef container, IrRef index, IrRef value);

  // Instruction families.
  Status Arith(int group, IrRef a, IrRef b, const Value& x, const Value& y, int32_t dst);
  Status CompareBranch(int group, bool want, const Value& x, const Value& y, IrRef a, IrRef b);
  Status CompareValue(int group, IrRef a, IrRef b, const Value& x, const Value& y, int32_t dst);
  Status Inline(const FastFunction* callee, Closure* closure, int32_t args_field,
                int32_t result_field, uint32_t return_pc);
  Status Return(IrRef value);
  Status CloseLoop(FastOp op, const FastState& at);
  Status CloseLink(FastOp op, const FastState& at);
  // The guards of a conditional back-edge; false when it is not taken now.
  bool BackEdgeTaken(FastOp op, const uint8_t* ip);

  Instance::Impl& vm_;
  const FastModule& fm_;
  IrBuilder b_;
  RecorderLimits limits_;
  HasTrace has_trace_;
  bool linked_ = false;
  const uint8_t* link_target_ = nullptr;
  RecordedIteration rec_;
  const uint8_t* loop_ip_;
  const FastFunction* root_fn_;
  Value* root_base_;
  size_t root_depth_;
  const FastFunction* fn_;      // the function whose code is running now
  int32_t base_off_ = 0;        // its base, in bytes from the root base
  Closure* closure_ = nullptr;
  std::vector<InlineFrame> inline_;
  size_t max_inline_ = 0;
  int64_t max_extent_ = 0;
  size_t steps_ = 0;
  std::map<int32_t, IrRef> slots_;        // absolute slot -> current value
  std::map<int32_t, IrRef> written_;      // the subset written in this iteration
  std::unordered_map<int64_t, IrRef> globals_;
  uint32_t pc_ = 0;                       // current instruction's offset in fn_
  // The state the last snapshot was taken in; an unchanged state reuses it.
  bool have_snap_ = false;
  size_t snap_depth_ = 0;
  int32_t snap_base_ = 0;
  const FastFunction* snap_fn_ = nullptr;
  uint32_t snap_pc_ = 0;
  uint64_t snap_writes_ = 0;
  uint32_t snap_ = 0;
  const Value* cur_base_ = nullptr;       // the running frame's slot 0
  bool uses_root_closure_ = false;
  Closure* root_closure_ = nullptr;
  uint64_t writes_ = 0;                   // bumped by every Write
  std::string abort_;
};

}  // namespace trinity::jit
