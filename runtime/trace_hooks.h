// The interface a tracing JIT implements to plug into the fast tier; runtime/ knows
// nothing of jit/. The fast loop counts back-edges in a small per-instance table, asks the
// engine whether to record when a loop gets hot, reports every instruction while it
// records, and hands the frame to a compiled trace at loops that have one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "runtime/trinity.h"

namespace trinity {

struct Closure;

// Where the fast tier stands: the instruction about to run, the frame's slot 0 and
// closure. Frames below live in the instance (Instance::Impl::frames, depth).
struct FastState {
  const uint8_t* ip = nullptr;
  Value* base = nullptr;
  Closure* closure = nullptr;
  // Returned by RunTrace: the engine wants the instructions from here recorded (a side
  // trace from an exit that became hot).
  bool record = false;
};

// One direct-mapped entry per back-edge instruction (hashed by address).
struct LoopCounter {
  const uint8_t* loop_ip = nullptr;  // the back-edge instruction this entry belongs to
  void* trace = nullptr;             // the engine's compiled trace for it, or nullptr
  int32_t hot = 0;                   // back-edges left before the engine is asked
};

class TraceEngine {
 public:
  static constexpr size_t kLoopTableSize = 512;  // power of two
  static size_t LoopIndex(const uint8_t* loop_ip) {
    return (reinterpret_cast<uintptr_t>(loop_ip) >> 4) & (kLoopTableSize - 1);
  }

  virtual ~TraceEngine() = default;

  // The table the fast loop counts in; owned by the engine.
  virtual LoopCounter* loop_table() = 0;

  // A back-edge's counter ran out. `loop_ip` is the back-edge instruction; `at` stands at
  // the loop header with the back-edge's safepoint done. True: record from `at`.
  virtual bool OnHotLoop(const uint8_t* loop_ip, const FastState& at, size_t depth) = 0;

  // While recording: called before each instruction runs. False ends recording (the
  // trace was compiled or abandoned); the instruction then runs normally.
  virtual bool RecordStep(const FastState& at, size_t depth) = 0;

  // A trap or the end of the call interrupted recording.
  virtual void AbortRecording() = 0;

  // Runs `trace` (from loop_table) with the frame at its loop header. Returns where the
  // fast loop resumes; frames the trace had inlined are pushed onto the instance. Returns
  // `at` unchanged when the trace cannot be entered here (not enough depth or stack).
  virtual FastState RunTrace(void* trace, const FastState& at, int64_t* budget) = 0;

  // Constants and globals were re-created (instance reset): every trace is stale.
  virtual void Flush() = 0;
};

// Creates one engine per instance (InstanceOptions::jit). The engine may keep a pointer to
// the instance; it is destroyed before the instance's memory.
class TraceEngineFactory {
 public:
  virtual ~TraceEngineFactory() = default;
  virtual std::unique_ptr<TraceEngine> Create(Instance::Impl* vm) = 0;
};

}  // namespace trinity
