// The per-instance trace engine: hot-loop counting policy, recording, the compile
// pipeline (LOOP pass, DCE, backend), installing traces in the loop table, entering them
// and rebuilding the interpreter's frames from the snapshot a trace leaves through.
// Loops whose recordings keep failing back off exponentially and are then left alone.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <variant>
#include <vector>

#include "jit/code_arena.h"
#include "jit/dce.h"
#include "jit/loop_peel.h"
#include "jit/perf_map.h"
#include "jit/recorder.h"
#include "jit/trace_jit.h"
#include "jit/x64_backend.h"
#include "runtime/fast_code.h"
#include "runtime/interpreter.h"

namespace trinity::jit {

struct AbortLog {
  std::mutex mu;
  std::string last;
};

namespace {

struct Trace {
  CompiledTrace code;
  std::vector<Snapshot> snapshots;
  uint32_t root_function = 0;
  size_t max_inline = 0;
  int64_t max_extent = 0;
  bool uses_root_closure = false;
  Closure* root_closure = nullptr;
  uint64_t id = 0;
};

class Engine : public TraceEngine {
 public:
  Engine(Instance::Impl* vm, const JitOptions& options, std::shared_ptr<JitStats> stats,
         std::shared_ptr<AbortLog> log)
      : vm_(*vm), options_(options), stats_(std::move(stats)), log_(std::move(log)) {
    for (LoopCounter& lc : table_) lc.hot = options_.hot_loop;
  }
  ~Engine() override { Flush(); }

  LoopCounter* loop_table() override { return table_; }

  bool OnHotLoop(const uint8_t* loop_ip, const FastState& at, size_t depth) override {
    LoopCounter& lc = table_[LoopIndex(loop_ip)];
    lc.hot = options_.hot_loop;
    if (recorder_ || depth == 0) return false;
    // Another loop's trace owns this table entry: keep it.
    if (lc.trace != nullptr && lc.loop_ip != loop_ip) return false;
    const int failures = aborts_[loop_ip];
    if (failures >= options_.max_aborts) {
      lc.hot = INT32_MAX;
      return false;
    }
    lc.loop_ip = loop_ip;
    recording_loop_ = loop_ip;
    if (options_.dump) {
      std::fprintf(stderr, "---- recording loop at %p (table entry %zu)\n",
                   static_cast<const void*>(loop_ip), LoopIndex(loop_ip));
    }
    recorder_.emplace(vm_, loop_ip, at, depth, options_.fold, options_.limits);
    return true;
  }

  bool RecordStep(const FastState& at, size_t depth) override {
    if (!recorder_) return false;
    switch (recorder_->Step(at, depth)) {
      case Recorder::Status::kRecording:
        return true;
      case Recorder::Status::kComplete:
        Compile();
        break;
      case Recorder::Status::kAborted:
        Penalize(recorder_->abort_reason());
        break;
    }
    recorder_.reset();
    return false;
  }

  void AbortRecording() override {
    if (!recorder_) return;
    Penalize("the call ended while recording");
    recorder_.reset();
  }

  FastState RunTrace(void* handle, const FastState& at, int64_t* budget) override {
    const Trace& t = *static_cast<const Trace*>(handle);
    const size_t depth_limit = std::min<size_t>(vm_.options.limits.max_depth, vm_.frames.size());
    const char* stack_end = reinterpret_cast<const char*>(vm_.stack.data() + vm_.stack.size());
    // Inlined calls skip the interpreter's depth and stack checks: enter only where they
    // all pass. Captures of the root closure are baked in: only that closure.
    if (vm_.depth + t.max_inline >= depth_limit ||
        reinterpret_cast<const char*>(at.base) + t.max_extent > stack_end ||
        (t.uses_root_closure && at.closure != t.root_closure)) {
      return at;
    }
    TraceContext ctx;
    ctx.budget = budget;
    ctx.globals = vm_.globals.data();
    ctx.vm = &vm_;
    if (options_.stress_exits) ctx.stress_countdown = static_cast<int32_t>(1 + stress_round_++ % 97);
    stats_->entries.fetch_add(1, std::memory_order_relaxed);
    const uint32_t exit = t.code.entry(at.base, &ctx);
    const Snapshot& s = t.snapshots[exit];
    if (!s.at_loop_edge) stats_->exits.fetch_add(1, std::memory_order_relaxed);
    if (options_.dump) {
      std::fprintf(stderr, "---- trace %llu left through snapshot %u\n",
                   static_cast<unsigned long long>(t.id), exit);
    }

    // Rebuild the frames of the calls the trace had inlined, as the interpreter's call
    // sequence would have left them.
    const FastModule& fm = *vm_.module->executable.fast();
    Value* root = at.base;
    Closure* closure = at.closure;
    Value* base = root;
    for (const SnapFrame& f : s.frames) {
      Frame& caller = vm_.frames[vm_.depth - 1];
      caller.fast_ip =
          reinterpret_cast<const FastInsn*>(fm.functions[caller.function].code + f.return_pc);
      Frame& callee = vm_.frames[vm_.depth++];
      callee.function = f.function;
      callee.base = Offset(root, f.base_offset);
      callee.result = Offset(root, f.result_offset);
      callee.closure = reinterpret_cast<Closure*>(f.closure);
      base = callee.base;
      closure = callee.closure;
    }
    FastState resume;
    resume.ip = fm.functions[s.function].code + s.resume_pc;
    resume.base = base;
    resume.closure = closure;
    return resume;
  }

