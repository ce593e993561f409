// The process tier: a supervisor forks worker processes that lock themselves down with a
// seccomp policy and run plugin requests sent over a socketpair. A worker that crashes,
// is killed by seccomp or misses its deadline becomes a Trap for that one request and is
// replaced; the supervisor never dies with it. What a plugin prints streams back while it
// runs, so neither process holds more than a chunk of it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "isolation/process_wire.h"
#include "isolation/seccomp_filter.h"
#include "isolation/seccomp_policy.h"
#include "runtime/result.h"
#include "runtime/trinity.h"

namespace trinity::isolation {

struct SharedOutput;

class ProcessSupervisor {
 public:
  // Receives a request's print() output in order, as the worker produces it (at most
  // kMaxOutputChunk bytes a call). Called on the thread that called Run; must not throw.
  using OutputSink = std::function<void(std::string_view)>;

  struct Options {
    size_t workers = 1;
    // Applied by each worker before its first request; nullptr = no filter.
    const SeccompPolicy* policy = FindPolicy("strict");
    ViolationResponse response = ViolationResponse::kTrap;
    // For a policy that hides /proc, on a kernel without Landlock (InstallSeccompPolicy).
    WithoutLandlock without_landlock = WithoutLandlock::kRefuse;
    // Backstop per request, beyond the VM's own limits.timeout: the worker is killed when
    // its result has not arrived in time. 0 = limits.timeout + 1 s (so with the default
    // Limits, 11 s); none only when the request's limits.timeout is 0 too.
    std::chrono::milliseconds deadline{0};
    // Run without an OutputSink collects output in ProcessResult::output up to this many
    // bytes; more ends the request with an out-of-memory trap (the output so far is kept,
    // the worker is replaced).
    size_t max_collected_output = size_t{16} << 20;
    // Runs in each new worker before lock-down (it may still open rings and files);
    // returns the host functions that worker's instances link against.
    std::function<HostFunctions()> make_host;
  };

  struct Stats {
    uint64_t requests = 0;
    uint64_t workers_started = 0;
    uint64_t workers_lost = 0;  // crashed, killed, or missed a deadline
  };

  static Result<std::unique_ptr<ProcessSupervisor>, std::string> Start(Options options);
  // Kills and reaps every worker: no zombies, descriptors or mappings outlive the supervisor.
  ~ProcessSupervisor();
  ProcessSupervisor(const ProcessSupervisor&) = delete;
  ProcessSupervisor& operator=(const ProcessSupervisor&) = delete;

  // Runs one request on a free worker (waiting for one if all are busy). Thread-safe.
  // Output goes to `output` as it arrives, or, without a sink, into the result.
  ProcessResult Run(const ProcessRequest& request, const OutputSink& output = nullptr);

  Stats stats() const;
  std::vector<pid_t> worker_pids() const;

 private:
  struct Worker {
    pid_t pid = -1;
    int fd = -1;  // supervisor's end of the socketpair
    SharedOutput* shared = nullptr;  // its output buffer (worker_output.h)
  };

  explicit ProcessSupervisor(Options options) : options_(std::move(options)) {}
  Result<Worker, std::string> Spawn();
  // The worker is gone or useless: kill (if needed), reap, describe as a Trap.
  Trap Bury(Worker& worker, bool kill_first, const std::string& why);
  ProcessResult Exchange(Worker& worker, const ProcessRequest& request, const OutputSink& output);

  Options options_;
  mutable std::mutex mu_;
  std::condition_variable idle_changed_;
  std::vector<std::unique_ptr<Worker>> workers_;  // all of them; replaced in place
  std::vector<Worker*> idle_;
  Stats stats_;
};

}  // namespace trinity::isolation
