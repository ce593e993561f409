// Small queries on the in-memory module (module.h): line lookup for traps and
// export lookup for hosts.
#include "runtime/module.h"

#include <algorithm>

namespace trinity {

uint32_t Function::LineAt(uint32_t pc) const {
  // `lines` is sorted by pc (the verifier enforces it), so binary search for the last
  // entry starting at or before pc.
  auto after = std::upper_bound(lines.begin(), lines.end(), pc,
                                [](uint32_t p, const LineEntry& e) { return p < e.pc; });
  if (after == lines.begin()) return 0;
  return std::prev(after)->line;
}

uint32_t Module::FindExport(std::string_view name) const {
  for (const Export& e : exports) {
    if (e.name == name) return e.function;
  }
  return kNoFunction;
}

}  // namespace trinity
