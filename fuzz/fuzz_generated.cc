// libFuzzer target, structure-aware: the bytes choose a program (module_generator.h) that
// must pass VerifyModule — a rejection aborts, since it is a generator or verifier bug —
// then the module goes through the wire format and runs under the checks of fuzz_run.
#include <cstddef>
#include <cstdint>

#include "fuzz/checked_run.h"
#include "fuzz/invariants.h"
#include "fuzz/module_generator.h"
#include "runtime/verifier.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  trinity::Module m = trinity::fuzz::GenerateModule({data, size});
  auto verified = trinity::VerifyModule(m);
  if (!verified.ok()) {
    trinity::fuzz::InvariantFailed("a generated module does not verify",
                                   verified.error().ToString());
  }
  trinity::fuzz::CheckAssemblyRoundTrip(m);
  trinity::fuzz::RunModuleChecked(trinity::fuzz::CheckWireRoundTrip(m));
  return 0;
}
