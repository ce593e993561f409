// Supervisor and worker of the process tier. Workers are forked from the supervisor, so
// they inherit the host functions' set-up code and any granted descriptors; each one
// closes its siblings' sockets, builds its host functions, locks itself down and then
// serves requests until its socket closes.
#include "isolation/process_tier.h"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "isolation/containment_gate.h"
#include "isolation/worker_output.h"
#include "runtime/probes.h"

#ifndef TRINITY_NO_PROBES
TRINITY_DEFINE_PROBE_SEMAPHORE(worker_call_entry);
TRINITY_DEFINE_PROBE_SEMAPHORE(worker_call_exit);
#endif

namespace trinity::isolation {
namespace {

constexpr auto kDeadlineGrace = std::chrono::milliseconds(1000);

// Serves one request inside a worker. The module is cached between requests because a
// caller usually sends the same plugin again; it is re-verified whenever the bytes change.
// print() goes to the WorkerOutput (worker_output.h), which is flushed before every host
// call, so output keeps its order against what host functions write themselves (log()).
class WorkerState {
 public:
  WorkerState(int fd, SharedOutput* shared, const HostFunctions& host) : output_(fd, shared) {
    for (const HostFunctions::Entry& e : host.entries()) {
      host_.Register(e.name, e.arity, [this, fn = e.fn](HostArgs args) {
        output_.Flush();
        return fn(args);
      });
    }
  }
  WorkerState(const WorkerState&) = delete;
  WorkerState& operator=(const WorkerState&) = delete;

  ProcessResult Serve(const std::vector<uint8_t>& frame) {
    output_.StartRequest();
    ProcessResult res = Run(frame);
    output_.Flush();
    return res;
  }

 private:
  ProcessResult Run(const std::vector<uint8_t>& frame) {
    ProcessResult res;
    auto request = DecodeRequest(frame);
    if (!request) {
      res.setup_error = request.error();
      return res;
    }
    const ProcessRequest& q = request.value();
    if (!module_ || q.module != module_bytes_) {
      module_.reset();
      auto loaded = LoadModule(q.module);
      if (!loaded) {
        res.setup_error = "load failed: " + loaded.error().ToString();
        return res;
      }
      module_ = loaded.value();
      module_bytes_ = q.module;
    }
    InstanceOptions options;
    options.limits = q.limits;
    options.print = [this](std::string_view text) { output_.Print(text); };
    options.gate = &gate_;
    auto instance = Instance::Create(module_, host_, options);
    if (!instance) {
      res.setup_error = "instance creation failed: " + instance.error();
      return res;
    }
    auto started = instance.value()->Start();
    if (!started) {
      res.trap = started.error();
      return res;
    }
    if (q.entry.empty()) return res;
    std::vector<HostValue> args;
    for (const std::string& a : q.args) args.push_back(HostValue::String(a));
    auto called = instance.value()->Call(q.entry, args);
    if (!called) {
      res.trap = called.error();
    } else if (called.value().type != HostValue::Type::kNil) {
      res.result = called.value().ToString();
    }
    return res;
  }

  WorkerOutput output_;
  HostFunctions host_;
  ContainmentGate gate_;  // seccomp traps in plugin code end the call, not the worker
  std::vector<uint8_t> module_bytes_;
  std::shared_ptr<const Module> module_;
};

// The result frame; one a frame cannot carry (a result or trap message of hundreds of
// MiB under a large heap limit) becomes a trap saying so, so it is never silently lost.
std::vector<uint8_t> ResultFrame(const ProcessResult& res) {
  std::vector<uint8_t> frame = EncodeResult(res);
  if (frame.size() <= kMaxFrameBytes) return frame;
  ProcessResult too_big;
  Trap t;
  t.kind = TrapKind::kOutOfMemory;
  t.message = "the request's result (" + std::to_string(frame.size()) +
              " bytes encoded) is larger than a worker can send back (" +
              std::to_string(kMaxFrameBytes) + " bytes)";
  if (res.trap) {
    t.function = res.trap->function;
    t.line = res.trap->line;
  }
  too_big.trap = std::move(t);
  return EncodeResult(too_big);
}

// Never returns: a worker ends with _exit, so no exit handler (or sanitizer leak check,
// which would need ptrace) runs under a policy that refuses what it needs.
[[noreturn]] void WorkerMain(int fd, SharedOutput* shared, pid_t supervisor,
                             const ProcessSupervisor::Options& o) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != supervisor) _exit(0);  // the supervisor died before the line above
  // A crash must not leave a core file holding plugin data.
  struct rlimit no_core {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  WorkerState state(fd, shared, o.make_host ? o.make_host() : HostFunctions{});
  if (o.policy != nullptr) {
    auto installed = InstallSeccompPolicy(*o.policy, o.response, o.without_landlock);
    if (!installed) {
      std::fprintf(stderr, "trinity worker: %s\n", installed.error().c_str());
      _exit(70);
    }
  }
  for (;;) {
    auto frame = ReadFrame(fd);
    if (!frame) _exit(0);
    ProcessResult res = state.Serve(frame.value());
    if (!WriteFrame(fd, ResultFrame(res), FrameWrite::kWrite)) _exit(0);
  }
}

Trap WorkerTrap(TrapKind kind, std::string message) {
  Trap t;
  t.kind = kind;
  t.message = std::move(message);
  return t;
}

// How a reaped worker ended, as the Trap the caller sees.
Trap DescribeDeath(int status, const std::string& why) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    if (sig == SIGSYS) {
      return WorkerTrap(TrapKind::kForbiddenSyscall,
                        "worker process killed by seccomp (SIGSYS); replaced");
    }
    return WorkerTrap(TrapKind::kInternal, "worker process crashed: " + why + ", signal " +
                                               std::to_string(sig) + " (" + strsignal(sig) +
                                               "); replaced");
  }
  if (WIFEXITED(status)) {
    return WorkerTrap(TrapKind::kInternal, "worker process exited with status " +
                                               std::to_string(WEXITSTATUS(status)) + " (" +
                                               why + "); replaced");
  }
  return WorkerTrap(TrapKind::kInternal, "worker process lost: " + why + "; replaced");
}

