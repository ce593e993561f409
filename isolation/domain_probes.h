// USDT probe points of MPK domain switches (provider `trinity`, listed in runtime/probes.h):
//   trinity:domain_enter(domain_id, pkru)  on every switch into a plugin domain
//   trinity:domain_exit(domain_id, pkru)   on every switch back to the host domain
// pkru is the value in force after the switch. With no tracer attached a probe costs a load
// of its semaphore (defined in domain_probes.cc) and a branch.
#pragma once

#include "runtime/probes.h"

// Marks a function that holds a probe. A probe's note refers to the code around it, and ld
// refuses a note that points into a section --gc-sections discarded, so such functions are
// kept even in binaries that link this code but never call them (SHF_GNU_RETAIN).
#define TRINITY_PROBE_FUNCTION __attribute__((retain))

#define TRINITY_PROBE_DOMAIN_ENTER(id, pkru) TRINITY_PROBE(domain_enter, id, pkru)
#define TRINITY_PROBE_DOMAIN_EXIT(id, pkru) TRINITY_PROBE(domain_exit, id, pkru)
