// Recursive-descent parser for .tri (parser.h). A syntax error throws SyntaxError up to
// the innermost statement loop, which skips to a statement boundary and continues; the
// exception never leaves this file.
#include "lang/parser.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

namespace trinity::lang {
namespace {

struct SyntaxError {};     // already reported; unwind to the statement loop
struct TooManyErrors {};   // the error cap was reached; stop parsing

constexpr uint64_t kInt64Max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

bool IsComparison(TokenKind k) {
  return k == TokenKind::kEq || k == TokenKind::kNe || k == TokenKind::kLt ||
         k == TokenKind::kLe || k == TokenKind::kGt || k == TokenKind::kGe;
}

// Binary precedence levels 5..10 of the spec's table; 0 for other tokens.
int BinaryLevel(TokenKind k) {
  switch (k) {
    case TokenKind::kPipe: return 5;
    case TokenKind::kCaret: return 6;
    case TokenKind::kAmp: return 7;
    case TokenKind::kShl: case TokenKind::kShr: return 8;
    case TokenKind::kPlus: case TokenKind::kMinus: return 9;
    case TokenKind::kStar: case TokenKind::kSlash: case TokenKind::kPercent: return 10;
    default: return 0;
  }
}
constexpr int kLowestBinary = 5;
constexpr int kHighestBinary = 10;

bool IsAssignOp(TokenKind k) {
  switch (k) {
    case TokenKind::kAssign: case TokenKind::kPlusAssign: case TokenKind::kMinusAssign:
    case TokenKind::kStarAssign: case TokenKind::kSlashAssign: case TokenKind::kPercentAssign:
    case TokenKind::kAmpAssign: case TokenKind::kPipeAssign: case TokenKind::kCaretAssign:
    case TokenKind::kShlAssign: case TokenKind::kShrAssign:
      return true;
    default:
      return false;
  }
}

bool StartsStatement(TokenKind k) {
  switch (k) {
    case TokenKind::kLet: case TokenKind::kFn: case TokenKind::kIf: case TokenKind::kWhile:
    case TokenKind::kFor: case TokenKind::kReturn: case TokenKind::kBreak:
    case TokenKind::kContinue: case TokenKind::kImport: case TokenKind::kExport:
      return true;
    default:
      return false;
  }
}

bool StartsExpression(TokenKind k) {
  switch (k) {
    case TokenKind::kIdentifier: case TokenKind::kInt: case TokenKind::kFloat:
    case TokenKind::kString: case TokenKind::kNil: case TokenKind::kTrue:
    case TokenKind::kFalse: case TokenKind::kLParen: case TokenKind::kLBracket:
    case TokenKind::kLBrace: case TokenKind::kMinus: case TokenKind::kTilde:
    case TokenKind::kNot: case TokenKind::kFn: case TokenKind::kError:
      return true;
    default:
      return false;
  }
}

uint32_t HeightOf(const ExprPtr& e) { return e ? e->height : 0; }
uint32_t HeightOf(const StmtList& list) {
  uint32_t h = 0;
  for (const StmtPtr& s : list) h = std::max(h, s->height);
  return h;
}

class Parser {
 public:
  Parser(const std::vector<Token>& tokens, Diagnostics& diags, CompileMemory* memory)
      : toks_(tokens), diags_(diags), memory_(memory) {}

  Program Run() {
    Program program;
    try {
      while (!At(TokenKind::kEof)) StatementInto(program.stmts, /*top_level=*/true);
    } catch (const TooManyErrors&) {
    }
    return program;
  }

 private:
  // Counts recursion so that deeply nested input is an error, not a stack overflow.
  class Nest {
   public:
    explicit Nest(Parser* p) : p_(p) {
      if (++p_->nesting_ > kMaxNesting) {
        --p_->nesting_;
        p_->Fail(p_->Cur(), "nesting too deep (more than " + std::to_string(kMaxNesting) +
                                " levels)");
      }
    }
    ~Nest() { --p_->nesting_; }
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;

   private:
    Parser* p_;
  };

