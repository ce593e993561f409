// The load-side invariants: a module that verified once must load again after a trip
// through the writer byte for byte, and survive disassembly and reassembly; the compiler
// never reports an internal error and never produces a module the loader rejects.
#include "fuzz/invariants.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "lang/assembler.h"
#include "lang/compiler.h"
#include "lang/disassembler.h"
#include "runtime/module_writer.h"
#include "runtime/trinity.h"

namespace trinity::fuzz {

void InvariantFailed(std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "fuzz invariant violated: %.*s\n", static_cast<int>(what.size()),
               what.data());
  if (!detail.empty()) {
    std::fprintf(stderr, "  %.*s\n", static_cast<int>(detail.size()), detail.data());
  }
  std::abort();
}

std::shared_ptr<const Module> CheckWireRoundTrip(const Module& m) {
  std::vector<uint8_t> bytes = WriteModule(m);
  auto loaded = LoadModule(bytes);
  if (!loaded.ok()) {
    InvariantFailed("a verified module does not load after WriteModule",
                    loaded.error().ToString());
  }
  if (WriteModule(*loaded.value()) != bytes) {
    InvariantFailed("WriteModule(ReadModule(WriteModule(m))) differs from WriteModule(m)");
  }
  return loaded.value();
}

void CheckAssemblyRoundTrip(const Module& m) {
  std::string text = lang::Disassemble(m);
  auto assembled = lang::Assemble(text, "roundtrip.tasm");
  if (!assembled.ok()) {
    InvariantFailed("the disassembly of a verified module does not assemble",
                    assembled.error().message + "\n" + text);
  }
  if (WriteModule(assembled.value()) != WriteModule(m)) {
    InvariantFailed("Assemble(Disassemble(m)) serialises differently from m", text);
  }
}

std::shared_ptr<const Module> CompileChecked(std::string_view source) {
  auto compiled = lang::CompileSource(source, "fuzz.tri");
  if (!compiled.ok()) {
    const std::vector<lang::CompileError>& errors = compiled.error();
    if (errors.empty()) InvariantFailed("CompileSource failed without an error message");
    for (const lang::CompileError& e : errors) {
      if (e.message.find("internal compiler error") != std::string::npos) {
        InvariantFailed("the compiler reported an internal error",
                        std::to_string(e.line) + ":" + std::to_string(e.col) + ": " + e.message);
      }
    }
    // Rendering walks the source by line and column; it must cope with any position.
    (void)lang::FormatCompileErrors(errors, source);
    return nullptr;
  }
  return CheckWireRoundTrip(compiled.value());
}

}  // namespace trinity::fuzz
