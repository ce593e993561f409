// Builds a libseccomp filter from a policy table and loads it, and hooks SIGSYS for the
// audit probe. The hook sits in front of fault containment's handler and forwards to it,
// so it observes every violation, contained or not, before anything else happens.
#include "isolation/seccomp_filter.h"

#include <seccomp.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "isolation/fault_containment.h"
#include "isolation/kernel_checks.h"
#include "isolation/landlock_proc_guard.h"
#include "isolation/mpk_isolation.h"
#include "runtime/probes.h"

#ifndef TRINITY_NO_PROBES
TRINITY_DEFINE_PROBE_SEMAPHORE(seccomp_violation);
#endif

namespace trinity::isolation {
namespace {

// si_code of a SIGSYS raised by SECCOMP_RET_TRAP (asm-generic/siginfo.h).
constexpr int kSysSeccomp = 1;

struct sigaction g_next_sigsys;
std::atomic<uint64_t> g_violations{0};
std::atomic<int> g_last_refused{-1};
std::atomic<uint32_t> g_filters_loaded{0};  // by InstallSeccompPolicy, in this process

// Async-signal-safe: two atomics and a probe (one NOP until a tracer attaches).
void OnSigsys(int sig, siginfo_t* info, void* context) {
  if (info->si_code == kSysSeccomp) {
    g_violations.fetch_add(1, std::memory_order_relaxed);
    g_last_refused.store(info->si_syscall, std::memory_order_relaxed);
    int nr = info->si_syscall;
    unsigned arch = info->si_arch;
    void* ip = info->si_call_addr;
    TRINITY_PROBE(seccomp_violation, nr, arch, ip);
  }
  const struct sigaction& next = g_next_sigsys;
  if ((next.sa_flags & SA_SIGINFO) != 0 && next.sa_sigaction != nullptr) {
    next.sa_sigaction(sig, info, context);
    return;
  }
  if (next.sa_handler != SIG_DFL && next.sa_handler != SIG_IGN) {
    next.sa_handler(sig);
    return;
  }
  // Nobody else wants it: die of SIGSYS as the kernel's default would have it.
  signal(SIGSYS, SIG_DFL);
  raise(SIGSYS);
}

uint32_t ResponseAction(ViolationResponse response) {
  return response == ViolationResponse::kTrap ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS;
}

uint32_t ActionFor(SyscallAction action, ViolationResponse response) {
  return action == SyscallAction::kAllow ? SCMP_ACT_ALLOW : ResponseAction(response);
}

scmp_arg_cmp Comparison(const ArgCondition& c) {
  scmp_arg_cmp cmp{};
  cmp.arg = c.arg;
  uint64_t value = c.value_is_own_pid ? static_cast<uint64_t>(getpid()) : c.value;
  if (c.op == ArgCondition::Op::kMaskedEqual) {
    cmp.op = SCMP_CMP_MASKED_EQ;
    cmp.datum_a = c.mask;
    cmp.datum_b = value;
  } else {
    cmp.op = SCMP_CMP_EQ;
    cmp.datum_a = value;
  }
  return cmp;
}

// Owns the libseccomp context so every early return releases it.
class FilterContext {
 public:
  explicit FilterContext(uint32_t default_action) : ctx_(seccomp_init(default_action)) {}
  ~FilterContext() {
    if (ctx_ != nullptr) seccomp_release(ctx_);
  }
  FilterContext(const FilterContext&) = delete;
  FilterContext& operator=(const FilterContext&) = delete;
  scmp_filter_ctx get() const { return ctx_; }

