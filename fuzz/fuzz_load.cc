// libFuzzer target: untrusted bytes through LoadModule (ReadModule + VerifyModule), the
// path every plugin takes before it may run. Accepted modules must also survive a trip
// through WriteModule, and through Disassemble + Assemble, unchanged.
#include <cstddef>
#include <cstdint>

#include "fuzz/invariants.h"
#include "runtime/trinity.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto loaded = trinity::LoadModule({data, size});
  if (!loaded.ok()) {
    (void)loaded.error().ToString();
    return 0;
  }
  trinity::fuzz::CheckWireRoundTrip(*loaded.value());
  trinity::fuzz::CheckAssemblyRoundTrip(*loaded.value());
  return 0;
}
