// seccomp policies on the real kernel: every call the policies must refuse is refused and
// reported as a `forbidden syscall` trap naming it (plus an audit count), issued through a
// test-only host function that stands in for a compromised VM; allowed calls still work.
// Each filter is loaded in a forked child so the test runner stays unrestricted.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "isolation/seccomp_filter.h"
#include "isolation/seccomp_policy.h"
#include "isolation/syscall_names.h"
#include "tests/isolation/sandbox_test_support.h"

namespace trinity::isolation {
namespace {

using testing::CompromisedVmGate;
using testing::RunInChild;

// An invalid request: harmless if the filter let ptrace through.
constexpr long PTRACE_PEEKUSER_INVALID = -1;

struct Call {
  long nr;
  std::vector<long> args;
  std::string name;  // as the trap message must name it
};

// The refusals every policy must make once isolation is on. Arguments are harmless even
// if a filter were missing: the child is thrown away, and none of them succeeds anyway.
std::vector<Call> RefusedEverywhere(void* page, const char* path) {
  long p = reinterpret_cast<long>(page);
  return {
      {SYS_pkey_mprotect, {p, 4096, PROT_READ | PROT_WRITE, 0}, "pkey_mprotect"},
      {SYS_pkey_alloc, {0, 0}, "pkey_alloc"},
      {SYS_pkey_free, {15}, "pkey_free"},
      {SYS_mprotect, {p, 4096, PROT_EXEC}, "mprotect"},
      {SYS_mmap, {0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0}, "mmap"},
      {SYS_process_vm_writev, {getpid(), 0, 0, 0, 0, 0}, "process_vm_writev"},
      {SYS_process_vm_readv, {getpid(), 0, 0, 0, 0, 0}, "process_vm_readv"},
      {SYS_ptrace, {PTRACE_PEEKUSER_INVALID, 0, 0, 0}, "ptrace"},
      {SYS_execve, {reinterpret_cast<long>(path), 0, 0}, "execve"},
      {SYS_execveat, {AT_FDCWD, reinterpret_cast<long>(path), 0, 0, 0}, "execveat"},
      {SYS_io_uring_setup, {0, 0}, "io_uring_setup"},
      {SYS_io_uring_register, {-1, 0, 0, 0}, "io_uring_register"},
      {SYS_userfaultfd, {0}, "userfaultfd"},
      {SYS_personality, {0xffffffff}, "personality"},
  };
}

std::string ToString(const std::vector<long>& v) {
  std::string s;
  for (long x : v) s += (s.empty() ? "" : ", ") + std::to_string(x);
  return s;
}

constexpr const char* kPlugin = R"(
import fn sys(nr, a, b, c, d, e, f)
export fn call(nr, a, b, c, d, e, f) { return sys(nr, a, b, c, d, e, f) }
)";

// A plugin instance whose only import issues raw system calls.
class SyscallPlugin {
 public:
  SyscallPlugin() {
    host_.Register("sys", 7, [](HostArgs args) -> Result<HostValue, std::string> {
      long a[7];
      for (int i = 0; i < 7; ++i) a[i] = static_cast<long>(args.Int(static_cast<size_t>(i)));
      long r = syscall(a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
      return HostValue::Int(r < 0 ? -errno : r);
    });
    InstanceOptions options;
    options.gate = &gate_;
    auto instance = Instance::Create(testing::Compile(kPlugin), host_, options);
    if (instance.ok()) instance_ = std::move(instance.value());
  }
  bool ok() const { return instance_ != nullptr; }

  Result<HostValue, Trap> Invoke(const Call& c) {
    std::vector<HostValue> args{HostValue::Int(c.nr)};
    for (size_t i = 0; i < 6; ++i) args.push_back(HostValue::Int(i < c.args.size() ? c.args[i] : 0));
    return instance_->Call("call", args);
  }

  // "" when `c` trapped as a forbidden syscall naming it and was audited.
  std::string ExpectRefused(const Call& c) {
    uint64_t before = SeccompViolationCount();
    auto r = Invoke(c);
    std::string what = c.name + "(" + ToString(c.args) + ")";
    if (r.ok()) return what + " was allowed (returned " + r.value().ToString() + "); ";
    const Trap& t = r.error();
    if (t.kind != TrapKind::kForbiddenSyscall) return what + " trapped as " + t.ToString() + "; ";
    if (t.message.find(c.name) == std::string::npos &&
        t.message.find("syscall " + std::to_string(c.nr)) == std::string::npos) {
      return what + ": message names neither the call nor its number: " + t.message + "; ";
    }
    if (SeccompViolationCount() != before + 1) return what + " was not audited; ";
    if (LastRefusedSyscall() != c.nr) return what + ": audit saw another call; ";
    return "";
  }

  std::string ExpectAllowed(const Call& c) {
    auto r = Invoke(c);
    if (!r.ok()) return c.name + " trapped: " + r.error().ToString() + "; ";
    if (r.value().i < 0) return c.name + " failed: errno " + std::to_string(-r.value().i) + "; ";
    return "";
  }

 private:
  HostFunctions host_;
  CompromisedVmGate gate_;
  std::unique_ptr<Instance> instance_;
};

void* OwnPage() {
  return mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

TEST(SeccompPolicy, EveryRowNamesARealSyscallAndGivesAReason) {
  ASSERT_EQ(AllPolicies().size(), 3u);
  for (const SeccompPolicy* policy : AllPolicies()) {
    for (const PolicyRule& rule : policy->rules) {
      std::string name(rule.syscall);
      int nr = seccomp_syscall_resolve_name(name.c_str());
      EXPECT_NE(nr, __NR_SCMP_ERROR) << policy->name << ": " << name;
      // A refusal names the call in its trap message, not just its number.
      EXPECT_EQ(SyscallName(nr), name) << policy->name << ": " << name;
      EXPECT_GE(rule.reason.size(), 2u) << policy->name << ": " << name << " has no reason";
    }
  }
  EXPECT_EQ(FindPolicy("none"), nullptr);
  EXPECT_EQ(FindPolicy("strict")->default_action, SyscallAction::kRefuse);
  EXPECT_EQ(FindPolicy("server")->default_action, SyscallAction::kAllow);
  EXPECT_EQ(FindPolicy("nginx-worker")->default_action, SyscallAction::kRefuse);
  EXPECT_TRUE(FindPolicy("nginx-worker")->hides_proc);
}

TEST(SeccompPolicy, ShowPrintsEveryRowWithItsReason) {
  std::string text = FormatPolicy(*FindPolicy("strict"));
  EXPECT_NE(text.find("policy strict:"), std::string::npos);
  EXPECT_NE(text.find("default: refuse"), std::string::npos);
  EXPECT_NE(text.find("refuse pkey_mprotect"), std::string::npos) << text;
  EXPECT_NE(text.find("allow  mmap               when (prot & PROT_EXEC) == 0"), std::string::npos)
      << text;
  EXPECT_NE(text.find("/proc/self/mem"), std::string::npos);
}

TEST(SeccompFilter, StrictRefusesEachForbiddenCallAndReportsIt) {
  auto outcome = RunInChild([]() -> std::string {
    void* page = OwnPage();
    int pipefd[2];
    if (pipe(pipefd) != 0) return "pipe";
    SyscallPlugin plugin;
    if (!plugin.ok()) return "plugin did not instantiate";
    const long parent = getppid();  // getppid itself is refused after lock-down
    auto installed = InstallSeccompPolicy(*FindPolicy("strict"));
    if (!installed) return "install: " + installed.error();
    std::string fails;
    static const char kProcMem[] = "/proc/self/mem";
    std::vector<Call> calls = RefusedEverywhere(page, kProcMem);
    calls.push_back({SYS_openat, {AT_FDCWD, reinterpret_cast<long>(kProcMem), O_RDWR}, "openat"});
    calls.push_back({SYS_open, {reinterpret_cast<long>(kProcMem), O_RDWR}, "open"});
    calls.push_back({SYS_socket, {AF_INET, SOCK_STREAM, 0}, "socket"});
    calls.push_back({SYS_kill, {parent, 0}, "kill"});
    calls.push_back({SYS_tgkill, {parent, parent, 0}, "tgkill"});  // not our process
    calls.push_back({SYS_rt_sigaction, {SIGUSR1, 0, 0, 8}, "rt_sigaction"});
    calls.push_back({SYS_prctl, {PR_GET_DUMPABLE, 0, 0, 0, 0}, "prctl"});
    for (const Call& c : calls) fails += plugin.ExpectRefused(c);
    // Allowed: what the runtime itself needs after start-up.
    static const char kByte[] = "x";
    fails += plugin.ExpectAllowed({SYS_getpid, {}, "getpid"});
    fails += plugin.ExpectAllowed({SYS_write, {pipefd[1], reinterpret_cast<long>(kByte), 1}, "write"});
    fails += plugin.ExpectAllowed({SYS_mprotect, {reinterpret_cast<long>(page), 4096, PROT_READ}, "mprotect"});
    fails += plugin.ExpectAllowed({SYS_tgkill, {getpid(), gettid(), 0}, "tgkill"});  // signal 0
    // And the plugin keeps working after all those traps.
    auto again = plugin.Invoke({SYS_getpid, {}, "getpid"});
    if (!again.ok() || again.value().i != getpid()) fails += "plugin unusable after traps; ";
    return fails;
  });
  EXPECT_TRUE(outcome.Passed()) << outcome.Describe();
}

TEST(SeccompFilter, ServerRefusesTheIsolationBreakersAndAllowsTheRest) {
  auto outcome = RunInChild([]() -> std::string {
    void* page = OwnPage();
    SyscallPlugin plugin;
    if (!plugin.ok()) return "plugin did not instantiate";
    auto installed = InstallSeccompPolicy(*FindPolicy("server"));
    if (!installed) return "install: " + installed.error();
    std::string fails;
    static const char kPath[] = "/nonexistent";
    for (const Call& c : RefusedEverywhere(page, kPath)) fails += plugin.ExpectRefused(c);
    fails += plugin.ExpectRefused({SYS_bpf, {0, 0, 0}, "bpf"});
    fails += plugin.ExpectRefused({SYS_unshare, {0}, "unshare"});
    fails += plugin.ExpectRefused({SYS_pidfd_getfd, {-1, 0, 0}, "pidfd_getfd"});
    static const char kDevNull[] = "/dev/null";
    fails += plugin.ExpectAllowed({SYS_openat, {AT_FDCWD, reinterpret_cast<long>(kDevNull), O_RDONLY}, "openat"});
    fails += plugin.ExpectAllowed({SYS_socket, {AF_UNIX, SOCK_STREAM, 0}, "socket"});
    fails += plugin.ExpectAllowed({SYS_getppid, {}, "getppid"});
    fails += plugin.ExpectAllowed({SYS_mmap, {0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0}, "mmap"});
    return fails;
  });
  EXPECT_TRUE(outcome.Passed()) << outcome.Describe();
}

// A refused system call is never catchable: the plugin's try block around it would turn
// any catchable trap into the result "caught"; the call ends with the forbidden-syscall
// trap instead. (A contained fault also resets the instance, so the catch block could
// not leave a trace in its globals either.)
TEST(SeccompFilter, ForbiddenSyscallIsNotCatchable) {
  auto outcome = RunInChild([]() -> std::string {
    HostFunctions host;
    host.Register("sys", 1, [](HostArgs args) -> Result<HostValue, std::string> {
      return HostValue::Int(syscall(static_cast<long>(args.Int(0))));
    });
    CompromisedVmGate gate;
    InstanceOptions options;
    options.gate = &gate;
    auto instance = Instance::Create(testing::Compile(R"(
import fn sys(nr)
export fn call(nr) {
  try { return sys(nr) } catch e { return "caught" }
}
)"),
                                     host, options);
    if (!instance.ok()) return "plugin did not instantiate: " + instance.error();
    Instance& plugin = *instance.value();
    auto installed = InstallSeccompPolicy(*FindPolicy("strict"));
    if (!installed) return "install: " + installed.error();
    HostValue nr[] = {HostValue::Int(SYS_getppid)};  // refused by strict
    auto r = plugin.Call("call", nr);
    if (r.ok()) return "the call returned " + r.value().ToString();
    if (r.error().kind != TrapKind::kForbiddenSyscall) return "trapped as " + r.error().ToString();
    return "";
  });
  EXPECT_TRUE(outcome.Passed()) << outcome.Describe();
}

// Outside plugin code nothing contains the trap: host code that breaks the policy dies
// of SIGSYS, as does every violation when the response is kill.
TEST(SeccompFilter, KillResponseEndsTheProcessWithSigsys) {
  auto outcome = RunInChild([]() -> std::string {
    auto installed = InstallSeccompPolicy(*FindPolicy("strict"), ViolationResponse::kKillProcess);
    if (!installed) return "install: " + installed.error();
    syscall(SYS_getppid);  // refused by strict
    return "still alive after a refused call";
  });
  ASSERT_TRUE(WIFSIGNALED(outcome.status)) << outcome.Describe();
  EXPECT_EQ(WTERMSIG(outcome.status), SIGSYS);
}

TEST(SeccompFilter, ViolationOutsidePluginCodeIsNotSwallowed) {
  auto outcome = RunInChild([]() -> std::string {
    auto installed = InstallSeccompPolicy(*FindPolicy("strict"));
    if (!installed) return "install: " + installed.error();
    syscall(SYS_getppid);
    return "still alive after a refused call";
  });
  ASSERT_TRUE(WIFSIGNALED(outcome.status)) << outcome.Describe();
  EXPECT_EQ(WTERMSIG(outcome.status), SIGSYS);
}

// The audit event is a USDT probe: its note must be in a loaded object for tracers to
// attach (the executable, or the isolation library when tests link shared).
TEST(SeccompFilter, ViolationProbeIsInTheBinary) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  std::set<std::string> files;
  while (std::getline(maps, line)) {
    size_t slash = line.find('/');
    if (slash != std::string::npos) files.insert(line.substr(slash));
  }
  const std::string note("trinity\0seccomp_violation", 25);
  bool found = false;
  for (const std::string& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    found = found || bytes.find(note) != std::string::npos;
  }
  EXPECT_TRUE(found) << "no .note.stapsdt entry for trinity:seccomp_violation";
}

}  // namespace
}  // namespace trinity::isolation

