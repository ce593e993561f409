// One audit event as `trinity audit` prints it, decoded from whichever source produced it
// (the BPF observer today; the kernel module's tracepoints later). Field names follow the
// JSON schema in bpf/README.md; absent parts stay empty.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace trinity::bpf {

struct AuditProcess {
  uint32_t pid = 0;
  uint32_t tid = 0;
  uint32_t ppid = 0;
  uint32_t uid = 0;
  std::string comm;
  uint64_t cgroup_id = 0;
  uint64_t start_time_ns = 0;  // CLOCK_MONOTONIC
  int seccomp_mode = -1;       // 0 none, 1 strict, 2 filter, 3 dead; -1 unknown
};

struct AuditCall {
  std::string function;         // call_entry: the export (or top-level code) called
  std::optional<int> trap_kind;  // call_exit: set when the call trapped
  uint32_t worker = 0;          // process tier: the worker's pid
};

struct AuditTrap {
  int kind = 0;  // trinity::TrapKind
  std::string message;
};

struct AuditHostCall {
  uint32_t import = 0;
  std::string name;
};

struct AuditDomain {
  uint32_t id = 0;  // the MPK domain's id
  std::optional<int> pkey;
  uint32_t pkru = 0;
};

struct AuditSeccomp {
  int nr = 0;
  uint32_t arch = 0;  // AUDIT_ARCH_*
  uint64_t ip = 0;
  std::string action;  // "trap", "kill", or "reported" (the process's own handler said so)
};

struct AuditJit {
  uint64_t addr = 0;
  uint64_t size = 0;
  std::string name;
};

struct AuditFault {
  uint64_t addr = 0;
  uint64_t ip = 0;
  std::optional<uint64_t> error_code;
  std::optional<int> pkey;
};

struct AuditEvent {
  std::string event;   // "call_entry", "kernel_sigsys", ...
  std::string source;  // "usdt" or "kernel"
  uint64_t ktime_ns = 0;  // CLOCK_MONOTONIC
  bool attested = false;  // kernel events: the kernel's own state confirms the cause
  AuditProcess process;
  std::optional<uint64_t> instance;  // runtime instance id
  std::optional<int> tier;           // trinity::probes::Tier
  std::optional<AuditCall> call;
  std::optional<AuditTrap> trap;
  std::optional<AuditHostCall> host;
  std::optional<AuditDomain> domain;
  std::optional<AuditSeccomp> seccomp;
  std::optional<AuditJit> jit;
  std::optional<AuditFault> fault;
};

}  // namespace trinity::bpf
