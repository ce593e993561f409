// Name resolution for a parsed program: binds every name to a local slot, capture,
// global, function, import or builtin; decides which locals are captured (and so must be
// boxed); numbers functions and allocates local slots. Reports scope errors (undeclared,
// duplicate, bad assignment, wrong argument count, break outside loop, ...).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "lang/ast.h"
#include "lang/compile_memory.h"
#include "lang/diagnostics.h"

namespace trinity::lang {

inline constexpr uint32_t kNoParent = 0xffffffffu;
// Local slots are u16 operands; keep one below the loader's cap.
inline constexpr uint32_t kMaxLocalSlots = 32767;

struct Symbol {
  enum class Kind : uint8_t { kLocal, kGlobal, kFunction, kImport };
  Kind kind = Kind::kLocal;
  std::string name;
  uint32_t index = 0;  // kGlobal / kFunction / kImport: index in the module's table
  uint16_t slot = 0;   // kLocal
  uint32_t owner = 0;  // kLocal: index of the function whose frame holds it
  uint16_t arity = 0;  // kFunction / kImport
  bool captured = false;     // kLocal: some inner function uses it, so it lives in a box
  bool is_function = false;  // kLocal declared by a nested `fn name`: not assignable
  bool declared = true;      // kGlobal: top-level code may use it only after its `let`
};

// Where make_closure takes one captured box from, in the creating (parent) function.
struct CaptureSource {
  bool from_local;  // parent's local slot (true) or parent's own capture index (false)
  uint16_t index;
};

struct FunctionInfo {
  std::string name;
  uint32_t line = 0, col = 0;
  uint16_t arity = 0;
  uint32_t num_locals = 0;
  uint32_t parent = kNoParent;    // the function that creates its closures
  const FunctionLit* lit = nullptr;  // nullptr for the top-level "<top>" function
  std::vector<CaptureSource> captures;
  std::vector<const Symbol*> capture_symbols;  // parallel to captures
  uint32_t next_slot = 0;  // resolver bookkeeping
};

struct Resolution {
  std::deque<Symbol> symbols;           // stable addresses for the AST's Symbol*
  std::vector<FunctionInfo> functions;  // by module function index
  uint32_t top_function = 0;
  std::vector<std::string> globals;
  std::vector<std::string> imports;
  struct ExportEntry {
    std::string name;
    uint32_t function;
  };
  std::vector<ExportEntry> exports;

  // Capture index of `symbol` in function `function`; the resolver created it.
  uint16_t CaptureIndexOf(uint32_t function, const Symbol* symbol) const;
};

// Annotates `program` in place. Only compile a program when no errors were reported.
// With `memory`, symbols and functions are charged to it.
void Resolve(Program& program, Resolution& out, Diagnostics& diags,
             CompileMemory* memory = nullptr);

}  // namespace trinity::lang
