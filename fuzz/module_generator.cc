// GenerateModule: the byte-driven program generator behind fuzz_generated. The stack
// height is tracked conservatively along every path (dead code included), which is what
// makes heights agree at every join the verifier checks.
#include "fuzz/module_generator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "runtime/builtins.h"
#include "runtime/code_emitter.h"
#include "runtime/opcodes.h"
#include "runtime/verifier.h"

namespace trinity::fuzz {
namespace {

// Reads choices from the fuzzer's bytes; exhausted input reads as zeros, which the
// generator treats as "stop / smallest choice", so short inputs give short programs.
class ByteSource {
 public:
  explicit ByteSource(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  uint8_t Byte() { return pos_ < bytes_.size() ? bytes_[pos_++] : 0; }
  bool Empty() const { return pos_ >= bytes_.size(); }
  uint32_t Below(uint32_t n) {
    if (n <= 1) return 0;
    if (n <= 256) return Byte() % n;
    uint32_t v = Byte() | (Byte() << 8) | (Byte() << 16) | (uint32_t{Byte()} << 24);
    return v % n;
  }
  bool Coin() { return Byte() & 1; }
  uint64_t U64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t{Byte()} << (8 * i);
    return v;
  }
  // Mostly small numbers and edges: they reach the interesting paths (index 0, -1, wrap).
  int32_t I32() {
    static constexpr int32_t kEdges[] = {0, 1, -1, 2, 63, 64, 255, 256, 65536,
                                         std::numeric_limits<int32_t>::max(),
                                         std::numeric_limits<int32_t>::min()};
    switch (Byte() % 4) {
      case 0: return static_cast<int8_t>(Byte());
      case 1: return kEdges[Byte() % std::size(kEdges)];
      default: return static_cast<int32_t>(Below(0xffffffffu) ^ (Byte() << 24));
    }
  }

 private:
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
};

constexpr int kMaxNesting = 3;
constexpr int kSoftMaxHeight = 12;  // beyond this, prefer instructions that pop
constexpr uint16_t kScratchLocals = 3;
// Each nesting level owns one pair of locals for its loop (iter_next uses slot, slot+1).
constexpr uint16_t kLoopLocals = 2 * kMaxNesting;

Constant GenerateConstant(ByteSource& in) {
  switch (in.Byte() % 3) {
    case 0: {
      static constexpr int64_t kEdges[] = {0, 1, -1, std::numeric_limits<int64_t>::min(),
                                           std::numeric_limits<int64_t>::max()};
      if (in.Coin()) return kEdges[in.Byte() % std::size(kEdges)];
      return static_cast<int64_t>(in.U64());
    }
    case 1: {
      static constexpr double kEdges[] = {0.0, -0.0, 0.5, 1.0, 1e300,
                                          std::numeric_limits<double>::infinity(),
                                          std::numeric_limits<double>::quiet_NaN(),
                                          9.2233720368547758e18};
      if (in.Coin()) return kEdges[in.Byte() % std::size(kEdges)];
      uint64_t bits = in.U64();
      double d;
      static_assert(sizeof d == sizeof bits);
      __builtin_memcpy(&d, &bits, sizeof d);
      return d;
    }
    default: {
      std::string s;
      for (uint32_t n = in.Below(9); n > 0; --n) s.push_back(static_cast<char>(in.Byte()));
      return s;
    }
  }
}

struct Loop {
  int base;  // stack height at the loop's head and after it
  CodeEmitter::Label continue_to;
  CodeEmitter::Label break_to;
};

class FunctionGenerator {
 public:
  FunctionGenerator(ByteSource& in, const Module& m, uint32_t index)
      : in_(in), m_(m), f_(m.functions[index]) {}

  // Emits the body and returns the highest stack height it tracked.
  uint16_t Generate(Function& out) {
    e_.SetLine(line_);
    budget_ = 8 + static_cast<int>(in_.Below(120));
    Block(0);
    if (h_ == 0) Producer();
    Emit(Op::kReturn);
    e_.Finish(out);
    return static_cast<uint16_t>(max_h_);
  }

 private:
  // A sequence of steps that leaves the stack at `target` height.
  void Block(int target) {
    while (budget_ > 0 && !in_.Empty() && in_.Byte() % 8 != 0) Step();
    SetHeight(target);
  }

