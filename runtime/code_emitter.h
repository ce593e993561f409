// Builds one function's bytecode: encodes instructions per the opcode table, resolves
// forward and backward jumps through labels, and records the line table. Used by the
// compiler and the assembler so neither hand-encodes operands or jump offsets.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/module.h"
#include "runtime/opcodes.h"

namespace trinity {

class CodeEmitter {
 public:
  struct Label {
    uint32_t id;
  };

  Label NewLabel();
  // Binds `label` to the current pc. Binding a label twice is a programming error.
  void Bind(Label label);

  // Each returns the pc of the emitted instruction. Operands are encoded with the widths
  // the opcode table gives (values are truncated to fit). Branches use EmitJump and
  // EmitIterNext instead.
  uint32_t Emit(Op op);
  uint32_t Emit(Op op, int64_t a);
  uint32_t Emit(Op op, int64_t a, int64_t b);

  // kJump, kJumpIfFalse or kJumpIfTrue to `target`, bound now or later; or kTryBegin
  // whose handler code is at `target`.
  uint32_t EmitJump(Op op, Label target);
  uint32_t EmitIterNext(uint16_t slot, Label exhausted);

  // Instructions emitted from now on belong to `line`.
  void SetLine(uint32_t line);

  uint32_t pc() const { return static_cast<uint32_t>(code_.size()); }

  // Patches every jump and moves the code and line table into `fn`. Aborts with a
  // message if a jump refers to a label that was never bound: emitting a wrong offset
  // silently would produce code that verifies but jumps to the wrong place.
  void Finish(Function& fn);

 private:
  struct Fixup {
    uint32_t operand_at;  // where the i32 offset goes
    uint32_t end_pc;      // offsets are relative to the end of the instruction
    uint32_t label;
  };

  void EmitOperand(OperandKind kind, int64_t value);
  uint32_t EmitBranch(Op op, int64_t first_operand, Label target);
  void NoteLine();

  static constexpr uint32_t kUnbound = 0xffffffffu;

  std::vector<uint8_t> code_;
  std::vector<LineEntry> lines_;
  std::vector<uint32_t> label_pcs_;
  std::vector<Fixup> fixups_;
  uint32_t line_ = 0;
};

}  // namespace trinity
