// Code generator (codegen.h). Every statement leaves the operand stack as it found it,
// so break/continue can jump from anywhere in a loop body without stack fix-ups, and
// every expression pushes exactly one value.
#include "lang/codegen.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>
#include <string>
#include <type_traits>
#include <unordered_map>

#include "lang/constant_fold.h"
#include "runtime/builtins.h"
#include "runtime/code_emitter.h"
#include "runtime/opcodes.h"

namespace trinity::lang {
namespace {

using Label = CodeEmitter::Label;

// Literals with more elements than this are built incrementally (dup + push/set) so the
// operand stack stays small however long the literal is.
constexpr size_t kMaxArrayOnStack = 256;
constexpr size_t kMaxMapPairsOnStack = 128;

// The opcode of an arithmetic, bitwise or comparison operator token, including the
// operator part of compound assignments.
Op OpFor(TokenKind k) {
  switch (k) {
    case TokenKind::kPlus: case TokenKind::kPlusAssign: return Op::kAdd;
    case TokenKind::kMinus: case TokenKind::kMinusAssign: return Op::kSub;
    case TokenKind::kStar: case TokenKind::kStarAssign: return Op::kMul;
    case TokenKind::kSlash: case TokenKind::kSlashAssign: return Op::kDiv;
    case TokenKind::kPercent: case TokenKind::kPercentAssign: return Op::kMod;
    case TokenKind::kAmp: case TokenKind::kAmpAssign: return Op::kBitAnd;
    case TokenKind::kPipe: case TokenKind::kPipeAssign: return Op::kBitOr;
    case TokenKind::kCaret: case TokenKind::kCaretAssign: return Op::kBitXor;
    case TokenKind::kShl: case TokenKind::kShlAssign: return Op::kShl;
    case TokenKind::kShr: case TokenKind::kShrAssign: return Op::kShr;
    case TokenKind::kEq: return Op::kEq;
    case TokenKind::kNe: return Op::kNe;
    case TokenKind::kLt: return Op::kLt;
    case TokenKind::kLe: return Op::kLe;
    case TokenKind::kGt: return Op::kGt;
    case TokenKind::kGe: return Op::kGe;
    default: return Op::kNop;  // not reached for a parsed tree
  }
}

// Owns the module-wide tables: deduplicated constants.
class ModuleBuilder {
 public:
  ModuleBuilder(Module& m, Diagnostics& diags, CompileMemory* memory)
      : m_(m), diags_(diags), memory_(memory) {}

  Module& module() { return m_; }
  Diagnostics& diags() { return diags_; }
  CompileMemory* memory() { return memory_; }

  uint32_t Int(int64_t v, uint32_t line) {
    return Intern(ints_, v, v, line);
  }
  // Keyed by bit pattern: 0.0 and -0.0 differ, and NaN must equal itself.
  uint32_t Float(double v, uint32_t line) {
    return Intern(floats_, std::bit_cast<uint64_t>(v), v, line);
  }
  uint32_t String(const std::string& v, uint32_t line) {
    return Intern(strings_, v, v, line);
  }

 private:
  template <typename Map, typename Key, typename Value>
  uint32_t Intern(Map& map, const Key& key, const Value& value, uint32_t line) {
    auto it = map.find(key);
    if (it != map.end()) return it->second;
    if (m_.constants.size() >= kMaxConstants) {
      if (!overflow_reported_) {
        diags_.Error(line, 1, "too many constants (at most " + std::to_string(kMaxConstants) + ")");
        overflow_reported_ = true;
      }
      return 0;
    }
    // The constant, its key in the dedup table, and string bytes in both.
    size_t bytes = 2 * sizeof(Constant) + 64;
    if constexpr (std::is_same_v<Value, std::string>) bytes += 2 * StringHeapBytes(value.size());
    ChargeTo(memory_, bytes, line, 1);
    uint32_t index = static_cast<uint32_t>(m_.constants.size());
    m_.constants.emplace_back(std::in_place_type<Value>, value);
    map.emplace(key, index);
    return index;
  }