  void Step() {
    --budget_;
    if (in_.Byte() % 4 == 0) e_.SetLine(line_ += 1 + in_.Below(3));
    uint8_t kind = in_.Byte() % 16;
    bool can_nest = nesting_ < kMaxNesting;
    switch (kind) {
      case 0: if (can_nest) return IfElse(); break;
      case 1: if (can_nest) return CountedLoop(); break;
      case 2: if (can_nest) return IterLoop(); break;
      case 3: if (can_nest) return ConditionalLoop(); break;
      case 4: if (!loops_.empty()) return BreakOrContinue(); break;
      case 5: if (in_.Byte() % 3 == 0) return EarlyExit(); break;
      case 6: return DeadCode();
      default: break;
    }
    Simple();
  }

  // --- stack-tracked emission ---

  void Track(int pops, int pushes) {
    h_ -= pops;
    h_ += pushes;
    max_h_ = std::max(max_h_, h_);
  }
  void Emit(Op op, int64_t a = 0, int64_t b = 0) {
    Track(static_cast<int>(PopsOf(op, a, b)), InfoOf(op).pushes);
    e_.Emit(op, a, b);
  }
  void Jump(Op op, CodeEmitter::Label l) {
    Track(op == Op::kJump ? 0 : 1, 0);
    e_.EmitJump(op, l);
  }

  int64_t PopsOf(Op op, int64_t a, int64_t b) const {
    switch (op) {
      case Op::kCall: return m_.functions[a].arity;
      case Op::kCallValue: return a + 1;
      case Op::kCallHost:
      case Op::kCallBuiltin:
      case Op::kMakeClosure: return b;
      case Op::kNewArray: return a;
      case Op::kNewMap: return 2 * a;
      default: return InfoOf(op).pops;
    }
  }

  // Pushes one value of a varied type.
  void Producer() {
    switch (in_.Byte() % 8) {
      case 0: return Emit(Op::kPushNil);
      case 1: return Emit(in_.Coin() ? Op::kPushTrue : Op::kPushFalse);
      case 2:
        if (!m_.constants.empty()) return Emit(Op::kConst, in_.Below(m_.constants.size()));
        break;
      case 3: return Emit(Op::kLoadLocal, in_.Below(f_.num_locals));
      case 4:
        if (!m_.globals.empty()) return Emit(Op::kLoadGlobal, in_.Below(m_.globals.size()));
        break;
      case 5:
        if (f_.num_captures != 0) return Emit(Op::kLoadCapture, in_.Below(f_.num_captures));
        break;
      case 6: return Emit(Op::kNewArray, 0);
      default: break;
    }
    Emit(Op::kPushInt, in_.I32());
  }

  void SetHeight(int target) {
    while (h_ > target) Emit(Op::kPop);
    while (h_ < target) Producer();
  }

  // Picks valid operands for `op` (ignoring the stack). False when the module has nothing
  // the operand could name (no constants, no imports, no closure target, ...).
  bool ChooseOperands(Op op, int64_t& a, int64_t& b) {
    a = b = 0;
    switch (op) {
      case Op::kPushInt: a = in_.I32(); return true;
      case Op::kConst:
        a = in_.Below(m_.constants.size());
        return !m_.constants.empty();
      case Op::kLoadLocal:
      case Op::kStoreLocal: a = in_.Below(f_.num_locals); return true;
      case Op::kLoadGlobal:
      case Op::kStoreGlobal:
        a = in_.Below(m_.globals.size());
        return !m_.globals.empty();
      case Op::kLoadCapture:
        a = in_.Below(f_.num_captures);
        return f_.num_captures != 0;
      case Op::kCall: a = in_.Below(m_.functions.size()); return true;
      case Op::kCallValue: a = in_.Below(4); return true;
      case Op::kCallHost:
        a = in_.Below(m_.imports.size());
        b = in_.Below(4);
        return !m_.imports.empty();
      case Op::kCallBuiltin: {
        a = in_.Below(kBuiltinCount);
        const BuiltinInfo& info = kBuiltinInfo[a];
        b = info.min_args + in_.Below(std::min(info.max_args - info.min_args, 3) + 1);
        return true;
      }
      case Op::kPushFunc:
      case Op::kMakeClosure: {
        // Scan from a random start for a function of the kind this opcode can take.
        uint32_t n = static_cast<uint32_t>(m_.functions.size());
        uint32_t start = in_.Below(n);
        for (uint32_t i = 0; i < n; ++i) {
          const Function& g = m_.functions[(start + i) % n];
          if ((g.num_captures == 0) == (op == Op::kPushFunc)) {
            a = (start + i) % n;
            b = g.num_captures;
            return true;
          }
        }
        return false;
      }
      case Op::kNewArray: a = in_.Below(4); return true;
      case Op::kNewMap: a = in_.Below(3); return true;
      default: return !IsBranch(op);
    }
  }

