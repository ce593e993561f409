// CodeEmitter: instruction encoding, label fixups and line table for one function.
// Encoding follows OpInfo so the emitter, verifier and interpreter agree by construction.
#include "runtime/code_emitter.h"

#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace trinity {
namespace {

[[noreturn]] void Die(const char* what, uint32_t label) {
  std::fprintf(stderr, "CodeEmitter: %s (label %u)\n", what, label);
  std::abort();
}

void PutLE(std::vector<uint8_t>& code, size_t at, uint64_t v, int size) {
  for (int i = 0; i < size; ++i) code[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace

CodeEmitter::Label CodeEmitter::NewLabel() {
  label_pcs_.push_back(kUnbound);
  return Label{static_cast<uint32_t>(label_pcs_.size() - 1)};
}

void CodeEmitter::Bind(Label label) {
  if (label.id >= label_pcs_.size()) Die("binding a label this emitter did not create", label.id);
  if (label_pcs_[label.id] != kUnbound) Die("label bound twice", label.id);
  label_pcs_[label.id] = pc();
}

void CodeEmitter::SetLine(uint32_t line) { line_ = line; }

void CodeEmitter::NoteLine() {
  // Before the first SetLine the line is 0, which LineAt already reports for pcs with no
  // entry, so no entry is needed until the line first changes.
  uint32_t current = lines_.empty() ? 0 : lines_.back().line;
  if (line_ != current) lines_.push_back(LineEntry{pc(), line_});
}

void CodeEmitter::EmitOperand(OperandKind kind, int64_t value) {
  int size = OperandSize(kind);
  size_t at = code_.size();
  code_.resize(at + size);
  PutLE(code_, at, static_cast<uint64_t>(value), size);
}

uint32_t CodeEmitter::Emit(Op op) { return Emit(op, 0, 0); }

uint32_t CodeEmitter::Emit(Op op, int64_t a) { return Emit(op, a, 0); }

uint32_t CodeEmitter::Emit(Op op, int64_t a, int64_t b) {
  assert(!IsBranch(op) && "use EmitJump / EmitIterNext for branches");
  NoteLine();
  uint32_t at = pc();
  const OpInfo& info = InfoOf(op);
  code_.push_back(static_cast<uint8_t>(op));
  EmitOperand(info.operand[0], a);
  EmitOperand(info.operand[1], b);
  return at;
}

uint32_t CodeEmitter::EmitBranch(Op op, int64_t first_operand, Label target) {
  NoteLine();
  uint32_t at = pc();
  const OpInfo& info = InfoOf(op);
  code_.push_back(static_cast<uint8_t>(op));
  // The jump offset is the instruction's last operand (the only one for kJump*, the
  // second for kIterNext).
  if (info.operand[1] != OperandKind::kNone) EmitOperand(info.operand[0], first_operand);
  uint32_t operand_at = pc();
  EmitOperand(OperandKind::kI32, 0);
  fixups_.push_back(Fixup{operand_at, pc(), target.id});
  return at;
}

uint32_t CodeEmitter::EmitJump(Op op, Label target) {
  assert((op == Op::kJump || op == Op::kJumpIfFalse || op == Op::kJumpIfTrue ||
          op == Op::kTryBegin) &&
         "EmitJump takes kJump, kJumpIfFalse, kJumpIfTrue or kTryBegin");
  return EmitBranch(op, 0, target);
}

uint32_t CodeEmitter::EmitIterNext(uint16_t slot, Label exhausted) {
  return EmitBranch(Op::kIterNext, slot, exhausted);
}

void CodeEmitter::Finish(Function& fn) {
  for (const Fixup& f : fixups_) {
    if (f.label >= label_pcs_.size()) Die("jump to a label this emitter did not create", f.label);
    uint32_t target = label_pcs_[f.label];
    if (target == kUnbound) Die("jump to a label that was never bound", f.label);
    int64_t offset = static_cast<int64_t>(target) - static_cast<int64_t>(f.end_pc);
    PutLE(code_, f.operand_at, static_cast<uint64_t>(offset), 4);
  }
  fn.code = std::move(code_);
  fn.lines = std::move(lines_);
  code_.clear();
  lines_.clear();
  label_pcs_.clear();
  fixups_.clear();
  line_ = 0;
}

}  // namespace trinity