namespace trinity::isolation {
namespace {

// An aligned region and its guard, as jit::CodeArena reserves them.
JitCodeRegion ReserveJitRegion(size_t size) {
  char* p = static_cast<char*>(
      mmap(nullptr, 4 * size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
  const uintptr_t aligned = (reinterpret_cast<uintptr_t>(p) + 2 * size - 1) & ~(2 * size - 1);
  return JitCodeRegion{aligned, size};
}

// With a JIT code region, each policy lets mprotect make pages read+execute there and
// nowhere else, and never writable and executable at once.
TEST(SeccompFilter, JitCodeRegionIsTheOnlyExecutableMemory) {
  for (const char* name : {"strict", "server"}) {
    auto outcome = RunInChild([name]() -> std::string {
      const size_t size = 1 << 20;
      JitCodeRegion region = ReserveJitRegion(size);
      const long base = static_cast<long>(region.base);
      void* page = OwnPage();
      SyscallPlugin plugin;
      if (!plugin.ok()) return "plugin did not instantiate";
      auto installed = InstallSeccompPolicy(*FindPolicy(name), ViolationResponse::kTrap,
                                            WithoutLandlock::kLoad, region);
      if (!installed) return "install: " + installed.error();
      std::string fails;
      fails += plugin.ExpectAllowed({SYS_mprotect, {base, 4096, PROT_READ | PROT_WRITE}, "mprotect"});
      fails += plugin.ExpectAllowed({SYS_mprotect, {base, 4096, PROT_READ | PROT_EXEC}, "mprotect"});
      fails += plugin.ExpectAllowed(
          {SYS_mprotect, {base + static_cast<long>(size) - 4096, 4096, PROT_READ | PROT_EXEC}, "mprotect"});
      fails += plugin.ExpectAllowed({SYS_mprotect, {base, 4096, PROT_NONE}, "mprotect"});
      const long p = reinterpret_cast<long>(page);
      for (const Call& c : std::vector<Call>{
               {SYS_mprotect, {base, 4096, PROT_READ | PROT_WRITE | PROT_EXEC}, "mprotect"},
               {SYS_mprotect, {base, 4096, PROT_EXEC}, "mprotect"},
               {SYS_mprotect, {p, 4096, PROT_READ | PROT_EXEC}, "mprotect"},
               {SYS_mprotect, {base + static_cast<long>(size), 4096, PROT_READ | PROT_EXEC}, "mprotect"},
               {SYS_mprotect, {base - 4096, 4096, PROT_READ | PROT_EXEC}, "mprotect"},
               {SYS_mprotect, {base, static_cast<long>(size) + 4096, PROT_READ | PROT_EXEC}, "mprotect"},
               {SYS_mmap, {0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0}, "mmap"},
           }) {
        fails += plugin.ExpectRefused(c);
      }
      return fails;
    });
    EXPECT_TRUE(outcome.Passed()) << name << ": " << outcome.Describe();
  }
}

TEST(SeccompFilter, MisalignedJitCodeRegionIsRefusedBeforeAnythingLoads) {
  auto outcome = RunInChild([]() -> std::string {
    auto installed = InstallSeccompPolicy(*FindPolicy("server"), ViolationResponse::kTrap,
                                          WithoutLandlock::kLoad, JitCodeRegion{4096, 3 << 20});
    if (installed) return "a misaligned region was accepted";
    if (prctl(PR_GET_SECCOMP) != 0) return "a filter loaded anyway";
    return "";
  });
  EXPECT_TRUE(outcome.Passed()) << outcome.Describe();
}

}  // namespace
}  // namespace trinity::isolation
