// Human-readable rendering of LoadError, used in CLI messages and test failures.
// Format: "function 'fib' at byte 12: reason" or, module-level, "at byte 5: reason".
#include "runtime/load_error.h"

namespace trinity {

std::string LoadError::ToString() const {
  std::string out;
  if (!function.empty()) out += "function '" + function + "' ";
  out += "at byte " + std::to_string(offset) + ": " + reason;
  return out;
}

}  // namespace trinity
