// CompileSource (compiler.h): runs lexer, parser, resolver and code generator, then
// sizes each function's operand stack and verifies the result. Verification failures
// are compiler bugs, reported as errors rather than crashes or unverifiable modules.
#include "lang/compiler.h"

#include <string>
#include <vector>

#include "lang/codegen.h"
#include "lang/compile_memory.h"
#include "lang/lexer.h"
#include "lang/parser.h"
#include "lang/resolver.h"
#include "runtime/verifier.h"

namespace trinity::lang {
namespace {

// Fills max_stack for every function. A stack deeper than the VM allows is the
// program's fault (e.g. calls with many arguments nested deeply), not the compiler's.
void SizeStacks(Module& m, const Resolution& res, Diagnostics& diags) {
  for (size_t i = 0; i < m.functions.size(); ++i) {
    Function& f = m.functions[i];
    auto needed = ComputeMaxStack(m, f);
    if (needed) {
      f.max_stack = *needed;
      continue;
    }
    const FunctionInfo& info = res.functions[i];
    const std::string& reason = needed.error().reason;
    if (reason.find("exceeds the limit") != std::string::npos) {
      diags.Error(info.line, info.col, "function '" + info.name +
                                           "' is too complex: its expressions need more than " +
                                           std::to_string(kMaxStack) + " stack slots");
    } else {
      diags.Error(info.line, info.col, "internal compiler error: " + needed.error().ToString());
    }
  }
}

}  // namespace

Result<Module, std::vector<CompileError>> CompileSource(std::string_view source,
                                                        std::string_view file_name) {
  return CompileSource(source, file_name, CompileLimits{});
}

Result<Module, std::vector<CompileError>> CompileSource(std::string_view source,
                                                        std::string_view file_name,
                                                        const CompileLimits& limits) {
  Diagnostics diags(file_name);
  if (source.size() > limits.max_source_bytes) {
    diags.Error(1, 1, "source too large: more than " + std::to_string(limits.max_source_bytes) +
                          " bytes (CompileLimits::max_source_bytes)");
    return Err(diags.Take());
  }
  CompileMemory memory(limits.max_memory_bytes, diags);
  Module module;
  try {
    Program program;
    {
      // The tokens are only needed to build the tree; their memory goes back before the
      // later stages charge theirs.
      std::vector<Token> tokens = Lex(source, diags, &memory);
      size_t token_bytes = memory.used();
      program = Parse(tokens, diags, &memory);
      memory.Release(token_bytes);
    }
    if (diags.has_errors()) return Err(diags.Take());

    Resolution resolution;
    Resolve(program, resolution, diags, &memory);
    if (diags.has_errors()) return Err(diags.Take());

    GenerateModule(program, resolution, file_name, module, diags, &memory);
    if (diags.has_errors()) return Err(diags.Take());

    SizeStacks(module, resolution, diags);
    if (diags.has_errors()) return Err(diags.Take());
  } catch (const CompileMemoryExhausted&) {
    return Err(diags.Take());
  }

  auto verified = VerifyModule(module);
  if (!verified) {
    diags.Error(1, 1, "internal compiler error: the generated module does not verify: " +
                          verified.error().ToString());
    return Err(diags.Take());
  }
  return module;
}

}  // namespace trinity::lang
