// Tests for lang/parser: precedence and associativity (checked through an S-expression
// rendering of the tree), statement forms, the newline rule, error messages with
// positions, recovery at statement boundaries and the nesting limit.
#include "lang/parser.h"

#include <gtest/gtest.h>

#include <string>

#include "lang/lexer.h"

namespace trinity::lang {
namespace {

std::string Show(const Expr& e);

std::string ShowList(const std::vector<ExprPtr>& items) {
  std::string s;
  for (const ExprPtr& i : items) s += " " + Show(*i);
  return s;
}

std::string Show(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kNil: return "nil";
    case ExprKind::kTrue: return "true";
    case ExprKind::kFalse: return "false";
    case ExprKind::kInt: return std::to_string(e.int_value);
    case ExprKind::kFloat: return "f" + std::to_string(e.float_value);
    case ExprKind::kString: return "\"" + e.text + "\"";
    case ExprKind::kName: return e.text;
    case ExprKind::kArray: return "[" + ShowList(e.items) + "]";
    case ExprKind::kMap: return "{" + ShowList(e.items) + "}";
    case ExprKind::kFunction: return "(fn " + std::to_string(e.fn->params.size()) + ")";
    case ExprKind::kUnary: return "(" + std::string(Spelling(e.op)) + " " + Show(*e.left) + ")";
    case ExprKind::kBinary:
    case ExprKind::kAnd:
    case ExprKind::kOr: {
      // Chains are flat nodes; shown as the left-associative tree they evaluate as.
      std::string s = Show(*e.items[0]);
      for (size_t i = 1; i < e.items.size(); ++i) {
        std::string_view op = e.kind == ExprKind::kAnd  ? "and"
                              : e.kind == ExprKind::kOr ? "or"
                                                        : Spelling(e.ops[i - 1].op);
        s = "(" + std::string(op) + " " + s + " " + Show(*e.items[i]) + ")";
      }
      return s;
    }
    case ExprKind::kCall: return "(call " + Show(*e.left) + ShowList(e.items) + ")";
    case ExprKind::kIndex: return "(index " + Show(*e.left) + " " + Show(*e.right) + ")";
    case ExprKind::kMember: return "(. " + Show(*e.left) + " " + e.text + ")";
  }
  return "?";
}

struct Parsed {
  Program program;
  std::vector<CompileError> errors;
};

Parsed ParseAll(std::string_view src) {
  Diagnostics diags("p.tri");
  std::vector<Token> tokens = Lex(src, diags);
  Parsed p;
  p.program = Parse(tokens, diags);
  p.errors = diags.Take();
  return p;
}

std::string ExprOf(std::string_view src) {
  Parsed p = ParseAll(src);
  EXPECT_TRUE(p.errors.empty()) << src << ": " << (p.errors.empty() ? "" : p.errors[0].message);
  if (p.program.stmts.size() != 1 || p.program.stmts[0]->kind != StmtKind::kExpr) return "<not expr>";
  return Show(*p.program.stmts[0]->expr);
}

TEST(ParserTest, Precedence) {
  EXPECT_EQ(ExprOf("1 + 2 * 3"), "(+ 1 (* 2 3))");
  EXPECT_EQ(ExprOf("1 - 2 - 3"), "(- (- 1 2) 3)");
  EXPECT_EQ(ExprOf("a or b and c"), "(or a (and b c))");
  EXPECT_EQ(ExprOf("not a == b"), "(not (== a b))");
  EXPECT_EQ(ExprOf("a | b ^ c & d << 1 + 2"), "(| a (^ b (& c (<< d (+ 1 2)))))");
  EXPECT_EQ(ExprOf("-a.b[1](2)"), "(- (call (index (. a b) 1) 2))");
  EXPECT_EQ(ExprOf("-x * ~y"), "(* (- x) (~ y))");
  EXPECT_EQ(ExprOf("(1 + 2) * 3"), "(* (+ 1 2) 3)");
}

TEST(ParserTest, NegativeLiteralsFold) {
  EXPECT_EQ(ExprOf("-9223372036854775808"), "-9223372036854775808");
  EXPECT_EQ(ExprOf("-5 - -3"), "(- -5 -3)");
  Parsed p = ParseAll("let x = 9223372036854775808");
  ASSERT_EQ(p.errors.size(), 1u);
  EXPECT_EQ(p.errors[0].message, "integer literal out of range");
}

TEST(ParserTest, Literals) {
  EXPECT_EQ(ExprOf("[1, \"a\", nil,]"), "[ 1 \"a\" nil]");
  EXPECT_EQ(ExprOf("({\"k\": 1, 2: true})"), "{ \"k\" 1 2 true}");
  EXPECT_EQ(ExprOf("fn (a, b) { return a }"), "(fn 2)");
}

TEST(ParserTest, NewlineBeforeParenStartsNewStatement) {
  Parsed p = ParseAll("f\n(g)");
  ASSERT_TRUE(p.errors.empty());
  EXPECT_EQ(p.program.stmts.size(), 2u);
  Parsed q = ParseAll("f(\ng)");
  EXPECT_EQ(q.program.stmts.size(), 1u);
}

TEST(ParserTest, Statements) {
  Parsed p = ParseAll(R"(
    import fn log(msg)
    let x = 1; let y
    export fn main(a) {
      if a { x += 1 } else if b { } else { }
      while x < 10 { x = x + 1; break }
      for i in 0..10 { continue }
      for k, v in m { a[k] = v; m.z = 1 }
      fn inner() { return }
      return x
    }
  )");
  ASSERT_TRUE(p.errors.empty()) << p.errors[0].message;
  ASSERT_EQ(p.program.stmts.size(), 4u);
  EXPECT_EQ(p.program.stmts[0]->kind, StmtKind::kImport);
  EXPECT_EQ(p.program.stmts[0]->params.size(), 1u);
  const Stmt& main = *p.program.stmts[3];
  EXPECT_EQ(main.kind, StmtKind::kFn);
  EXPECT_TRUE(main.exported);
  const StmtList& body = main.fn->body;
  ASSERT_EQ(body.size(), 6u);
  EXPECT_EQ(body[0]->kind, StmtKind::kIf);
  ASSERT_EQ(body[0]->arms.size(), 2u);  // if ... else if ...: one statement, two arms
  EXPECT_EQ(body[0]->arms[0].body[0]->kind, StmtKind::kAssign);
  EXPECT_EQ(body[0]->arms[0].body[0]->op, TokenKind::kPlusAssign);
  EXPECT_EQ(body[2]->kind, StmtKind::kForRange);
  EXPECT_EQ(body[3]->kind, StmtKind::kForIn);
  EXPECT_EQ(body[3]->name2, "v");
  EXPECT_EQ(body[4]->kind, StmtKind::kFn);
  EXPECT_EQ(body[5]->kind, StmtKind::kReturn);
}

void ExpectFirstError(std::string_view src, std::string_view message, uint32_t line, uint32_t col) {
  Parsed p = ParseAll(src);
  ASSERT_FALSE(p.errors.empty()) << src;
  EXPECT_EQ(p.errors[0].message, message) << src;
  EXPECT_EQ(p.errors[0].line, line) << src;
  EXPECT_EQ(p.errors[0].col, col) << src;
}

TEST(ParserTest, ErrorMessages) {
  ExpectFirstError("print(1, 2\nlet y = 3", "expected ')' after arguments, found 'let'", 2, 1);
  ExpectFirstError("let = 3", "expected a variable name after 'let', found '='", 1, 5);
  ExpectFirstError("let x = (1 + ", "expected an expression, found end of file", 1, 14);
  ExpectFirstError("if x { y", "expected '}' to close the block opened at line 1, found end of file", 1, 9);
  ExpectFirstError("a < b < c", "comparison operators cannot be chained: '<' after a comparison; combine them with 'and'", 1, 7);
  ExpectFirstError("1 + 2 = 3", "invalid assignment target: only a name, 'a[i]' or 'm.k' can be assigned", 1, 1);
  ExpectFirstError("f() = 3", "invalid assignment target: only a name, 'a[i]' or 'm.k' can be assigned", 1, 1);
  ExpectFirstError("fn f() { export fn g() {} }", "'export' is only allowed at top level", 1, 10);
  ExpectFirstError("if x { import fn h() }", "'import' is only allowed at top level", 1, 8);
  ExpectFirstError("for i, j in 0..3 {}", "a range loop 'for i in a..b' takes one variable", 1, 14);
  ExpectFirstError("while x { ) }", "expected a statement, found ')'", 1, 11);
  ExpectFirstError("let f = fn g() {}", "a function expression has no name: write 'fn (...)' or declare 'fn g(...)' as a statement", 1, 12);
}

TEST(ParserTest, RecoversAtStatementBoundaries) {
  Parsed p = ParseAll("let = 1\nlet y = )\nlet ok = 2\nfn f( { }\nlet z = 3");
  EXPECT_GE(p.errors.size(), 3u);
  bool saw_ok = false;
  for (const StmtPtr& s : p.program.stmts) saw_ok |= s->kind == StmtKind::kLet && s->name == "ok";
  EXPECT_TRUE(saw_ok);
}

TEST(ParserTest, ErrorCapStopsParsing) {
  std::string src;
  for (int i = 0; i < 100; ++i) src += "let = 1\n";
  Parsed p = ParseAll(src);
  EXPECT_EQ(p.errors.size(), Diagnostics::kMaxErrors);
}

TEST(ParserTest, DeepNestingIsAnError) {
  std::string src = "let x = " + std::string(100000, '(') + "1" + std::string(100000, ')');
  Parsed p = ParseAll(src);
  ASSERT_FALSE(p.errors.empty());
  EXPECT_NE(p.errors[0].message.find("nesting too deep"), std::string::npos);

  std::string blocks;
  for (int i = 0; i < 5000; ++i) blocks += "if x {";
  EXPECT_FALSE(ParseAll(blocks).errors.empty());
}

TEST(ParserTest, ChainsAreFlatNodes) {
  Parsed p = ParseAll("a - b + c * d - e\nx or y or z\nx and y and z\n");
  ASSERT_TRUE(p.errors.empty());
  const Expr& sum = *p.program.stmts[0]->expr;
  EXPECT_EQ(sum.kind, ExprKind::kBinary);
  EXPECT_EQ(sum.items.size(), 4u);  // a, b, c * d, e
  ASSERT_EQ(sum.ops.size(), 3u);
  EXPECT_EQ(sum.ops[0].op, TokenKind::kMinus);
  EXPECT_EQ(sum.ops[1].op, TokenKind::kPlus);
  EXPECT_EQ(sum.ops[2].col, 15u);
  EXPECT_EQ(p.program.stmts[1]->expr->items.size(), 3u);
  EXPECT_EQ(p.program.stmts[2]->expr->items.size(), 3u);
  EXPECT_EQ(sum.height, 3u);  // the chain, c * d, its leaves: not one level per operator
}

TEST(ParserTest, LongFlatChainsAreNotNesting) {
  // Once rejected as "nested too deeply" (1,000 terms) or "nesting too deep" (250 arms).
  std::string sum = "let x = 1";
  for (int i = 0; i < 100000; ++i) sum += " + 1";
  Parsed p = ParseAll(sum);
  EXPECT_TRUE(p.errors.empty()) << p.errors[0].message;
  ASSERT_EQ(p.program.stmts.size(), 1u);
  EXPECT_EQ(p.program.stmts[0]->expr->items.size(), 100001u);

  std::string logic = "let y = a";
  for (int i = 0; i < 100000; ++i) logic += i % 2 ? " or a" : " and a";
  EXPECT_TRUE(ParseAll(logic).errors.empty());

  std::string chain = "if x == 0 { y = 0 }";
  for (int i = 1; i < 100000; ++i) chain += " else if x == " + std::to_string(i) + " { y = 1 }";
  chain += " else { y = 2 }";
  Parsed q = ParseAll(chain);
  EXPECT_TRUE(q.errors.empty()) << q.errors[0].message;
  ASSERT_EQ(q.program.stmts.size(), 1u);
  EXPECT_EQ(q.program.stmts[0]->arms.size(), 100000u);
  EXPECT_EQ(q.program.stmts[0]->else_body.size(), 1u);
}

TEST(ParserTest, RealNestingIsStillLimited) {
  for (const std::string& deep :
       {"let x = " + std::string(100000, '-') + "1", "let x = " + std::string(100000, '[') + "1",
        "let x = " + std::string(100000, '~') + "y", [] {
          std::string s = "let x = ";
          for (int i = 0; i < 100000; ++i) s += "not ";
          return s + "y";
        }()}) {
    Parsed p = ParseAll(deep);
    ASSERT_FALSE(p.errors.empty()) << deep.substr(0, 20);
    EXPECT_NE(p.errors[0].message.find("nesting too deep"), std::string::npos) << p.errors[0].message;
  }
  // An else block that holds another if is nesting (braces), unlike `else if`.
  std::string nested;
  for (int i = 0; i < 100000; ++i) nested += "if x { } else { ";
  EXPECT_FALSE(ParseAll(nested).errors.empty());
  // Parenthesised chains nest: ((((a + b) + c) + d) ...
  std::string parens = std::string(100000, '(') + "a";
  for (int i = 0; i < 100000; ++i) parens += " + b)";
  EXPECT_FALSE(ParseAll("let z = " + parens).errors.empty());
}

}  // namespace
}  // namespace trinity::lang
