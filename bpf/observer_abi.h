/* What observer.bpf.c and its user-space loader share: the event record in the ring
 * buffer, event types, and the value types of the pinned maps. Plain C, included by both
 * sides; the map value types reach bpftool through the object's BTF, so their field names
 * are what `bpftool map dump pinned /sys/fs/bpf/trinity/<map>` prints. */
#ifndef TRINITY_BPF_OBSERVER_ABI_H_
#define TRINITY_BPF_OBSERVER_ABI_H_

#ifndef __bpf__
#include <linux/types.h>
#endif

/* Event types: the ring buffer record's `type`, and the index into `struct event_counts`. */
enum trinity_event_type {
  EV_INSTANCE_CREATE = 0,
  EV_INSTANCE_DESTROY = 1,
  EV_CALL_ENTRY = 2,
  EV_CALL_EXIT = 3,
  EV_TRAP = 4,
  EV_HOST_CALL = 5,
  EV_HOST_RETURN = 6,
  EV_JIT_EMIT = 7,
  EV_DOMAIN_ENTER = 8,
  EV_DOMAIN_EXIT = 9,
  EV_SECCOMP_VIOLATION = 10,
  EV_WORKER_CALL_ENTRY = 11,
  EV_WORKER_CALL_EXIT = 12,
  /* From kernel tracepoints; a process cannot forge these. */
  EV_KERNEL_SIGSYS = 13,     /* signal:signal_generate, SIGSYS with SYS_SECCOMP */
  EV_KERNEL_PKUERR = 14,     /* signal:signal_generate, SIGSEGV with SEGV_PKUERR */
  EV_KERNEL_PKEY_FAULT = 15, /* exceptions:page_fault_user with error code bit 5 (PK) */
  EV_TYPE_COUNT = 16,
};

/* Map `ev_drops` (per CPU, one entry): ring buffer reservations that failed, by event type
 * (field i counts type i). */
struct event_counts {
  __u64 instance_create;
  __u64 instance_destroy;
  __u64 call_entry;
  __u64 call_exit;
  __u64 trap;
  __u64 host_call;
  __u64 host_return;
  __u64 jit_emit;
  __u64 domain_enter;
  __u64 domain_exit;
  __u64 seccomp_violation;
  __u64 worker_call_entry;
  __u64 worker_call_exit;
  __u64 kernel_sigsys;
  __u64 kernel_pkuerr;
  __u64 kernel_pkey_fault;
};

/* Bits of the observer's `emit_mask`: which event types go to the ring buffer (every type is
 * always counted in the maps). */
#define TRINITY_EMIT_ALL ((1u << EV_TYPE_COUNT) - 1)
#define TRINITY_EMIT_SECURITY                                                       \
  ((1u << EV_TRAP) | (1u << EV_JIT_EMIT) | (1u << EV_SECCOMP_VIOLATION) |          \
   (1u << EV_KERNEL_SIGSYS) | (1u << EV_KERNEL_PKUERR) | (1u << EV_KERNEL_PKEY_FAULT))

/* Trap kinds, in the order of trinity::TrapKind (runtime/trinity.h; the loader checks). */
#define TRINITY_TRAP_KINDS 14
struct trap_counts {
  __u64 type_error;
  __u64 division_by_zero;
  __u64 index_out_of_range;
  __u64 key_not_found;
  __u64 error;
  __u64 fuel_exhausted;
  __u64 out_of_memory;
  __u64 stack_overflow;
  __u64 deadline_exceeded;
  __u64 host_error;
  __u64 isolation_violation;
  __u64 forbidden_syscall;
  __u64 link_error;
  __u64 internal;
};

/* Counters every event type feeds, per process (map `procs`) and per instance (`insts`). */
struct audit_counters {
  __u64 instances_created;
  __u64 instances_destroyed;
  __u64 plugin_entries;   /* host -> plugin (call_entry) */
  __u64 plugin_exits;     /* plugin -> host (call_exit) */
  __u64 host_calls;       /* plugin -> host function */
  __u64 host_returns;     /* host function -> plugin */
  __u64 domain_enters;    /* MPK switches into a plugin domain */
  __u64 domain_exits;
  __u64 worker_calls;     /* process tier: calls sent to a worker */
  __u64 seccomp_violations; /* reported by the process's SIGSYS handler (USDT) */
  __u64 kernel_sigsys;      /* seen by the kernel */
  __u64 kernel_pkuerr;
  __u64 kernel_pkey_faults;
  __u64 jit_emits;
  __u64 jit_bytes;
  struct trap_counts traps;
};

