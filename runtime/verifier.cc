// The bytecode verifier. Three passes over each function, each linear in code size:
// decode and range-check every instruction; check branch targets and the line table
// against instruction boundaries; then a worklist walk from pc 0 assigning one stack
// height and one try depth (open handlers, opcodes.h) to every reachable instruction.
#include "runtime/verifier.h"

#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "runtime/builtins.h"
#include "runtime/opcodes.h"

namespace trinity {
namespace {

struct Instruction {
  Op op;
  uint32_t size;
  int64_t a = 0;  // operands, decoded per OperandKind (unsigned or sign-extended i32)
  int64_t b = 0;
};

int64_t ReadOperand(const uint8_t* p, OperandKind kind) {
  switch (kind) {
    case OperandKind::kNone: return 0;
    case OperandKind::kU8: return p[0];
    case OperandKind::kU16: return p[0] | (p[1] << 8);
    case OperandKind::kU32:
    case OperandKind::kI32: {
      uint32_t u = static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
                   (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
      return kind == OperandKind::kI32 ? static_cast<int64_t>(static_cast<int32_t>(u)) : u;
    }
  }
  return 0;
}

// Height below which nothing has been assigned yet; heights never exceed kMaxStack.
constexpr uint16_t kNoHeight = kUnreachable;
static_assert(kMaxStack < kNoHeight);

class FunctionVerifier {
 public:
  FunctionVerifier(const Module& m, const Function& f, std::string label)
      : m_(m), f_(f), label_(std::move(label)) {}

  // On success, the maximum operand-stack height the code reaches.
  [[gnu::noinline]] Result<uint32_t, LoadError> Run() {
    if (!CheckHeader() || !DecodeAll() || !CheckTargetsAndLines() || !ComputeHeights()) {
      return Err(std::move(error_));
    }
    return max_height_;
  }

  // Where the maximum height is first reached, for the max_stack rejection.
  uint32_t max_pc() const { return max_pc_; }
  // After a successful Run: the height before each reachable instruction, else kNoHeight.
  std::vector<uint16_t> TakeHeights() { return std::move(heights_); }

 private:
  bool Fail(size_t pc, std::string reason) {
    error_ = LoadError{label_, pc, std::move(reason)};
    return false;
  }

  bool CheckHeader() {
    if (f_.arity > f_.num_locals) {
      return Fail(0, "arity " + std::to_string(f_.arity) + " is more than num_locals " +
                         std::to_string(f_.num_locals));
    }
    if (f_.num_locals > kMaxLocals) {
      return Fail(0, "num_locals " + std::to_string(f_.num_locals) + " exceeds the limit of " +
                         std::to_string(kMaxLocals));
    }
    if (f_.code.empty()) return Fail(0, "code is empty");
    if (f_.code.size() > kMaxCodeBytes) {
      return Fail(0, "code size " + std::to_string(f_.code.size()) + " exceeds the limit of " +
                         std::to_string(kMaxCodeBytes));
    }
    return true;
  }

  // Decodes the instruction at pc, which the caller knows is in range. Only DecodeAll
  // can fail here; later passes decode instructions it has already accepted.
  bool Decode(uint32_t pc, Instruction& out) {
    uint8_t byte = f_.code[pc];
    if (byte >= kOpCount) return Fail(pc, "unknown opcode " + std::to_string(byte));
    out.op = static_cast<Op>(byte);
    out.size = static_cast<uint32_t>(InstructionSize(out.op));
    if (out.size > f_.code.size() - pc) {
      return Fail(pc, "truncated operands of " + std::string(InfoOf(out.op).mnemonic) + ": needs " +
                          std::to_string(out.size) + " bytes, " +
                          std::to_string(f_.code.size() - pc) + " left");
    }
    const OpInfo& info = InfoOf(out.op);
    const uint8_t* p = f_.code.data() + pc + 1;
    out.a = ReadOperand(p, info.operand[0]);
    out.b = ReadOperand(p + OperandSize(info.operand[0]), info.operand[1]);
    return true;
  }

  // The i32 offset of a branch is its last operand.
  static int64_t BranchTarget(uint32_t pc, const Instruction& in) {
    int64_t offset = in.op == Op::kIterNext ? in.b : in.a;
    return static_cast<int64_t>(pc) + in.size + offset;
  }

  bool CheckIndex(uint32_t pc, std::string_view what, int64_t index, size_t count) {
    if (index >= 0 && static_cast<uint64_t>(index) < count) return true;
    return Fail(pc, std::string(what) + " index " + std::to_string(index) +
                        " is out of range (" + std::to_string(count) + " available)");
  }

  bool CheckOperands(uint32_t pc, const Instruction& in) {
    switch (in.op) {
      case Op::kConst: return CheckIndex(pc, "constant", in.a, m_.constants.size());
      case Op::kLoadLocal:
      case Op::kStoreLocal: return CheckIndex(pc, "local", in.a, f_.num_locals);
      case Op::kLoadGlobal:
      case Op::kStoreGlobal: return CheckIndex(pc, "global", in.a, m_.globals.size());
      case Op::kLoadCapture: return CheckIndex(pc, "capture", in.a, f_.num_captures);
      case Op::kCall: return CheckIndex(pc, "function", in.a, m_.functions.size());
      case Op::kCallHost: return CheckIndex(pc, "import", in.a, m_.imports.size());
      case Op::kCallBuiltin: {
        if (!CheckIndex(pc, "builtin", in.a, kBuiltinCount)) return false;
        const BuiltinInfo& info = kBuiltinInfo[in.a];
        if (in.b < info.min_args || in.b > info.max_args) {
          return Fail(pc, "builtin '" + std::string(info.name) + "' called with " +
                              std::to_string(in.b) + " arguments, expects " +
                              std::to_string(info.min_args) + " to " +
                              std::to_string(info.max_args));
        }
        return true;
      }
      case Op::kPushFunc: {
        if (!CheckIndex(pc, "function", in.a, m_.functions.size())) return false;
        uint16_t captures = m_.functions[in.a].num_captures;
        if (captures != 0) {
          return Fail(pc, "push_func of function " + std::to_string(in.a) + ", which has " +
                              std::to_string(captures) + " captures; use make_closure");
        }
        return true;
      }
      case Op::kMakeClosure: {
        if (!CheckIndex(pc, "function", in.a, m_.functions.size())) return false;
        uint16_t captures = m_.functions[in.a].num_captures;
        if (in.b != captures) {
          return Fail(pc, "make_closure supplies " + std::to_string(in.b) +
                              " captures but function " + std::to_string(in.a) + " has " +
                              std::to_string(captures));
        }
        return true;
      }
      case Op::kIterNext:
        if (in.a + 1 >= f_.num_locals) {
          return Fail(pc, "iter_next slot " + std::to_string(in.a) +
                              " needs locals up to " + std::to_string(in.a + 1) + " but only " +
                              std::to_string(f_.num_locals) + " exist");
        }
        return true;
      default: return true;
    }
  }

  bool DecodeAll() {
    is_start_.assign(f_.code.size(), 0);
    uint32_t pc = 0;
    Instruction in{};
    while (pc < f_.code.size()) {
      if (!Decode(pc, in) || !CheckOperands(pc, in)) return false;
      if (IsBranch(in.op)) {
        int64_t target = BranchTarget(pc, in);
        if (target < 0 || target >= static_cast<int64_t>(f_.code.size())) {
          return Fail(pc, "jump target " + std::to_string(target) + " is outside the function");
        }
      }
      is_start_[pc] = 1;
      last_pc_ = pc;
      pc += in.size;
    }
    // `in` is now the last instruction.
    if (!EndsBlock(in.op)) {
      return Fail(last_pc_, "execution can fall off the end of the code after " +
                                std::string(InfoOf(in.op).mnemonic));
    }
    return true;
  }

  bool CheckTargetsAndLines() {
    Instruction in{};
    for (uint32_t pc = 0; pc < f_.code.size(); pc += in.size) {
      Decode(pc, in);
      if (!IsBranch(in.op)) continue;
      int64_t target = BranchTarget(pc, in);
      if (!is_start_[target]) {
        return Fail(pc, "jump target " + std::to_string(target) +
                            " is not on an instruction boundary");
      }
    }
    for (size_t i = 0; i < f_.lines.size(); ++i) {
      uint32_t pc = f_.lines[i].pc;
      if (i > 0 && pc <= f_.lines[i - 1].pc) {
        return Fail(pc, "line table entry " + std::to_string(i) + " (pc " + std::to_string(pc) +
                            ") does not come after the previous entry (pc " +
                            std::to_string(f_.lines[i - 1].pc) + ")");
      }
      if (pc >= f_.code.size()) {
        return Fail(pc, "line table entry " + std::to_string(i) + " pc " + std::to_string(pc) +
                            " is outside the code");
      }
      if (!is_start_[pc]) {
        return Fail(pc, "line table entry " + std::to_string(i) + " pc " + std::to_string(pc) +
                            " is not on an instruction boundary");
      }
    }
    return true;
  }

  // Values popped by `in`; the table's -1 entries depend on operands or the callee.
  int64_t Pops(const Instruction& in) const {
    switch (in.op) {
      case Op::kCall: return m_.functions[in.a].arity;
      case Op::kCallValue: return in.a + 1;
      case Op::kCallHost:
      case Op::kCallBuiltin:
      case Op::kMakeClosure: return in.b;
      case Op::kNewArray: return in.a;
      case Op::kNewMap: return 2 * in.a;  // in.a < 2^32, so no overflow in int64
      default: return InfoOf(in.op).pops;
    }
  }

  // Records `height` and `try_depth` for the instruction at `pc`, queueing it the first
  // time it is seen.
  bool Reach(uint32_t pc, int64_t height, int try_depth) {
    if (height > kMaxStack) {
      return Fail(pc, "stack height " + std::to_string(height) + " exceeds the limit of " +
                          std::to_string(kMaxStack));
    }
    if (heights_[pc] == kNoHeight) {
      heights_[pc] = static_cast<uint16_t>(height);
      try_depths_[pc] = static_cast<uint8_t>(try_depth);
      worklist_.push_back(pc);
      if (height > max_height_) {
        max_height_ = static_cast<uint32_t>(height);
        max_pc_ = pc;
      }
      return true;
    }
    if (heights_[pc] != height) {
      return Fail(pc, "stack heights disagree at join: " + std::to_string(heights_[pc]) +
                          " on one path, " + std::to_string(height) + " on another");
    }
    if (try_depths_[pc] != try_depth) {
      return Fail(pc, "open try blocks disagree at join: " + std::to_string(try_depths_[pc]) +
                          " on one path, " + std::to_string(try_depth) + " on another");
    }
    return true;
  }

  // The try depth after `in`, or -1 (and the error) when `in` breaks a try rule.
  int TryDepthAfter(uint32_t pc, const Instruction& in, int64_t height, int depth) {
    switch (in.op) {
      case Op::kTryBegin:
        if (height != 0) {
          Fail(pc, "try_begin needs an empty operand stack, found height " + std::to_string(height));
          return -1;
        }
        if (depth == kMaxTryDepth) {
          Fail(pc, "more than " + std::to_string(kMaxTryDepth) + " nested try blocks");
          return -1;
        }
        return depth + 1;
      case Op::kTryEnd:
        if (depth == 0) {
          Fail(pc, "try_end without an open try_begin");
          return -1;
        }
        return depth - 1;
      case Op::kReturn:
        if (depth != 0) {
          Fail(pc, "ret with " + std::to_string(depth) + " try block(s) still open");
          return -1;
        }
        return 0;
      default:
        return depth;
    }
  }

  bool ComputeHeights() {
    heights_.assign(f_.code.size(), kNoHeight);
    try_depths_.assign(f_.code.size(), 0);
    if (!Reach(0, 0, 0)) return false;
    Instruction in{};
    while (!worklist_.empty()) {
      uint32_t pc = worklist_.back();
      worklist_.pop_back();
      Decode(pc, in);
      int64_t height = heights_[pc];
      int64_t pops = Pops(in);
      if (pops > height) {
        return Fail(pc, "stack underflow: " + std::string(InfoOf(in.op).mnemonic) + " pops " +
                            std::to_string(pops) + " values but the stack holds " +
                            std::to_string(height));
      }
      int64_t after = height - pops;
      int depth = try_depths_[pc];
      int depth_after = TryDepthAfter(pc, in, height, depth);
      if (depth_after < 0) return false;
      if (in.op == Op::kTryBegin) {
        // The handler runs with the error value on an otherwise empty stack, its try
        // block closed.
        if (!Reach(static_cast<uint32_t>(BranchTarget(pc, in)), 1, depth)) return false;
      } else if (IsBranch(in.op) && !Reach(static_cast<uint32_t>(BranchTarget(pc, in)), after, depth_after)) {
        return false;  // kIterNext's exhausted edge pushes nothing, like the jumps
      }
      if (!EndsBlock(in.op) && !Reach(pc + in.size, after + InfoOf(in.op).pushes, depth_after)) return false;
    }
    return true;
  }

  const Module& m_;
  const Function& f_;
  std::string label_;
  LoadError error_;
  std::vector<uint8_t> is_start_;
  std::vector<uint16_t> heights_;
  std::vector<uint8_t> try_depths_;  // valid where heights_ is set
  std::vector<uint32_t> worklist_;
  uint32_t last_pc_ = 0;
  uint32_t max_height_ = 0;
  uint32_t max_pc_ = 0;
};

std::string FunctionLabel(const Function& f, size_t index) {
  return f.name.empty() ? "#" + std::to_string(index) : f.name;
}

// Index of `f` in `m` when it is one of m's functions, for naming it in errors.
size_t IndexOf(const Module& m, const Function& f) {
  for (size_t i = 0; i < m.functions.size(); ++i) {
    if (&m.functions[i] == &f) return i;
  }
  return m.functions.size();
}

LoadError ModuleError(std::string reason) { return LoadError{"", 0, std::move(reason)}; }

Result<Unit, LoadError> VerifyExportsAndStart(const Module& m) {
  std::unordered_set<std::string_view> names;
  for (size_t i = 0; i < m.exports.size(); ++i) {
    const Export& e = m.exports[i];
    if (e.function >= m.functions.size()) {
      return Err(ModuleError("export '" + e.name + "' refers to function " +
                             std::to_string(e.function) + ", but the module has " +
                             std::to_string(m.functions.size())));
    }
    if (!names.insert(e.name).second) {
      return Err(ModuleError("export name '" + e.name + "' is used more than once"));
    }
  }
  if (m.start_function == kNoFunction) return Unit{};
  if (m.start_function >= m.functions.size()) {
    return Err(ModuleError("start function " + std::to_string(m.start_function) +
                           " is out of range (" + std::to_string(m.functions.size()) +
                           " functions)"));
  }
  const Function& start = m.functions[m.start_function];
  if (start.arity != 0 || start.num_captures != 0) {
    return Err(ModuleError("start function '" + start.name + "' must take no parameters and " +
                           "no captures (has arity " + std::to_string(start.arity) + ", " +
                           std::to_string(start.num_captures) + " captures)"));
  }
  return Unit{};
}

// One function, fully: the analysis and the declared max_stack. Not inlined into its
// callers, so the analysis exists once in the binary.
[[gnu::noinline]] Result<std::vector<uint16_t>, LoadError> VerifyFunction(const Module& m,
                                                                          const Function& f,
                                                                          size_t index) {
  FunctionVerifier v(m, f, FunctionLabel(f, index));
  auto needed = v.Run();
  if (!needed) return Err(std::move(needed).error());
  if (*needed > f.max_stack) {
    return Err(LoadError{FunctionLabel(f, index), v.max_pc(),
                         "declared max stack " + std::to_string(f.max_stack) +
                             " is less than the " + std::to_string(*needed) + " the code needs"});
  }
  return v.TakeHeights();
}

}  // namespace

Result<Unit, LoadError> VerifyModule(const Module& m,
                                     std::vector<std::vector<uint16_t>>* stack_heights) {
  if (stack_heights != nullptr) stack_heights->clear();
  for (size_t i = 0; i < m.functions.size(); ++i) {
    auto heights = VerifyFunction(m, m.functions[i], i);
    if (!heights) return Err(std::move(heights).error());
    if (stack_heights != nullptr) stack_heights->push_back(std::move(heights).value());
  }
  return VerifyExportsAndStart(m);
}

Result<uint16_t, LoadError> ComputeMaxStack(const Module& m, const Function& f) {
  FunctionVerifier v(m, f, FunctionLabel(f, IndexOf(m, f)));
  auto needed = v.Run();
  if (!needed) return Err(std::move(needed).error());
  return static_cast<uint16_t>(*needed);
}

}  // namespace trinity
