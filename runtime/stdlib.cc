// Dispatch for the standard library: a table generated from TRINITY_LIBRARY_BUILTINS, so
// a row without its Library_ function fails to link instead of failing at run time.
#include "runtime/stdlib.h"

namespace trinity {
namespace {

constexpr LibraryFunction kLibraryFunctions[kLibraryBuiltinCount] = {
#define TRINITY_LIBRARY_ENTRY(name, source, lo, hi) &Library_##name,
    TRINITY_LIBRARY_BUILTINS(TRINITY_LIBRARY_ENTRY)
#undef TRINITY_LIBRARY_ENTRY
};

}  // namespace

Value CallLibraryBuiltin(Instance::Impl& vm, Builtin id, Value* args, int argc) {
  int index = static_cast<int>(id) - static_cast<int>(Builtin::kJsonDecode);
  return kLibraryFunctions[index](vm, args, argc);
}

}  // namespace trinity