/* Map `procs`, key: the process id (tgid). A process is audited once any Trinity probe fires
 * in it, or when its parent was audited when it forked. */
struct proc_stats {
  __u64 start_time; /* the process's start, ns since boot: a reused pid starts over */
  char comm[16];
  struct audit_counters counters;
};

/* Map `insts`. */
struct inst_key {
  __u32 pid;
  __u32 pad;
  __u64 instance; /* runtime instance id (trinity::Instance::id()) */
};

struct inst_stats {
  __s32 tier;   /* trinity::probes::Tier; -1 until known */
  __u32 live;   /* 1 between instance_create and instance_destroy */
  __u64 created_ns;
  struct audit_counters counters;
};

/* Map `threads`, key: thread id: the instances whose calls are running on the thread, so
 * domain switches and kernel events can be attributed to an instance. */
#define TRINITY_CALL_NESTING 4
struct thread_calls {
  __u64 instance[TRINITY_CALL_NESTING];
  __s32 tier[TRINITY_CALL_NESTING];
  __u32 depth; /* may exceed TRINITY_CALL_NESTING; deeper calls are not tracked */
  __u32 pad;
};

/* seccomp action as the kernel applied it. */
enum trinity_seccomp_action {
  SECCOMP_ACTION_UNKNOWN = 0, /* reported from user space: the handler ran, so a trap */
  SECCOMP_ACTION_TRAP = 1,
  SECCOMP_ACTION_KILL = 2,
};

#define TRINITY_NAME_BYTES 64
#define TRINITY_MESSAGE_BYTES 96

/* Event flags. */
#define EVENT_ATTESTED 1u /* kernel event whose cause the kernel itself confirmed */

/* One ring buffer record. */
struct trinity_event {
  __u32 type; /* enum trinity_event_type */
  __u32 flags;
  __u64 ktime_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
  /* process */
  __u32 pid;
  __u32 tid;
  __u32 ppid;
  __u32 uid;
  __u64 cgroup_id;
  __u64 start_time; /* process start, ns since boot (CLOCK_MONOTONIC) */
  char comm[16];
  __s32 seccomp_mode; /* the thread's: 0 none, 1 strict, 2 filter, 3 dead (being killed) */
  /* the runtime instance (0: none or unknown) and its tier (-1: unknown) */
  __s32 tier;
  __u64 instance;
  union {
    struct {
      char function[TRINITY_NAME_BYTES];
      __s32 trap_kind; /* call_exit: -1 returned, else the trap's kind */
      __u32 worker;    /* worker_call_*: the worker's pid */
    } call;
    struct {
      __u32 kind;
      __u32 pad;
      char message[TRINITY_MESSAGE_BYTES];
    } trap;
    struct {
      __u32 import;
      __u32 pad;
      char name[TRINITY_NAME_BYTES];
    } host;
    struct {
      __u64 addr;
      __u64 size;
      char name[TRINITY_NAME_BYTES];
    } jit;
    struct {
      __u32 id; /* MPK domain id (the isolation layer's, as in its trap messages) */
      __u32 pkru;
    } domain;
    struct {
      __s32 nr;
      __u32 arch; /* AUDIT_ARCH_* */
      __u64 ip;
      __u32 action; /* enum trinity_seccomp_action */
      __u32 pad;
    } seccomp;
    struct {
      __u64 addr;
      __u64 ip;         /* pkey_fault: faulting instruction */
      __u64 error_code; /* pkey_fault: x86 page-fault error code */
      __s32 pkey;       /* pkuerr: the key the kernel reported; -1 for faults */
      __u32 pad;
    } fault;
  } u;
};

#endif /* TRINITY_BPF_OBSERVER_ABI_H_ */
