// The project's USDT probe points (provider `trinity`): the one list of every probe, the
// tier numbers they carry, and the macros that fire them. Every probe has an sdt semaphore,
// so with no tracer attached a probe costs one load and one not-taken branch; the kernel
// raises the semaphore while a uprobe (`trinity audit`, bpf/) is attached to the probe.
#pragma once

#include <cstddef>
#include <cstdint>

#ifndef TRINITY_NO_PROBES
// Must precede every other inclusion of <sys/sdt.h> in a translation unit that fires probes.
#define _SDT_HAS_SEMAPHORES 1
#define SDT_USE_VARIADIC 1
#include <sys/sdt.h>
#endif

// X(name, arguments, where it fires). Numbers are 64-bit unless noted; strings are
// NUL-terminated and valid during the probe only.
#define TRINITY_PROBE_LIST(X)                                                                   \
  X(instance_create, "instance, tier", "runtime: Instance::Create succeeded")                   \
  X(instance_destroy, "instance, tier", "runtime: ~Instance")                                   \
  X(call_entry, "instance, tier, function", "runtime: host -> plugin (Start, Call)")             \
  X(call_exit, "instance, tier, trap kind or -1", "runtime: plugin -> host, returned or trapped") \
  X(trap, "instance, tier, kind, message", "runtime: a call into the plugin ended in a trap")    \
  X(host_call, "instance, import index, name", "runtime: plugin -> host function")               \
  X(host_return, "instance, import index", "runtime: host function -> plugin (also on throw)")   \
  X(jit_emit, "instance (0: shared), address, size, name", "runtime: ReportJitCode")             \
  X(domain_enter, "MPK domain id, pkru", "isolation: MPK gate switched into a plugin domain")     \
  X(domain_exit, "MPK domain id, pkru", "isolation: MPK gate switched back to the host")         \
  X(seccomp_violation, "syscall nr (32), arch (32), ip", "isolation: SIGSYS from the filter")    \
  X(worker_call_entry, "worker pid, function", "isolation: process tier sends a call to a worker") \
  X(worker_call_exit, "worker pid, trap kind or -1", "isolation: process tier got the reply")

// A probe's semaphore. uprobes find it through the probe's ELF note, which refers to it by
// link-time address, so it must be defined in the same ELF object (executable or shared
// library) as the probe's sites: TRINITY_DEFINE_PROBE_SEMAPHORE once in a .cc file of the
// library that fires the probe.
#define TRINITY_PROBE_SEMAPHORE(name) trinity_##name##_semaphore
#define TRINITY_DECLARE_PROBE_SEMAPHORE(name, ...) \
  extern "C" __attribute__((visibility("hidden"))) volatile unsigned short TRINITY_PROBE_SEMAPHORE(name);
#define TRINITY_DEFINE_PROBE_SEMAPHORE(name)                                                  \
  extern "C" {                                                                                \
  __attribute__((visibility("hidden"), section(".probes"), used)) volatile unsigned short     \
      TRINITY_PROBE_SEMAPHORE(name) = 0;                                                      \
  }                                                                                           \
  static_assert(true)

TRINITY_PROBE_LIST(TRINITY_DECLARE_PROBE_SEMAPHORE)

#ifdef TRINITY_NO_PROBES
// A build without probes, for measuring what the detached probes cost (bench/).
#define TRINITY_PROBE_ENABLED(name) false
#define TRINITY_PROBE(name, ...) \
  do {                           \
  } while (0)
#else
#define TRINITY_PROBE_ENABLED(name) __builtin_expect(TRINITY_PROBE_SEMAPHORE(name) != 0, 0)
// Arguments are evaluated only while a tracer is attached.
#define TRINITY_PROBE(name, ...)                                             \
  do {                                                                       \
    if (TRINITY_PROBE_ENABLED(name)) STAP_PROBEV(trinity, name, __VA_ARGS__); \
  } while (0)
#endif

namespace trinity::probes {

// The `tier` argument: what executed the plugin's bytecode.
enum class Tier : int {
  kInterpreter = 0,      // the reference interpreter (runtime/reference_interpreter.cc)
  kFastInterpreter = 1,  // the fast tier (issue 17)
  kJit = 2,              // compiled code (jit/)
  kProcess = 3,          // a process-tier worker, as its supervisor sees it
};

struct ProbeInfo {
  const char* name;
  const char* arguments;
  const char* fired_by;
};

#define TRINITY_PROBE_INFO(name, arguments, fired_by) ProbeInfo{#name, arguments, fired_by},
inline constexpr ProbeInfo kAllProbes[] = {TRINITY_PROBE_LIST(TRINITY_PROBE_INFO)};
#undef TRINITY_PROBE_INFO

// For a JIT (jit/, later): reports `size` bytes of machine code at `code`, now executable,
// named `name` (a trace or function name), emitted for `instance` (0 when shared). Fires
// trinity:jit_emit. A function rather than a macro so the probe and its semaphore stay in
// the runtime's object whichever library emits the code.
void ReportJitCode(uint64_t instance, const void* code, size_t size, const char* name);

}  // namespace trinity::probes
