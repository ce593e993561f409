// USDT probe points of the isolation layer (provider `trinity`), from <sys/sdt.h>:
//   trinity:domain_enter(instance_id, pkru)  on every switch into a plugin domain
//   trinity:domain_exit(instance_id, pkru)   on every switch back to the host domain
// pkru is the value in force after the switch. A probe is one NOP until a tracer attaches.
#pragma once

#include <sys/sdt.h>

#define TRINITY_PROBE_DOMAIN_ENTER(id, pkru) DTRACE_PROBE2(trinity, domain_enter, id, pkru)
#define TRINITY_PROBE_DOMAIN_EXIT(id, pkru) DTRACE_PROBE2(trinity, domain_exit, id, pkru)
