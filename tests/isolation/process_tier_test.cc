// The process tier on real processes: requests run in strict-sandboxed workers; a worker
// that crashes, is killed by seccomp or misses its deadline becomes a trap for that one
// request and is replaced, leaving no zombie processes and no leaked descriptors.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>

#include "isolation/process_tier.h"
#include "tests/isolation/sandbox_test_support.h"

namespace trinity::isolation {
namespace {

size_t OpenDescriptors() {
  size_t n = 0;
  DIR* d = opendir("/proc/self/fd");
  while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
  closedir(d);
  return n - 1;  // the directory stream's own descriptor
}

// Children of this process, and how many of them are zombies.
std::pair<size_t, size_t> Children() {
  size_t children = 0, zombies = 0;
  const std::string self = std::to_string(getpid());
  DIR* d = opendir("/proc");
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream stat(std::string("/proc/") + e->d_name + "/stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    size_t close_paren = line.rfind(')');
    if (close_paren == std::string::npos) continue;
    char state = 0;
    long ppid = 0;
    if (std::sscanf(line.c_str() + close_paren + 1, " %c %ld", &state, &ppid) != 2) continue;
    if (std::to_string(ppid) != self) continue;
    ++children;
    zombies += state == 'Z';
  }
  closedir(d);
  return {children, zombies};
}

HostFunctions TestHost() {
  HostFunctions host;
  // Stands in for a VM bug that brings the worker down.
  host.Register("crash", 0, [](HostArgs) -> Result<HostValue, std::string> { std::abort(); });
  // Host code breaking the policy: nothing contains it, so seccomp ends the worker.
  host.Register("forbidden", 0, [](HostArgs) -> Result<HostValue, std::string> {
    syscall(SYS_getppid);
    return HostValue::Nil();
  });
  return host;
}

constexpr const char* kPlugin = R"(
import fn crash()
import fn forbidden()
export fn handle(n) {
  let i = int(n)
  if i % 10 == 0 { crash() }
  print("handled " + n)
  return i * 2
}
export fn spin() { while true { } }
export fn refuse() { forbidden() }
export fn divide(n) { return 1 / int(n) }
export fn flood(n) {
  let s = repeat("x", 1048575)
  for i in 0..int(n) { print(s) }
  return "done"
}
export fn chatter_then_spin() {
  print("before the loop")
  while true { }
}
export fn last_words() {
  print("last words")
  crash()
}
)";

ProcessRequest Request(std::string entry, std::vector<std::string> args = {}) {
  ProcessRequest q;
  q.module = testing::CompileToBytes(kPlugin);
  q.entry = std::move(entry);
  q.args = std::move(args);
  return q;
}

ProcessSupervisor::Options TestOptions(size_t workers) {
  ProcessSupervisor::Options o;
  o.workers = workers;
  o.make_host = TestHost;
  return o;
}

TEST(ProcessTier, RunsARequestInASandboxedWorker) {
  auto s = ProcessSupervisor::Start(TestOptions(1));
  ASSERT_TRUE(s.ok()) << s.error();
  ProcessResult r = s.value()->Run(Request("handle", {"21"}));
  ASSERT_FALSE(r.setup_error) << *r.setup_error;
  ASSERT_FALSE(r.trap) << r.trap->ToString();
  EXPECT_EQ(r.output, "handled 21\n");
  EXPECT_EQ(r.result, "42");
  // An ordinary trap is the plugin's, not the worker's: no replacement.
  ProcessResult div = s.value()->Run(Request("divide", {"0"}));
  ASSERT_TRUE(div.trap);
  EXPECT_EQ(div.trap->kind, TrapKind::kDivisionByZero);
  EXPECT_EQ(div.trap->function, "divide");
  EXPECT_EQ(s.value()->stats().workers_started, 1u);
}

TEST(ProcessTier, ThousandRequestsWithACrashEveryTenthCall) {
  const size_t fds_before = OpenDescriptors();
  {
    auto s = ProcessSupervisor::Start(TestOptions(2));
    ASSERT_TRUE(s.ok()) << s.error();
    ProcessSupervisor& sup = *s.value();
    size_t ok = 0, crashed = 0;
    for (int i = 1; i <= 1000; ++i) {
      ProcessResult r = sup.Run(Request("handle", {std::to_string(i)}));
      if (i % 10 == 0) {
        ASSERT_TRUE(r.trap) << "request " << i << " should have crashed its worker";
        EXPECT_EQ(r.trap->kind, TrapKind::kInternal);
        EXPECT_NE(r.trap->message.find("crashed"), std::string::npos) << r.trap->message;
        ++crashed;
      } else {
        ASSERT_FALSE(r.trap) << "request " << i << ": " << r.trap->ToString();
        ASSERT_EQ(r.result, std::to_string(2 * i));
        ASSERT_EQ(r.output, "handled " + std::to_string(i) + "\n");
        ++ok;
      }
    }
    EXPECT_EQ(ok, 900u);
    EXPECT_EQ(crashed, 100u);
    EXPECT_EQ(sup.stats().workers_lost, 100u);
    EXPECT_EQ(sup.stats().workers_started, 102u);
    EXPECT_EQ(sup.worker_pids().size(), 2u);
    auto [children, zombies] = Children();
    EXPECT_EQ(children, 2u);
    EXPECT_EQ(zombies, 0u);
    EXPECT_EQ(OpenDescriptors(), fds_before + 2);  // one socket per live worker
  }
  auto [children, zombies] = Children();
  EXPECT_EQ(children, 0u);
  EXPECT_EQ(zombies, 0u);
  EXPECT_EQ(OpenDescriptors(), fds_before);
}

TEST(ProcessTier, WorkerKilledBySeccompIsReportedAndReplaced) {
  for (ViolationResponse response : {ViolationResponse::kTrap, ViolationResponse::kKillProcess}) {
    ProcessSupervisor::Options o = TestOptions(1);
    o.response = response;
    auto s = ProcessSupervisor::Start(o);
    ASSERT_TRUE(s.ok()) << s.error();
    ProcessResult r = s.value()->Run(Request("refuse"));
    ASSERT_TRUE(r.trap);
    EXPECT_EQ(r.trap->kind, TrapKind::kForbiddenSyscall) << r.trap->ToString();
    EXPECT_NE(r.trap->message.find("seccomp"), std::string::npos);
    ProcessResult next = s.value()->Run(Request("handle", {"3"}));
    ASSERT_FALSE(next.trap) << next.trap->ToString();
    EXPECT_EQ(next.result, "6");
    EXPECT_EQ(s.value()->stats().workers_lost, 1u);
  }
}

TEST(ProcessTier, WorkerPastItsDeadlineIsKilledAndReplaced) {
  ProcessSupervisor::Options o = TestOptions(1);
  o.deadline = std::chrono::milliseconds(200);
  auto s = ProcessSupervisor::Start(o);
  ASSERT_TRUE(s.ok()) << s.error();
  auto start = std::chrono::steady_clock::now();
  ProcessResult r = s.value()->Run(Request("spin"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  ASSERT_TRUE(r.trap);
  EXPECT_EQ(r.trap->kind, TrapKind::kDeadlineExceeded) << r.trap->ToString();
  ProcessResult next = s.value()->Run(Request("handle", {"4"}));
  ASSERT_FALSE(next.trap) << next.trap->ToString();
  EXPECT_EQ(next.result, "8");
  auto [children, zombies] = Children();
  EXPECT_EQ(children, 1u);
  EXPECT_EQ(zombies, 0u);
}

TEST(ProcessTier, RejectsAModuleTheVerifierRefuses) {
  auto s = ProcessSupervisor::Start(TestOptions(1));
  ASSERT_TRUE(s.ok()) << s.error();
  ProcessRequest q = Request("handle", {"1"});
  q.module.resize(q.module.size() / 2);
  ProcessResult r = s.value()->Run(q);
  ASSERT_TRUE(r.setup_error);
  EXPECT_NE(r.setup_error->find("load failed"), std::string::npos) << *r.setup_error;
}

TEST(ProcessTier, OutputStreamsToTheSinkAndIsNeverHeldWhole) {
  // 300 MiB of output: more than one frame could ever carry, so it only arrives if it
  // streams; the sink sees it chunk by chunk while the plugin runs.
  auto s = ProcessSupervisor::Start(TestOptions(1));
  ASSERT_TRUE(s.ok()) << s.error();
  size_t bytes = 0, calls = 0, largest = 0;
  bool only_x = true;
  ProcessRequest flood = Request("flood", {"300"});
  flood.limits.timeout = std::chrono::minutes(5);  // sanitizer builds on a busy machine are slow
  ProcessResult r = s.value()->Run(flood, [&](std::string_view text) {
    bytes += text.size();
    ++calls;
    largest = std::max(largest, text.size());
    only_x = only_x && text.find_first_not_of("x\n") == std::string_view::npos;
  });
  ASSERT_FALSE(r.trap) << r.trap->ToString();
  EXPECT_EQ(r.result, "done");
  EXPECT_EQ(bytes, size_t{300} << 20);
  EXPECT_TRUE(only_x);
  EXPECT_LE(largest, kMaxOutputChunk);
  EXPECT_GE(calls, 300u);
  EXPECT_EQ(r.output, "");  // went to the sink, not into the result
}

TEST(ProcessTier, OutputBeforeAWorkerIsKilledIsKept) {
  ProcessSupervisor::Options o = TestOptions(1);
  o.deadline = std::chrono::milliseconds(300);
  auto s = ProcessSupervisor::Start(o);
  ASSERT_TRUE(s.ok()) << s.error();
  std::string seen;
  ProcessResult r = s.value()->Run(Request("chatter_then_spin"),
                                   [&](std::string_view text) { seen += text; });
  ASSERT_TRUE(r.trap);
  EXPECT_EQ(r.trap->kind, TrapKind::kDeadlineExceeded);
  EXPECT_EQ(seen, "before the loop\n");
  // Collected without a sink, too.
  ProcessResult collected = s.value()->Run(Request("chatter_then_spin"));
  ASSERT_TRUE(collected.trap);
  EXPECT_EQ(collected.output, "before the loop\n");
  // And when the worker crashes.
  ProcessResult crashed = s.value()->Run(Request("last_words"));
  ASSERT_TRUE(crashed.trap);
  EXPECT_NE(crashed.trap->message.find("crashed"), std::string::npos) << crashed.trap->message;
  EXPECT_EQ(crashed.output, "last words\n");
}

TEST(ProcessTier, CollectedOutputIsBounded) {
  ProcessSupervisor::Options o = TestOptions(1);
  o.max_collected_output = 3 << 20;
  auto s = ProcessSupervisor::Start(o);
  ASSERT_TRUE(s.ok()) << s.error();
  ProcessResult r = s.value()->Run(Request("flood", {"10"}));
  ASSERT_TRUE(r.trap);
  EXPECT_EQ(r.trap->kind, TrapKind::kOutOfMemory) << r.trap->ToString();
  EXPECT_NE(r.trap->message.find("output larger than 3145728 bytes"), std::string::npos) << r.trap->message;
  EXPECT_GE(r.output.size(), size_t{2} << 20);  // what arrived before the limit is kept
  EXPECT_LE(r.output.size(), size_t{3} << 20);
  EXPECT_EQ(s.value()->stats().workers_lost, 1u);
  ProcessResult next = s.value()->Run(Request("flood", {"2"}));
  ASSERT_FALSE(next.trap) << next.trap->ToString();
  EXPECT_EQ(next.output.size(), size_t{2} << 20);
}

}  // namespace
}  // namespace trinity::isolation
