// A small embedding host that the `trinity audit` tests attach to with --binary, the way an
// operator attaches to a server: each scenario (argv[1]) makes the runtime fire one kind of
// probe or kernel event for real. Prints "done" on success, or what went wrong and exits 1.
//   calls N    one instance, N calls of an export that calls a host function twice
//   trap       a call that traps (division by zero)
//   strict     under the strict seccomp policy, VM-side code issues a refused getppid
//              (a test gate lets the host function stand in for a compromised VM)
//   jit        reports 16 bytes of executable code through probes::ReportJitCode
//   process    one call through the process tier (a strict worker)
//   kill       a worker killed by seccomp (SECCOMP_RET_KILL_PROCESS)
//   loop S     calls every 10 ms for S seconds (for `trinity audit --pid`)
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "isolation/fault_containment.h"
#include "isolation/process_tier.h"
#include "isolation/seccomp_filter.h"
#include "isolation/seccomp_policy.h"
#include "runtime/probes.h"
#include "runtime/trinity.h"
#include "lang/compiler.h"
#include "runtime/module_writer.h"

namespace trinity {
namespace {

std::vector<uint8_t> CompileToBytes(std::string_view source) {
  auto compiled = lang::CompileSource(source, "audit_target.tri");
  return compiled.ok() ? WriteModule(compiled.value()) : std::vector<uint8_t>{};
}

std::shared_ptr<const Module> Compile(std::string_view source) {
  auto loaded = LoadModule(CompileToBytes(source));
  return loaded.ok() ? loaded.value() : nullptr;
}

// Host calls run with containment still armed, so the host function plays the part of a
// compromised VM issuing a system call from plugin context.
class CompromisedVmGate final : public DomainGate {
 public:
  std::optional<Trap> RunPlugin(const std::function<void()>& body) override {
    std::optional<isolation::ContainedFault> fault = isolation::RunContained(body);
    if (!fault) return std::nullopt;
    return isolation::TrapFromFault(*fault);
  }
  void RunHost(const std::function<void()>& body) override { body(); }
};

constexpr const char* kPlugin = R"(
import fn twice(x)
import fn sys(nr)
let calls = 0
export fn work(n) {
  calls = calls + 1
  return twice(int(n)) + twice(1)
}
export fn divide(a, b) { return a / b }
export fn syscall_from_vm(nr) { return sys(nr) }
)";

int Fail(const std::string& why) {
  std::fprintf(stderr, "audit_target: %s\n", why.c_str());
  return 1;
}

HostFunctions Host() {
  HostFunctions host;
  host.Register("twice", 1, [](HostArgs a) -> Result<HostValue, std::string> {
    return HostValue::Int(2 * a.Int(0));
  });
  host.Register("sys", 1, [](HostArgs a) -> Result<HostValue, std::string> {
    return HostValue::Int(syscall(a.Int(0)));
  });
  return host;
}

int Calls(int n) {
  auto instance = Instance::Create(Compile(kPlugin), Host());
  if (!instance) return Fail(instance.error());
  for (int i = 0; i < n; ++i) {
    auto r = instance.value()->Call("work", std::vector<HostValue>{HostValue::Int(i)});
    if (!r || r.value().i != 2 * i + 2) return Fail("work returned the wrong value");
  }
  std::printf("instance %llu\n", static_cast<unsigned long long>(instance.value()->id()));
  return 0;
}

int Loop(int seconds) {
  auto instance = Instance::Create(Compile(kPlugin), Host());
  if (!instance) return Fail(instance.error());
  for (int i = 0; i < seconds * 100; ++i) {
    if (!instance.value()->Call("work", std::vector<HostValue>{HostValue::Int(i)})) return Fail("work trapped");
    usleep(10'000);
  }
  return 0;
}

int TrapOnce() {
  auto instance = Instance::Create(Compile(kPlugin), Host());
  if (!instance) return Fail(instance.error());
  auto r = instance.value()->Call("divide", std::vector<HostValue>{HostValue::Int(1), HostValue::Int(0)});
  if (r || r.error().kind != TrapKind::kDivisionByZero) return Fail("divide did not trap");
  return 0;
}

int Strict() {
  CompromisedVmGate gate;
  InstanceOptions options;
  options.gate = &gate;
  auto instance = Instance::Create(Compile(kPlugin), Host(), options);
  if (!instance) return Fail(instance.error());
  std::fflush(stdout);
  auto installed = isolation::InstallSeccompPolicy(*isolation::FindPolicy("strict"),
                                                   isolation::ViolationResponse::kTrap,
                                                   isolation::WithoutLandlock::kLoad);
  if (!installed) return Fail(installed.error());
  auto r = instance.value()->Call("syscall_from_vm", std::vector<HostValue>{HostValue::Int(SYS_getppid)});
  const bool refused = !r && r.error().kind == TrapKind::kForbiddenSyscall;
  // Only write and exit are left: report and leave without exit handlers.
  const char* line = refused ? "done\n" : "audit_target: getppid was not refused\n";
  ssize_t ignored = write(refused ? 1 : 2, line, std::strlen(line));
  (void)ignored;
  _exit(refused ? 0 : 1);
}

int Jit() {
  auto instance = Instance::Create(Compile(kPlugin), Host());
  if (!instance) return Fail(instance.error());
  // What a JIT does: write code, make it executable, report it, run it.
  void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return Fail("mmap");
  std::memset(page, 0x90, 16);                  // nop...
  static_cast<unsigned char*>(page)[15] = 0xc3;  // ...ret
  if (mprotect(page, 4096, PROT_READ | PROT_EXEC) != 0) return Fail("mprotect");
  probes::ReportJitCode(instance.value()->id(), page, 16, "trace work:7");
  reinterpret_cast<void (*)()>(page)();
  munmap(page, 4096);
  return 0;
}

int Process(isolation::ViolationResponse response, const char* entry) {
  isolation::ProcessSupervisor::Options o;
  o.response = response;
  o.without_landlock = isolation::WithoutLandlock::kLoad;
  o.make_host = [] {
    HostFunctions host = Host();
    // Host code breaking the policy: nothing contains it, so seccomp ends the worker.
    host.Register("forbidden", 0, [](HostArgs) -> Result<HostValue, std::string> {
      syscall(SYS_getppid);
      return HostValue::Nil();
    });
    return host;
  };
  auto supervisor = isolation::ProcessSupervisor::Start(o);
  if (!supervisor) return Fail(supervisor.error());
  isolation::ProcessRequest q;
  q.module = CompileToBytes(std::string(kPlugin) + "import fn forbidden()\nexport fn refuse() { forbidden() }\n");
  q.entry = entry;
  if (q.entry == "work") q.args = {"20"};
  isolation::ProcessResult r = supervisor.value()->Run(q);
  if (r.setup_error) return Fail(*r.setup_error);
  if (q.entry == "work" && (r.trap || r.result != "42")) return Fail("worker call failed");
  if (q.entry == "refuse" && (!r.trap || r.trap->kind != TrapKind::kForbiddenSyscall)) {
    return Fail("worker was not stopped by seccomp");
  }
  return 0;
}

}  // namespace
}  // namespace trinity

int main(int argc, char** argv) {
  using namespace trinity;
  std::string what = argc > 1 ? argv[1] : "";
  int status = 2;
  if (what == "calls") status = Calls(argc > 2 ? std::atoi(argv[2]) : 1);
  if (what == "trap") status = TrapOnce();
  if (what == "loop") status = Loop(argc > 2 ? std::atoi(argv[2]) : 1);
  if (what == "strict") {
    // On a second thread: under ASan, leaving a signal handler on the main thread makes
    // ASan look up that thread's stack in /proc/self/maps, an open the policy refuses.
    std::thread runner([&] { status = Strict(); });
    runner.join();
  }
  if (what == "jit") status = Jit();
  if (what == "process") status = Process(isolation::ViolationResponse::kTrap, "work");
  if (what == "kill") status = Process(isolation::ViolationResponse::kKillProcess, "refuse");
  if (status == 2) {
    std::fprintf(stderr, "usage: audit_target calls N | trap | strict | jit | process | kill | loop S\n");
  } else if (status == 0) {
    std::printf("done\n");
  }
  return status;
}