  Module& m_;
  Diagnostics& diags_;
  CompileMemory* memory_;
  std::unordered_map<int64_t, uint32_t> ints_;
  std::unordered_map<uint64_t, uint32_t> floats_;
  std::unordered_map<std::string, uint32_t> strings_;
  bool overflow_reported_ = false;
};

class FunctionGenerator {
 public:
  FunctionGenerator(ModuleBuilder& mb, const Resolution& res, uint32_t index)
      : mb_(mb), res_(res), index_(index), info_(res.functions[index]) {}

  Function Generate(const StmtList& body) {
    em_.SetLine(info_.line);
    if (info_.lit) {
      // Captured parameters move into boxes before any code can capture them.
      for (const Symbol* p : info_.lit->param_symbols) {
        if (!p->captured) continue;
        em_.Emit(Op::kLoadLocal, p->slot);
        em_.Emit(Op::kNewBox);
        em_.Emit(Op::kStoreLocal, p->slot);
      }
    }
    for (const StmtPtr& s : body) Statement(*s);
    em_.Emit(Op::kPushNil);
    em_.Emit(Op::kReturn);

    Function f;
    f.name = info_.name;
    f.arity = info_.arity;
    f.num_locals = static_cast<uint16_t>(info_.num_locals);
    f.num_captures = static_cast<uint16_t>(info_.captures.size());
    em_.Finish(f);
    // The function as the module keeps it, and as much again for the emitter's buffers
    // and the verifier's per-instruction tables that follow.
    ChargeTo(mb_.memory(), 2 * (sizeof(Function) + f.code.size() + f.lines.size() * sizeof(LineEntry)),
             info_.line, info_.col);
    if (f.code.size() > kMaxCodeBytes) {
      mb_.diags().Error(info_.line, info_.col, "function '" + info_.name + "' is too large (" +
                                                    std::to_string(f.code.size()) + " bytes of code)");
    }
    return f;
  }

 private:
  struct Loop {
    Label next;  // continue
    Label exit;  // break
  };

  // ---- variables ----

  void LoadVar(const Symbol& s) {
    if (s.kind == Symbol::Kind::kGlobal) {
      em_.Emit(Op::kLoadGlobal, s.index);
      return;
    }
    if (s.owner == index_) {
      em_.Emit(Op::kLoadLocal, s.slot);
    } else {
      em_.Emit(Op::kLoadCapture, res_.CaptureIndexOf(index_, &s));
    }
    if (s.captured) em_.Emit(Op::kBoxGet);
  }

  // Stores the value `push_value` leaves on the stack into `s`.
  template <typename F>
  void StoreVar(const Symbol& s, F push_value) {
    if (s.kind == Symbol::Kind::kGlobal) {
      push_value();
      em_.Emit(Op::kStoreGlobal, s.index);
      return;
    }
    if (!s.captured) {
      push_value();
      em_.Emit(Op::kStoreLocal, s.slot);
      return;
    }
    // box_set pops the value, then the box.
    if (s.owner == index_) {
      em_.Emit(Op::kLoadLocal, s.slot);
    } else {
      em_.Emit(Op::kLoadCapture, res_.CaptureIndexOf(index_, &s));
    }
    push_value();
    em_.Emit(Op::kBoxSet);
  }

  // A fresh binding for a local of this function: a new box when it is captured, so each
  // declaration (and each loop iteration) gets its own variable.
  void BindNewLocal(const Symbol& s) {
    if (s.captured) em_.Emit(Op::kNewBox);
    em_.Emit(Op::kStoreLocal, s.slot);
  }

  void MakeClosure(uint32_t function) {
    const FunctionInfo& f = res_.functions[function];
    if (f.captures.empty()) {
      em_.Emit(Op::kPushFunc, function);
      return;
    }
    // Push the boxes themselves (no box_get): the closure shares the variables.
    for (const CaptureSource& c : f.captures) {
      em_.Emit(c.from_local ? Op::kLoadLocal : Op::kLoadCapture, c.index);
    }
    em_.Emit(Op::kMakeClosure, function, static_cast<int64_t>(f.captures.size()));
  }

