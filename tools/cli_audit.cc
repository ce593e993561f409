// `trinity audit`: parses its options, starts the eBPF observer as an audit source and
// streams events until interrupted (bpf/audit_session.h does the streaming). Further
// sources (the kernel module's) are added to `sources` here.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cstdio>
#include <string>
#include <vector>

#include "bpf/audit_session.h"
#include "bpf/observer_source.h"
#include "tools/cli_commands.h"

namespace trinity::cli {
namespace {

std::atomic<bool> g_stop{false};

void OnStopSignal(int) { g_stop.store(true); }

struct AuditOptions {
  bpf::ObserverOptions observer;
  bpf::AuditSessionOptions session;
  bool pin = false;
  bool unpin = false;
};

Err<Failure> Usage(const std::string& message) {
  return Err(Failure{kExitUsage, "trinity: audit: " + message + "\n(see trinity audit --help)\n"});
}

std::optional<uint64_t> ParseNumber(const std::string& text) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

Result<AuditOptions, Failure> ParseAudit(const std::vector<std::string>& words) {
  AuditOptions o;
  o.session.json = false;  // text unless --json
  for (size_t i = 0; i < words.size(); ++i) {
    std::string flag = words[i], value;
    bool has_value = false;
    if (size_t eq = flag.find('='); eq != std::string::npos && flag.starts_with("--")) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      has_value = true;
    }
    if (flag == "--json" || flag == "--pin" || flag == "--unpin") {
      if (has_value) return Usage(flag + " takes no value");
      if (flag == "--json") o.session.json = true;
      if (flag == "--pin") o.pin = true;
      if (flag == "--unpin") o.unpin = true;
      continue;
    }
    bool known = flag == "--binary" || flag == "--pid" || flag == "--mode" || flag == "--pin-root" ||
                 flag == "--duration" || flag == "--ring-bytes" || flag == "--queue";
    if (!known) return Usage("unknown option '" + flag + "'");
    if (!has_value) {
      if (i + 1 >= words.size()) return Usage(flag + " needs a value");
      value = words[++i];
    }
    if (flag == "--binary") {
      if (value.empty()) return Usage("--binary needs a path");
      o.observer.objects.push_back(value);
    } else if (flag == "--pin-root") {
      if (!value.starts_with("/")) return Usage("--pin-root needs an absolute path");
      o.observer.pin_root = value;
    } else if (flag == "--mode") {
      if (value == "events") {
        o.observer.emit_mask = TRINITY_EMIT_ALL;
      } else if (value == "counters") {
        o.observer.emit_mask = TRINITY_EMIT_SECURITY;
      } else {
        return Usage("--mode expects events or counters, got '" + value + "'");
      }
    } else {
      std::optional<uint64_t> n = ParseNumber(value);
      if (!n) return Usage(flag + " expects a non-negative integer, got '" + value + "'");
      if (flag == "--pid") {
        if (*n == 0 || *n > INT32_MAX) return Usage("--pid expects a process id");
        o.observer.pid = static_cast<pid_t>(*n);
        o.session.follow_pid = o.observer.pid;
      } else if (flag == "--duration") {
        o.session.duration = std::chrono::milliseconds(*n * 1000);
      } else if (flag == "--ring-bytes") {
        if (*n < 4096 || *n > (1u << 30) || (*n & (*n - 1)) != 0) {
          return Usage("--ring-bytes expects a power of two from 4096 to 1073741824");
        }
        o.observer.ring_bytes = static_cast<uint32_t>(*n);
      } else {
        o.session.queue_capacity = static_cast<size_t>(*n);
      }
    }
  }
  if (o.unpin && o.pin) return Usage("--pin and --unpin exclude each other");
  return o;
}

}  // namespace

int AuditCommand(const CliArgs& args) {
  auto parsed = ParseAudit(args.audit_words);
  if (!parsed) return Report(parsed.error());
  AuditOptions o = std::move(parsed.value());
  if (o.unpin) {
    auto removed = bpf::RemovePins(o.observer.pin_root);
    if (!removed) return Report(Failure{kExitUnavailable, "trinity: audit: " + removed.error() + "\n"});
    std::fprintf(stderr, "trinity audit: removed the maps pinned under %s\n", o.observer.pin_root.c_str());
    return kExitOk;
  }
  auto source = bpf::ObserverSource::Start(o.observer);
  if (!source) return Report(Failure{kExitUnavailable, "trinity: audit: " + source.error() + "\n"});
  bpf::Observer& observer = source.value()->observer();
  if (o.pin) observer.KeepPins();
  for (const std::string& notice : observer.notices()) {
    std::fprintf(stderr, "trinity audit: %s\n", notice.c_str());
  }
  std::string objects;
  for (const bpf::AttachedProbe& p : observer.probes()) {
    if (objects.find(p.object) == std::string::npos) objects += (objects.empty() ? "" : ", ") + p.object;
  }
  // Tests and scripts wait for this line before starting the workload.
  std::fprintf(stderr, "trinity audit (pid %d): attached %zu probes in %s; maps pinned under %s; stop with Ctrl-C\n",
               static_cast<int>(getpid()), observer.probes().size(), objects.c_str(), observer.pin_root().c_str());

  struct sigaction stop {};
  stop.sa_handler = OnStopSignal;
  sigaction(SIGINT, &stop, nullptr);
  sigaction(SIGTERM, &stop, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a closed output ends the stream; the observer still detaches

  std::vector<bpf::AuditSource*> sources = {source.value().get()};
  bpf::AuditTotals totals = bpf::RunAuditSession(sources, o.session, g_stop, stdout);
  std::fprintf(stderr, "trinity audit: detached; %llu events, %llu lost (%llu ring buffer full, %llu queue full)%s\n",
               static_cast<unsigned long long>(totals.delivered),
               static_cast<unsigned long long>(totals.ring_full + totals.queue_full),
               static_cast<unsigned long long>(totals.ring_full),
               static_cast<unsigned long long>(totals.queue_full),
               o.pin ? "; maps stay pinned (trinity audit --unpin removes them)" : "");
  return kExitOk;
}

}  // namespace trinity::cli
