// Module -> assembly text (the format lang/assembler.h reads back).
// For any verified module, Assemble(Disassemble(m)) rebuilds a module that WriteModule
// serialises to exactly the same bytes: every field, line entry and constant bit survives.
#pragma once

#include <string>

#include "runtime/module.h"

namespace trinity::lang {

// Never fails: code that cannot be decoded (only possible in unverified modules) is shown
// as comments, so the text is still useful for looking at a rejected module.
std::string Disassemble(const Module& m);

}  // namespace trinity::lang