  // ---- statements ----

  void Statements(const StmtList& list) {
    for (const StmtPtr& s : list) Statement(*s);
  }

  void Statement(const Stmt& s) {
    em_.SetLine(s.line);
    switch (s.kind) {
      case StmtKind::kExpr:
        Expression(*s.expr);
        em_.Emit(Op::kPop);
        break;
      case StmtKind::kLet: {
        auto value = [&] {
          if (s.expr) {
            Expression(*s.expr);
          } else {
            em_.Emit(Op::kPushNil);
          }
        };
        if (s.symbol->kind == Symbol::Kind::kGlobal) {
          StoreVar(*s.symbol, value);
        } else {
          value();
          em_.SetLine(s.line);
          BindNewLocal(*s.symbol);
        }
        break;
      }
      case StmtKind::kAssign:
        Assign(s);
        break;
      case StmtKind::kFn:
        if (s.symbol->kind == Symbol::Kind::kFunction) break;  // top level: hoisted
        if (s.symbol->captured) {
          // The box must exist before the closure that may capture it (recursion).
          em_.Emit(Op::kPushNil);
          em_.Emit(Op::kNewBox);
          em_.Emit(Op::kStoreLocal, s.symbol->slot);
          em_.Emit(Op::kLoadLocal, s.symbol->slot);
          MakeClosure(s.fn->index);
          em_.Emit(Op::kBoxSet);
        } else {
          MakeClosure(s.fn->index);
          em_.Emit(Op::kStoreLocal, s.symbol->slot);
        }
        break;
      case StmtKind::kImport:
        break;
      case StmtKind::kIf: {
        // One arm after the other (a flat loop, however long the else-if chain): a false
        // condition jumps to the next arm, the end of a taken arm jumps past the rest.
        Label end = em_.NewLabel();
        for (size_t i = 0; i < s.arms.size(); ++i) {
          const IfArm& arm = s.arms[i];
          Label next = em_.NewLabel();
          Expression(*arm.cond);
          em_.SetLine(arm.line);
          em_.EmitJump(Op::kJumpIfFalse, next);
          Statements(arm.body);
          if (i + 1 < s.arms.size() || !s.else_body.empty()) em_.EmitJump(Op::kJump, end);
          em_.Bind(next);
        }
        Statements(s.else_body);
        em_.Bind(end);
        break;
      }
      case StmtKind::kWhile: {
        Label head = em_.NewLabel(), exit = em_.NewLabel();
        em_.Bind(head);
        Expression(*s.expr);
        em_.SetLine(s.line);
        em_.EmitJump(Op::kJumpIfFalse, exit);
        LoopBody(s.body, head, exit);
        em_.SetLine(s.line);
        em_.EmitJump(Op::kJump, head);
        em_.Bind(exit);
        break;
      }
      case StmtKind::kForRange:
        ForRange(s);
        break;
      case StmtKind::kForIn:
        ForIn(s);
        break;
      case StmtKind::kBreak:
        em_.EmitJump(Op::kJump, loops_.back().exit);
        break;
      case StmtKind::kContinue:
        em_.EmitJump(Op::kJump, loops_.back().next);
        break;
      case StmtKind::kReturn:
        if (s.expr) {
          Expression(*s.expr);
          em_.SetLine(s.line);
        } else {
          em_.Emit(Op::kPushNil);
        }
        em_.Emit(Op::kReturn);
        break;
      case StmtKind::kBlock:
        Statements(s.body);
        break;
    }
  }

  void LoopBody(const StmtList& body, Label next, Label exit) {
    loops_.push_back(Loop{next, exit});
    Statements(body);
    loops_.pop_back();
  }

