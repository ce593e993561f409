// `trinity audit` end to end, as an operator runs it: attach (by --binary, by --pid, or to
// the trinity command itself), run real plugin workloads in other processes, check the
// JSON lines (call entry/exit, traps, a forbidden syscall under the strict policy seen by
// the process and by the kernel, jit_emit, process-tier workers) against the schema, check
// the pinned maps with bpftool while attached, and check detach, --pin and --unpin.
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/bpf/bpf_test_support.h"

namespace trinity::bpf {
namespace {

using testing::Background;
using testing::CommandOutput;
using testing::Shell;

std::string RealPath(const std::string& path) {
  char buf[PATH_MAX];
  return realpath(path.c_str(), buf) ? std::string(buf) : path;
}

std::string Trinity() { return RealPath("tools/trinity"); }

// A private copy of the trinity command (its own inode): uprobes attach to a file, so
// auditing "the trinity command" through this copy sees only the runs this test makes,
// not those of other tests running the shared binary at the same time.
std::string PrivateTrinity() {
  static const std::string copy = [] {
    // Still named trinity: events carry the command name.
    std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/private";
    std::string path = dir + "/trinity";
    CommandOutput cp = Shell("mkdir -p " + dir + " && cp " + Trinity() + " " + path + " && chmod 755 " + path);
    EXPECT_EQ(cp.status, 0) << cp.err;
    return path;
  }();
  return copy;
}
std::string Target() { return RealPath("tests/bpf/audit_target"); }

// Lines of `text` that contain every one of `parts`.
std::vector<std::string> Matching(const std::string& text, const std::vector<std::string>& parts) {
  std::vector<std::string> out;
  for (const std::string& line : testing::Lines(text)) {
    bool all = true;
    for (const std::string& p : parts) all = all && line.find(p) != std::string::npos;
    if (all) out.push_back(line);
  }
  return out;
}

std::string Pid(pid_t pid) { return "\"pid\":" + std::to_string(pid) + ","; }

// Runs audit_target SCENARIO to completion; its pid.
pid_t RunTarget(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {Target()};
  argv.insert(argv.end(), args.begin(), args.end());
  Background target(argv);
  EXPECT_EQ(target.Wait(), 0) << args[0] << ": " << target.err();
  EXPECT_NE(target.out().find("done"), std::string::npos) << args[0] << ": " << target.err();
  return target.pid();
}

void ExpectSchema(const std::string& text) {
  std::string file = std::string(std::getenv("TEST_TMPDIR")) + "/audit_" + std::to_string(getpid()) + ".jsonl";
  FILE* f = std::fopen(file.c_str(), "w");
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
  CommandOutput check = Shell("python3 tests/bpf/audit_schema.py " + file);
  EXPECT_EQ(check.status, 0) << check.out << check.err;
}

class AuditCli : public ::testing::Test {
 protected:
  void SetUp() override { SKIP_WITHOUT_BPF(); }
};

TEST_F(AuditCli, AttachedToAnEmbeddingHostSeesEveryKindOfEvent) {
  const std::string root = testing::TestPinRoot("cli_host");
  Background audit({Trinity(), "audit", "--json", "--binary", Target(), "--pin-root", root});
  ASSERT_TRUE(audit.WaitForErr("): attached")) << audit.err();
  EXPECT_NE(audit.err().find("attached 13 probes in " + Target()), std::string::npos) << audit.err();

  pid_t calls = RunTarget({"calls", "3"});
  pid_t trap = RunTarget({"trap"});
  pid_t strict = RunTarget({"strict"});
  pid_t jit = RunTarget({"jit"});
  pid_t process = RunTarget({"process"});
  pid_t kill = RunTarget({"kill"});

  // The pinned maps, BTF-typed: bpftool prints their fields by name.
  CommandOutput procs = Shell("bpftool map dump pinned " + root + "/procs");
  EXPECT_EQ(procs.status, 0) << procs.err;
  EXPECT_NE(procs.out.find("\"key\": " + std::to_string(strict)), std::string::npos) << procs.out;
  EXPECT_NE(procs.out.find("\"comm\": \"audit_target\""), std::string::npos);
  EXPECT_NE(procs.out.find("\"forbidden_syscall\": 1"), std::string::npos);
  EXPECT_NE(procs.out.find("\"division_by_zero\": 1"), std::string::npos);
  EXPECT_NE(procs.out.find("\"kernel_sigsys\": 1"), std::string::npos);
  EXPECT_NE(procs.out.find("\"jit_bytes\": 16"), std::string::npos);
  EXPECT_NE(procs.out.find("\"plugin_entries\": 4"), std::string::npos);  // calls: top level + 3
  CommandOutput insts = Shell("bpftool map dump pinned " + root + "/insts");
  EXPECT_NE(insts.out.find("\"instance\": 1"), std::string::npos) << insts.out;
  EXPECT_NE(insts.out.find("\"host_calls\": 6"), std::string::npos) << insts.out;
  CommandOutput drops = Shell("bpftool map dump pinned " + root + "/ev_drops");
  EXPECT_NE(drops.out.find("\"call_entry\": 0"), std::string::npos) << drops.out;

  EXPECT_EQ(audit.Stop(SIGINT), 0) << audit.err();
  EXPECT_NE(audit.err().find("trinity audit: detached; "), std::string::npos) << audit.err();
  EXPECT_NE(audit.err().find(" 0 lost"), std::string::npos) << audit.err();
  EXPECT_NE(access(root.c_str(), F_OK), 0) << "pins left behind without --pin";
  const std::string out = audit.out();
  ExpectSchema(out);

  // Host -> plugin and back, with the export's name; host calls in between.
  EXPECT_EQ(Matching(out, {Pid(calls), "\"event\":\"call_entry\"", "\"function\":\"work\"", "\"tier\":\"fast\""}).size(), 3u);
  EXPECT_EQ(Matching(out, {Pid(calls), "\"event\":\"call_exit\"", "\"outcome\":\"return\""}).size(), 4u);
  EXPECT_EQ(Matching(out, {Pid(calls), "\"event\":\"host_call\"", "\"name\":\"twice\""}).size(), 6u);
  EXPECT_EQ(Matching(out, {Pid(calls), "\"event\":\"instance_create\"", "\"instance\":1,"}).size(), 1u);
  EXPECT_EQ(Matching(out, {Pid(calls), "\"event\":\"instance_destroy\""}).size(), 1u);
  // A trap, then the call's exit naming it.
  EXPECT_EQ(Matching(out, {Pid(trap), "\"event\":\"trap\"", "\"kind\":\"division by zero\""}).size(), 1u);
  EXPECT_EQ(Matching(out, {Pid(trap), "\"event\":\"call_exit\"", "\"outcome\":\"trap\"",
                           "\"trap_kind\":\"division by zero\""}).size(), 1u);
  // The forbidden syscall: reported by the process, seen by the kernel (and attested by
  // the kernel's own state), and the resulting trap; the process was under a filter.
  EXPECT_EQ(Matching(out, {Pid(strict), "\"event\":\"seccomp_violation\"", "\"name\":\"getppid\"",
                           "\"action\":\"reported\""}).size(), 1u);
  EXPECT_EQ(Matching(out, {Pid(strict), "\"event\":\"kernel_sigsys\"", "\"source\":\"kernel\"",
                           "\"name\":\"getppid\"", "\"arch\":\"x86_64\"", "\"action\":\"trap\"",
                           "\"seccomp\":\"filter\"", "\"instance\":1,", "\"attested\":true"}).size(), 1u)
      << out;
  EXPECT_EQ(Matching(out, {Pid(strict), "\"event\":\"trap\"", "\"kind\":\"forbidden syscall\""}).size(), 1u);
  // JIT code emission.
  EXPECT_EQ(Matching(out, {Pid(jit), "\"event\":\"jit_emit\"", "\"size\":16", "\"name\":\"trace work:7\"",
                           "\"tier\":\"jit\""}).size(), 1u);
  // The process tier: the supervisor's call into the worker, and the worker's own.
  auto sent = Matching(out, {Pid(process), "\"event\":\"call_entry\"", "\"tier\":\"process\"",
                             "\"function\":\"work\"", "\"worker\":"});
  ASSERT_EQ(sent.size(), 1u) << out;
  std::string worker = sent[0].substr(sent[0].find("\"worker\":") + 9);
  worker = worker.substr(0, worker.find_first_not_of("0123456789"));
  EXPECT_EQ(Matching(out, {"\"pid\":" + worker + ",", "\"ppid\":" + std::to_string(process) + ",",
                           "\"event\":\"call_entry\"", "\"function\":\"work\"", "\"tier\":\"fast\"",
                           "\"seccomp\":\"filter\""}).size(), 1u) << out;
  EXPECT_EQ(Matching(out, {Pid(process), "\"event\":\"call_exit\"", "\"tier\":\"process\"", "\"outcome\":\"return\""}).size(), 1u);
  // A worker killed by the kernel: SECCOMP_RET_KILL_PROCESS.
  EXPECT_EQ(Matching(out, {"\"ppid\":" + std::to_string(kill) + ",", "\"event\":\"kernel_sigsys\"",
                           "\"name\":\"getppid\"", "\"action\":\"kill\""}).size(), 1u) << out;
  EXPECT_EQ(Matching(out, {Pid(kill), "\"event\":\"call_exit\"", "\"tier\":\"process\"",
                           "\"trap_kind\":\"forbidden syscall\""}).size(), 1u);
}

TEST_F(AuditCli, ByDefaultAuditsTheTrinityCommandOnEveryTier) {
  const std::string root = testing::TestPinRoot("cli_self");
  Background audit({PrivateTrinity(), "audit", "--json", "--pin-root", root});
  ASSERT_TRUE(audit.WaitForErr("): attached")) << audit.err();
  const std::string fib = PrivateTrinity() + " run examples/fib.tri";
  CommandOutput plain = Shell(fib + " --isolate=none");
  CommandOutput strict = Shell(fib + " --isolate=none --sandbox=strict");
  CommandOutput worker = Shell(fib + " --isolate=process");
  for (const CommandOutput* o : {&plain, &strict, &worker}) {
    EXPECT_EQ(o->status, 0) << o->err;
    EXPECT_EQ(o->out, "fib(30) = 832040\n");
  }
  EXPECT_EQ(audit.Stop(SIGTERM), 0) << audit.err();
  const std::string out = audit.out();
  ExpectSchema(out);
  auto entries = Matching(out, {"\"event\":\"call_entry\"", "\"function\":\"main\"", "\"comm\":\"trinity\""});
  EXPECT_EQ(entries.size(), 4u) << out;  // none, strict, the worker, and the supervisor's call
  EXPECT_EQ(Matching(out, {"\"event\":\"call_entry\"", "\"function\":\"main\"", "\"seccomp\":\"filter\""}).size(), 2u);
  EXPECT_EQ(Matching(out, {"\"event\":\"call_exit\"", "\"outcome\":\"return\""}).size(), 7u)  // + 3 top levels
      << out;
}

TEST_F(AuditCli, PidModeFollowsOneProcessAndEndsWithIt) {
  const std::string root = testing::TestPinRoot("cli_pid");
  Background target({Target(), "loop", "2"});
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let it map its libraries
  Background other({Target(), "loop", "2"});
  Background audit({Trinity(), "audit", "--json", "--pid", std::to_string(target.pid()), "--pin-root", root});
  ASSERT_TRUE(audit.WaitForErr("): attached")) << audit.err();
  EXPECT_NE(audit.err().find("in " + Target()), std::string::npos) << audit.err();
  // The audit ends by itself when the process does.
  ASSERT_TRUE(audit.WaitForErr("trinity audit: detached", std::chrono::seconds(30))) << audit.err();
  EXPECT_EQ(audit.Stop(), 0);
  EXPECT_EQ(target.Wait(), 0);
  EXPECT_EQ(other.Wait(), 0);
  const std::string out = audit.out();
  ExpectSchema(out);
  EXPECT_GT(Matching(out, {Pid(target.pid()), "\"event\":\"call_entry\"", "\"function\":\"work\""}).size(), 10u);
  EXPECT_TRUE(Matching(out, {Pid(other.pid())}).empty()) << "an unrelated process was audited";
}

TEST_F(AuditCli, PinKeepsTheCountersAndUnpinRemovesThem) {
  const std::string root = testing::TestPinRoot("cli_pin");
  Background audit({Trinity(), "audit", "--pin", "--mode", "counters", "--binary", Target(), "--pin-root", root});
  ASSERT_TRUE(audit.WaitForErr("): attached")) << audit.err();
  pid_t calls = RunTarget({"calls", "5"});
  EXPECT_EQ(audit.Stop(SIGINT), 0) << audit.err();
  EXPECT_NE(audit.err().find("maps stay pinned"), std::string::npos) << audit.err();
  EXPECT_EQ(audit.out(), "") << "counters mode streamed events that are not security-relevant";
  // Detached, but the counters are still there for bpftool.
  CommandOutput procs = Shell("bpftool map dump pinned " + root + "/procs");
  EXPECT_EQ(procs.status, 0) << procs.err;
  EXPECT_NE(procs.out.find("\"key\": " + std::to_string(calls)), std::string::npos) << procs.out;
  EXPECT_NE(procs.out.find("\"plugin_entries\": 6"), std::string::npos) << procs.out;
  // Attaching again with --pin adds to the same maps.
  Background again({Trinity(), "audit", "--json", "--pin", "--mode", "counters", "--binary", Target(), "--pin-root", root});
  ASSERT_TRUE(again.WaitForErr("): attached")) << again.err();
  RunTarget({"trap"});
  EXPECT_EQ(again.Stop(SIGINT), 0);
  EXPECT_NE(again.out().find("\"event\":\"trap\""), std::string::npos) << "traps stream in counters mode";
  procs = Shell("bpftool map dump pinned " + root + "/procs");
  EXPECT_NE(procs.out.find("\"key\": " + std::to_string(calls)), std::string::npos) << procs.out;
  CommandOutput unpin = Shell(Trinity() + " audit --unpin --pin-root " + root);
  EXPECT_EQ(unpin.status, 0) << unpin.err;
  EXPECT_NE(access(root.c_str(), F_OK), 0) << root << " still exists";
}

TEST_F(AuditCli, BadOptionsAreUsageErrorsAndASecondAuditIsRefused) {
  EXPECT_EQ(Shell(Trinity() + " audit --mode fast").status, 2);
  EXPECT_EQ(Shell(Trinity() + " audit --ring-bytes 1000").status, 2);
  EXPECT_EQ(Shell(Trinity() + " audit --pin --unpin").status, 2);
  CommandOutput dotted = Shell(Trinity() + " audit --pin-root /sys/fs/bpf/a.b");
  EXPECT_EQ(dotted.status, 69);
  EXPECT_NE(dotted.err.find("contains '.'"), std::string::npos) << dotted.err;
  const std::string root = testing::TestPinRoot("cli_twice");
  Background first({Trinity(), "audit", "--pin-root", root});
  ASSERT_TRUE(first.WaitForErr("): attached")) << first.err();
  CommandOutput second = Shell(Trinity() + " audit --pin-root " + root);
  EXPECT_EQ(second.status, 69);
  EXPECT_NE(second.err.find("another trinity audit is using " + root), std::string::npos) << second.err;
  EXPECT_EQ(first.Stop(SIGINT), 0);
}

}  // namespace
}  // namespace trinity::bpf
