// The counters behind fast_profile.h: a handler address is mapped back to its FastOp
// through the loop's own table, then counted alone and as a pair with the previous one.
#include "runtime/fast_profile.h"

#include <unordered_map>

namespace trinity {

FastProfile& GlobalFastProfile() {
  static FastProfile* profile = new FastProfile();
  return *profile;
}

void CountFastStep(const void* const* handlers, const void* handler) {
  static std::unordered_map<const void*, int> op_of;
  static int previous = -1;
  if (op_of.empty()) {
    for (int i = 0; i < kFastOpCount; ++i) op_of.emplace(handlers[i], i);
  }
  int op = op_of.at(handler);
  FastProfile& p = GlobalFastProfile();
  ++p.ops[op];
  if (previous >= 0) ++p.pairs[previous][op];
  previous = op;
}

void WriteFastProfile(std::FILE* out) {
  const FastProfile& p = GlobalFastProfile();
  for (int i = 0; i < kFastOpCount; ++i) {
    if (p.ops[i] == 0) continue;
    std::fprintf(out, "op %s %llu\n", std::string(kFastOpInfo[i].mnemonic).c_str(),
                 static_cast<unsigned long long>(p.ops[i]));
  }
  for (int i = 0; i < kFastOpCount; ++i) {
    for (int j = 0; j < kFastOpCount; ++j) {
      if (p.pairs[i][j] == 0) continue;
      std::fprintf(out, "pair %s %s %llu\n", std::string(kFastOpInfo[i].mnemonic).c_str(),
                   std::string(kFastOpInfo[j].mnemonic).c_str(),
                   static_cast<unsigned long long>(p.pairs[i][j]));
    }
  }
}

}  // namespace trinity