  const Token& Cur() const { return toks_[pos_]; }
  const Token& PeekTok(size_t ahead) const {
    return toks_[std::min(pos_ + ahead, toks_.size() - 1)];
  }
  bool At(TokenKind k) const { return Cur().kind == k; }
  const Token& Advance() {
    const Token& t = toks_[pos_];
    if (pos_ + 1 < toks_.size()) ++pos_;
    return t;
  }
  bool Match(TokenKind k) {
    if (!At(k)) return false;
    Advance();
    return true;
  }

  [[noreturn]] void Fail(const Token& at, std::string message) {
    // A kError token was reported by the lexer; do not pile a parse error on top of it.
    if (at.kind != TokenKind::kError) diags_.Error(at.line, at.col, std::move(message));
    if (diags_.full()) throw TooManyErrors{};
    throw SyntaxError{};
  }
  [[noreturn]] void FailExpected(std::string_view what) {
    Fail(Cur(), "expected " + std::string(what) + ", found " + DescribeToken(Cur()));
  }
  const Token& Expect(TokenKind k, std::string_view context) {
    if (!At(k)) FailExpected("'" + std::string(Spelling(k)) + "' " + std::string(context));
    return Advance();
  }

  void CheckHeight(uint32_t height, uint32_t line, uint32_t col) {
    if (height > kMaxTreeHeight) {
      diags_.Error(line, col, "expression or block nested too deeply (more than " +
                                  std::to_string(kMaxTreeHeight) + " levels)");
      if (diags_.full()) throw TooManyErrors{};
      throw SyntaxError{};
    }
  }
  ExprPtr Seal(ExprPtr e) {
    uint32_t h = std::max(HeightOf(e->left), HeightOf(e->right));
    for (const ExprPtr& item : e->items) h = std::max(h, item->height);
    if (e->fn) h = std::max(h, e->fn->height);
    e->height = h + 1;
    CheckHeight(e->height, e->line, e->col);
    return e;
  }
  StmtPtr Seal(StmtPtr s) {
    uint32_t h = std::max({HeightOf(s->target), HeightOf(s->expr), HeightOf(s->expr2),
                           HeightOf(s->body), HeightOf(s->else_body)});
    for (const IfArm& arm : s->arms) h = std::max({h, HeightOf(arm.cond), HeightOf(arm.body)});
    if (s->fn) h = std::max(h, s->fn->height);
    s->height = h + 1;
    CheckHeight(s->height, s->line, s->col);
    return s;
  }

  // What a node, list entry or string costs the compile budget: its object, the malloc
  // overhead and the spare capacity of the vector that holds it.
  template <typename T>
  void ChargeNode(const Token& at, size_t extra = 0) {
    ChargeTo(memory_, sizeof(T) + 2 * CompileMemory::kAllocationOverhead + extra, at.line, at.col);
  }
  void ChargeString(const Token& at, size_t length) {
    ChargeTo(memory_, StringHeapBytes(length), at.line, at.col);
  }

  ExprPtr NewExpr(ExprKind kind, const Token& at) {
    ChargeNode<Expr>(at);
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->line = at.line;
    e->col = at.col;
    return e;
  }
  StmtPtr NewStmt(StmtKind kind, const Token& at) {
    ChargeNode<Stmt>(at);
    auto s = std::make_unique<Stmt>();
    s->kind = kind;
    s->line = at.line;
    s->col = at.col;
    return s;
  }

  // ---- statements ----

  // Parses one statement into `out`; on a syntax error skips to a statement boundary.
  void StatementInto(StmtList& out, bool top_level) {
    size_t start = pos_;
    try {
      out.push_back(Statement(top_level));
      while (Match(TokenKind::kSemicolon)) {
      }
    } catch (const SyntaxError&) {
      Synchronize(start);
    }
  }

  void Synchronize(size_t start) {
    if (pos_ == start) Advance();  // guarantee progress
    while (!At(TokenKind::kEof)) {
      if (Match(TokenKind::kSemicolon)) return;
      if (At(TokenKind::kRBrace) || StartsStatement(Cur().kind)) return;
      Advance();
    }
  }

