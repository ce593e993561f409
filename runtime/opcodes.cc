// Mnemonic lookup for the opcode table in opcodes.h.
// Lives in a .cc so the table stays the only place mnemonics are spelled out.
#include "runtime/opcodes.h"

namespace trinity {

std::optional<Op> OpFromMnemonic(std::string_view mnemonic) {
  // A linear scan is fine: the table is small and the assembler is not a hot path.
  for (int i = 0; i < kOpCount; ++i) {
    if (kOpInfo[i].mnemonic == mnemonic) return static_cast<Op>(i);
  }
  return std::nullopt;
}

}  // namespace trinity
