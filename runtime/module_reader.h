// Parses the wire format (module_format.md) into an in-memory Module. Input is untrusted:
// every length and count is checked against the file and the caps in module.h before
// anything is allocated. The result still has to pass VerifyModule before it runs.
#pragma once

#include <cstdint>
#include <span>

#include "runtime/load_error.h"
#include "runtime/module.h"
#include "runtime/result.h"

namespace trinity {

// Rejections carry a file offset and no function name.
Result<Module, LoadError> ReadModule(std::span<const uint8_t> bytes);

}  // namespace trinity
