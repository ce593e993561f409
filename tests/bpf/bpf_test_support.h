// Helpers for the observer tests: what this machine lacks for BPF (tests skip naming it),
// a bpffs pin root of the test's own (the machine is shared; /sys/fs/bpf/trinity is the
// operator's), and running commands with their output captured.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace trinity::bpf::testing {

// The capability or kernel feature the observer needs and this machine lacks, or nullopt.
inline std::optional<std::string> MissingBpfSupport() {
  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) return "kernel BTF (/sys/kernel/btf/vmlinux)";
  if (access("/sys/bus/event_source/devices/uprobe/type", R_OK) != 0) return "uprobes (CONFIG_UPROBE_EVENTS)";
  // Effective capabilities, from /proc/self/status (CapEff, hex).
  std::ifstream status("/proc/self/status");
  std::string line;
  uint64_t effective = 0;
  while (std::getline(status, line)) {
    if (line.rfind("CapEff:", 0) == 0) effective = std::stoull(line.substr(7), nullptr, 16);
  }
  std::optional<std::string> missing;
  const std::pair<int, const char*> needed[] = {{21, "CAP_SYS_ADMIN"}, {39, "CAP_BPF"}, {38, "CAP_PERFMON"}};
  for (auto [bit, name] : needed) {
    if ((effective >> bit & 1) == 0) {
      missing = std::string(name) + " (run as root)";
      break;
    }
  }
  return missing;
}

#define SKIP_WITHOUT_BPF()                                                               \
  do {                                                                                   \
    if (auto missing = ::trinity::bpf::testing::MissingBpfSupport()) {                   \
      GTEST_SKIP() << "the eBPF observer needs " << *missing << ", which is missing here"; \
    }                                                                                    \
  } while (0)

// /sys/fs/bpf/trinity_test_NAME_PID: no '.', unique per test process.
inline std::string TestPinRoot(const std::string& name) {
  return "/sys/fs/bpf/trinity_test_" + name + "_" + std::to_string(getpid());
}

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

struct CommandOutput {
  int status = -1;  // exit status, or 128 + signal
  std::string out;
  std::string err;
};

// Runs `command` with /bin/sh, capturing stdout and stderr.
inline CommandOutput Shell(const std::string& command) {
  static int counter = 0;
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string base = std::string(tmp ? tmp : "/tmp") + "/cmd_" + std::to_string(getpid()) + "_" +
                     std::to_string(counter++);
  std::string full = "(" + command + ") >" + base + ".out 2>" + base + ".err";
  int raw = std::system(full.c_str());
  CommandOutput o;
  o.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  o.out = Slurp(base + ".out");
  o.err = Slurp(base + ".err");
  return o;
}

// A command running in the background with its output going to files.
class Background {
 public:
  explicit Background(const std::vector<std::string>& argv) {
    const char* tmp = std::getenv("TEST_TMPDIR");
    static int counter = 0;
    base_ = std::string(tmp ? tmp : "/tmp") + "/bg_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
    pid_ = fork();
    if (pid_ == 0) {
      int out = open((base_ + ".out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int err = open((base_ + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(out, 1);
      dup2(err, 2);
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
  }
  ~Background() {
    if (pid_ > 0 && status_ < 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  std::string out() const { return Slurp(base_ + ".out"); }
  std::string err() const { return Slurp(base_ + ".err"); }
  // Waits until stderr contains `text`; false after `timeout` or if the process ended.
  bool WaitForErr(const std::string& text, std::chrono::seconds timeout = std::chrono::seconds(60)) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      if (err().find(text) != std::string::npos) return true;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        status_ = status;
        return err().find(text) != std::string::npos;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  // Waits for the process to end; its exit status, or 128 + signal.
  int Wait() {
    if (status_ < 0) waitpid(pid_, &status_, 0);
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
  }
  // Sends `sig` and waits; the exit status, or 128 + signal.
  int Stop(int sig = SIGINT) {
    if (status_ < 0) {
      kill(pid_, sig);
      waitpid(pid_, &status_, 0);
    }
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
  }

 private:
  std::string base_;
  pid_t pid_ = -1;
  int status_ = -1;
};

}  // namespace trinity::bpf::testing
