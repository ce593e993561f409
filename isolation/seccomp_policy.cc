// The policy tables. Every row carries its reason; rows that repeat a policy's default
// still stand here, so the refusals the PKU literature asks for are visible (and printed)
// even where the default already covers them, and stay refused if a default changes.
#include "isolation/seccomp_policy.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <array>
#include <cstdio>

#include "kmod/trinity_uapi.h"

namespace trinity::isolation {
namespace {

using Op = ArgCondition::Op;

constexpr PolicyRule Allow(std::string_view name, std::string_view reason) {
  return PolicyRule{name, SyscallAction::kAllow, false, {}, reason};
}
constexpr PolicyRule Refuse(std::string_view name, std::string_view reason) {
  return PolicyRule{name, SyscallAction::kRefuse, false, {}, reason};
}
constexpr PolicyRule AllowIf(std::string_view name, ArgCondition when, std::string_view reason) {
  return PolicyRule{name, SyscallAction::kAllow, true, when, reason};
}
constexpr PolicyRule RefuseIf(std::string_view name, ArgCondition when, std::string_view reason) {
  return PolicyRule{name, SyscallAction::kRefuse, true, when, reason};
}

constexpr ArgCondition kNotExecutable{2, Op::kMaskedEqual, PROT_EXEC, 0, false,
                                      "(prot & PROT_EXEC) == 0"};
constexpr ArgCondition kExecutable{2, Op::kMaskedEqual, PROT_EXEC, PROT_EXEC, false,
                                   "(prot & PROT_EXEC) != 0"};
constexpr ArgCondition kEmptyPath{3, Op::kMaskedEqual, AT_EMPTY_PATH, AT_EMPTY_PATH, false,
                                  "(flags & AT_EMPTY_PATH) != 0"};
constexpr ArgCondition kOwnProcess{0, Op::kEqual, 0, 0, true, "tgid == getpid()"};
constexpr ArgCondition kTrinityAttest{1, Op::kEqual, 0, TRINITY_IOC_ATTEST, false,
                                      "request == TRINITY_IOC_ATTEST"};
constexpr ArgCondition kTrinityJitCode{1, Op::kEqual, 0, TRINITY_IOC_JIT_CODE, false,
                                       "request == TRINITY_IOC_JIT_CODE"};

// Reasons shared by both policies: the calls that undo MPK isolation or leave the sandbox.
constexpr std::string_view kWhyPkeyMprotect =
    "re-tags pages with any protection key: back to key 0, or host memory to the plugin's "
    "key, which undoes MPK isolation from the untrusted side";
constexpr std::string_view kWhyPkeyAlloc =
    "a fresh key is accessible under the caller's PKRU defaults; the runtime allocates its "
    "keys at start-up, before lock-down";
constexpr std::string_view kWhyPkeyFree =
    "freeing a key the runtime still uses lets the next pkey_alloc hand it out again "
    "(use-after-free of a protection domain)";
constexpr std::string_view kWhyExecMprotect =
    "PROT_EXEC-only protection moves pages to the execute-only key, and a later mprotect "
    "moves them to key 0: protected pages become readable; it would also make plugin data "
    "executable";
constexpr std::string_view kWhyExecMmap =
    "new executable mappings would let a compromised VM run native code of its choosing "
    "(with WRPKRU or syscall instructions); all code is mapped at start-up";
constexpr std::string_view kWhyProcessVm =
    "the kernel copies to/from the target without checking PKRU, so protected memory is "
    "read or written around MPK";
constexpr std::string_view kWhyPtrace =
    "PTRACE_POKEDATA and register writes bypass PKRU and every user-space check";
constexpr std::string_view kWhyExecve =
    "a new program image runs outside the VM and its verifier; nothing of the plugin's "
    "confinement but this filter would survive";
constexpr std::string_view kWhyUringSetup =
    "io_uring operations are not seen by seccomp; a new ring could open /proc/self/mem or "
    "any file. The runtime's one ring is created and restricted before lock-down";
constexpr std::string_view kWhyUringRegister =
    "could register new descriptors into the ring's fixed-file table (FILES_UPDATE) and "
    "so reach descriptors the operator did not grant";
constexpr std::string_view kWhySigreturn =
    "rt_sigreturn reloads PKRU from the user-writable signal frame: a forged frame grants "
    "every key. The runtime leaves its signal handlers with siglongjmp";
constexpr std::string_view kWhyUserfaultfd =
    "can stall kernel copies at a chosen point (TOCTOU on host-call arguments)";
constexpr std::string_view kWhyPersonality =
    "READ_IMPLIES_EXEC would make every later readable mapping executable";

// A worker that only runs plugins: after start-up the runtime needs memory, its socket or
// stdio, the clock, its io_uring and a way to exit. Everything else is a violation.
constexpr auto kStrictRules = std::to_array<PolicyRule>({
    Allow("read", "requests from the supervisor socket; stdio"),
    Allow("write", "responses, print() and log() output"),
    Allow("readv", "stdio"),
    Allow("writev", "stdio"),
    Allow("close", "releasing descriptors the process already holds grants nothing"),
    Allow("fstat", "stdio sizes its buffers on first use"),
    AllowIf("newfstatat", kEmptyPath,
            "glibc's fstat; with AT_EMPTY_PATH it describes an open descriptor"),
    Allow("lseek", "stdio on a seekable stream"),
    AllowIf("mmap", kNotExecutable, "the allocator maps heap memory; never executable"),
    AllowIf("mprotect", kNotExecutable,
            "the allocator's guard pages, and committing pages of an MPK instance's "
            "reservation (mprotect keeps a page's protection key); never executable (see "
            "the PROT_EXEC row)"),
    Allow("munmap", "the allocator returns memory"),
    Allow("mremap", "the allocator grows large blocks; a VMA keeps its protection key"),
    Allow("brk", "the allocator's main arena"),
    Allow("madvise", "the allocator releases pages"),
    Allow("futex", "locks and once-initialisation in the runtime and libc"),
    Allow("sched_yield", "spinning locks"),
    Allow("rt_sigprocmask", "unblocking SIGSYS after a contained seccomp trap"),
    Allow("sigaltstack", "fault containment runs its handler on an alternate stack"),
    Allow("clock_gettime", "fuel deadlines, clock_ms() (when the vDSO falls back)"),
    Allow("gettimeofday", "clock fallback"),
    Allow("getpid", "abort() and raise() address the own process"),
    Allow("gettid", "abort() and raise() address the own thread"),
    AllowIf("tgkill", kOwnProcess, "raise()/abort() on itself only; no signals to others"),
    Allow("getrandom", "hash seeds"),
    Allow("pipe2", "a pipe connects the process only to itself (UBSan probes memory with "
                   "one in its vptr checks)"),
    Allow("sched_getaffinity",
          "pthread_getattr_np reads the thread's CPU mask (sanitizers ask it for stack "
          "bounds when a contained fault is left); reveals nothing worth protecting"),
    Allow("io_uring_enter",
          "plugin file and socket I/O through the runtime's restricted ring, which reaches "
          "only registered descriptors with allowed opcodes"),
    Allow("restart_syscall", "the kernel restarts an interrupted call"),
    AllowIf("ioctl", kTrinityAttest,
            "the kernel's attestation of the locked-down state through /dev/trinity "
            "(kmod/), opened before lock-down; it reports only on the calling process"),
    AllowIf("ioctl", kTrinityJitCode,
            "--jit: each new trace's code registered with /dev/trinity (kmod/), which checks "
            "it is read+execute only and traces it; it reports only on the calling process"),
    Allow("exit", "thread exit"),
    Allow("exit_group", "process exit"),
    // Named refusals: the default refuses them too; the rows say why they must stay so.
    Refuse("pkey_mprotect", kWhyPkeyMprotect),
    Refuse("pkey_alloc", kWhyPkeyAlloc),
    Refuse("pkey_free", kWhyPkeyFree),
    RefuseIf("mprotect", kExecutable, kWhyExecMprotect),
    RefuseIf("mmap", kExecutable, kWhyExecMmap),
    Refuse("process_vm_writev", kWhyProcessVm),
    Refuse("process_vm_readv", kWhyProcessVm),
    Refuse("ptrace", kWhyPtrace),
    Refuse("open", "seccomp cannot see paths, so no file is opened after start-up: this is "
                   "what keeps /proc/self/mem (writes bypass PKRU) closed"),
    Refuse("openat", "as open: /proc/self/mem, and any file not granted at start-up"),
    Refuse("openat2", "as open"),
    Refuse("execve", kWhyExecve),
    Refuse("execveat", kWhyExecve),
    Refuse("io_uring_setup", kWhyUringSetup),
    Refuse("io_uring_register", kWhyUringRegister),
    Refuse("rt_sigreturn", kWhySigreturn),
    Refuse("rt_sigaction",
           "the fault-containment and audit handlers are installed before lock-down; "
           "replacing them would hide violations"),
    Refuse("clone", "a worker runs plugins on one thread; new tasks would escape the "
                    "supervisor's accounting"),
    Refuse("clone3", "as clone"),
    Refuse("kill", "no signals to other processes"),
    Refuse("tkill", "no signals to other threads' processes; tgkill covers raise()"),
    Refuse("socket", "network access only through descriptors granted at start-up"),
    Refuse("connect", "as socket"),
    Refuse("userfaultfd", kWhyUserfaultfd),
    Refuse("personality", kWhyPersonality),
    Refuse("prctl", "could drop no_new_privs-style guarantees or rename/dump the worker"),
    Refuse("memfd_create", "anonymous files could be mapped executable elsewhere"),
});

// For a server embedding Trinity: it keeps its threads, files and network, but the calls
// that undo MPK, escape the process or reach around the ring stay refused.
constexpr auto kServerRules = std::to_array<PolicyRule>({
    Refuse("pkey_mprotect", kWhyPkeyMprotect),
    Refuse("pkey_alloc", kWhyPkeyAlloc),
    Refuse("pkey_free", kWhyPkeyFree),
    RefuseIf("mprotect", kExecutable, kWhyExecMprotect),
    RefuseIf("mmap", kExecutable, kWhyExecMmap),
    Refuse("process_vm_writev", kWhyProcessVm),
    Refuse("process_vm_readv", kWhyProcessVm),
    Refuse("ptrace", kWhyPtrace),
    Refuse("execve", kWhyExecve),
    Refuse("execveat", kWhyExecve),
    Refuse("io_uring_setup", kWhyUringSetup),
    Refuse("io_uring_register", kWhyUringRegister),
    Refuse("userfaultfd", kWhyUserfaultfd),
    Refuse("personality", kWhyPersonality),
    Refuse("process_madvise", "acts on another process's memory through a pidfd"),
    Refuse("pidfd_getfd", "copies descriptors out of other processes"),
    Refuse("kcmp", "probes other processes' descriptors and memory layout"),
    Refuse("modify_ldt", "segment descriptors are a classic route to native-code gadgets"),
    Refuse("iopl", "port I/O"),
    Refuse("ioperm", "port I/O"),
    Refuse("perf_event_open", "reads other code's registers and memory samples"),
    Refuse("bpf", "kernel programs can read any user memory (bpf_probe_read_user)"),
    Refuse("init_module", "kernel code"),
    Refuse("finit_module", "kernel code"),
    Refuse("delete_module", "kernel code"),
    Refuse("kexec_load", "replaces the kernel"),
    Refuse("kexec_file_load", "replaces the kernel"),
    Refuse("mount", "remounting /proc or binding files over others escapes path checks"),
    Refuse("umount2", "as mount"),
    Refuse("pivot_root", "as mount"),
    Refuse("chroot", "as mount"),
    Refuse("setns", "joining other namespaces escapes the process's view"),
    Refuse("unshare", "new user namespaces grant capabilities inside them"),
    Refuse("name_to_handle_at", "file handles open files by inode, past path checks"),
    Refuse("open_by_handle_at", "as name_to_handle_at"),
    Refuse("keyctl", "the kernel keyring holds other processes' secrets"),
    Refuse("add_key", "as keyctl"),
    Refuse("request_key", "as keyctl"),
    Refuse("reboot", "no"),
    Refuse("swapon", "no"),
    Refuse("swapoff", "no"),
    Refuse("acct", "no"),
    Refuse("settimeofday", "the clock belongs to the machine"),
    Refuse("clock_settime", "the clock belongs to the machine"),
    Allow("openat", "servers open files. seccomp cannot see paths, so this policy hides "
                    "/proc with Landlock (see the landlock line above): opening "
                    "/proc/self/mem, whose writes bypass PKRU, fails with EACCES"),
    Allow("rt_sigreturn", "servers return from their own signal handlers; a forged frame "
                          "restores any PKRU, which is why JIT code may hold no syscall "
                          "instruction and the VM never writes signal frames"),
});

// An nginx worker after start-up (installed by ngx_http_trinity_module's init_process,
// after privileges are dropped and listening sockets inherited): its event loop, client
// and upstream sockets, files it serves, temporary files, logs, memory and the clock.
// Built from strace of workers serving, reopening logs and shutting down gracefully.
constexpr ArgCondition kFionbio{1, Op::kEqual, 0, FIONBIO, false, "request == FIONBIO"};
constexpr ArgCondition kFionread{1, Op::kEqual, 0, FIONREAD, false, "request == FIONREAD"};

constexpr auto kNginxWorkerRules = std::to_array<PolicyRule>({
    Allow("epoll_wait", "the event loop"),
    Allow("epoll_pwait", "the event loop (some libc versions)"),
    Allow("epoll_ctl", "registering connections with the event loop"),
    Allow("accept4", "new client connections on the listening sockets from the master"),
    Allow("accept", "as accept4, where accept4 is unavailable"),
    Allow("read", "sockets, files and the channel from the master"),
    Allow("readv", "request bodies"),
    Allow("recvfrom", "client and upstream sockets"),
    Allow("recvmsg", "the master's channel (it passes descriptors and commands)"),
    Allow("write", "responses and log lines"),
    Allow("writev", "responses"),
    Allow("sendto", "responses; resolver queries"),
    Allow("sendmsg", "the channel to the master"),
    Allow("sendfile", "static files"),
    Allow("pread64", "static files and buffered request bodies"),
    Allow("pwrite64", "request bodies buffered to temporary files"),
    Allow("preadv", "as pread64"),
    Allow("pwritev", "as pwrite64"),
    Allow("lseek", "files"),
    Allow("close", "releasing descriptors grants nothing"),
    Allow("shutdown", "lingering close"),
    Allow("setsockopt", "TCP_NODELAY and friends on accepted connections"),
    Allow("getsockopt", "connect() results on upstream sockets"),
    Allow("getsockname", "$server_addr"),
    Allow("getpeername", "client addresses"),
    Allow("socket", "upstream connections (proxy_pass) and the resolver: an nginx worker's "
                    "own job, not the plugin's (plugins have no socket host function)"),
    Allow("connect", "as socket"),
    AllowIf("ioctl", kFionbio, "non-blocking sockets (ngx_nonblocking)"),
    AllowIf("ioctl", kFionread, "bytes waiting on a socket while reading request bodies"),
    AllowIf("ioctl", kTrinityAttest,
            "the kernel's attestation of the locked-down state and of new MPK instances "
            "through /dev/trinity (kmod/), opened before lock-down; no other ioctl"),
    Allow("fcntl", "O_NONBLOCK and FD_CLOEXEC on descriptors"),
    Allow("dup2", "reopening logs on USR1 moves the new error log onto stderr"),
    Allow("openat", "files to serve, temporary files, logs on reopen. seccomp cannot see "
                    "paths, so this policy hides /proc with Landlock (see the landlock line "
                    "above): /proc/self/mem, whose writes bypass PKRU, fails with EACCES"),
    Allow("fstat", "file sizes (open_file_cache, static files)"),
    Allow("newfstatat", "as fstat"),
    Allow("statx", "as fstat"),
    Allow("unlink", "temporary files of request bodies"),
    Allow("rename", "WebDAV and cache files"),
    Allow("mkdir", "levels of temporary and cache paths"),
    AllowIf("mmap", kNotExecutable, "the allocators (nginx pools, libc, Trinity heaps); "
                                    "never executable"),
    AllowIf("mprotect", kNotExecutable, "guard pages; committing MPK reservations; never "
                                        "executable"),
    Allow("munmap", "the allocators return memory"),
    Allow("mremap", "the allocators grow large blocks; a VMA keeps its protection key"),
    Allow("brk", "libc's main arena"),
    Allow("madvise", "libc releases pages"),
    Allow("futex", "locks in libc and the runtime; thread pools"),
    Allow("sched_yield", "spinning locks (nginx's shared-memory mutexes)"),
    Allow("clock_gettime", "nginx's time cache, plugin deadlines (when the vDSO falls back)"),
    Allow("gettimeofday", "clock fallback"),
    Allow("getpid", "log lines name the process"),
    Allow("gettid", "log lines name the thread"),
    AllowIf("tgkill", kOwnProcess, "raise()/abort() on itself only"),
    Allow("getrandom", "hash seeds of plugin instances"),
    Allow("rt_sigprocmask", "signal masks around the event loop; contained seccomp traps"),
    Allow("rt_sigreturn", "nginx returns from its signal handlers (timer_resolution, master "
                          "signals); a forged frame restores any PKRU, which is why JIT code "
                          "may hold no syscall instruction and the VM never writes signal "
                          "frames"),
    Allow("sigaltstack", "fault containment's alternate signal stack"),
    Allow("setitimer", "timer_resolution"),
    Allow("restart_syscall", "the kernel restarts an interrupted call"),
    Allow("exit", "thread exit"),
    Allow("exit_group", "worker exit"),
    // Named refusals: the default refuses them too; the rows say why they must stay so.
    Refuse("pkey_mprotect", kWhyPkeyMprotect),
    Refuse("pkey_alloc", kWhyPkeyAlloc),
    Refuse("pkey_free", kWhyPkeyFree),
    RefuseIf("mprotect", kExecutable, kWhyExecMprotect),
    RefuseIf("mmap", kExecutable, kWhyExecMmap),
    Refuse("process_vm_writev", kWhyProcessVm),
    Refuse("process_vm_readv", kWhyProcessVm),
    Refuse("ptrace", kWhyPtrace),
    Refuse("execve", kWhyExecve),
    Refuse("execveat", kWhyExecve),
    Refuse("io_uring_setup", kWhyUringSetup),
    Refuse("io_uring_register", kWhyUringRegister),
    Refuse("clone", "a worker starts no processes or threads after start-up (thread pools "
                    "exist before the filter, which binds them too)"),
    Refuse("clone3", "as clone"),
    Refuse("kill", "workers signal nobody; the master signals them"),
    Refuse("rt_sigaction", "the fault-containment handlers are installed before lock-down; "
                           "replacing them would hide violations"),
    Refuse("userfaultfd", kWhyUserfaultfd),
    Refuse("personality", kWhyPersonality),
    Refuse("prctl", "could rename or make the worker dumpable"),
    Refuse("memfd_create", "anonymous files could be mapped executable elsewhere"),
    Refuse("bpf", "kernel programs can read any user memory (bpf_probe_read_user)"),
    Refuse("mount", "remounting /proc or binding files over others escapes path checks"),
    Refuse("setns", "joining other namespaces escapes the process's view"),
    Refuse("unshare", "new user namespaces grant capabilities inside them"),
});

constexpr SeccompPolicy kStrict{
    "strict",
    "a worker that only runs plugins: memory, its socket and stdio, the clock, its "
    "restricted io_uring and exit",
    SyscallAction::kRefuse, kStrictRules};

constexpr SeccompPolicy kServer{
    "server",
    "an embedding server: everything but the calls that undo MPK isolation, escape the "
    "process or reach around the restricted io_uring; /proc hidden by Landlock",
    SyscallAction::kAllow, kServerRules, /*hides_proc=*/true};

constexpr SeccompPolicy kNginxWorker{
    "nginx-worker",
    "an nginx worker embedding Trinity (trinity_seccomp nginx-worker;): its event loop, "
    "sockets, served and temporary files, logs, memory and the clock; /proc hidden by "
    "Landlock",
    SyscallAction::kRefuse, kNginxWorkerRules, /*hides_proc=*/true};

constexpr const SeccompPolicy* kPolicies[] = {&kStrict, &kServer, &kNginxWorker};

std::string_view ActionName(SyscallAction action) {
  return action == SyscallAction::kAllow ? "allow" : "refuse";
}

}  // namespace

const SeccompPolicy* FindPolicy(std::string_view name) {
  for (const SeccompPolicy* p : kPolicies) {
    if (p->name == name) return p;
  }
  return nullptr;
}

std::span<const SeccompPolicy* const> AllPolicies() { return kPolicies; }

std::string FormatPolicy(const SeccompPolicy& policy) {
  std::string out = "policy " + std::string(policy.name) + ": " + std::string(policy.summary) +
                    "\ndefault: " + std::string(ActionName(policy.default_action)) +
                    (policy.default_action == SyscallAction::kAllow
                         ? " (every call not listed below)\n"
                         : " (every call not listed below; a refused call traps with "
                           "'forbidden syscall')\n");
  if (policy.hides_proc) {
    out += "landlock: /proc hidden from the installing thread and what it starts later: "
           "every other top-level entry of / keeps all rights, /proc/self/maps stays "
           "readable, anything else under /proc (/proc/self/mem, /proc/<pid>/mem) fails "
           "with EACCES. Installing refuses where the kernel lacks Landlock, unless the "
           "caller accepts that and says so (trinity run prints a notice)\n";
  }
  for (const PolicyRule& rule : policy.rules) {
    char head[96];
    std::snprintf(head, sizeof head, "  %-6s %-18s", std::string(ActionName(rule.action)).c_str(),
                  std::string(rule.syscall).c_str());
    out += head;
    if (rule.has_condition) out += " when " + std::string(rule.condition.text);
    out += "\n         " + std::string(rule.reason) + "\n";
  }
  return out;
}

}  // namespace trinity::isolation
