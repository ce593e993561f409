// Dispatch experiment behind runtime/fast_interpreter.md: the fast tier's instruction
// encoding (8-byte handler address + 32-bit fields, 16-byte tagged values) run by the
// same five handlers written two ways — one function with labels-as-values (what the fast
// tier uses) and one function per handler chained with [[clang::musttail]] (clang only).
// Built and compared by bench/micro/dispatch_styles.sh.
// Usage: dispatch_styles labels|musttail ITERATIONS   (prints the checksum)
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

enum Tag : uint8_t { kInt = 2, kFloat = 3 };
struct Value {
  uint8_t tag;
  union {
    int64_t i;
    double f;
  };
};

enum Op { kAddI, kAdd, kMul, kForLoop, kExit, kOpCount };
constexpr int kSize[kOpCount] = {24, 24, 24, 32, 8};

// The program: for i in 0..n { a = a * b + i; c = c + 1 } with slots
// 0 = a (float), 1 = b (float), 2 = i, 3 = n, 4 = c (int), 5 = temp.
struct Program {
  std::vector<uint64_t> words;
  std::vector<uint8_t> ops;  // per instruction, for binding handler addresses
};

void Put(std::vector<uint8_t>& bytes, size_t at, int32_t v) { std::memcpy(bytes.data() + at, &v, 4); }

std::vector<uint8_t> Encode(std::vector<std::pair<Op, std::vector<int32_t>>> insns,
                            const void* const* handlers) {
  std::vector<uint8_t> code;
  for (auto& [op, fields] : insns) {
    size_t at = code.size();
    code.resize(at + kSize[op], 0);
    std::memcpy(code.data() + at, &handlers[op], 8);
    for (size_t k = 0; k < fields.size(); ++k) Put(code, at + 8 + 4 * k, fields[k]);
  }
  return code;
}

std::vector<uint8_t> Build(const void* const* handlers) {
  constexpr int32_t S = 16;
  // body: mul t, a, b; add a, t, i; addi c, c, 1; forloop i, n, body(-72), exit
  return Encode({{kMul, {5 * S, 0 * S, 1 * S}},
                 {kAdd, {0 * S, 5 * S, 2 * S}},
                 {kAddI, {4 * S, 4 * S, 1}},
                 {kForLoop, {2 * S, 3 * S, -72, 32}},
                 {kExit, {}}},
                handlers);
}

inline int32_t F(const uint8_t* ip, int i) {
  int32_t v;
  std::memcpy(&v, ip + 8 + 4 * i, 4);
  return v;
}
inline Value& Slot(Value* base, int32_t off) { return *reinterpret_cast<Value*>(reinterpret_cast<char*>(base) + off); }
inline const void* Handler(const uint8_t* ip) {
  const void* h;
  std::memcpy(&h, ip, 8);
  return h;
}
[[noreturn]] void Slow() {
  std::fprintf(stderr, "slow path\n");
  std::abort();
}

// --- style 1: one function, labels as values --------------------------------------------

#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-gcse", "no-crossjumping")))
#endif
void RunLabels(const std::vector<uint8_t>* code_out_only, std::vector<uint8_t>* code, Value* base) {
  static const void* const kTable[kOpCount] = {&&L_AddI, &&L_Add, &&L_Mul, &&L_ForLoop, &&L_Exit};
  if (code_out_only != nullptr) {
    *code = Build(kTable);
    return;
  }
  const uint8_t* ip = code->data();
#define NEXT(op)           \
  do {                     \
    ip += kSize[op];       \
    goto* Handler(ip);     \
  } while (0)
  goto* Handler(ip);
L_AddI: {
  Value& a = Slot(base, F(ip, 1));
  if (a.tag != kInt) Slow();
  Value& d = Slot(base, F(ip, 0));
  d.i = a.i + F(ip, 2);
  d.tag = kInt;
  NEXT(kAddI);
}
L_Add: {
  const Value& a = Slot(base, F(ip, 1));
  const Value& b = Slot(base, F(ip, 2));
  Value& d = Slot(base, F(ip, 0));
  if (a.tag == kInt && b.tag == kInt) {
    d.i = a.i + b.i;
    d.tag = kInt;
  } else if (a.tag == kFloat && b.tag == kInt) {
    d.f = a.f + static_cast<double>(b.i);
    d.tag = kFloat;
  } else {
    Slow();
  }
  NEXT(kAdd);
}
L_Mul: {
  const Value& a = Slot(base, F(ip, 1));
  const Value& b = Slot(base, F(ip, 2));
  Value& d = Slot(base, F(ip, 0));
  if (a.tag == kInt && b.tag == kInt) {
    d.i = a.i * b.i;
    d.tag = kInt;
  } else if (a.tag == kFloat && b.tag == kFloat) {
    d.f = a.f * b.f;
    d.tag = kFloat;
  } else {
    Slow();
  }
  NEXT(kMul);
}
L_ForLoop: {
  Value& x = Slot(base, F(ip, 0));
  const Value& e = Slot(base, F(ip, 1));
  if (x.tag != kInt || e.tag != kInt) Slow();
  if (++x.i < e.i) {
    ip += F(ip, 2);
    goto* Handler(ip);
  }
  ip += F(ip, 3);
  goto* Handler(ip);
}
L_Exit:
  return;
#undef NEXT
}

