// Name lookup for the builtin table in builtins.h.
// The compiler resolves calls like `math.sqrt(x)` through this.
#include "runtime/builtins.h"

namespace trinity {

std::optional<Builtin> BuiltinFromName(std::string_view name) {
  for (int i = 0; i < kBuiltinCount; ++i) {
    if (kBuiltinInfo[i].name == name) return static_cast<Builtin>(i);
  }
  return std::nullopt;
}

bool IsBuiltinNamespace(std::string_view prefix) {
  for (const BuiltinInfo& info : kBuiltinInfo) {
    size_t dot = info.name.find('.');
    if (dot != std::string_view::npos && info.name.substr(0, dot) == prefix) return true;
  }
  return false;
}

}  // namespace trinity
