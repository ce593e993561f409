// Assembly text -> Module. The text format (directives, operands, labels) is described in
// lang/assembly_format.md; lang/disassembler.h writes the same format back.
// The result is not verified: hand-written modules may be invalid on purpose (tests of the
// verifier); LoadModule/VerifyModule decide whether one may run.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/module.h"
#include "runtime/result.h"

namespace trinity::lang {

struct AsmError {
  uint32_t line = 0, col = 0;  // 1-based
  std::string message;         // "file.tasm:3:7: unknown mnemonic 'lod'"
};

Result<Module, AsmError> Assemble(std::string_view text, std::string_view file_name);

}  // namespace trinity::lang