  // One straight-line instruction, or a producer when the chosen one cannot be used here.
  void Simple() {
    if (h_ > kSoftMaxHeight) return Emit(Op::kPop);
    Op op = static_cast<Op>(in_.Below(kOpCount));
    int64_t a, b;
    // try_end needs an open try_begin (a branch, never chosen here): only in dead code.
    if (op == Op::kReturn || op == Op::kTrap || op == Op::kTryEnd || IsBranch(op) ||
        !ChooseOperands(op, a, b) || PopsOf(op, a, b) > h_) {
      return Producer();
    }
    Emit(op, a, b);
  }

  // --- structured control flow ---

  void Condition() {
    if (h_ == 0 || in_.Coin()) Producer();
  }

  void IfElse() {
    Condition();
    int base = h_ - 1;
    CodeEmitter::Label else_label = e_.NewLabel(), end = e_.NewLabel();
    Jump(in_.Coin() ? Op::kJumpIfFalse : Op::kJumpIfTrue, else_label);
    ++nesting_;
    Block(base);
    Jump(Op::kJump, end);
    e_.Bind(else_label);
    h_ = base;
    if (in_.Coin()) Block(base);
    --nesting_;
    e_.Bind(end);
    h_ = base;
  }

  uint16_t LoopSlot() const {
    return static_cast<uint16_t>(f_.arity + kScratchLocals + 2 * nesting_);
  }

  void CountedLoop() {
    uint16_t counter = LoopSlot();
    int base = h_;
    Emit(Op::kPushInt, in_.Below(5));
    Emit(Op::kStoreLocal, counter);
    CodeEmitter::Label top = e_.NewLabel(), next = e_.NewLabel(), end = e_.NewLabel();
    e_.Bind(top);
    Emit(Op::kLoadLocal, counter);
    Emit(Op::kPushInt, 0);
    Emit(Op::kGt);
    Jump(Op::kJumpIfFalse, end);
    LoopBody(Loop{base, next, end});
    e_.Bind(next);
    h_ = base;
    Emit(Op::kLoadLocal, counter);
    Emit(Op::kPushInt, 1);
    Emit(Op::kSub);
    Emit(Op::kStoreLocal, counter);
    Jump(Op::kJump, top);
    e_.Bind(end);
    h_ = base;
  }

  // The container comes from the stack, a fresh array or map, or a constant.
  void IterLoop() {
    uint16_t slot = LoopSlot();
    int base = h_;
    switch (in_.Byte() % 4) {
      case 0:
        if (h_ > 0) {
          Emit(Op::kDup);
          break;
        }
        [[fallthrough]];
      case 1: {
        int n = static_cast<int>(in_.Below(4));
        for (int i = 0; i < n; ++i) Producer();
        Emit(Op::kNewArray, n);
        break;
      }
      case 2: {
        int n = static_cast<int>(in_.Below(3));
        for (int i = 0; i < 2 * n; ++i) i % 2 == 0 ? Emit(Op::kPushInt, in_.I32()) : Producer();
        Emit(Op::kNewMap, n);
        break;
      }
      default: Producer(); break;
    }
    Emit(Op::kStoreLocal, slot);
    Emit(Op::kPushInt, in_.Coin() ? 0 : in_.I32());
    Emit(Op::kStoreLocal, slot + 1);
    CodeEmitter::Label top = e_.NewLabel(), end = e_.NewLabel();
    e_.Bind(top);
    e_.EmitIterNext(slot, end);
    Track(0, 2);  // key and value, on the fall-through edge only
    LoopBody(Loop{base, top, end});
    Jump(Op::kJump, top);
    e_.Bind(end);
    h_ = base;
  }