  void Assign(const Stmt& s) {
    const Expr& target = *s.target;
    bool compound = s.op != TokenKind::kAssign;
    if (target.kind == ExprKind::kName) {
      StoreVar(*target.symbol, [&] {
        if (compound) LoadVar(*target.symbol);
        Expression(*s.expr);
        em_.SetLine(s.line);
        if (compound) em_.Emit(OpFor(s.op));
      });
      return;
    }
    // a[i] op= v  ->  a i dup2 index_get v op index_set
    Expression(*target.left);
    if (target.kind == ExprKind::kIndex) {
      Expression(*target.right);
    } else {
      em_.Emit(Op::kConst, mb_.String(target.text, target.line));
    }
    em_.SetLine(s.line);
    if (compound) {
      em_.Emit(Op::kDup2);
      em_.Emit(Op::kIndexGet);
    }
    Expression(*s.expr);
    em_.SetLine(s.line);
    if (compound) em_.Emit(OpFor(s.op));
    em_.Emit(Op::kIndexSet);
  }

  void ForRange(const Stmt& s) {
    uint16_t counter = s.hidden, end = static_cast<uint16_t>(s.hidden + 1);
    Label head = em_.NewLabel(), next = em_.NewLabel(), exit = em_.NewLabel();
    Expression(*s.expr);
    em_.SetLine(s.line);
    em_.Emit(Op::kStoreLocal, counter);
    Expression(*s.expr2);
    em_.SetLine(s.line);
    em_.Emit(Op::kStoreLocal, end);
    em_.Bind(head);
    em_.Emit(Op::kLoadLocal, counter);
    em_.Emit(Op::kLoadLocal, end);
    em_.Emit(Op::kLt);
    em_.EmitJump(Op::kJumpIfFalse, exit);
    // The variable is a copy of the hidden counter, so the body may reassign it (or a
    // closure may keep it) without disturbing the iteration.
    em_.Emit(Op::kLoadLocal, counter);
    BindNewLocal(*s.symbol);
    LoopBody(s.body, next, exit);
    em_.SetLine(s.line);
    em_.Bind(next);
    em_.Emit(Op::kLoadLocal, counter);
    em_.Emit(Op::kPushInt, 1);
    em_.Emit(Op::kAdd);
    em_.Emit(Op::kStoreLocal, counter);
    em_.EmitJump(Op::kJump, head);
    em_.Bind(exit);
  }

  void ForIn(const Stmt& s) {
    uint16_t container = s.hidden, cursor = static_cast<uint16_t>(s.hidden + 1);
    Label head = em_.NewLabel(), exit = em_.NewLabel();
    Expression(*s.expr);
    em_.SetLine(s.line);
    em_.Emit(Op::kStoreLocal, container);
    em_.Emit(Op::kPushInt, 0);
    em_.Emit(Op::kStoreLocal, cursor);
    bool single = s.symbol2 == nullptr;
    uint16_t is_map = static_cast<uint16_t>(s.hidden + 2);
    if (single) {
      // One variable binds the key for maps and the element otherwise; the container's
      // type is decided once, before the loop.
      em_.Emit(Op::kLoadLocal, container);
      em_.Emit(Op::kCallBuiltin, static_cast<int64_t>(Builtin::kType), 1);
      em_.Emit(Op::kConst, mb_.String("map", s.line));
      em_.Emit(Op::kEq);
      em_.Emit(Op::kStoreLocal, is_map);
    }
    em_.Bind(head);
    em_.EmitIterNext(container, exit);  // pushes key, value
    if (single) {
      Label keep_value = em_.NewLabel(), bind = em_.NewLabel();
      em_.Emit(Op::kLoadLocal, is_map);
      em_.EmitJump(Op::kJumpIfFalse, keep_value);
      em_.Emit(Op::kPop);
      em_.EmitJump(Op::kJump, bind);
      em_.Bind(keep_value);
      em_.Emit(Op::kSwap);
      em_.Emit(Op::kPop);
      em_.Bind(bind);
      BindNewLocal(*s.symbol);
    } else {
      BindNewLocal(*s.symbol2);
      BindNewLocal(*s.symbol);
    }
    LoopBody(s.body, head, exit);
    em_.SetLine(s.line);
    em_.EmitJump(Op::kJump, head);
    em_.Bind(exit);
  }

