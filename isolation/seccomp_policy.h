// Named seccomp policies as data: one table per policy, each row a system call, what the
// filter does with it (optionally only when an argument matches) and why the row exists.
// seccomp_filter.h turns a table into a kernel filter; `trinity policy show` prints it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace trinity::isolation {

enum class SyscallAction : uint8_t {
  kAllow,
  kRefuse,  // a violation: the filter's response (trap or kill, chosen at install time)
};

// A comparison on one system-call argument, evaluated by the kernel's BPF filter.
struct ArgCondition {
  enum class Op : uint8_t { kMaskedEqual, kEqual };
  uint8_t arg = 0;        // 0..5
  Op op = Op::kEqual;
  uint64_t mask = 0;      // kMaskedEqual: (arg & mask) == value
  uint64_t value = 0;
  bool value_is_own_pid = false;  // value is getpid() of the process installing the filter
  std::string_view text;  // how `policy show` prints it: "(prot & PROT_EXEC) == 0"
};

struct PolicyRule {
  std::string_view syscall;  // libseccomp name, x86-64
  SyscallAction action = SyscallAction::kRefuse;
  bool has_condition = false;  // the action applies only when `condition` holds
  ArgCondition condition;
  std::string_view reason;
};

struct SeccompPolicy {
  std::string_view name;
  std::string_view summary;
  SyscallAction default_action = SyscallAction::kRefuse;  // for calls no row matches
  std::span<const PolicyRule> rules;
  // seccomp cannot see paths: a policy that allows opening files must also have /proc
  // hidden by Landlock (landlock_proc_guard.h), or /proc/self/mem would bypass MPK.
  bool hides_proc = false;
};

// "strict" and "server"; nullptr for any other name ("none" means no filter at all and is
// handled by callers).
const SeccompPolicy* FindPolicy(std::string_view name);
std::span<const SeccompPolicy* const> AllPolicies();

// The table as text: a header with name, summary, default and the Landlock line of a
// policy that hides /proc, then one line per row
// (action, system call, condition) followed by its reason.
std::string FormatPolicy(const SeccompPolicy& policy);

}  // namespace trinity::isolation
