// The tracing JIT's public face: options, statistics, and the factory an embedder puts
// into InstanceOptions::jit to compile hot loops of the fast tier to x86-64.
//   InstanceOptions options;
//   options.jit = trinity::jit::MakeTraceJit();
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "jit/ir_builder.h"
#include "jit/recorder.h"
#include "runtime/trace_hooks.h"

namespace trinity::jit {

struct JitOptions {
  int32_t hot_loop = 56;          // back-edges before a loop is recorded (LuaJIT's hotloop)
  int max_aborts = 4;             // recordings of one loop that may fail before it is left alone
  int hot_exit = 10;              // times an exit is taken before a side trace is recorded
  size_t max_sides = 32;          // side traces per trace
  size_t max_traces = 400;        // traces per instance
  size_t max_tree_paths = 12;     // side paths compiled into one loop (trace tree)
  // After `judge_after` entries, a loop trace that ran fewer than min_steps_per_entry
  // back-edges and calls per entry is dropped (entering it costs more than it saves).
  uint64_t judge_after = 4096;
  uint64_t min_steps_per_entry = 3;
  bool loop_pass = true;          // LOOP pass (peeling, hoisting); off: a plain loop
  bool dce = true;                // dead-code elimination
  FoldOptions fold;               // constant folding and CSE
  RecorderLimits limits;
  size_t code_bytes = 8u << 20;   // executable memory per instance (address space reserved)
  bool stress_exits = false;      // testing: guards fail in turn, so every exit is taken
  bool perf_map = false;          // append published code to /tmp/perf-PID.map
  std::string perf_map_path;      // testing: another file
  bool dump = false;              // print each trace's IR and every abort to stderr
  // Runs once on the code reservation before anything is written: the isolation layer
  // gives it the runtime's protection key (mprotect keeps a page's key afterwards).
  std::function<bool(void*, size_t)> tag_code;
  // Called for every piece of code published: kernel registration, audit probes.
  std::function<void(const void* code, size_t size, const std::string& name)> on_publish;
};

// Counters over every engine the factory created (all instances), for reports and tests.
struct JitStats {
  std::atomic<uint64_t> traces{0};         // compiled and installed
  std::atomic<uint64_t> aborts{0};         // recordings abandoned
  std::atomic<uint64_t> blacklisted{0};    // loops left to the interpreter for good
  std::atomic<uint64_t> code_bytes{0};     // machine code published
  std::atomic<uint64_t> compile_ns{0};     // time spent in the LOOP pass, DCE and backend
  std::atomic<uint64_t> entries{0};        // trace entries
  std::atomic<uint64_t> exits{0};          // side exits taken (not counting fuel refills)
  std::atomic<uint64_t> emit_retries{0};   // re-emissions to avoid forbidden bytes
  std::atomic<uint64_t> tree_paths{0};     // side traces compiled into their loop
  std::atomic<uint64_t> unprofitable{0};   // loop traces dropped for running too briefly
};

class TraceJit : public TraceEngineFactory {
 public:
  explicit TraceJit(JitOptions options = {});
  std::unique_ptr<TraceEngine> Create(Instance::Impl* vm) override;
  const JitOptions& options() const { return options_; }
  const JitStats& stats() const { return *stats_; }
  // The last abort reason seen, for --jit-verbose style reports.
  std::string last_abort() const;
  // The address range every trace's code lives in (reserved when the factory is made,
  // before a sandbox locks down); empty when the reservation failed (arena_error()).
  struct CodeRegion {
    const void* base = nullptr;
    size_t size = 0;
  };
  CodeRegion code_region() const;
  const std::string& arena_error() const;

 private:
  JitOptions options_;
  std::shared_ptr<JitStats> stats_;
  std::shared_ptr<struct AbortLog> aborts_;
  std::shared_ptr<struct SharedArena> arena_;
};

std::shared_ptr<TraceJit> MakeTraceJit(JitOptions options = {});

}  // namespace trinity::jit