  // ---- expressions ----

  void PushInt(int64_t v, uint32_t line) {
    if (v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max()) {
      em_.Emit(Op::kPushInt, v);
    } else {
      em_.Emit(Op::kConst, mb_.Int(v, line));
    }
  }

  void PushNumber(const Number& n, uint32_t line) {
    if (const int64_t* i = std::get_if<int64_t>(&n)) {
      PushInt(*i, line);
    } else {
      em_.Emit(Op::kConst, mb_.Float(std::get<double>(n), line));
    }
  }

  void Expression(const Expr& e) {
    em_.SetLine(e.line);
    if (e.kind == ExprKind::kUnary) {
      if (std::optional<Number> folded = FoldConstant(e)) {
        PushNumber(*folded, e.line);
        return;
      }
    }
    switch (e.kind) {
      case ExprKind::kNil: em_.Emit(Op::kPushNil); break;
      case ExprKind::kTrue: em_.Emit(Op::kPushTrue); break;
      case ExprKind::kFalse: em_.Emit(Op::kPushFalse); break;
      case ExprKind::kInt: PushInt(e.int_value, e.line); break;
      case ExprKind::kFloat: em_.Emit(Op::kConst, mb_.Float(e.float_value, e.line)); break;
      case ExprKind::kString: em_.Emit(Op::kConst, mb_.String(e.text, e.line)); break;
      case ExprKind::kName:
        if (e.resolved == Resolved::kFunction) {
          em_.Emit(Op::kPushFunc, e.index);
        } else {
          LoadVar(*e.symbol);
        }
        break;
      case ExprKind::kArray: Array(e); break;
      case ExprKind::kMap: Map(e); break;
      case ExprKind::kFunction: MakeClosure(e.fn->index); break;
      case ExprKind::kUnary:
        Expression(*e.left);
        em_.SetLine(e.line);
        em_.Emit(e.op == TokenKind::kNot ? Op::kNot
                 : e.op == TokenKind::kMinus ? Op::kNeg
                                             : Op::kBitNot);
        break;
      case ExprKind::kBinary: {
        // a op0 b op1 c ...: operands in order, each operator right after its right
        // operand, so the operand stack stays two deep however long the chain. A constant
        // prefix is folded first.
        size_t next = 0;
        if (std::optional<Number> prefix = FoldChainPrefix(e, &next)) {
          PushNumber(*prefix, e.line);
        } else {
          Expression(*e.items[0]);
          next = 1;
        }
        for (; next < e.items.size(); ++next) {
          Expression(*e.items[next]);
          const ChainOp& op = e.ops[next - 1];
          em_.SetLine(op.line);
          em_.Emit(OpFor(op.op));
        }
        break;
      }
      case ExprKind::kAnd:
      case ExprKind::kOr: {
        // Yields the deciding operand: a; dup; jump-if-decided L; pop; b; dup; ...; z; L:
        Label done = em_.NewLabel();
        for (size_t i = 0; i + 1 < e.items.size(); ++i) {
          Expression(*e.items[i]);
          em_.SetLine(e.line);
          em_.Emit(Op::kDup);
          em_.EmitJump(e.kind == ExprKind::kAnd ? Op::kJumpIfFalse : Op::kJumpIfTrue, done);
          em_.Emit(Op::kPop);
        }
        Expression(*e.items.back());
        em_.Bind(done);
        break;
      }
      case ExprKind::kCall: Call(e); break;
      case ExprKind::kIndex:
        Expression(*e.left);
        Expression(*e.right);
        em_.SetLine(e.line);
        em_.Emit(Op::kIndexGet);
        break;
      case ExprKind::kMember:
        if (e.resolved == Resolved::kMathPi) {
          em_.Emit(Op::kConst, mb_.Float(std::numbers::pi, e.line));
        } else if (e.resolved == Resolved::kMathInf) {
          em_.Emit(Op::kConst, mb_.Float(std::numeric_limits<double>::infinity(), e.line));
        } else {
          Expression(*e.left);
          em_.SetLine(e.line);
          em_.Emit(Op::kConst, mb_.String(e.text, e.line));
          em_.Emit(Op::kIndexGet);
        }
        break;
    }
  }