  StmtList Block(std::string_view context) {
    Nest nest(this);
    const Token& open = Cur();
    Expect(TokenKind::kLBrace, context);
    StmtList body;
    while (!At(TokenKind::kRBrace)) {
      if (At(TokenKind::kEof)) {
        Fail(Cur(), "expected '}' to close the block opened at line " +
                        std::to_string(open.line) + ", found end of file");
      }
      StatementInto(body, /*top_level=*/false);
    }
    Advance();
    return body;
  }

  StmtPtr Statement(bool top_level) {
    const Token& t = Cur();
    switch (t.kind) {
      case TokenKind::kLet: return Let();
      case TokenKind::kFn:
        if (PeekTok(1).kind == TokenKind::kIdentifier) return FnDecl(/*exported=*/false);
        break;
      case TokenKind::kExport: {
        if (!top_level) Fail(t, "'export' is only allowed at top level");
        Advance();
        if (!At(TokenKind::kFn) || PeekTok(1).kind != TokenKind::kIdentifier) {
          FailExpected("a named 'fn' after 'export'");
        }
        StmtPtr s = FnDecl(/*exported=*/true);
        s->line = t.line;
        s->col = t.col;
        return s;
      }
      case TokenKind::kImport: return Import(top_level);
      case TokenKind::kIf: return If();
      case TokenKind::kWhile: {
        Advance();
        StmtPtr s = NewStmt(StmtKind::kWhile, t);
        s->expr = Expression();
        s->body = Block("after 'while' condition");
        return Seal(std::move(s));
      }
      case TokenKind::kFor: return For();
      case TokenKind::kBreak:
      case TokenKind::kContinue:
        Advance();
        return NewStmt(t.kind == TokenKind::kBreak ? StmtKind::kBreak : StmtKind::kContinue, t);
      case TokenKind::kReturn: {
        Advance();
        StmtPtr s = NewStmt(StmtKind::kReturn, t);
        if (StartsExpression(Cur().kind)) s->expr = Expression();
        return Seal(std::move(s));
      }
      case TokenKind::kLBrace: {
        StmtPtr s = NewStmt(StmtKind::kBlock, t);
        s->body = Block("");
        return Seal(std::move(s));
      }
      default:
        break;
    }
    return ExpressionStatement();
  }

  StmtPtr ExpressionStatement() {
    const Token& start = Cur();
    if (!StartsExpression(start.kind)) FailExpected("a statement");
    ExprPtr e = Expression();
    if (IsAssignOp(Cur().kind)) {
      const Token& op = Advance();
      if (e->kind != ExprKind::kName && e->kind != ExprKind::kIndex &&
          e->kind != ExprKind::kMember) {
        Fail(start, "invalid assignment target: only a name, 'a[i]' or 'm.k' can be assigned");
      }
      StmtPtr s = NewStmt(StmtKind::kAssign, start);
      s->op = op.kind;
      s->target = std::move(e);
      s->expr = Expression();
      return Seal(std::move(s));
    }
    StmtPtr s = NewStmt(StmtKind::kExpr, start);
    s->expr = std::move(e);
    return Seal(std::move(s));
  }

  StmtPtr Let() {
    const Token& t = Advance();
    StmtPtr s = NewStmt(StmtKind::kLet, t);
    if (!At(TokenKind::kIdentifier)) FailExpected("a variable name after 'let'");
    const Token& name = Advance();
    ChargeString(name, name.text.size());
    s->name = std::string(name.text);
    s->name_line = name.line;
    s->name_col = name.col;
    if (Match(TokenKind::kAssign)) s->expr = Expression();
    return Seal(std::move(s));
  }

  std::vector<Param> Params(std::string_view fn_name) {
    Expect(TokenKind::kLParen, "before parameters");
    std::vector<Param> params;
    while (!At(TokenKind::kRParen)) {
      if (!At(TokenKind::kIdentifier)) FailExpected("a parameter name");
      const Token& p = Advance();
      ChargeNode<Param>(p, StringHeapBytes(p.text.size()));
      params.push_back(Param{std::string(p.text), p.line, p.col});
      if (params.size() > 255) Fail(p, "too many parameters (at most 255)");
      if (!Match(TokenKind::kComma)) break;
    }
    Expect(TokenKind::kRParen, "after parameters");
    return params;
  }

