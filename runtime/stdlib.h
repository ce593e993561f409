// Entry points of the standard library: one function per row of TRINITY_LIBRARY_BUILTINS
// (builtins.h), named Library_<enum name> and defined in the stdlib_*.cc file of its area.
// CallBuiltin hands every library id to CallLibraryBuiltin, so execution tiers need no
// code of their own for them.
#pragma once

#include "runtime/builtins.h"
#include "runtime/interpreter.h"

namespace trinity {

// `args` points at `argc` values on the VM stack; the verifier has checked argc against
// the table's bounds.
using LibraryFunction = Value (*)(Instance::Impl& vm, Value* args, int argc);

#define TRINITY_LIBRARY_DECLARE(name, source, lo, hi) \
  Value Library_##name(Instance::Impl& vm, Value* args, int argc);
TRINITY_LIBRARY_BUILTINS(TRINITY_LIBRARY_DECLARE)
#undef TRINITY_LIBRARY_DECLARE

// Runs library built-in `id` (IsLibraryBuiltin(id) must hold).
Value CallLibraryBuiltin(Instance::Impl& vm, Builtin id, Value* args, int argc);

// Byte index of `needle` in `haystack` at or after `from`, or npos. Linear time (glibc's
// memmem is two-way), where a naive search on plugin-chosen strings could be quadratic.
size_t FindBytes(std::string_view haystack, std::string_view needle, size_t from);

// The core built-ins split() and trim() with the optional arguments the library added
// (stdlib_strings.cc): split with at most `limit` pieces (negative: no limit), trim of the
// bytes in `chars` (nullptr: ASCII whitespace) from the left and/or right end.
Value SplitString(Instance::Impl& vm, std::string_view s, std::string_view sep, int64_t limit);
Value TrimString(Instance::Impl& vm, const Value& s, const Value* chars, bool left, bool right,
                 std::string_view fn);

}  // namespace trinity