// Waits until `fd` is readable or `until` passes (never, without one); false on timeout.
bool AwaitReply(int fd, std::optional<std::chrono::steady_clock::time_point> until) {
  for (;;) {
    int wait_ms = -1;
    if (until) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          *until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      wait_ms = static_cast<int>(std::min<int64_t>(left.count(), 1 << 30));
    }
    pollfd p{fd, POLLIN, 0};
    int n = poll(&p, 1, wait_ms);
    if (n > 0) return true;  // data, or hang-up: the read tells which
    if (n == 0) return false;
    if (errno != EINTR) return true;
  }
}

}  // namespace

Result<std::unique_ptr<ProcessSupervisor>, std::string> ProcessSupervisor::Start(Options options) {
  if (options.workers == 0) return Err(std::string("the process tier needs at least one worker"));
  std::unique_ptr<ProcessSupervisor> s(new ProcessSupervisor(std::move(options)));
  std::lock_guard<std::mutex> lock(s->mu_);
  for (size_t i = 0; i < s->options_.workers; ++i) {
    auto w = s->Spawn();
    if (!w) return Err(w.error());
    s->workers_.push_back(std::make_unique<Worker>(w.value()));
    s->idle_.push_back(s->workers_.back().get());
  }
  return s;
}

ProcessSupervisor::~ProcessSupervisor() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& w : workers_) {
    SharedOutput* shared = w->shared;
    if (w->pid > 0) Bury(*w, true, "supervisor shut down");
    UnmapSharedOutput(shared);
  }
}

// Called with mu_ held (the child copies a locked mutex it never touches).
Result<ProcessSupervisor::Worker, std::string> ProcessSupervisor::Spawn() {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return Err(std::string("socketpair failed: ") + std::strerror(errno));
  }
  SharedOutput* shared = MapSharedOutput();
  if (shared == nullptr) {
    close(sv[0]);
    close(sv[1]);
    return Err(std::string("cannot map the worker's output buffer: ") + std::strerror(errno));
  }
  const pid_t supervisor = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(sv[0]);
    close(sv[1]);
    UnmapSharedOutput(shared);
    return Err(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    close(sv[0]);
    // Siblings' sockets and output buffers would let one worker talk to another's
    // supervisor channel, or write into another's output.
    for (const auto& w : workers_) {
      if (w->fd >= 0) close(w->fd);
      UnmapSharedOutput(w->shared);
    }
    WorkerMain(sv[1], shared, supervisor, options_);
  }
  close(sv[1]);
  ++stats_.workers_started;
  return Worker{pid, sv[0], shared};
}

Trap ProcessSupervisor::Bury(Worker& worker, bool kill_first, const std::string& why) {
  // Killing a worker that already died changes nothing (its status is already set); one
  // that closed its socket but hangs on must go, or waitpid would wait for it.
  if (kill_first || worker.fd >= 0) kill(worker.pid, SIGKILL);
  int status = 0;
  pid_t got;
  do {
    got = waitpid(worker.pid, &status, 0);
  } while (got < 0 && errno == EINTR);
  if (worker.fd >= 0) close(worker.fd);
  worker = Worker{};  // the caller unmaps worker.shared, once it took the unsent output
  if (got < 0) return WorkerTrap(TrapKind::kInternal, "worker process lost: " + why);
  return DescribeDeath(status, why);
}

