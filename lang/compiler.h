// The Trinity language compiler's public entry point: .tri source text to a verified
// trinity::Module, or a list of compile errors with file, line and column.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "lang/diagnostics.h"
#include "runtime/module.h"
#include "runtime/result.h"

namespace trinity::lang {

// CompileError (diagnostics.h): { file, line, col (1-based, bytes), message }.
// Messages read like "expected ')' after arguments, found 'let'" or
// "undeclared name 'foo'". At most Diagnostics::kMaxErrors are returned.
//
// The module's start function "<top>" runs the top-level statements; top-level `let`s
// are globals; `export fn` become exports; `import fn` become imports. The module has
// passed VerifyModule; if it would not, that is reported as an internal compiler error.
Result<Module, std::vector<CompileError>> CompileSource(std::string_view source,
                                                        std::string_view file_name);

// What one compilation may use; passing a limit is a compile error like any other
// (docs/LANGUAGE.md, "Compile limits"). The defaults fit any hand-written plugin.
struct CompileLimits {
  // Checked before anything is read: a longer source is rejected at 1:1.
  size_t max_source_bytes = size_t{1} << 20;
  // Tokens, syntax tree, symbols and generated code, charged as each stage allocates
  // them (lang/compile_memory.h); the compiler's resident memory stays within about
  // this much plus a fixed overhead.
  size_t max_memory_bytes = size_t{128} << 20;
};

Result<Module, std::vector<CompileError>> CompileSource(std::string_view source,
                                                        std::string_view file_name,
                                                        const CompileLimits& limits);

// "file:line:col: error: message\n    3 | let x = (1 + \n      |              ^\n" for
// each error.
std::string FormatCompileErrors(const std::vector<CompileError>& errors, std::string_view source);

}  // namespace trinity::lang
