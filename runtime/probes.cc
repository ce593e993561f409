// Semaphores of the probes the runtime library fires (runtime/probes.h), and the jit_emit
// probe behind ReportJitCode. Probes fired by other libraries define their own semaphores.
#include "runtime/probes.h"

#ifndef TRINITY_NO_PROBES
TRINITY_DEFINE_PROBE_SEMAPHORE(instance_create);
TRINITY_DEFINE_PROBE_SEMAPHORE(instance_destroy);
TRINITY_DEFINE_PROBE_SEMAPHORE(call_entry);
TRINITY_DEFINE_PROBE_SEMAPHORE(call_exit);
TRINITY_DEFINE_PROBE_SEMAPHORE(trap);
TRINITY_DEFINE_PROBE_SEMAPHORE(host_call);
TRINITY_DEFINE_PROBE_SEMAPHORE(host_return);
TRINITY_DEFINE_PROBE_SEMAPHORE(jit_emit);
#endif

namespace trinity::probes {

// Kept under --gc-sections even in binaries that never call it: its probe note refers to
// this code (see isolation/domain_probes.h).
__attribute__((retain, noinline)) void ReportJitCode(uint64_t instance, const void* code,
                                                     size_t size, const char* name) {
  TRINITY_PROBE(jit_emit, instance, code, size, name);
}

}  // namespace trinity::probes
