// libFuzzer target: untrusted bytes that pass LoadModule are instantiated and run — top
// level code and every export — under small limits, checking the runtime's invariants
// (no kInternal trap, fuel accounting, heap and memory-provider accounting).
#include <cstddef>
#include <cstdint>

#include "fuzz/checked_run.h"
#include "runtime/trinity.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto loaded = trinity::LoadModule({data, size});
  if (!loaded.ok()) return 0;
  trinity::fuzz::RunModuleChecked(loaded.value());
  return 0;
}
