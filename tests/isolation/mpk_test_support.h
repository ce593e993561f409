// Shared by the isolation tests: skipping (with the missing feature named) where the CPU
// or kernel has no protection keys, and reading a page's protection key from smaps.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "isolation/mpk_isolation.h"

#define TRINITY_REQUIRE_MPK()                                                         \
  do {                                                                                \
    if (!::trinity::isolation::MpkAvailable()) {                                      \
      GTEST_SKIP() << "needs memory protection keys: "                                \
                   << ::trinity::isolation::MpkUnavailableReason();                   \
    }                                                                                 \
  } while (0)

namespace trinity::testing {

// The ProtectionKey the kernel reports for the mapping holding `address`, or -1.
inline int SmapsKeyOf(const void* address) {
  auto at = reinterpret_cast<uintptr_t>(address);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if ((head >> std::hex >> lo >> dash >> hi) && dash == '-') {
      inside = lo <= at && at < hi;
      continue;
    }
    if (inside && line.rfind("ProtectionKey:", 0) == 0) return std::stoi(line.substr(14));
  }
  return -1;
}

}  // namespace trinity::testing
