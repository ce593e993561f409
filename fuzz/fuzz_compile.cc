// libFuzzer target: arbitrary text through the compiler. Errors are fine; crashes, internal
// compiler errors and modules that do not load (or change across a write/read trip) are
// not. Use with -dict=fuzz/dicts/trinity.dict.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/invariants.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  trinity::fuzz::CompileChecked(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