  std::unique_ptr<FunctionLit> FunctionRest(const Token& at, std::string name) {
    ChargeNode<FunctionLit>(at, StringHeapBytes(name.size()));
    auto fn = std::make_unique<FunctionLit>();
    fn->name = std::move(name);
    fn->line = at.line;
    fn->col = at.col;
    fn->params = Params(fn->name);
    fn->body = Block("to start the function body");
    fn->height = HeightOf(fn->body) + 1;
    CheckHeight(fn->height, at.line, at.col);
    return fn;
  }

  StmtPtr FnDecl(bool exported) {
    const Token& t = Advance();  // fn
    const Token& name = Advance();
    StmtPtr s = NewStmt(StmtKind::kFn, t);
    s->exported = exported;
    ChargeString(name, name.text.size());
    s->name = std::string(name.text);
    s->name_line = name.line;
    s->name_col = name.col;
    s->fn = FunctionRest(t, s->name);
    return Seal(std::move(s));
  }

  StmtPtr Import(bool top_level) {
    const Token& t = Advance();
    if (!top_level) Fail(t, "'import' is only allowed at top level");
    Expect(TokenKind::kFn, "after 'import'");
    if (!At(TokenKind::kIdentifier)) FailExpected("a function name after 'import fn'");
    const Token& name = Advance();
    StmtPtr s = NewStmt(StmtKind::kImport, t);
    ChargeString(name, name.text.size());
    s->name = std::string(name.text);
    s->name_line = name.line;
    s->name_col = name.col;
    s->params = Params(s->name);
    return Seal(std::move(s));
  }

  // `if a {} else if b {} else {}` is one statement with an arm per condition: however
  // long the chain, it is not nesting, and nothing walks it recursively.
  StmtPtr If() {
    StmtPtr s = NewStmt(StmtKind::kIf, Cur());
    for (;;) {
      const Token& keyword = Advance();  // if
      ChargeNode<IfArm>(keyword);
      IfArm arm;
      arm.line = keyword.line;
      arm.col = keyword.col;
      arm.cond = Expression();
      arm.body = Block("after 'if' condition");
      s->arms.push_back(std::move(arm));
      if (!Match(TokenKind::kElse)) break;
      if (!At(TokenKind::kIf)) {
        s->else_body = Block("after 'else'");
        break;
      }
    }
    return Seal(std::move(s));
  }

  StmtPtr For() {
    const Token& t = Advance();
    if (!At(TokenKind::kIdentifier)) FailExpected("a loop variable name after 'for'");
    const Token& name = Advance();
    StmtPtr s = NewStmt(StmtKind::kForIn, t);
    ChargeString(name, name.text.size());
    s->name = std::string(name.text);
    s->name_line = name.line;
    s->name_col = name.col;
    bool two = false;
    if (Match(TokenKind::kComma)) {
      if (!At(TokenKind::kIdentifier)) FailExpected("a second loop variable name after ','");
      const Token& name2 = Advance();
      ChargeString(name2, name2.text.size());
      s->name2 = std::string(name2.text);
      s->name2_line = name2.line;
      s->name2_col = name2.col;
      two = true;
    }
    Expect(TokenKind::kIn, "after loop variables");
    s->expr = Expression();
    if (At(TokenKind::kDotDot)) {
      const Token& dots = Advance();
      if (two) Fail(dots, "a range loop 'for i in a..b' takes one variable");
      s->kind = StmtKind::kForRange;
      s->expr2 = Expression();
    }
    s->body = Block("to start the loop body");
    return Seal(std::move(s));
  }

  // ---- expressions ----

  ExprPtr Expression() {
    Nest nest(this);
    return Or();
  }

