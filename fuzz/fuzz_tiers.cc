// libFuzzer target, differential: the first byte picks the program source — even: the
// rest are generator choices (module_generator.h, arbitrary verified bytecode shapes);
// odd: the rest is .tri text (the shapes the compiler emits) — and the module runs on both
// interpreter tiers, which must agree on everything observable (differential_run.h).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/differential_run.h"
#include "fuzz/invariants.h"
#include "fuzz/module_generator.h"
#include "runtime/verifier.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::shared_ptr<const trinity::Module> module;
  if (data[0] % 2 == 0) {
    trinity::Module m = trinity::fuzz::GenerateModule({data + 1, size - 1});
    auto verified = trinity::VerifyModule(m);
    if (!verified.ok()) {
      trinity::fuzz::InvariantFailed("a generated module does not verify",
                                     verified.error().ToString());
    }
    module = trinity::fuzz::CheckWireRoundTrip(m);
  } else {
    module = trinity::fuzz::CompileChecked(
        std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
  }
  if (module) trinity::fuzz::CheckTiersAgree(module);
  return 0;
}
