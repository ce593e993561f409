// Serialises an in-memory Module to the wire format described in module_format.md.
// Used by the compiler, the assembler and tests; the output reads back with ReadModule.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/module.h"

namespace trinity {

// Optional sections are omitted when empty (source name, start function, constants,
// imports, globals, exports); the functions section is always written.
std::vector<uint8_t> WriteModule(const Module& m);

}  // namespace trinity
