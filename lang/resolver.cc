// Scope analysis (resolver.h). One walk over the tree with a stack of scopes; the module
// scope at the bottom holds globals, top-level functions and imports, all declared up
// front so functions are hoisted. A local used from an inner function becomes a capture
// of every function between the two, which is how transitive capture works.
#include "lang/resolver.h"

#include <string>
#include <unordered_map>
#include <utility>

#include "runtime/builtins.h"
#include "runtime/module.h"

namespace trinity::lang {
namespace {

// Builtins compiled to their own opcode rather than call_builtin.
struct OpcodeBuiltin {
  std::string_view name;
  Resolved resolved;
  int args;
};
// Function indices stay below the loader's table cap.
constexpr size_t kFunctionLimit = kMaxFunctions - 1;

constexpr OpcodeBuiltin kOpcodeBuiltins[] = {
    {"len", Resolved::kLen, 1},     {"push", Resolved::kPush, 2},
    {"pop", Resolved::kPop, 1},     {"slice", Resolved::kSlice, 3},
    {"error", Resolved::kError, 1},
};

const OpcodeBuiltin* FindOpcodeBuiltin(std::string_view name) {
  for (const OpcodeBuiltin& b : kOpcodeBuiltins) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

bool IsBuiltinName(std::string_view name) {
  return FindOpcodeBuiltin(name) != nullptr || BuiltinFromName(name).has_value();
}

std::string Plural(int n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

std::string ArgCountMessage(std::string_view what, std::string_view name, int lo, int hi,
                            size_t got) {
  std::string expected = lo == hi ? Plural(lo, "argument")
                                  : std::to_string(lo) + " to " + Plural(hi, "argument");
  return std::string(what) + " '" + std::string(name) + "' takes " + expected + ", got " +
         std::to_string(got);
}

class Resolver {
 public:
  Resolver(Resolution& res, Diagnostics& diags, CompileMemory* memory)
      : res_(res), diags_(diags), memory_(memory) {}

  void Run(Program& program) {
    scopes_.push_back(Scope{{}, kNoParent, 0});
    DeclareModuleNames(program);
    if (res_.functions.size() >= kFunctionLimit) {
      diags_.Error(1, 1, "too many functions (at most " + std::to_string(kFunctionLimit) + ")");
      return;
    }
    res_.top_function = NewFunction("<top>", 1, 1, 0, kNoParent, nullptr);
    current_ = res_.top_function;
    for (StmtPtr& s : program.stmts) Statement(*s);
    for (const FunctionInfo& f : res_.functions) {
      if (f.captures.size() > 255) {
        diags_.Error(f.line, f.col, "function captures too many variables (" +
                                        std::to_string(f.captures.size()) + ", at most 255)");
      }
    }
  }

 private:
  struct Scope {
    std::unordered_map<std::string, Symbol*> names;
    uint32_t function;   // owning function; kNoParent for the module scope
    uint32_t slot_base;  // the owner's next_slot when the scope opened
  };

  Symbol* NewSymbol(Symbol::Kind kind, std::string name) {
    Symbol& s = res_.symbols.emplace_back();
    s.kind = kind;
    s.name = std::move(name);
    return &s;
  }

  uint32_t NewFunction(std::string name, uint32_t line, uint32_t col, uint16_t arity,
                       uint32_t parent, const FunctionLit* lit) {
    ChargeTo(memory_, 2 * sizeof(FunctionInfo) + StringHeapBytes(name.size()), line, col);
    FunctionInfo& f = res_.functions.emplace_back();
    f.name = std::move(name);
    f.line = line;
    f.col = col;
    f.arity = arity;
    f.parent = parent;
    f.lit = lit;
    return static_cast<uint32_t>(res_.functions.size() - 1);
  }

  // Adds `name` to the innermost scope; false (and an error) if it is already there.
  bool DeclareIn(Scope& scope, Symbol* sym, uint32_t line, uint32_t col) {
    // The symbol, its name (twice: symbol and scope key) and the scope's hash node.
    constexpr size_t kHashNode = 64;
    ChargeTo(memory_, sizeof(Symbol) + kHashNode + 2 * StringHeapBytes(sym->name.size()), line, col);
    auto [it, inserted] = scope.names.emplace(sym->name, sym);
    if (!inserted) {
      diags_.Error(line, col, "duplicate declaration of '" + sym->name + "' in the same scope");
    }
    return inserted;
  }

  void DeclareModuleNames(Program& program) {
    Scope& module = scopes_[0];
    for (StmtPtr& sp : program.stmts) {
      Stmt& s = *sp;
      if (s.kind == StmtKind::kFn) {
        Symbol* sym = NewSymbol(Symbol::Kind::kFunction, s.name);
        sym->arity = static_cast<uint16_t>(s.fn->params.size());
        if (!DeclareIn(module, sym, s.name_line, s.name_col)) continue;
        if (res_.functions.size() >= kFunctionLimit) continue;  // reported by Run()
        sym->index = NewFunction(s.name, s.fn->line, s.fn->col, sym->arity, kNoParent, s.fn.get());
        s.fn->index = sym->index;
        s.symbol = sym;
        if (s.exported) {
          for (const auto& e : res_.exports) {
            if (e.name == s.name) diags_.Error(s.line, s.col, "duplicate export '" + s.name + "'");
          }
          res_.exports.push_back({s.name, sym->index});
        }
      } else if (s.kind == StmtKind::kImport) {
        Symbol* sym = NewSymbol(Symbol::Kind::kImport, s.name);
        sym->arity = static_cast<uint16_t>(s.params.size());
        if (!DeclareIn(module, sym, s.name_line, s.name_col)) continue;
        if (res_.imports.size() >= kMaxImports) {
          diags_.Error(s.line, s.col, "too many imports (at most " + std::to_string(kMaxImports) + ")");
          continue;
        }
        sym->index = static_cast<uint32_t>(res_.imports.size());
        res_.imports.push_back(s.name);
        s.symbol = sym;
      } else if (s.kind == StmtKind::kLet) {
        Symbol* sym = NewSymbol(Symbol::Kind::kGlobal, s.name);
        sym->declared = false;
        if (!DeclareIn(module, sym, s.name_line, s.name_col)) continue;
        if (res_.globals.size() >= kMaxGlobals) {
          diags_.Error(s.line, s.col, "too many globals (at most " + std::to_string(kMaxGlobals) + ")");
          continue;
        }
        sym->index = static_cast<uint32_t>(res_.globals.size());
        res_.globals.push_back(s.name);
        s.symbol = sym;
      }
    }
  }

  // ---- scopes and slots ----

  void PushScope() {
    scopes_.push_back(Scope{{}, current_, res_.functions[current_].next_slot});
  }
  void PopScope() {
    res_.functions[current_].next_slot = scopes_.back().slot_base;
    scopes_.pop_back();
  }

  // Slots are reused once their scope closes; num_locals keeps the high-water mark.
  uint16_t AllocSlot(uint32_t line, uint32_t col) {
    FunctionInfo& f = res_.functions[current_];
    if (f.next_slot >= kMaxLocalSlots) {
      if (!too_many_locals_reported_) {
        diags_.Error(line, col, "too many local variables in function '" + f.name +
                                    "' (at most " + std::to_string(kMaxLocalSlots) + ")");
        too_many_locals_reported_ = true;
      }
      return 0;
    }
    uint16_t slot = static_cast<uint16_t>(f.next_slot++);
    if (f.next_slot > f.num_locals) f.num_locals = f.next_slot;
    return slot;
  }

  Symbol* DeclareLocal(const std::string& name, uint32_t line, uint32_t col) {
    Symbol* sym = NewSymbol(Symbol::Kind::kLocal, name);
    sym->owner = current_;
    sym->slot = AllocSlot(line, col);
    DeclareIn(scopes_.back(), sym, line, col);
    return sym;
  }

  uint16_t CaptureIndex(uint32_t function, Symbol* sym) {
    {
      const FunctionInfo& f = res_.functions[function];
      for (size_t i = 0; i < f.capture_symbols.size(); ++i) {
        if (f.capture_symbols[i] == sym) return static_cast<uint16_t>(i);
      }
    }
    uint32_t parent = res_.functions[function].parent;
    CaptureSource source{true, sym->slot};
    if (parent != sym->owner) source = CaptureSource{false, CaptureIndex(parent, sym)};
    FunctionInfo& f = res_.functions[function];
    f.captures.push_back(source);
    f.capture_symbols.push_back(sym);
    sym->captured = true;
    return static_cast<uint16_t>(f.captures.size() - 1);
  }

  Symbol* Lookup(const std::string& name) {
    for (size_t i = scopes_.size(); i-- > 0;) {
      auto it = scopes_[i].names.find(name);
      if (it == scopes_[i].names.end()) continue;
      Symbol* sym = it->second;
      if (sym->kind == Symbol::Kind::kLocal && sym->owner != current_) CaptureIndex(current_, sym);
      return sym;
    }
    return nullptr;
  }

  // Lookup plus the top-level rule: code in "<top>" sees a global only after its `let`.
  Symbol* LookupUse(const std::string& name, uint32_t line, uint32_t col, bool* reported) {
    Symbol* sym = Lookup(name);
    *reported = false;
    if (sym && sym->kind == Symbol::Kind::kGlobal && !sym->declared &&
        current_ == res_.top_function) {
      diags_.Error(line, col, "'" + name + "' is used before its declaration");
      *reported = true;
      return nullptr;
    }
    return sym;
  }

  // ---- functions ----

  void FunctionBody(FunctionLit& fn, uint32_t index) {
    uint32_t saved_function = current_;
    int saved_loops = loop_depth_;
    current_ = index;
    loop_depth_ = 0;
    PushScope();
    for (const Param& p : fn.params) fn.param_symbols.push_back(DeclareLocal(p.name, p.line, p.col));
    for (StmtPtr& s : fn.body) Statement(*s);
    PopScope();
    current_ = saved_function;
    loop_depth_ = saved_loops;
  }

  // A function nested in the current one (a closure): numbered now, body resolved now.
  bool NestedFunction(FunctionLit& fn) {
    if (res_.functions.size() >= kFunctionLimit) {
      diags_.Error(fn.line, fn.col, "too many functions (at most " + std::to_string(kFunctionLimit) + ")");
      return false;
    }
    std::string name = fn.name.empty() ? "<anonymous>" : fn.name;
    fn.index = NewFunction(name, fn.line, fn.col, static_cast<uint16_t>(fn.params.size()),
                           current_, &fn);
    FunctionBody(fn, fn.index);
    return true;
  }

  // ---- statements ----

  void Block(StmtList& body) {
    PushScope();
    for (StmtPtr& s : body) Statement(*s);
    PopScope();
  }

  bool AtModuleScope() const { return scopes_.size() == 1; }

  void Statement(Stmt& s) {
    switch (s.kind) {
      case StmtKind::kExpr:
        Expression(*s.expr);
        break;
      case StmtKind::kLet:
        if (s.expr) Expression(*s.expr);
        if (AtModuleScope()) {
          if (s.symbol) s.symbol->declared = true;
        } else {
          s.symbol = DeclareLocal(s.name, s.name_line, s.name_col);
        }
        break;
      case StmtKind::kAssign:
        AssignTarget(*s.target);
        Expression(*s.expr);
        break;
      case StmtKind::kFn:
        if (AtModuleScope()) {
          if (s.symbol) FunctionBody(*s.fn, s.symbol->index);
        } else {
          // Declared before the body so the function can call itself.
          s.symbol = DeclareLocal(s.name, s.name_line, s.name_col);
          s.symbol->is_function = true;
          NestedFunction(*s.fn);
        }
        break;
      case StmtKind::kImport:
        break;
      case StmtKind::kIf:
        for (IfArm& arm : s.arms) {
          Expression(*arm.cond);
          Block(arm.body);
        }
        Block(s.else_body);
        break;
      case StmtKind::kWhile:
        Expression(*s.expr);
        ++loop_depth_;
        Block(s.body);
        --loop_depth_;
        break;
      case StmtKind::kForRange:
      case StmtKind::kForIn: {
        Expression(*s.expr);
        if (s.expr2) Expression(*s.expr2);
        PushScope();
        // Range: counter, end. Collection: container, cursor (adjacent, as iter_next
        // wants), and for the one-variable form the "is a map" flag.
        s.hidden = AllocSlot(s.line, s.col);
        AllocSlot(s.line, s.col);
        if (s.kind == StmtKind::kForIn && s.name2.empty()) AllocSlot(s.line, s.col);
        s.symbol = DeclareLocal(s.name, s.name_line, s.name_col);
        if (!s.name2.empty()) s.symbol2 = DeclareLocal(s.name2, s.name2_line, s.name2_col);
        ++loop_depth_;
        Block(s.body);
        --loop_depth_;
        PopScope();
        break;
      }
      case StmtKind::kBreak:
      case StmtKind::kContinue:
        if (loop_depth_ == 0) {
          diags_.Error(s.line, s.col, std::string(s.kind == StmtKind::kBreak ? "'break'" : "'continue'") +
                                          " outside a loop");
        }
        break;
      case StmtKind::kReturn:
        if (current_ == res_.top_function) diags_.Error(s.line, s.col, "'return' outside a function");
        if (s.expr) Expression(*s.expr);
        break;
      case StmtKind::kBlock:
        Block(s.body);
        break;
    }
  }

  void AssignTarget(Expr& target) {
    if (target.kind == ExprKind::kMember && IsMathNamespace(*target.left)) {
      // math.pi and friends are constants and built-ins, not fields of a variable.
      diags_.Error(target.line, target.col, "cannot assign to builtin 'math." + target.text + "'");
      return;
    }
    if (target.kind != ExprKind::kName) {
      Expression(target);
      return;
    }
    bool reported = false;
    Symbol* sym = LookupUse(target.text, target.line, target.col, &reported);
    if (reported) return;
    if (!sym) {
      if (IsBuiltinName(target.text)) {
        diags_.Error(target.line, target.col, "cannot assign to builtin '" + target.text + "'");
      } else {
        diags_.Error(target.line, target.col, "undeclared name '" + target.text + "'");
      }
      return;
    }
    if (sym->kind == Symbol::Kind::kFunction || sym->is_function) {
      diags_.Error(target.line, target.col, "cannot assign to function '" + target.text + "'");
      return;
    }
    if (sym->kind == Symbol::Kind::kImport) {
      diags_.Error(target.line, target.col, "cannot assign to import '" + target.text + "'");
      return;
    }
    target.resolved = Resolved::kValue;
    target.symbol = sym;
  }

  // ---- expressions ----

  // `math` names the builtin namespace only when no variable called `math` is in scope.
  bool IsMathNamespace(const Expr& e) {
    if (e.kind != ExprKind::kName || e.text != "math") return false;
    for (size_t i = scopes_.size(); i-- > 0;) {
      if (scopes_[i].names.count("math")) return false;
    }
    return true;
  }

  void Name(Expr& e) {
    bool reported = false;
    Symbol* sym = LookupUse(e.text, e.line, e.col, &reported);
    if (reported) return;
    if (!sym) {
      if (IsBuiltinName(e.text)) {
        diags_.Error(e.line, e.col, "builtin '" + e.text + "' cannot be used as a value; call it");
      } else {
        diags_.Error(e.line, e.col, "undeclared name '" + e.text + "'");
      }
      return;
    }
    switch (sym->kind) {
      case Symbol::Kind::kLocal:
      case Symbol::Kind::kGlobal:
        e.resolved = Resolved::kValue;
        e.symbol = sym;
        break;
      case Symbol::Kind::kFunction:
        e.resolved = Resolved::kFunction;
        e.index = sym->index;
        break;
      case Symbol::Kind::kImport:
        diags_.Error(e.line, e.col, "import '" + e.text + "' cannot be used as a value; call it");
        break;
    }
  }

  void Member(Expr& e) {
    if (!IsMathNamespace(*e.left)) {
      Expression(*e.left);
      return;
    }
    if (e.text == "pi") {
      e.resolved = Resolved::kMathPi;
    } else if (e.text == "inf") {
      e.resolved = Resolved::kMathInf;
    } else if (BuiltinFromName("math." + e.text)) {
      diags_.Error(e.line, e.col, "builtin 'math." + e.text + "' cannot be used as a value; call it");
    } else {
      diags_.Error(e.line, e.col, "unknown builtin 'math." + e.text + "'");
    }
  }

  void Call(Expr& e) {
    for (ExprPtr& arg : e.items) Expression(*arg);
    size_t argc = e.items.size();
    if (argc > 255) {
      diags_.Error(e.line, e.col, "too many arguments (" + std::to_string(argc) + ", at most 255)");
      return;
    }
    Expr& callee = *e.left;
    std::string builtin_name;
    if (callee.kind == ExprKind::kName) {
      bool reported = false;
      Symbol* sym = LookupUse(callee.text, callee.line, callee.col, &reported);
      if (reported) return;
      if (sym && sym->kind == Symbol::Kind::kFunction) {
        if (argc != sym->arity) {
          diags_.Error(e.line, e.col, ArgCountMessage("function", sym->name, sym->arity, sym->arity, argc));
        }
        e.resolved = Resolved::kFunction;
        e.index = sym->index;
        return;
      }
      if (sym && sym->kind == Symbol::Kind::kImport) {
        if (argc != sym->arity) {
          diags_.Error(e.line, e.col, ArgCountMessage("import", sym->name, sym->arity, sym->arity, argc));
        }
        e.resolved = Resolved::kImport;
        e.index = sym->index;
        return;
      }
      if (!sym && IsBuiltinName(callee.text)) builtin_name = callee.text;
    } else if (callee.kind == ExprKind::kMember && IsMathNamespace(*callee.left)) {
      builtin_name = "math." + callee.text;
      if (!BuiltinFromName(builtin_name)) {
        diags_.Error(callee.line, callee.col, "unknown builtin '" + builtin_name + "'");
        return;
      }
    }
    if (builtin_name.empty()) {
      Expression(callee);
      e.resolved = Resolved::kValue;
      return;
    }
    if (const OpcodeBuiltin* op = FindOpcodeBuiltin(builtin_name)) {
      if (static_cast<int>(argc) != op->args) {
        diags_.Error(e.line, e.col, ArgCountMessage("builtin", builtin_name, op->args, op->args, argc));
      }
      e.resolved = op->resolved;
      return;
    }
    Builtin id = *BuiltinFromName(builtin_name);
    const BuiltinInfo& info = kBuiltinInfo[static_cast<int>(id)];
    if (static_cast<int>(argc) < info.min_args || static_cast<int>(argc) > info.max_args) {
      diags_.Error(e.line, e.col,
                   ArgCountMessage("builtin", builtin_name, info.min_args, info.max_args, argc));
    }
    e.resolved = Resolved::kBuiltin;
    e.index = static_cast<uint32_t>(id);
  }

  void Expression(Expr& e) {
    switch (e.kind) {
      case ExprKind::kName: Name(e); break;
      case ExprKind::kMember: Member(e); break;
      case ExprKind::kCall: Call(e); break;
      case ExprKind::kFunction: NestedFunction(*e.fn); break;
      default:
        if (e.left) Expression(*e.left);
        if (e.right) Expression(*e.right);
        for (ExprPtr& item : e.items) Expression(*item);
        break;
    }
  }

  Resolution& res_;
  Diagnostics& diags_;
  CompileMemory* memory_;
  std::vector<Scope> scopes_;
  uint32_t current_ = 0;
  int loop_depth_ = 0;
  bool too_many_locals_reported_ = false;
};

}  // namespace

uint16_t Resolution::CaptureIndexOf(uint32_t function, const Symbol* symbol) const {
  const FunctionInfo& f = functions[function];
  for (size_t i = 0; i < f.capture_symbols.size(); ++i) {
    if (f.capture_symbols[i] == symbol) return static_cast<uint16_t>(i);
  }
  return 0;  // unreachable for a resolved program
}

void Resolve(Program& program, Resolution& out, Diagnostics& diags, CompileMemory* memory) {
  Resolver(out, diags, memory).Run(program);
}

}  // namespace trinity::lang
