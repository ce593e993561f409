// In-memory form of a Trinity bytecode module: what the loader produces from the wire
// format (module_reader), what the writer serialises (module_writer), and what the
// verifier checks. Wire layout is documented in module_format.md next to this file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace trinity {

inline constexpr uint8_t kModuleMagic[4] = {0x7f, 'T', 'B', 'C'};
inline constexpr uint16_t kModuleVersionMajor = 1;
// 1.1 added try_begin/try_end and the library built-ins; readers accept 1.0 and 1.1.
inline constexpr uint16_t kModuleVersionMinor = 1;

// Hard caps the loader enforces before allocating anything, so a hostile header cannot
// make it reserve huge amounts of memory.
inline constexpr uint32_t kMaxModuleBytes = 64u << 20;
inline constexpr uint32_t kMaxConstants = 1u << 20;
inline constexpr uint32_t kMaxFunctions = 1u << 16;
inline constexpr uint32_t kMaxImports = 1u << 12;
inline constexpr uint32_t kMaxGlobals = 1u << 16;
inline constexpr uint32_t kMaxExports = 1u << 16;
inline constexpr uint32_t kMaxCodeBytes = 16u << 20;
inline constexpr uint32_t kMaxNameBytes = 1u << 10;
inline constexpr uint32_t kMaxStringConstantBytes = 16u << 20;
inline constexpr uint32_t kMaxLocals = 1u << 15;
inline constexpr uint32_t kMaxStack = 1u << 15;
inline constexpr uint32_t kNoFunction = 0xffffffffu;

using Constant = std::variant<int64_t, double, std::string>;

// Wire-format section ids (module_format.md), in the order they must appear. Shared by
// module_reader.cc and module_writer.cc so the two cannot drift apart.
enum class SectionId : uint8_t {
  kSource = 1,
  kConstants = 2,
  kImports = 3,
  kGlobals = 4,
  kFunctions = 5,
  kExports = 6,
  kStart = 7,
};

// Wire-format tags of Constant alternatives.
enum class ConstantKind : uint8_t { kInt = 1, kFloat = 2, kString = 3 };

struct LineEntry {
  uint32_t pc;    // first byte offset this line applies to
  uint32_t line;  // 1-based source line
};

struct Function {
  std::string name;
  uint16_t arity = 0;       // parameters; they occupy locals 0..arity-1
  uint16_t num_locals = 0;  // total locals including parameters
  uint16_t max_stack = 0;   // operand stack slots needed above the locals
  uint16_t num_captures = 0;  // values a closure of this function carries
  std::vector<uint8_t> code;
  std::vector<LineEntry> lines;  // sorted by pc

  // Source line for a byte offset, 0 if unknown.
  uint32_t LineAt(uint32_t pc) const;
};

struct FastModule;  // the fast tier's translated code (fast_code.h)

// The executable form LoadModule attaches to a module once it has been verified. A copy
// of a Module starts without one: the copy may be edited, and only LoadModule (verify,
// then translate) may attach code to what it holds.
class ExecutableCode {
 public:
  ExecutableCode() = default;
  ExecutableCode(const ExecutableCode&) {}
  ExecutableCode& operator=(const ExecutableCode&) {
    fast_.reset();
    return *this;
  }
  ExecutableCode(ExecutableCode&&) noexcept = default;
  ExecutableCode& operator=(ExecutableCode&&) noexcept = default;

  const FastModule* fast() const { return fast_.get(); }
  void set_fast(std::shared_ptr<const FastModule> fast) { fast_ = std::move(fast); }

 private:
  std::shared_ptr<const FastModule> fast_;
};

struct Export {
  std::string name;
  uint32_t function;
};

struct Module {
  std::string source_name;               // e.g. "examples/fib.tri"; may be empty
  std::vector<Constant> constants;
  std::vector<std::string> imports;      // host functions, by name
  std::vector<std::string> globals;      // global variable names (debug info)
  std::vector<Function> functions;
  std::vector<Export> exports;
  uint32_t start_function = kNoFunction;  // run once at instantiation (top-level code)
  ExecutableCode executable;              // set by LoadModule after verification

  // Index of the export named `name`'s function, or kNoFunction.
  uint32_t FindExport(std::string_view name) const;
};

}  // namespace trinity