// --- style 2: a function per handler, guaranteed tail calls --------------------------------

#if defined(__clang__)
using HandlerFn = void (*)(const uint8_t* ip, Value* base);
HandlerFn FnAt(const uint8_t* ip) {
  HandlerFn h;
  std::memcpy(&h, ip, sizeof h);
  return h;
}
#define TAIL(ip, base) [[clang::musttail]] return FnAt(ip)(ip, base)

void TAddI(const uint8_t* ip, Value* base) {
  Value& a = Slot(base, F(ip, 1));
  if (a.tag != kInt) Slow();
  Value& d = Slot(base, F(ip, 0));
  d.i = a.i + F(ip, 2);
  d.tag = kInt;
  ip += kSize[kAddI];
  TAIL(ip, base);
}
void TAdd(const uint8_t* ip, Value* base) {
  const Value& a = Slot(base, F(ip, 1));
  const Value& b = Slot(base, F(ip, 2));
  Value& d = Slot(base, F(ip, 0));
  if (a.tag == kInt && b.tag == kInt) {
    d.i = a.i + b.i;
    d.tag = kInt;
  } else if (a.tag == kFloat && b.tag == kInt) {
    d.f = a.f + static_cast<double>(b.i);
    d.tag = kFloat;
  } else {
    Slow();
  }
  ip += kSize[kAdd];
  TAIL(ip, base);
}
void TMul(const uint8_t* ip, Value* base) {
  const Value& a = Slot(base, F(ip, 1));
  const Value& b = Slot(base, F(ip, 2));
  Value& d = Slot(base, F(ip, 0));
  if (a.tag == kInt && b.tag == kInt) {
    d.i = a.i * b.i;
    d.tag = kInt;
  } else if (a.tag == kFloat && b.tag == kFloat) {
    d.f = a.f * b.f;
    d.tag = kFloat;
  } else {
    Slow();
  }
  ip += kSize[kMul];
  TAIL(ip, base);
}
void TForLoop(const uint8_t* ip, Value* base) {
  Value& x = Slot(base, F(ip, 0));
  const Value& e = Slot(base, F(ip, 1));
  if (x.tag != kInt || e.tag != kInt) Slow();
  ip += ++x.i < e.i ? F(ip, 2) : F(ip, 3);
  TAIL(ip, base);
}
void TExit(const uint8_t*, Value*) {}
#undef TAIL

void RunMusttail(std::vector<uint8_t>* code, Value* base) {
  static const void* const kTable[kOpCount] = {
      reinterpret_cast<const void*>(&TAddI), reinterpret_cast<const void*>(&TAdd),
      reinterpret_cast<const void*>(&TMul), reinterpret_cast<const void*>(&TForLoop),
      reinterpret_cast<const void*>(&TExit)};
  *code = Build(kTable);
  FnAt(code->data())(code->data(), base);
}
#endif

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: dispatch_styles labels|musttail ITERATIONS\n");
    return 2;
  }
  std::string style = argv[1];
  Value slots[6] = {};
  slots[0] = Value{kFloat, {.f = 1.0}};
  slots[1] = Value{kFloat, {.f = 0.999999}};
  slots[2] = Value{kInt, {.i = 0}};
  slots[3] = Value{kInt, {.i = std::atoll(argv[2])}};
  slots[4] = Value{kInt, {.i = 0}};
  std::vector<uint8_t> code;
  if (style == "labels") {
    RunLabels(&code, &code, nullptr);
    RunLabels(nullptr, &code, slots);
  } else if (style == "musttail") {
#if defined(__clang__)
    RunMusttail(&code, slots);
#else
    std::fprintf(stderr, "musttail needs clang\n");
    return 2;
#endif
  } else {
    return 2;
  }
  std::printf("%.6f %lld\n", slots[0].f, static_cast<long long>(slots[4].i));
  return 0;
}