ProcessResult ProcessSupervisor::Exchange(Worker& w, const ProcessRequest& request,
                                          const OutputSink& output) {
  ProcessResult res;
  // Output is handed on (or collected within its bound) frame by frame; `received`
  // counts it, and each frame must start where the last one ended.
  uint64_t received = 0;
  bool over_limit = false;
  auto deliver = [&](std::string_view text) {
    received += text.size();
    if (output) {
      if (!text.empty()) output(text);
    } else if (res.output.size() + text.size() > options_.max_collected_output) {
      over_limit = true;
    } else {
      res.output += text;
    }
    return !over_limit;
  };
  // The worker is gone or useless: reap it, pass on the output it had buffered but not
  // sent (unless the collected output is already over its bound), replace it.
  auto lose = [&](const std::string& why, std::optional<Trap> instead = std::nullopt) {
    SharedOutput* shared = w.shared;
    Trap trap;
    {
      // Under mu_: Spawn in another thread reads every worker's descriptor.
      std::lock_guard<std::mutex> lock(mu_);
      trap = Bury(w, true, why);
      ++stats_.workers_lost;
    }
    if (shared != nullptr) {
      if (!over_limit) deliver(UnsentOutput(*shared, received));
      UnmapSharedOutput(shared);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (auto fresh = Spawn()) w = fresh.value();
    }
    res.trap = over_limit ? WorkerTrap(TrapKind::kOutOfMemory,
                                       "output larger than " +
                                           std::to_string(options_.max_collected_output) +
                                           " bytes with no output sink to stream it to; worker replaced")
               : instead ? std::move(*instead)
                         : std::move(trap);
    return res;
  };
  // One output frame in order, or false.
  auto take_output = [&](const Reply& reply) {
    return reply.kind == ReplyKind::kOutput && reply.offset == received && deliver(reply.output);
  };
  if (w.pid < 0) {
    std::lock_guard<std::mutex> lock(mu_);
    auto fresh = Spawn();
    if (!fresh) {
      res.setup_error = fresh.error();
      return res;
    }
    w = fresh.value();
  }
  if (auto sent = WriteFrame(w.fd, EncodeRequest(request)); !sent) {
    return lose("request not delivered: " + sent.error());
  }
  std::chrono::milliseconds deadline = options_.deadline;
  if (deadline.count() == 0 && request.limits.timeout.count() > 0) {
    deadline = request.limits.timeout + kDeadlineGrace;
  }
  std::optional<std::chrono::steady_clock::time_point> until;
  if (deadline.count() > 0) until = std::chrono::steady_clock::now() + deadline;
  // Frames until the result, one at a time: the supervisor holds at most one frame.
  for (;;) {
    if (!AwaitReply(w.fd, until)) {
      // Output the worker wrote before the kill is still in the socket: take it too.
      kill(w.pid, SIGKILL);
      for (;;) {
        auto frame = ReadFrame(w.fd);  // ends at the end of stream the kill brings
        if (!frame) break;
        auto reply = DecodeReply(frame.value());
        if (!reply || !take_output(reply.value())) break;
      }
      return lose("deadline", WorkerTrap(TrapKind::kDeadlineExceeded,
                                         "worker process gave no reply within " +
                                             std::to_string(deadline.count()) +
                                             " ms; killed and replaced"));
    }
    auto frame = ReadFrame(w.fd);
    if (!frame) return lose(frame.error().empty() ? "connection closed" : frame.error());
    auto reply = DecodeReply(frame.value());
    if (!reply) return lose(reply.error());
    if (reply.value().kind == ReplyKind::kResult) {
      ProcessResult done = std::move(reply.value().result);
      done.output = std::move(res.output);
      return done;
    }
    if (!take_output(reply.value())) {
      return lose(over_limit ? "output limit" : "output frame out of order");
    }
  }
}

ProcessResult ProcessSupervisor::Run(const ProcessRequest& request, const OutputSink& output) {
  Worker* w;
  {
    std::unique_lock<std::mutex> lock(mu_);
    idle_changed_.wait(lock, [&] { return !idle_.empty(); });
    w = idle_.back();
    idle_.pop_back();
    ++stats_.requests;
  }
  // The host -> plugin boundary of this tier, for the audit probes (the worker's own
  // instance fires call_entry/call_exit too, in the worker process).
  const pid_t worker = w->pid;
  TRINITY_PROBE(worker_call_entry, worker, request.entry.c_str());
  ProcessResult res = Exchange(*w, request, output);
  TRINITY_PROBE(worker_call_exit, worker, res.trap ? static_cast<int>(res.trap->kind) : -1);
  {
    std::lock_guard<std::mutex> lock(mu_);
    idle_.push_back(w);
  }
  idle_changed_.notify_one();
  return res;
}

ProcessSupervisor::Stats ProcessSupervisor::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

std::vector<pid_t> ProcessSupervisor::worker_pids() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<pid_t> pids;
  for (const auto& w : workers_) {
    if (w->pid > 0) pids.push_back(w->pid);
  }
  return pids;
}

}  // namespace trinity::isolation
