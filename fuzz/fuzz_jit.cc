// libFuzzer target, differential for the trace JIT: the inputs of fuzz_tiers (first byte
// even: generator choices; odd: .tri text; its corpus is shared), run on the reference
// tier and on the fast tier with a JIT that records every loop after two back-edges. Bits
// of the first byte toggle the JIT's options: 1 makes guards fail in turn (every snapshot
// is exercised), 2 turns the LOOP pass off, 3 DCE, 4 constant folding, 5 CSE. Output,
// results, traps and fuel must be identical (differential_run.h).
#include <cstddef>
#include <cstdint>
#include <memory>

#include "fuzz/differential_run.h"
#include "jit/trace_jit.h"

namespace {

std::shared_ptr<trinity::jit::TraceJit> Jit(uint8_t mode) {
  trinity::jit::JitOptions options;
  options.hot_loop = 2;
  options.hot_exit = 2;
  options.stress_exits = (mode & 2) != 0;
  options.loop_pass = (mode & 4) == 0;
  options.dce = (mode & 8) == 0;
  options.fold.fold = (mode & 16) == 0;
  options.fold.cse = (mode & 32) == 0;
  return trinity::jit::MakeTraceJit(options);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::shared_ptr<const trinity::Module> module = trinity::fuzz::DifferentialModule(data, size);
  if (module) trinity::fuzz::CheckTiersAgree(module, Jit(data[0]));
  return 0;
}