 private:
  scmp_filter_ctx ctx_;
};

std::string Failed(const std::string& what, int rc) {
  return what + ": " + std::strerror(-rc);
}

// Before the filter, so a failure leaves the process as it was (a Landlock failure leaves
// nothing behind either).
Result<Unit, std::string> HideProcIfNeeded(const SeccompPolicy& policy,
                                           WithoutLandlock without_landlock) {
  if (!policy.hides_proc) return Unit{};
  if (without_landlock == WithoutLandlock::kLoad && !LandlockAbi()) return Unit{};
  auto hidden = HideProcFromThisThread();
  if (!hidden) {
    return Err("policy " + std::string(policy.name) +
               " allows opening files, so /proc must be hidden (writes to /proc/self/mem "
               "bypass MPK), and it cannot be: " + hidden.error());
  }
  return Unit{};
}

// Whether the filter may refuse `syscall`: a refusing row (conditional or not), or the
// default with no unconditional row allowing it.
bool MayRefuse(const SeccompPolicy& policy, std::string_view syscall) {
  bool allowed_outright = false;
  for (const PolicyRule& rule : policy.rules) {
    if (rule.syscall != syscall) continue;
    if (rule.action == SyscallAction::kRefuse) return true;
    allowed_outright = allowed_outright || !rule.has_condition;
  }
  return !allowed_outright && policy.default_action == SyscallAction::kRefuse;
}

// The policy's own refusal of executable mprotect, which a JIT code region replaces.
bool IsExecMprotectRefusal(const PolicyRule& rule) {
  return rule.syscall == "mprotect" && rule.action == SyscallAction::kRefuse && rule.has_condition &&
         rule.condition.arg == 2 && rule.condition.op == ArgCondition::Op::kMaskedEqual &&
         rule.condition.mask == PROT_EXEC;
}

// Executable memory only inside the region (see JitCodeRegion). libseccomp allows one
// comparison per argument and rule, hence the aligned region: "inside" is one masked
// comparison of the address. A policy that refuses by default gets the one allowing
// rule; one that allows by default gets every refusal of what lies outside it.
Result<Unit, std::string> AddJitCodeRules(scmp_filter_ctx filter, const SeccompPolicy& policy,
                                          const JitCodeRegion& region, uint32_t refuse) {
  if (region.size == 0 || (region.size & (region.size - 1)) != 0 ||
      region.base % (2 * region.size) != 0) {
    return Err(std::string("JIT code region must be a power of two aligned to twice its size"));
  }
  const int nr = SCMP_SYS(mprotect);
  const scmp_datum_t exec = PROT_EXEC, wx = PROT_WRITE | PROT_EXEC, rx = PROT_READ | PROT_EXEC;
  std::vector<std::vector<scmp_arg_cmp>> rules;
  uint32_t action = refuse;
  if (policy.default_action == SyscallAction::kRefuse) {
    action = SCMP_ACT_ALLOW;
    rules.push_back({SCMP_A0(SCMP_CMP_MASKED_EQ, ~scmp_datum_t{region.size - 1}, region.base),
                     SCMP_A1(SCMP_CMP_LE, region.size), SCMP_A2(SCMP_CMP_EQ, rx)});
  } else {
    rules.push_back({SCMP_A2(SCMP_CMP_MASKED_EQ, wx, wx)});
    rules.push_back({SCMP_A2(SCMP_CMP_MASKED_EQ, rx, exec)});
    rules.push_back({SCMP_A0(SCMP_CMP_LT, region.base), SCMP_A2(SCMP_CMP_MASKED_EQ, exec, exec)});
    rules.push_back({SCMP_A0(SCMP_CMP_GE, region.base + region.size),
                     SCMP_A2(SCMP_CMP_MASKED_EQ, exec, exec)});
    rules.push_back({SCMP_A1(SCMP_CMP_GT, region.size), SCMP_A2(SCMP_CMP_MASKED_EQ, exec, exec)});
  }
  for (auto& cmps : rules) {
    int rc = seccomp_rule_add_array(filter, action, nr, static_cast<unsigned>(cmps.size()), cmps.data());
    if (rc != 0) return Err(Failed("policy " + std::string(policy.name) + ": JIT code rule", rc));
  }
  return Unit{};
}

}  // namespace

void InstallSeccompAudit() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Containment first, so the hook forwards to it.
    InstallFaultContainment();
    struct sigaction action {};
    action.sa_sigaction = OnSigsys;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSYS, &action, &g_next_sigsys);
  });
}

Result<Unit, std::string> InstallSeccompPolicy(const SeccompPolicy& policy,
                                               ViolationResponse response,
                                               WithoutLandlock without_landlock,
                                               std::optional<JitCodeRegion> jit_code) {
  if (auto hidden = HideProcIfNeeded(policy, without_landlock); !hidden) return hidden;
  InstallSeccompAudit();
  // RunContained maps this thread's alternate signal stack on first use (mmap and
  // sigaltstack); do it now, while both are still allowed.
  (void)RunContained([] {});

  const uint32_t default_action = ActionFor(policy.default_action, response);
  FilterContext filter(default_action);
  if (filter.get() == nullptr) return Err(std::string("seccomp_init failed"));
  // Every thread, now: a server's existing threads must not stay unfiltered.
  int rc = seccomp_attr_set(filter.get(), SCMP_FLTATR_CTL_TSYNC, 1);
  if (rc != 0) return Err(Failed("cannot synchronise the filter across threads", rc));

  for (const PolicyRule& rule : policy.rules) {
    const uint32_t action = ActionFor(rule.action, response);
    // A row repeating the default documents a refusal; the default enforces it.
    if (action == default_action) continue;
    if (jit_code && IsExecMprotectRefusal(rule)) continue;  // narrowed below
    const std::string name(rule.syscall);
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) return Err("policy " + std::string(policy.name) +
                                          ": unknown system call '" + name + "'");
    if (rule.has_condition) {
      scmp_arg_cmp cmp = Comparison(rule.condition);
      rc = seccomp_rule_add_array(filter.get(), action, nr, 1, &cmp);
    } else {
      rc = seccomp_rule_add_array(filter.get(), action, nr, 0, nullptr);
    }
    if (rc != 0) return Err(Failed("policy " + std::string(policy.name) + ": rule for " + name, rc));
  }
  if (jit_code) {
    auto added = AddJitCodeRules(filter.get(), policy, *jit_code, ResponseAction(response));
    if (!added) return added;
  }
  // Last, so a policy that fails to build leaves MPK as it was: after the load nothing
  // could re-tag memory or allocate keys, so key rotation must stop before it.
  if (MayRefuse(policy, "pkey_mprotect") || MayRefuse(policy, "pkey_alloc")) {
    if (auto sealed = SealMpkKeys(); !sealed) {
      return Err("cannot prepare MPK for policy " + std::string(policy.name) + ": " + sealed.error());
    }
  }
  // Opened now if at all: after the load, open is refused.
  (void)ProcessAttestor();
  rc = seccomp_load(filter.get());
  if (rc != 0) return Err(Failed("loading the seccomp filter failed", rc));
  const uint32_t loaded = g_filters_loaded.fetch_add(1, std::memory_order_relaxed) + 1;
  return AttestLockedDown(LockDownBelief{loaded});
}

uint64_t SeccompViolationCount() { return g_violations.load(std::memory_order_relaxed); }
int LastRefusedSyscall() { return g_last_refused.load(std::memory_order_relaxed); }

}  // namespace trinity::isolation