  void Array(const Expr& e) {
    size_t n = e.items.size();
    if (n <= kMaxArrayOnStack) {
      for (const ExprPtr& item : e.items) Expression(*item);
      em_.SetLine(e.line);
      em_.Emit(Op::kNewArray, static_cast<int64_t>(n));
      return;
    }
    em_.Emit(Op::kNewArray, 0);
    for (const ExprPtr& item : e.items) {
      em_.Emit(Op::kDup);
      Expression(*item);
      em_.SetLine(e.line);
      em_.Emit(Op::kArrayPush);
    }
  }

  void Map(const Expr& e) {
    size_t pairs = e.items.size() / 2;
    if (pairs <= kMaxMapPairsOnStack) {
      for (const ExprPtr& item : e.items) Expression(*item);
      em_.SetLine(e.line);
      em_.Emit(Op::kNewMap, static_cast<int64_t>(pairs));
      return;
    }
    em_.Emit(Op::kNewMap, 0);
    for (size_t i = 0; i + 1 < e.items.size(); i += 2) {
      em_.Emit(Op::kDup);
      Expression(*e.items[i]);
      Expression(*e.items[i + 1]);
      em_.SetLine(e.line);
      em_.Emit(Op::kIndexSet);
    }
  }

  void Arguments(const Expr& call) {
    for (const ExprPtr& arg : call.items) Expression(*arg);
    em_.SetLine(call.line);
  }

  void Call(const Expr& e) {
    int64_t argc = static_cast<int64_t>(e.items.size());
    switch (e.resolved) {
      case Resolved::kFunction:
        Arguments(e);
        em_.Emit(Op::kCall, e.index);
        break;
      case Resolved::kImport:
        Arguments(e);
        em_.Emit(Op::kCallHost, e.index, argc);
        break;
      case Resolved::kBuiltin:
        Arguments(e);
        em_.Emit(Op::kCallBuiltin, e.index, argc);
        break;
      case Resolved::kLen:
        Arguments(e);
        em_.Emit(Op::kLen);
        break;
      case Resolved::kPush:
        Arguments(e);
        em_.Emit(Op::kArrayPush);
        em_.Emit(Op::kPushNil);  // every call yields a value
        break;
      case Resolved::kPop:
        Arguments(e);
        em_.Emit(Op::kArrayPop);
        break;
      case Resolved::kSlice:
        Arguments(e);
        em_.Emit(Op::kSlice);
        break;
      case Resolved::kError:
        Arguments(e);
        em_.Emit(Op::kTrap);
        em_.Emit(Op::kPushNil);  // unreachable; keeps "one value per expression" uniform
        break;
      default:
        Expression(*e.left);
        Arguments(e);
        em_.Emit(Op::kCallValue, argc);
        break;
    }
  }

  ModuleBuilder& mb_;
  const Resolution& res_;
  uint32_t index_;
  const FunctionInfo& info_;
  CodeEmitter em_;
  std::vector<Loop> loops_;
};

}  // namespace

void GenerateModule(const Program& program, const Resolution& resolution,
                    std::string_view file_name, Module& out, Diagnostics& diags,
                    CompileMemory* memory) {
  out.source_name = std::string(file_name);
  out.globals = resolution.globals;
  out.imports = resolution.imports;
  for (const Resolution::ExportEntry& e : resolution.exports) {
    out.exports.push_back(Export{e.name, e.function});
  }
  out.start_function = resolution.top_function;
  out.functions.resize(resolution.functions.size());
  ModuleBuilder mb(out, diags, memory);
  for (uint32_t i = 0; i < resolution.functions.size(); ++i) {
    const FunctionInfo& info = resolution.functions[i];
    const StmtList& body = info.lit ? info.lit->body : program.stmts;
    out.functions[i] = FunctionGenerator(mb, resolution, i).Generate(body);
  }
}

}  // namespace trinity::lang
