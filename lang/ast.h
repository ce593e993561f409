// The syntax tree the parser builds and the resolver and code generator walk. Nodes are
// plain structs with a kind tag; fields unused by a kind stay empty. The resolver writes
// its findings into the `resolved`/`symbol` fields so codegen needs no side tables.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lang/token.h"

namespace trinity::lang {

struct Symbol;  // resolver.h
struct Expr;
struct Stmt;
struct FunctionLit;
using ExprPtr = std::unique_ptr<Expr>;
using StmtPtr = std::unique_ptr<Stmt>;
using StmtList = std::vector<StmtPtr>;

enum class ExprKind : uint8_t {
  kNil, kTrue, kFalse, kInt, kFloat, kString,
  kName,      // text
  kArray,     // items
  kMap,       // items: key, value, key, value, ...
  kFunction,  // fn
  kUnary,     // op (kMinus, kTilde, kNot), left
  // Flat chains, so `a + b + ... + z` costs no recursion in any tree walk, however long:
  kBinary,    // items = operands (2 or more), ops = the operators between them; evaluated
              // left to right, ((a op0 b) op1 c) ... (a comparison has exactly two operands)
  kAnd, kOr,  // items = operands (2 or more)
  kCall,      // left = callee, items = arguments
  kIndex,     // left[right]
  kMember,    // left.text
};

// What a call or a name turned out to be, filled in by the resolver.
enum class Resolved : uint8_t {
  kNone,
  kValue,        // an ordinary value: local, capture or global (see `symbol`)
  kFunction,     // top-level fn: index = function index
  kImport,       // host function: index = import index
  kBuiltin,      // builtin table entry: index = builtin id
  kLen, kPush, kPop, kSlice, kError,  // builtins with their own opcode
  kMathPi, kMathInf,                  // `math.pi`, `math.inf`
};

// An operator of a kBinary chain, with its own position for line tables and traps.
struct ChainOp {
  TokenKind op;
  uint32_t line = 0, col = 0;
};

struct Expr {
  ExprKind kind;
  uint32_t line = 0, col = 0;
  TokenKind op = TokenKind::kEof;
  int64_t int_value = 0;
  double float_value = 0;
  std::string text;  // string literal bytes, name, member key
  ExprPtr left, right;
  std::vector<ExprPtr> items;
  std::vector<ChainOp> ops;  // kBinary
  std::unique_ptr<FunctionLit> fn;

  uint32_t height = 1;  // longest path to a leaf, bounded so tree walks cannot overflow

  Resolved resolved = Resolved::kNone;
  uint32_t index = 0;
  Symbol* symbol = nullptr;
};

struct Param {
  std::string name;
  uint32_t line = 0, col = 0;
};

struct FunctionLit {
  std::string name;  // "" for anonymous functions
  uint32_t line = 0, col = 0;
  std::vector<Param> params;
  StmtList body;
  uint32_t height = 1;

  uint32_t index = 0;                   // function index in the module
  std::vector<Symbol*> param_symbols;   // resolver
};

enum class StmtKind : uint8_t {
  kExpr,      // expr
  kLet,       // name, expr (may be null)
  kAssign,    // target op= expr  (op is kAssign or a compound kind)
  kFn,        // fn (named); exported
  kImport,    // name, params
  kIf,        // arms (the `if` and each `else if`, flat), else_body
  kWhile,     // expr, body
  kForRange,  // name, expr .. expr2, body
  kForIn,     // name [, name2] in expr, body
  kBreak, kContinue,
  kReturn,    // expr (may be null)
  kBlock,     // body
};

// One arm of an `if ... else if ...` chain.
struct IfArm {
  ExprPtr cond;
  StmtList body;
  uint32_t line = 0, col = 0;  // its `if` keyword
};

struct Stmt {
  StmtKind kind;
  uint32_t line = 0, col = 0;
  std::string name, name2;
  uint32_t name_line = 0, name_col = 0, name2_line = 0, name2_col = 0;
  bool exported = false;
  TokenKind op = TokenKind::kAssign;
  ExprPtr target, expr, expr2;
  StmtList body, else_body;
  std::vector<IfArm> arms;  // kIf
  std::unique_ptr<FunctionLit> fn;
  std::vector<Param> params;
  uint32_t height = 1;

  Symbol* symbol = nullptr;    // let / fn / loop variable
  Symbol* symbol2 = nullptr;   // second loop variable
  uint16_t hidden = 0;         // first of the loop's hidden locals
};

struct Program {
  StmtList stmts;
};

}  // namespace trinity::lang
