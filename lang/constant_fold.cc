// Constant folding (constant_fold.h). Integer arithmetic goes through uint64_t so that
// wrap-around is defined behaviour here exactly as it is in the interpreter.
#include "lang/constant_fold.h"

#include <cmath>
#include <limits>

namespace trinity::lang {
namespace {

constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

int64_t Wrap(uint64_t v) { return static_cast<int64_t>(v); }

std::optional<Number> FoldInts(TokenKind op, int64_t a, int64_t b) {
  uint64_t ua = static_cast<uint64_t>(a), ub = static_cast<uint64_t>(b);
  switch (op) {
    case TokenKind::kPlus: return Wrap(ua + ub);
    case TokenKind::kMinus: return Wrap(ua - ub);
    case TokenKind::kStar: return Wrap(ua * ub);
    case TokenKind::kSlash:
      if (b == 0) return std::nullopt;  // traps at run time; keep it there
      if (a == kInt64Min && b == -1) return kInt64Min;
      return a / b;
    case TokenKind::kPercent:
      if (b == 0) return std::nullopt;
      if (b == -1) return int64_t{0};
      return a % b;
    case TokenKind::kAmp: return a & b;
    case TokenKind::kPipe: return a | b;
    case TokenKind::kCaret: return a ^ b;
    case TokenKind::kShl: return Wrap(ua << (ub & 63));
    case TokenKind::kShr: return a >> (ub & 63);  // arithmetic since C++20
    default: return std::nullopt;
  }
}

std::optional<Number> FoldFloats(TokenKind op, double a, double b) {
  switch (op) {
    case TokenKind::kPlus: return a + b;
    case TokenKind::kMinus: return a - b;
    case TokenKind::kStar: return a * b;
    case TokenKind::kSlash: return a / b;
    case TokenKind::kPercent: return std::fmod(a, b);
    default: return std::nullopt;  // bitwise operators on floats trap
  }
}

double AsDouble(const Number& n) {
  if (const int64_t* i = std::get_if<int64_t>(&n)) return static_cast<double>(*i);
  return std::get<double>(n);
}

}  // namespace

std::optional<Number> FoldConstant(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kInt: return e.int_value;
    case ExprKind::kFloat: return e.float_value;
    case ExprKind::kUnary: {
      if (e.op == TokenKind::kNot) return std::nullopt;
      std::optional<Number> v = FoldConstant(*e.left);
      if (!v) return std::nullopt;
      if (const int64_t* i = std::get_if<int64_t>(&*v)) {
        if (e.op == TokenKind::kMinus) return Wrap(0 - static_cast<uint64_t>(*i));
        return ~*i;
      }
      if (e.op == TokenKind::kMinus) return -std::get<double>(*v);
      return std::nullopt;
    }
    case ExprKind::kBinary: {
      size_t folded = 0;
      std::optional<Number> v = FoldChainPrefix(e, &folded);
      if (folded != e.items.size()) return std::nullopt;
      return v;
    }
    default:
      return std::nullopt;
  }
}

std::optional<Number> FoldChainPrefix(const Expr& chain, size_t* operands) {
  *operands = 0;
  std::optional<Number> acc = FoldConstant(*chain.items[0]);
  if (!acc) return std::nullopt;
  size_t n = 1;
  for (; n < chain.items.size(); ++n) {
    std::optional<Number> b = FoldConstant(*chain.items[n]);
    if (!b) break;
    TokenKind op = chain.ops[n - 1].op;
    std::optional<Number> next;
    if (std::holds_alternative<int64_t>(*acc) && std::holds_alternative<int64_t>(*b)) {
      next = FoldInts(op, std::get<int64_t>(*acc), std::get<int64_t>(*b));
    } else {
      next = FoldFloats(op, AsDouble(*acc), AsDouble(*b));
    }
    if (!next) break;
    acc = next;
  }
  *operands = n;
  return acc;
}

}  // namespace trinity::lang
