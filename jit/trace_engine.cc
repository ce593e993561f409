// The per-instance trace engine: hot-loop counting policy, recording, the compile
// pipeline (LOOP pass, DCE, backend), installing traces in the loop table, entering them
// and rebuilding the interpreter's frames from the snapshot a trace leaves through.
// Loops whose recordings keep failing back off exponentially and are then left alone.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
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
#include "runtime/probes.h"

namespace trinity::jit {

struct AbortLog {
  std::mutex mu;
  std::string last;
};

// The executable memory every engine of one TraceJit publishes into: one reservation per
// process (or per factory), so it can be tagged and named to a seccomp filter once.
struct SharedArena {
  SharedArena(size_t bytes, const std::function<bool(void*, size_t)>& tag) : arena(bytes, tag) {}
  std::mutex mu;
  CodeArena arena;
};

namespace {

struct Trace {
  CompiledTrace code;
  std::vector<Snapshot> snapshots;
  // Per exit: how often it was taken, how many side recordings from it failed, and the
  // side trace that now continues from it.
  std::vector<uint16_t> exit_hits;
  std::vector<uint8_t> exit_failures;
  std::vector<Trace*> sides;
  size_t side_count = 0;
  std::vector<int32_t> snap_origin;  // loop-body exits: the recorded snapshot they copy
  const uint8_t* anchor = nullptr;   // a root trace's back-edge instruction
  // A root loop's recorded iteration and the side paths compiled into it (trace tree).
  std::unique_ptr<RecordedIteration> root_rec;
  std::vector<SideSegment> merged;
  uint32_t root_function = 0;
  size_t max_inline = 0;
  int64_t max_extent = 0;
  bool uses_root_closure = false;
  Closure* root_closure = nullptr;
  uint64_t id = 0;
  uint32_t start_pc = 0;  // where it starts in the root function's fast code
  uint64_t entries = 0;  // from the interpreter (root traces)
  uint64_t steps = 0;    // fuel steps those entries ran in traces
};

class Engine : public TraceEngine {
 public:
  Engine(Instance::Impl* vm, const JitOptions& options, std::shared_ptr<JitStats> stats,
         std::shared_ptr<AbortLog> log, std::shared_ptr<SharedArena> arena)
      : vm_(*vm), options_(options), stats_(std::move(stats)), log_(std::move(log)),
        arena_(std::move(arena)) {
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
    parent_ = nullptr;
    if (options_.dump) {
      std::fprintf(stderr, "---- recording loop at %p (table entry %zu)\n",
                   static_cast<const void*>(loop_ip), LoopIndex(loop_ip));
    }
    recorder_.emplace(vm_, loop_ip, at, depth, options_.fold, options_.limits, HasTraceFn());
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
    Trace* root = static_cast<Trace*>(handle);
    Trace* t = root;
    if (!CanEnter(*t, at)) return at;
    const int64_t budget_before = *budget;
    TraceContext ctx;
    ctx.budget = budget;
    ctx.globals = vm_.globals.data();
    ctx.vm = &vm_;
    // Traces pass control to each other through the frame: an exit writes its snapshot,
    // and the side trace attached to it, or the trace of the loop it links to, reads it.
    uint32_t exit = 0;
    for (;;) {
      if (options_.stress_exits) ctx.stress_countdown = static_cast<int32_t>(1 + stress_round_++ % 97);
      stats_->entries.fetch_add(1, std::memory_order_relaxed);
      exit = t->code.entry(at.base, &ctx);
      const Snapshot& s = t->snapshots[exit];
      if (options_.dump) {
        std::fprintf(stderr, "---- trace %llu left through snapshot %u\n",
                     static_cast<unsigned long long>(t->id), exit);
      }
      ctx.safepoint_due = 0;
      if (!s.frames.empty()) break;
      if (Trace* side = t->sides[exit]; side != nullptr && side->code.entry != nullptr &&
                                        CanEnter(*side, at)) {
        t = side;
        continue;
      }
      if (s.link != nullptr) {
        const LoopCounter& lc = table_[LoopIndex(s.link)];
        if (lc.loop_ip == s.link && lc.trace != nullptr && CanEnter(*static_cast<Trace*>(lc.trace), at)) {
          t = static_cast<Trace*>(lc.trace);
          continue;
        }
      }
      break;
    }
    const Snapshot& s = t->snapshots[exit];
    if (!s.fuel && s.link == nullptr) stats_->exits.fetch_add(1, std::memory_order_relaxed);
    // Fuel steps are back-edges and calls: what a trace entry bought. A loop that runs a
    // handful of iterations per entry costs more in entries and exits than it saves, and
    // goes back to the interpreter for good.
    ++root->entries;
    root->steps += static_cast<uint64_t>(budget_before - *budget);
    if (root->entries == options_.judge_after &&
        root->steps < root->entries * static_cast<uint64_t>(options_.min_steps_per_entry)) {
      Unprofitable(*root);
    }

    // Rebuild the frames of the calls the trace had inlined, as the interpreter's call
    // sequence would have left them.
    const FastModule& fm = *vm_.module->executable.fast();
    Value* frame = at.base;
    Closure* closure = at.closure;
    Value* base = frame;
    for (const SnapFrame& f : s.frames) {
      Frame& caller = vm_.frames[vm_.depth - 1];
      caller.fast_ip =
          reinterpret_cast<const FastInsn*>(fm.functions[caller.function].code + f.return_pc);
      Frame& callee = vm_.frames[vm_.depth++];
      callee.function = f.function;
      callee.base = Offset(frame, f.base_offset);
      callee.result = Offset(frame, f.result_offset);
      callee.closure = reinterpret_cast<Closure*>(f.closure);
      base = callee.base;
      closure = callee.closure;
    }
    FastState resume;
    resume.ip = fm.functions[s.function].code + s.resume_pc;
    resume.base = base;
    resume.closure = closure;
    // A side exit taken often enough gets a trace of its own, recorded from here.
    if (!s.at_loop_edge && !s.fuel && s.link == nullptr && s.frames.empty() && !recorder_ &&
        t->sides[exit] == nullptr && t->exit_failures[exit] < options_.max_aborts &&
        t->side_count < options_.max_sides && traces_.size() < options_.max_traces &&
        ++t->exit_hits[exit] >= options_.hot_exit) {
      t->exit_hits[exit] = 0;
      parent_ = t;
      parent_exit_ = exit;
      parent_origin_ = exit < t->snap_origin.size() ? t->snap_origin[exit] : -1;
      recording_loop_ = nullptr;
      if (options_.dump) {
        std::fprintf(stderr, "---- recording a side trace from trace %llu exit %u\n",
                     static_cast<unsigned long long>(t->id), exit);
      }
      recorder_.emplace(vm_, nullptr, resume, vm_.depth, options_.fold, options_.limits, HasTraceFn());
      resume.record = true;
    }
    return resume;
  }

