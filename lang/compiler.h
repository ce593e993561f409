// The Trinity language compiler's public entry point: .tri source text to a verified
// trinity::Module, or a list of compile errors with file, line and column.
#pragma once

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

// "file:line:col: error: message\n    3 | let x = (1 + \n      |              ^\n" for
// each error.
std::string FormatCompileErrors(const std::vector<CompileError>& errors, std::string_view source);

}  // namespace trinity::lang
