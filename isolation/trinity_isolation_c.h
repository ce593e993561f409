/* The isolation layer's C entry points, an optional companion of runtime/trinity_c.h for
 * C hosts: instances in their own MPK domain (with the CLI's fallback rules) and the named
 * seccomp policies of isolation/seccomp_policy.h. */
#ifndef TRINITY_ISOLATION_C_H_
#define TRINITY_ISOLATION_C_H_

#include "runtime/trinity_c.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum trinity_isolation {
  TRINITY_ISOLATION_NONE = 0,     /* plain instance */
  TRINITY_ISOLATION_DEFAULT = 1,  /* MPK where the CPU has protection keys, else none */
  TRINITY_ISOLATION_MPK = 2       /* MPK or fail with TRINITY_UNAVAILABLE */
} trinity_isolation_t;

/* Whether protection keys work here. When they do not and `reason` is not NULL, it gets
 * a static message naming the missing feature. */
int trinity_mpk_available(const char** reason);

/* Allocates this process's protection keys now; call it in each process (after fork)
 * before its first isolated instance and before any seccomp policy. */
trinity_status_t trinity_mpk_init(trinity_error_t** error);

/* trinity_instance_new with the instance's memory and execution in its own MPK domain,
 * reserved for config->limits. TRINITY_ISOLATION_DEFAULT falls back to a plain instance
 * (trinity_instance_isolated says which) where protection keys are missing. */
trinity_status_t trinity_instance_new_isolated(const trinity_module_t* module,
                                               const trinity_host_t* host,
                                               const trinity_instance_config_t* config,
                                               trinity_isolation_t isolation,
                                               trinity_instance_t** out,
                                               trinity_error_t** error);

/* Installs the named policy ("strict", "server", "nginx-worker"; `trinity policy list`) on
 * every thread of the process, irreversibly. A refused system call raises SIGSYS: a
 * `forbidden syscall` trap inside plugin code, the default action (the process dies)
 * elsewhere. A policy that hides /proc refuses to load without Landlock. */
trinity_status_t trinity_seccomp_install(const char* policy, trinity_error_t** error);

/* TRINITY_OK when `policy` names a policy trinity_seccomp_install knows (checked at a
 * host's configuration time, long before it installs the policy). */
trinity_status_t trinity_seccomp_check(const char* policy, trinity_error_t** error);

#ifdef __cplusplus
}
#endif

#endif /* TRINITY_ISOLATION_C_H_ */