  // `a or b or c` and `a and b and c` are flat nodes with one operand each (ast.h).
  ExprPtr Or() {
    ExprPtr first = And();
    if (!At(TokenKind::kOr)) return first;
    ExprPtr e = NewExpr(ExprKind::kOr, Cur());
    e->items.push_back(std::move(first));
    while (Match(TokenKind::kOr)) e->items.push_back(And());
    return Seal(std::move(e));
  }

  ExprPtr And() {
    ExprPtr first = Not();
    if (!At(TokenKind::kAnd)) return first;
    ExprPtr e = NewExpr(ExprKind::kAnd, Cur());
    e->items.push_back(std::move(first));
    while (Match(TokenKind::kAnd)) e->items.push_back(Not());
    return Seal(std::move(e));
  }

  ExprPtr Not() {
    if (!At(TokenKind::kNot)) return Comparison();
    Nest nest(this);
    ExprPtr e = NewExpr(ExprKind::kUnary, Advance());
    e->op = TokenKind::kNot;
    e->left = Not();
    return Seal(std::move(e));
  }

  ExprPtr Comparison() {
    ExprPtr left = Binary(kLowestBinary);
    if (!IsComparison(Cur().kind)) return left;
    ExprPtr e = NewExpr(ExprKind::kBinary, Cur());
    const Token& op = Advance();
    ChargeNode<ChainOp>(op);
    e->ops.push_back(ChainOp{op.kind, op.line, op.col});
    e->items.push_back(std::move(left));
    e->items.push_back(Binary(kLowestBinary));
    if (IsComparison(Cur().kind)) {
      Fail(Cur(), "comparison operators cannot be chained: " + DescribeToken(Cur()) +
                      " after a comparison; combine them with 'and'");
    }
    return Seal(std::move(e));
  }

  // Operators of one precedence level, left-associative: `a - b + c` becomes one chain
  // node with operands a, b, c (ast.h). Recursion here is one call per level, never per
  // operator.
  ExprPtr Binary(int level) {
    auto operand = [this, level] { return level == kHighestBinary ? Unary() : Binary(level + 1); };
    ExprPtr first = operand();
    if (BinaryLevel(Cur().kind) != level) return first;
    ExprPtr e = NewExpr(ExprKind::kBinary, Cur());
    e->items.push_back(std::move(first));
    while (BinaryLevel(Cur().kind) == level) {
      const Token& op = Advance();
      ChargeNode<ChainOp>(op);
      e->ops.push_back(ChainOp{op.kind, op.line, op.col});
      e->items.push_back(operand());
    }
    return Seal(std::move(e));
  }

  bool ContinuesPostfix(const Token& t) const {
    return t.kind == TokenKind::kDot ||
           ((t.kind == TokenKind::kLParen || t.kind == TokenKind::kLBracket) &&
            !t.newline_before);
  }

  ExprPtr Unary() {
    if (!At(TokenKind::kMinus) && !At(TokenKind::kTilde)) return Postfix();
    Nest nest(this);
    const Token& op = Advance();
    // `-<int literal>` is one literal, so -9223372036854775808 is representable.
    if (op.kind == TokenKind::kMinus && At(TokenKind::kInt) && !ContinuesPostfix(PeekTok(1))) {
      const Token& lit = Advance();
      if (lit.int_value > kInt64Max + 1) Fail(lit, "integer literal out of range");
      ExprPtr e = NewExpr(ExprKind::kInt, op);
      e->int_value = static_cast<int64_t>(uint64_t{0} - lit.int_value);
      return e;
    }
    ExprPtr e = NewExpr(ExprKind::kUnary, op);
    e->op = op.kind;
    e->left = Unary();
    return Seal(std::move(e));
  }

