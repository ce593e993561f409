// libFuzzer target: text that compiles is written to the wire format, loaded back and run
// under small limits, so source-level mutations reach the interpreter with the shapes of
// code the compiler really emits. print() output is discarded.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/checked_run.h"
#include "fuzz/invariants.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto module =
      trinity::fuzz::CompileChecked(std::string_view(reinterpret_cast<const char*>(data), size));
  if (module) trinity::fuzz::RunModuleChecked(module);
  return 0;
}
