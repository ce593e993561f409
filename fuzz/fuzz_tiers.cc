// libFuzzer target, differential: the first byte picks the program source — even: the
// rest are generator choices (module_generator.h, arbitrary verified bytecode shapes);
// odd: the rest is .tri text (the shapes the compiler emits) — and the module runs on both
// interpreter tiers, which must agree on everything observable (differential_run.h).
#include <cstddef>
#include <cstdint>
#include <memory>

#include "fuzz/differential_run.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::shared_ptr<const trinity::Module> module = trinity::fuzz::DifferentialModule(data, size);
  if (module) trinity::fuzz::CheckTiersAgree(module);
  return 0;
}