  void Flush() override {
    recorder_.reset();
    for (LoopCounter& lc : table_) {
      lc.trace = nullptr;
      lc.loop_ip = nullptr;
      lc.hot = options_.hot_loop;
    }
    for (auto& t : traces_) Release(*t);
    traces_.clear();
  }

 private:
  static Value* Offset(Value* root, int32_t bytes) {
    return reinterpret_cast<Value*>(reinterpret_cast<char*>(root) + bytes);
  }

  // Inlined calls skip the interpreter's depth and stack checks: enter only where they
  // all pass. Captures of the root closure are baked in: only that closure.
  bool CanEnter(const Trace& t, const FastState& at) const {
    const size_t depth_limit = std::min<size_t>(vm_.options.limits.max_depth, vm_.frames.size());
    const char* stack_end = reinterpret_cast<const char*>(vm_.stack.data() + vm_.stack.size());
    // The interpreter's stack budget (CheckCall): slots, frames and open try blocks.
    const size_t budget_used =
        static_cast<size_t>(reinterpret_cast<const char*>(at.base) + t.max_extent -
                            reinterpret_cast<const char*>(vm_.stack.data())) +
        (vm_.depth + t.max_inline) * sizeof(Frame) + vm_.num_handlers * sizeof(Handler);
    return vm_.depth + t.max_inline < depth_limit &&
           reinterpret_cast<const char*>(at.base) + t.max_extent <= stack_end &&
           (t.max_inline == 0 || budget_used <= vm_.options.limits.max_stack_bytes) &&
           (!t.uses_root_closure || at.closure == t.root_closure);
  }

