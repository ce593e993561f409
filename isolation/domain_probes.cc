// Semaphores of the MPK domain-switch probes (domain_probes.h); they live in the same
// library as the gate that fires them, where the probes' notes can refer to them.
#include "isolation/domain_probes.h"

#ifndef TRINITY_NO_PROBES
TRINITY_DEFINE_PROBE_SEMAPHORE(domain_enter);
TRINITY_DEFINE_PROBE_SEMAPHORE(domain_exit);
#endif