  // do { body } while (cond): the back-edge is conditional, so only fuel may end it.
  void ConditionalLoop() {
    int base = h_;
    CodeEmitter::Label top = e_.NewLabel(), end = e_.NewLabel();
    e_.Bind(top);
    LoopBody(Loop{base, top, end});
    Condition();
    if (h_ != base + 1) SetHeight(base + 1);
    Jump(in_.Coin() ? Op::kJumpIfTrue : Op::kJumpIfFalse, top);
    e_.Bind(end);
    h_ = base;
  }

  void LoopBody(const Loop& loop) {
    ++nesting_;
    loops_.push_back(loop);
    Block(loop.base);
    loops_.pop_back();
    --nesting_;
  }

  void BreakOrContinue() {
    const Loop& loop = loops_[in_.Below(static_cast<uint32_t>(loops_.size()))];
    CodeEmitter::Label to = in_.Coin() ? loop.break_to : loop.continue_to;
    SetHeight(loop.base);
    switch (in_.Byte() % 3) {
      case 0: Jump(Op::kJump, to); break;  // what follows is unreachable
      case 1: Producer(); Jump(Op::kJumpIfTrue, to); break;
      default: Producer(); Jump(Op::kJumpIfFalse, to); break;
    }
  }

  void EarlyExit() {
    if (h_ == 0) Producer();
    Emit(in_.Byte() % 4 == 0 ? Op::kTrap : Op::kReturn);
  }

  // Instructions behind an unconditional jump: the verifier must decode and range-check
  // them but gives them no height, so their stack effects do not matter.
  void DeadCode() {
    CodeEmitter::Label over = e_.NewLabel();
    e_.EmitJump(Op::kJump, over);
    for (uint32_t n = 1 + in_.Below(4); n > 0; --n) {
      Op op = static_cast<Op>(in_.Below(kOpCount));
      int64_t a, b;
      if (IsBranch(op) || !ChooseOperands(op, a, b)) {
        op = Op::kPop;
        a = b = 0;
      }
      e_.Emit(op, a, b);
    }
    e_.Bind(over);
  }

  ByteSource& in_;
  const Module& m_;
  const Function& f_;
  CodeEmitter e_;
  std::vector<Loop> loops_;
  int h_ = 0;
  int max_h_ = 0;
  int nesting_ = 0;
  int budget_ = 0;
  uint32_t line_ = 1;
};

}  // namespace

Module GenerateModule(std::span<const uint8_t> bytes) {
  ByteSource in(bytes);
  Module m;
  m.source_name = "generated.tri";
  for (uint32_t n = in.Below(7); n > 0; --n) m.constants.push_back(GenerateConstant(in));
  for (uint32_t i = 0, n = in.Below(3); i < n; ++i) m.imports.push_back("host" + std::to_string(i));
  for (uint32_t i = 0, n = in.Below(4); i < n; ++i) m.globals.push_back("g" + std::to_string(i));

  // Every signature is fixed before any body, so calls and closures can name any function.
  uint32_t user_functions = 1 + in.Below(5);
  for (uint32_t i = 0; i <= user_functions; ++i) {
    bool is_start = i == user_functions;
    Function f;
    f.name = is_start ? "<top>" : "f" + std::to_string(i);
    f.arity = is_start ? 0 : static_cast<uint16_t>(in.Below(4));
    f.num_captures = is_start || in.Byte() % 4 != 0 ? 0 : static_cast<uint16_t>(1 + in.Below(3));
    f.num_locals = f.arity + kScratchLocals + kLoopLocals;
    m.functions.push_back(std::move(f));
  }
  std::vector<uint16_t> tracked_max(m.functions.size());
  for (uint32_t i = 0; i < m.functions.size(); ++i) {
    Function body;
    tracked_max[i] = FunctionGenerator(in, m, i).Generate(body);
    m.functions[i].code = std::move(body.code);
    m.functions[i].lines = std::move(body.lines);
  }
  // Half the time the exact height, half the time the generator's (never lower) bound.
  for (uint32_t i = 0; i < m.functions.size(); ++i) {
    auto exact = ComputeMaxStack(m, m.functions[i]);
    m.functions[i].max_stack = exact.ok() && in.Coin() ? exact.value() : tracked_max[i];
  }
  for (uint32_t i = 0; i < user_functions; ++i) {
    if (in.Byte() % 4 != 0) m.exports.push_back(Export{m.functions[i].name, i});
  }
  if (in.Byte() % 4 != 0) m.start_function = user_functions;
  return m;
}

}  // namespace trinity::fuzz
