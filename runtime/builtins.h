// The table of built-in functions the VM provides to every plugin (kCallBuiltin).
// Single-sourced like the opcode table: the compiler resolves names through it, the
// verifier checks argument counts against it, the interpreter dispatches on it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace trinity {

// X(enum name, source name, min args, max args)
// Operations with their own opcode (len, push, pop, slice, error) are not listed here.
#define TRINITY_BUILTINS(X)                  \
  X(kPrint, "print", 0, 255)                 \
  X(kKeys, "keys", 1, 1)                     \
  X(kValues, "values", 1, 1)                 \
  X(kHas, "has", 2, 2)                       \
  X(kGet, "get", 2, 3)                       \
  X(kDel, "del", 2, 2)                       \
  X(kStr, "str", 1, 1)                       \
  X(kInt, "int", 1, 1)                       \
  X(kFloat, "float", 1, 1)                   \
  X(kType, "type", 1, 1)                     \
  X(kFind, "find", 2, 3)                     \
  X(kSplit, "split", 2, 3)                   \
  X(kJoin, "join", 2, 2)                     \
  X(kUpper, "upper", 1, 1)                   \
  X(kLower, "lower", 1, 1)                   \
  X(kTrim, "trim", 1, 2)                     \
  X(kReplace, "replace", 3, 3)               \
  X(kStartsWith, "starts_with", 2, 2)        \
  X(kEndsWith, "ends_with", 2, 2)            \
  X(kRepeat, "repeat", 2, 2)                 \
  X(kOrd, "ord", 1, 1)                       \
  X(kChr, "chr", 1, 1)                       \
  X(kSort, "sort", 1, 1)                     \
  X(kAssert, "assert", 1, 2)                 \
  X(kMathAbs, "math.abs", 1, 1)              \
  X(kMathMin, "math.min", 1, 255)            \
  X(kMathMax, "math.max", 1, 255)            \
  X(kMathFloor, "math.floor", 1, 1)          \
  X(kMathCeil, "math.ceil", 1, 1)            \
  X(kMathRound, "math.round", 1, 1)          \
  X(kMathSqrt, "math.sqrt", 1, 1)            \
  X(kMathPow, "math.pow", 2, 2)              \
  X(kMathSin, "math.sin", 1, 1)              \
  X(kMathCos, "math.cos", 1, 1)              \
  X(kMathTan, "math.tan", 1, 1)              \
  X(kMathAtan, "math.atan", 1, 2)            \
  X(kMathExp, "math.exp", 1, 1)              \
  X(kMathLog, "math.log", 1, 1)             \
  TRINITY_LIBRARY_BUILTINS(X)                \
  TRINITY_TEST_BUILTINS(X)

// The standard library for request work (runtime/stdlib_*.cc, dispatched by
// CallLibraryBuiltin). Added in module format 1.1, after the core built-ins, so the ids
// 1.0 modules use are unchanged.
#define TRINITY_LIBRARY_BUILTINS(X)                  \
  X(kJsonDecode, "json.decode", 1, 1)                \
  X(kJsonEncode, "json.encode", 1, 1)                \
  X(kReMatch, "re.match", 2, 2)                      \
  X(kReFind, "re.find", 2, 3)                        \
  X(kReFindAll, "re.find_all", 2, 2)                 \
  X(kReGsub, "re.gsub", 3, 3)                        \
  X(kReReplace, "re.replace", 3, 3)                  \
  X(kReSplit, "re.split", 2, 3)                      \
  X(kReQuote, "re.quote", 1, 1)                      \
  X(kFormat, "format", 1, 255)                       \
  X(kBase64Encode, "base64.encode", 1, 1)            \
  X(kBase64Decode, "base64.decode", 1, 1)            \
  X(kBase64UrlEncode, "base64.url_encode", 1, 1)     \
  X(kBase64UrlDecode, "base64.url_decode", 1, 1)     \
  X(kHexEncode, "hex.encode", 1, 1)                  \
  X(kHexDecode, "hex.decode", 1, 1)                  \
  X(kUrlEncode, "url.encode", 1, 1)                  \
  X(kUrlDecode, "url.decode", 1, 1)                  \
  X(kUrlParseQuery, "url.parse_query", 1, 1)         \
  X(kUrlEncodeQuery, "url.encode_query", 1, 1)       \
  X(kHashSha256, "hash.sha256", 1, 1)                \
  X(kHashHmacSha256, "hash.hmac_sha256", 2, 2)       \
  X(kHashCrc32, "hash.crc32", 1, 1)                  \
  X(kHashEqual, "hash.equal", 2, 2)                  \
  X(kRfind, "rfind", 2, 2)                           \
  X(kIequals, "iequals", 2, 2)                       \
  X(kLtrim, "ltrim", 1, 2)                           \
  X(kRtrim, "rtrim", 1, 2)

// Test-only built-ins, compiled in only by the isolation tests' own build of the runtime:
// a deliberate out-of-bounds read/write primitive that plays a VM bug, so tests can show
// that MPK contains a compromised plugin. Never defined in a production build.
#ifdef TRINITY_TEST_OOB_PRIMITIVE
#define TRINITY_TEST_BUILTINS(X)     \
  X(kTestPeek, "__peek", 1, 1)       \
  X(kTestPoke, "__poke", 2, 2)
#else
#define TRINITY_TEST_BUILTINS(X)
#endif

enum class Builtin : uint16_t {
#define TRINITY_BUILTIN_ENUM(name, source, lo, hi) name,
  TRINITY_BUILTINS(TRINITY_BUILTIN_ENUM)
#undef TRINITY_BUILTIN_ENUM
      kCount
};

inline constexpr int kBuiltinCount = static_cast<int>(Builtin::kCount);

struct BuiltinInfo {
  std::string_view name;
  int min_args;
  int max_args;
};

inline constexpr BuiltinInfo kBuiltinInfo[kBuiltinCount] = {
#define TRINITY_BUILTIN_INFO(name, source, lo, hi) {source, lo, hi},
    TRINITY_BUILTINS(TRINITY_BUILTIN_INFO)
#undef TRINITY_BUILTIN_INFO
};

// Library built-ins are the contiguous run that starts at kJsonDecode.
#define TRINITY_BUILTIN_ONE(name, source, lo, hi) +1
inline constexpr int kLibraryBuiltinCount = 0 TRINITY_LIBRARY_BUILTINS(TRINITY_BUILTIN_ONE);
#undef TRINITY_BUILTIN_ONE
constexpr bool IsLibraryBuiltin(Builtin id) {
  int offset = static_cast<int>(id) - static_cast<int>(Builtin::kJsonDecode);
  return offset >= 0 && offset < kLibraryBuiltinCount;
}

std::optional<Builtin> BuiltinFromName(std::string_view name);

// True when `prefix` is the part before the dot of some dotted built-in ("math", "json",
// "re", ...): the compiler treats such a name as a namespace unless a variable shadows it.
bool IsBuiltinNamespace(std::string_view prefix);

}  // namespace trinity
