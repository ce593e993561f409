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
class WorkerState {
 public:
  WorkerState(HostFunctions host) : host_(std::move(host)) {}

  ProcessResult Serve(const std::vector<uint8_t>& frame) {
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
    options.print = [&res](std::string_view text) { res.output.append(text); };
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

 private:
  HostFunctions host_;
  ContainmentGate gate_;  // seccomp traps in plugin code end the call, not the worker
  std::vector<uint8_t> module_bytes_;
  std::shared_ptr<const Module> module_;
};

// Never returns: a worker ends with _exit, so no exit handler (or sanitizer leak check,
// which would need ptrace) runs under a policy that refuses what it needs.
[[noreturn]] void WorkerMain(int fd, pid_t supervisor, const ProcessSupervisor::Options& o) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != supervisor) _exit(0);  // the supervisor died before the line above
  // A crash must not leave a core file holding plugin data.
  struct rlimit no_core {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  WorkerState state(o.make_host ? o.make_host() : HostFunctions{});
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
    if (!WriteFrame(fd, EncodeResult(res), FrameWrite::kWrite)) _exit(0);
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

// Waits until `fd` is readable or the deadline passes; false on timeout.
bool AwaitReply(int fd, std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    int wait_ms = -1;
    if (deadline.count() > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
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
    if (w->pid > 0) Bury(*w, true, "supervisor shut down");
  }
}

// Called with mu_ held (the child copies a locked mutex it never touches).
Result<ProcessSupervisor::Worker, std::string> ProcessSupervisor::Spawn() {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return Err(std::string("socketpair failed: ") + std::strerror(errno));
  }
  const pid_t supervisor = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(sv[0]);
    close(sv[1]);
    return Err(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    close(sv[0]);
    // Siblings' sockets would let one worker talk to another's supervisor channel.
    for (const auto& w : workers_) {
      if (w->fd >= 0) close(w->fd);
    }
    WorkerMain(sv[1], supervisor, options_);
  }
  close(sv[1]);
  ++stats_.workers_started;
  return Worker{pid, sv[0]};
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
  worker = Worker{};
  if (got < 0) return WorkerTrap(TrapKind::kInternal, "worker process lost: " + why);
  return DescribeDeath(status, why);
}

ProcessResult ProcessSupervisor::Exchange(Worker& w, const ProcessRequest& request) {
  ProcessResult res;
  // Under mu_: Spawn in another thread reads every worker's descriptor.
  auto lose = [&](const std::string& why, std::optional<Trap> instead = std::nullopt) {
    std::lock_guard<std::mutex> lock(mu_);
    Trap trap = Bury(w, true, why);
    ++stats_.workers_lost;
    if (auto fresh = Spawn()) w = fresh.value();
    res.trap = instead ? std::move(*instead) : std::move(trap);
    return res;
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
  if (!AwaitReply(w.fd, deadline)) {
    return lose("deadline", WorkerTrap(TrapKind::kDeadlineExceeded,
                                       "worker process gave no reply within " +
                                           std::to_string(deadline.count()) +
                                           " ms; killed and replaced"));
  }
  auto frame = ReadFrame(w.fd);
  if (!frame) return lose(frame.error().empty() ? "connection closed" : frame.error());
  auto decoded = DecodeResult(frame.value());
  if (!decoded) return lose(decoded.error());
  return std::move(decoded.value());
}

ProcessResult ProcessSupervisor::Run(const ProcessRequest& request) {
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
  ProcessResult res = Exchange(*w, request);
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
