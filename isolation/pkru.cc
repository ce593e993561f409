// The failure path of the checked PKRU writes, kept out of line so the gates' inline
// fast path stays a few instructions long.
#include "isolation/pkru.h"

#include <cstdio>
#include <cstdlib>

namespace trinity::isolation {

void PkruCheckFailed(uint32_t wanted, uint32_t seen) {
  std::fprintf(stderr, "trinity: PKRU check failed at a domain gate (wanted %#x, found %#x)\n",
               wanted, seen);
  std::abort();
}

}  // namespace trinity::isolation