  void Flush() override {
    recorder_.reset();
    for (LoopCounter& lc : table_) {
      lc.trace = nullptr;
      lc.loop_ip = nullptr;
      lc.hot = options_.hot_loop;
    }
    if (arena_) {
      for (auto& t : traces_) arena_->Release(t->code.block);
    }
    traces_.clear();
  }

 private:
  static Value* Offset(Value* root, int32_t bytes) {
    return reinterpret_cast<Value*>(reinterpret_cast<char*>(root) + bytes);
  }

  void Penalize(const std::string& why) {
    stats_->aborts.fetch_add(1, std::memory_order_relaxed);
    if (options_.dump) std::fprintf(stderr, "---- trace aborted: %s\n", why.c_str());
    {
      std::lock_guard<std::mutex> lock(log_->mu);
      log_->last = why;
    }
    const int failures = ++aborts_[recording_loop_];
    LoopCounter& lc = table_[LoopIndex(recording_loop_)];
    if (failures >= options_.max_aborts) {
      stats_->blacklisted.fetch_add(1, std::memory_order_relaxed);
      lc.hot = INT32_MAX;
    } else {
      // Exponential back-off: a loop that failed to record waits longer each time.
      lc.hot = options_.hot_loop << std::min(failures * 2, 16);
    }
  }

  void Compile() {
    const auto start = std::chrono::steady_clock::now();
    RecordedIteration& rec = recorder_->iteration();
    std::variant<TraceIr, std::string> looped =
        options_.loop_pass ? PeelLoop(rec, options_.fold) : LoopWithoutPeeling(rec);
    if (auto* why = std::get_if<std::string>(&looped)) {
      Penalize(*why);
      return;
    }
    TraceIr& ir = std::get<TraceIr>(looped);
    if (options_.dce) EliminateDeadCode(ir);
    if (options_.dump) {
      std::fprintf(stderr, "---- trace %llu (%zu snapshots)\n%s",
                   static_cast<unsigned long long>(trace_ids_ + 1), ir.snapshots().size(),
                   ir.ToString().c_str());
    }
    if (!arena_) {
      arena_.emplace(options_.code_bytes);
      if (!arena_->ok()) {
        Penalize(arena_->error());
        arena_.reset();
        return;
      }
    }
    BackendOptions backend;
    backend.stress_exits = options_.stress_exits;
    std::string assembly;
    if (options_.dump) backend.assembly = &assembly;
    auto compiled = CompileTrace(ir, *arena_, backend);
    if (options_.dump) std::fprintf(stderr, "%s", assembly.c_str());
    if (auto* failure = std::get_if<EmitFailure>(&compiled)) {
      Penalize(failure->message);
      return;
    }
    auto t = std::make_unique<Trace>();
    t->code = std::get<CompiledTrace>(compiled);
    t->snapshots = std::move(ir.snapshots());
    t->root_function = recorder_->root_function();
    t->max_inline = recorder_->max_inline_depth();
    t->max_extent = recorder_->max_extent();
    t->uses_root_closure = recorder_->uses_root_closure();
    t->root_closure = recorder_->root_closure();
    t->id = ++trace_ids_;
    LoopCounter& lc = table_[LoopIndex(recording_loop_)];
    lc.loop_ip = recording_loop_;
    lc.trace = t.get();
    stats_->traces.fetch_add(1, std::memory_order_relaxed);
    stats_->code_bytes.fetch_add(t->code.code_size, std::memory_order_relaxed);
    stats_->emit_retries.fetch_add(static_cast<uint64_t>(t->code.attempts - 1), std::memory_order_relaxed);
    if (options_.perf_map) {
      if (!perf_map_) perf_map_.emplace(options_.perf_map_path);
      const Function& fn = *vm_.module->executable.fast()->functions[t->root_function].wire;
      perf_map_->Add(t->code.block, t->code.code_size,
                     "trinity:trace" + std::to_string(t->id) + ":" + fn.name);
    }
    traces_.push_back(std::move(t));
    stats_->compile_ns.fetch_add(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
            .count()), std::memory_order_relaxed);
  }

  Instance::Impl& vm_;
  JitOptions options_;
  std::shared_ptr<JitStats> stats_;
  std::shared_ptr<AbortLog> log_;
  LoopCounter table_[kLoopTableSize];
  std::optional<Recorder> recorder_;
  const uint8_t* recording_loop_ = nullptr;
  std::unordered_map<const uint8_t*, int> aborts_;
  std::optional<CodeArena> arena_;
  std::optional<PerfMap> perf_map_;
  std::vector<std::unique_ptr<Trace>> traces_;
  uint64_t trace_ids_ = 0;
  uint32_t stress_round_ = 0;
};

}  // namespace

TraceJit::TraceJit(JitOptions options)
    : options_(std::move(options)),
      stats_(std::make_shared<JitStats>()),
      aborts_(std::make_shared<AbortLog>()) {}

std::unique_ptr<TraceEngine> TraceJit::Create(Instance::Impl* vm) {
  return std::make_unique<Engine>(vm, options_, stats_, aborts_);
}

std::string TraceJit::last_abort() const {
  std::lock_guard<std::mutex> lock(aborts_->mu);
  return aborts_->last;
}

std::shared_ptr<TraceJit> MakeTraceJit(JitOptions options) {
  return std::make_shared<TraceJit>(std::move(options));
}

}  // namespace trinity::jit