  Recorder::HasTrace HasTraceFn() {
    return [this](const uint8_t* back_edge) {
      const LoopCounter& lc = table_[LoopIndex(back_edge)];
      return lc.loop_ip == back_edge && lc.trace != nullptr;
    };
  }

  void Penalize(const std::string& why) {
    stats_->aborts.fetch_add(1, std::memory_order_relaxed);
    if (options_.dump) std::fprintf(stderr, "---- trace aborted: %s\n", why.c_str());
    {
      std::lock_guard<std::mutex> lock(log_->mu);
      log_->last = why;
    }
    if (parent_ != nullptr) {  // a side trace: the exit waits for another round
      ++parent_->exit_failures[parent_exit_];
      parent_ = nullptr;
      return;
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

  // The passes and the backend for one trace; nullopt (after penalising) on failure.
  std::optional<CompiledTrace> Build(TraceIr& ir) {
    if (options_.dce) EliminateDeadCode(ir);
    if (options_.dump) {
      std::fprintf(stderr, "---- trace %llu (%zu snapshots)\n%s",
                   static_cast<unsigned long long>(trace_ids_ + 1), ir.snapshots().size(),
                   ir.ToString().c_str());
    }
    if (!arena_->arena.ok()) {
      Penalize(arena_->arena.error());
      return std::nullopt;
    }
    BackendOptions backend;
    backend.stress_exits = options_.stress_exits;
    std::string assembly;
    if (options_.dump) backend.assembly = &assembly;
    std::variant<CompiledTrace, EmitFailure> compiled;
    InHostDomain([&] {
      std::lock_guard<std::mutex> lock(arena_->mu);
      compiled = CompileTrace(ir, arena_->arena, backend);
    });
    if (options_.dump) std::fprintf(stderr, "%s", assembly.c_str());
    if (auto* failure = std::get_if<EmitFailure>(&compiled)) {
      Penalize(failure->message);
      return std::nullopt;
    }
    const CompiledTrace& code = std::get<CompiledTrace>(compiled);
    stats_->code_bytes.fetch_add(code.code_size, std::memory_order_relaxed);
    stats_->emit_retries.fetch_add(static_cast<uint64_t>(code.attempts - 1), std::memory_order_relaxed);
    return code;
  }

  // Gives `t` new code and snapshots (a first compile, or a recompiled tree).
  void Install(Trace& t, CompiledTrace code, TraceIr& ir) {
    Release(t);
    // Side traces hanging off the old exits refer to snapshot numbers that changed.
    for (Trace* side : t.sides) {
      if (side != nullptr) Retire(side);
    }
    t.code = code;
    t.snapshots = std::move(ir.snapshots());
    t.snap_origin = std::move(ir.snap_origin());
    t.exit_hits.assign(t.snapshots.size(), 0);
    t.exit_failures.assign(t.snapshots.size(), 0);
    t.sides.assign(t.snapshots.size(), nullptr);
    t.side_count = 0;
    // trinity:traceID:FUNCTION:LINE, the line where the trace starts.
    const FastFunction& fast = vm_.module->executable.fast()->functions[t.root_function];
    const uint32_t line = fast.wire->LineAt(fast.WirePcAt(t.start_pc));
    const std::string name =
        "trinity:trace" + std::to_string(t.id) + ":" + fast.wire->name + ":" + std::to_string(line);
    if (options_.perf_map) {
      if (!perf_map_) perf_map_.emplace(options_.perf_map_path);
      perf_map_->Add(t.code.block, t.code.code_size, name);
    }
    // trinity:jit_emit for the eBPF observer (bpf/), then the embedder's hook (the kernel
    // module's registration, tools/cli_run.cc).
    probes::ReportJitCode(vm_.id, t.code.block, t.code.code_size, name.c_str());
    if (options_.on_publish) options_.on_publish(t.code.block, t.code.code_size, name);
  }

  void Unprofitable(Trace& t) {
    if (t.anchor == nullptr) return;
    LoopCounter& lc = table_[LoopIndex(t.anchor)];
    if (lc.trace != &t) return;
    lc.trace = nullptr;
    lc.hot = INT32_MAX;
    aborts_[t.anchor] = options_.max_aborts;
    stats_->blacklisted.fetch_add(1, std::memory_order_relaxed);
    stats_->unprofitable.fetch_add(1, std::memory_order_relaxed);
    if (options_.dump) {
      std::fprintf(stderr, "---- trace %llu dropped: %llu steps in %llu entries\n",
                   static_cast<unsigned long long>(t.id), static_cast<unsigned long long>(t.steps),
                   static_cast<unsigned long long>(t.entries));
    }
    // The code is released at the next flush: frames being rebuilt may still refer to
    // the snapshots, and the dispatcher no longer reaches it.
  }

  void Release(Trace& t) {
    if (t.code.block == nullptr) return;
    InHostDomain([&] {
      std::lock_guard<std::mutex> lock(arena_->mu);
      arena_->arena.Release(t.code.block);
    });
    t.code = CompiledTrace{};
  }

  // Code memory may carry the runtime's protection key, which plugin code (the recorder
  // runs there) cannot write: publishing and releasing happen in the host's domain.
  void InHostDomain(const std::function<void()>& body) {
    if (vm_.options.gate != nullptr && vm_.running) {
      vm_.options.gate->RunHost(body);
    } else {
      body();
    }
  }

  // A side trace whose parent was recompiled: its code goes; nothing can reach it.
  void Retire(Trace* t) {
    for (Trace* side : t->sides) {
      if (side != nullptr) Retire(side);
    }
    t->sides.clear();
    Release(*t);
  }

  // A side trace that came back to its own root loop's back-edge from an exit of the loop
  // body becomes a path of that loop: the root is recompiled as a trace tree.
  bool MergeIntoTree(Trace& root, RecordedIteration& side) {
    if (!root.root_rec || root.merged.size() >= options_.max_tree_paths) return false;
    std::vector<SideSegment> paths = root.merged;
    paths.push_back(SideSegment{static_cast<uint32_t>(parent_origin_), side.ir});
    std::variant<TraceIr, std::string> tree = PeelLoop(*root.root_rec, options_.fold, paths);
    if (auto* why = std::get_if<std::string>(&tree)) {
      if (options_.dump) std::fprintf(stderr, "---- no tree: %s\n", why->c_str());
      return false;
    }
    TraceIr& ir = std::get<TraceIr>(tree);
    std::optional<CompiledTrace> code = Build(ir);
    if (!code) return true;  // penalised; the old tree stays
    root.merged = std::move(paths);
    Install(root, *code, ir);
    stats_->tree_paths.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

  void Compile() {
    const auto start = std::chrono::steady_clock::now();
    RecordedIteration& rec = recorder_->iteration();
    Trace* parent = parent_;
    if (parent != nullptr && recorder_->linked() && parent_origin_ >= 0 && options_.loop_pass &&
        recorder_->link_target() == parent->anchor && MergeIntoTree(*parent, rec)) {
      parent_ = nullptr;
    } else {
      CompileAlone(rec);
    }
    stats_->compile_ns.fetch_add(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
            .count()), std::memory_order_relaxed);
  }

  void CompileAlone(RecordedIteration& rec) {
    const uint32_t start_pc = rec.entry.resume_pc;
    std::variant<TraceIr, std::string> looped;
    std::unique_ptr<RecordedIteration> kept;
    if (recorder_->linked()) {
      looped = rec.ir;  // straight-line: ends by linking to another trace
    } else {
      looped = options_.loop_pass ? PeelLoop(rec, options_.fold) : LoopWithoutPeeling(rec);
      kept = std::make_unique<RecordedIteration>(std::move(rec));
    }
    if (auto* why = std::get_if<std::string>(&looped)) {
      Penalize(*why);
      return;
    }
    TraceIr& ir = std::get<TraceIr>(looped);
    std::optional<CompiledTrace> code = Build(ir);
    if (!code) return;
    auto t = std::make_unique<Trace>();
    t->root_function = recorder_->root_function();
    t->max_inline = recorder_->max_inline_depth();
    t->max_extent = recorder_->max_extent();
    t->uses_root_closure = recorder_->uses_root_closure();
    t->root_closure = recorder_->root_closure();
    t->id = ++trace_ids_;
    t->anchor = recording_loop_;
    t->start_pc = start_pc;
    if (parent_ == nullptr) t->root_rec = std::move(kept);  // trees grow from root loops
    Install(*t, *code, ir);
    if (parent_ != nullptr) {
      parent_->sides[parent_exit_] = t.get();
      ++parent_->side_count;
      parent_ = nullptr;
    } else {
      LoopCounter& lc = table_[LoopIndex(recording_loop_)];
      lc.loop_ip = recording_loop_;
      lc.trace = t.get();
    }
    stats_->traces.fetch_add(1, std::memory_order_relaxed);
    traces_.push_back(std::move(t));
  }

  Instance::Impl& vm_;
  JitOptions options_;
  std::shared_ptr<JitStats> stats_;
  std::shared_ptr<AbortLog> log_;
  LoopCounter table_[kLoopTableSize];
  std::optional<Recorder> recorder_;
  const uint8_t* recording_loop_ = nullptr;  // a root recording's loop
  Trace* parent_ = nullptr;                  // a side recording's trace and exit
  uint32_t parent_exit_ = 0;
  int32_t parent_origin_ = -1;               // the exit's recorded snapshot in a loop body
  std::unordered_map<const uint8_t*, int> aborts_;
  std::shared_ptr<SharedArena> arena_;
  std::optional<PerfMap> perf_map_;
  std::vector<std::unique_ptr<Trace>> traces_;
  uint64_t trace_ids_ = 0;
  uint32_t stress_round_ = 0;
};

}  // namespace

TraceJit::TraceJit(JitOptions options)
    : options_(std::move(options)),
      stats_(std::make_shared<JitStats>()),
      aborts_(std::make_shared<AbortLog>()),
      arena_(std::make_shared<SharedArena>(options_.code_bytes, options_.tag_code)) {}

std::unique_ptr<TraceEngine> TraceJit::Create(Instance::Impl* vm) {
  return std::make_unique<Engine>(vm, options_, stats_, aborts_, arena_);
}

TraceJit::CodeRegion TraceJit::code_region() const {
  if (!arena_->arena.ok()) return {};
  return {arena_->arena.base(), arena_->arena.reserved_bytes()};
}

const std::string& TraceJit::arena_error() const { return arena_->arena.error(); }

std::string TraceJit::last_abort() const {
  std::lock_guard<std::mutex> lock(aborts_->mu);
  return aborts_->last;
}

std::shared_ptr<TraceJit> MakeTraceJit(JitOptions options) {
  return std::make_shared<TraceJit>(std::move(options));
}

}  // namespace trinity::jit
