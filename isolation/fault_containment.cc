// The SIGSEGV/SIGSYS handler behind RunContained. Containment state is one thread-local
// pointer to the innermost armed frame, which lives on the contained caller's native
// stack; the handler reads it, records the fault there and siglongjmps back to it. The
// common path (no fault) costs a sigsetjmp without a signal-mask save and two TLS stores.
#include "isolation/fault_containment.h"

#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <cstdio>
#include <mutex>

#include "isolation/pkru.h"
#include "isolation/syscall_names.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace trinity::isolation {
namespace {

// si_code of a SIGSYS raised by a SECCOMP_RET_TRAP filter (asm-generic/siginfo.h).
constexpr int kSysSeccomp = 1;
constexpr size_t kAltStackBytes = 64 * 1024;

struct Frame {
  sigjmp_buf env;
  ContainedFault fault;
  uintptr_t fault_sp = 0;  // native stack pointer at the fault, for ASan's shadow
};

// Read by the signal handler. Default TLS model on purpose: a library loaded at start-up
// has its TLS in the static block (no lazy allocation in the handler), and forcing
// initial-exec on this local symbol made this toolchain's linker emit a TPOFF relocation
// to offset 0 of the block, aliasing the TLS guard variable.
thread_local Frame* t_frame = nullptr;

struct sigaction g_previous_segv;
struct sigaction g_previous_sys;

// A per-thread alternate stack, so the handler also runs when the fault is a native
// stack overflow. Kept if the thread already has one (for example ASan's).
class AltStack {
 public:
  AltStack() {
    stack_t current{};
    if (sigaltstack(nullptr, &current) != 0 || (current.ss_flags & SS_DISABLE) == 0) return;
    void* mem = mmap(nullptr, kAltStackBytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return;
    stack_t ss{};
    ss.ss_sp = mem;
    ss.ss_size = kAltStackBytes;
    if (sigaltstack(&ss, nullptr) != 0) {
      munmap(mem, kAltStackBytes);
      return;
    }
    mem_ = mem;
  }
  ~AltStack() {
    if (mem_ == nullptr) return;
    stack_t ss{};
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, nullptr);
    munmap(mem_, kAltStackBytes);
  }
  AltStack(const AltStack&) = delete;
  AltStack& operator=(const AltStack&) = delete;

 private:
  void* mem_ = nullptr;
};

thread_local AltStack t_alt_stack;

// Not ours: behave as if our handler had never been installed.
void Forward(int sig, siginfo_t* info, void* context) {
  const struct sigaction& previous = sig == SIGSEGV ? g_previous_segv : g_previous_sys;
  if ((previous.sa_flags & SA_SIGINFO) != 0 && previous.sa_sigaction != nullptr) {
    previous.sa_sigaction(sig, info, context);
    return;
  }
  if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
    previous.sa_handler(sig);
    return;
  }
  struct sigaction fallback {};
  fallback.sa_handler = SIG_DFL;
  sigemptyset(&fallback.sa_mask);
  sigaction(sig, &fallback, nullptr);
  // A hardware fault happens again when the instruction re-executes, now with the
  // default action; anything else (SIGSYS, a signal sent by kill) is raised again and
  // delivered as soon as this handler returns.
  if (sig != SIGSEGV || info->si_code <= 0) raise(sig);
}

void OnSignal(int sig, siginfo_t* info, void* context) {
  Frame* frame = t_frame;
  bool containable = (sig == SIGSEGV && info->si_code == SEGV_PKUERR) ||
                     (sig == SIGSYS && info->si_code == kSysSeccomp);
  if (frame == nullptr || !containable) {
    Forward(sig, info, context);
    return;
  }
  // Disarmed first: a fault between here and the landing site is a real crash.
  t_frame = nullptr;
  auto* uc = static_cast<ucontext_t*>(context);
  ContainedFault& fault = frame->fault;
  fault.signal = sig;
  fault.code = info->si_code;
  if (sig == SIGSEGV) {
    fault.address = reinterpret_cast<uintptr_t>(info->si_addr);
    fault.pkey = static_cast<int>(info->si_pkey);
    fault.write = (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0;  // page-fault error code W bit
  } else {
    fault.syscall = info->si_syscall;
  }
  frame->fault_sp = static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RSP]);
  siglongjmp(frame->env, 1);
}

void Unblock(int sig) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

}  // namespace

void InstallFaultContainment() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_sigaction = OnSignal;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, &g_previous_segv);
    sigaction(SIGSYS, &action, &g_previous_sys);
  });
}

std::optional<ContainedFault> RunContained(const std::function<void()>& body,
                                           std::optional<uint32_t> pkru_after_fault) {
  InstallFaultContainment();
  (void)&t_alt_stack;  // constructs this thread's alternate stack on first use
  Frame frame;
  Frame* const outer = t_frame;
  // No mask save: sigsetjmp(…, 1) would cost a system call on every entry. The one signal
  // that lands here stays blocked after siglongjmp and is unblocked below instead.
  if (sigsetjmp(frame.env, 0) != 0) {
    if (pkru_after_fault) WritePkruVerified(*pkru_after_fault);
    t_frame = outer;
    Unblock(frame.fault.signal);
#if defined(__SANITIZE_ADDRESS__)
    // The abandoned frames below us still carry their redzones in ASan's shadow.
    auto here = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
    if (frame.fault_sp != 0 && frame.fault_sp < here) {
      __asan_unpoison_memory_region(reinterpret_cast<void*>(frame.fault_sp), here - frame.fault_sp);
    }
#endif
    return frame.fault;
  }
  t_frame = &frame;
  try {
    body();
  } catch (...) {
    t_frame = outer;
    throw;
  }
  t_frame = outer;
  return std::nullopt;
}

ContainmentSuspension::ContainmentSuspension() : saved_(t_frame) { t_frame = nullptr; }
ContainmentSuspension::~ContainmentSuspension() { t_frame = static_cast<Frame*>(saved_); }

Trap TrapFromFault(const ContainedFault& fault, const std::string& key_owner) {
  Trap trap;
  char text[160];
  if (fault.signal == SIGSYS) {
    trap.kind = TrapKind::kForbiddenSyscall;
    std::snprintf(text, sizeof text, "system call %s (%d) refused by the seccomp filter",
                  SyscallName(fault.syscall).c_str(), fault.syscall);
    trap.message = text;
    return trap;
  }
  trap.kind = TrapKind::kIsolationViolation;
  std::snprintf(text, sizeof text, "%s of address %#lx denied: protection key %d",
                fault.write ? "write" : "read", static_cast<unsigned long>(fault.address),
                fault.pkey);
  trap.message = text;
  if (!key_owner.empty()) trap.message += " guards " + key_owner;
  return trap;
}

}  // namespace trinity::isolation
