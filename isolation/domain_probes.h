// USDT probe points of the isolation layer (provider `trinity`), from <sys/sdt.h>:
//   trinity:domain_enter(instance_id, pkru)  on every switch into a plugin domain
//   trinity:domain_exit(instance_id, pkru)   on every switch back to the host domain
// pkru is the value in force after the switch. A probe is one NOP until a tracer attaches.
#pragma once

#include <sys/sdt.h>

// Marks a function that holds a probe. A probe's note refers to the code around it, and ld
// refuses a note that points into a section --gc-sections discarded, so such functions are
// kept even in binaries that link this code but never call them (SHF_GNU_RETAIN).
#define TRINITY_PROBE_FUNCTION __attribute__((retain))

#define TRINITY_PROBE_DOMAIN_ENTER(id, pkru) DTRACE_PROBE2(trinity, domain_enter, id, pkru)
#define TRINITY_PROBE_DOMAIN_EXIT(id, pkru) DTRACE_PROBE2(trinity, domain_exit, id, pkru)