  ExprPtr Postfix() {
    ExprPtr left = Primary();
    while (ContinuesPostfix(Cur())) {
      const Token& t = Advance();
      ExprPtr e;
      if (t.kind == TokenKind::kLParen) {
        e = NewExpr(ExprKind::kCall, t);
        e->left = std::move(left);
        while (!At(TokenKind::kRParen)) {
          e->items.push_back(Expression());
          if (!Match(TokenKind::kComma)) break;
        }
        if (!At(TokenKind::kRParen)) FailExpected("')' after arguments");
        Advance();
      } else if (t.kind == TokenKind::kLBracket) {
        e = NewExpr(ExprKind::kIndex, t);
        e->left = std::move(left);
        e->right = Expression();
        Expect(TokenKind::kRBracket, "after index");
      } else {
        if (!At(TokenKind::kIdentifier)) FailExpected("a field name after '.'");
        e = NewExpr(ExprKind::kMember, t);
        e->left = std::move(left);
        ChargeString(Cur(), Cur().text.size());
        e->text = std::string(Advance().text);
      }
      left = Seal(std::move(e));
    }
    return left;
  }

  ExprPtr Primary() {
    const Token& t = Cur();
    switch (t.kind) {
      case TokenKind::kInt: {
        Advance();
        if (t.int_value > kInt64Max) Fail(t, "integer literal out of range");
        ExprPtr e = NewExpr(ExprKind::kInt, t);
        e->int_value = static_cast<int64_t>(t.int_value);
        return e;
      }
      case TokenKind::kFloat: {
        Advance();
        ExprPtr e = NewExpr(ExprKind::kFloat, t);
        e->float_value = t.float_value;
        return e;
      }
      case TokenKind::kString: {
        Advance();
        ExprPtr e = NewExpr(ExprKind::kString, t);
        ChargeString(t, t.string_value.size());
        e->text = t.string_value;
        return e;
      }
      case TokenKind::kNil: Advance(); return NewExpr(ExprKind::kNil, t);
      case TokenKind::kTrue: Advance(); return NewExpr(ExprKind::kTrue, t);
      case TokenKind::kFalse: Advance(); return NewExpr(ExprKind::kFalse, t);
      case TokenKind::kIdentifier: {
        Advance();
        ExprPtr e = NewExpr(ExprKind::kName, t);
        ChargeString(t, t.text.size());
        e->text = std::string(t.text);
        return e;
      }
      case TokenKind::kLParen: {
        Nest nest(this);
        Advance();
        ExprPtr e = Expression();
        Expect(TokenKind::kRParen, "after expression");
        return e;
      }
      case TokenKind::kLBracket: {
        Nest nest(this);
        ExprPtr e = NewExpr(ExprKind::kArray, Advance());
        while (!At(TokenKind::kRBracket)) {
          e->items.push_back(Expression());
          if (!Match(TokenKind::kComma)) break;
        }
        if (!At(TokenKind::kRBracket)) FailExpected("',' or ']' in array literal");
        Advance();
        return Seal(std::move(e));
      }
      case TokenKind::kLBrace: {
        Nest nest(this);
        ExprPtr e = NewExpr(ExprKind::kMap, Advance());
        while (!At(TokenKind::kRBrace)) {
          e->items.push_back(Expression());
          Expect(TokenKind::kColon, "after map key");
          e->items.push_back(Expression());
          if (!Match(TokenKind::kComma)) break;
        }
        if (!At(TokenKind::kRBrace)) FailExpected("',' or '}' in map literal");
        Advance();
        return Seal(std::move(e));
      }
      case TokenKind::kFn: {
        Nest nest(this);
        Advance();
        if (At(TokenKind::kIdentifier)) {
          Fail(Cur(), "a function expression has no name: write 'fn (...)' or declare "
                      "'fn " + std::string(Cur().text) + "(...)' as a statement");
        }
        ExprPtr e = NewExpr(ExprKind::kFunction, t);
        e->fn = FunctionRest(t, "");
        return Seal(std::move(e));
      }
      default:
        FailExpected("an expression");
    }
  }

  const std::vector<Token>& toks_;
  Diagnostics& diags_;
  CompileMemory* memory_;
  size_t pos_ = 0;
  int nesting_ = 0;
};

}  // namespace

Program Parse(const std::vector<Token>& tokens, Diagnostics& diags, CompileMemory* memory) {
  return Parser(tokens, diags, memory).Run();
}

}  // namespace trinity::lang
