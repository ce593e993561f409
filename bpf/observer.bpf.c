// SPDX-License-Identifier: GPL-2.0
/* The observer behind `trinity audit`: one program per Trinity USDT probe
 * (runtime/probes.h) and three kernel tracepoints a process cannot forge (SIGSYS from
 * seccomp, SIGSEGV with SEGV_PKUERR, page faults with the protection-key bit). Every event
 * is counted per process and per instance in pinned, BTF-typed maps and, when its type is
 * in `emit_mask`, sent through one ring buffer; a full ring is counted per event type. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>

#include "bpf/observer_abi.h"

char LICENSE[] SEC("license") = "GPL";

#define SIGSEGV 11
#define SIGSYS 31
#define SEGV_PKUERR 4
#define SYS_SECCOMP 1
#define SECCOMP_MODE_DEAD 3
#define PF_PK_BIT (1ul << 5)
#define NR_RT_SIGQUEUEINFO 129
#define NR_RT_TGSIGQUEUEINFO 297

/* Set by the loader before load. */
const volatile __u32 emit_mask = TRINITY_EMIT_ALL;
/* Waking the reader for every event costs a context switch per probe hit; it is woken
 * only once this much is waiting (it also polls every 100 ms), or for a kernel event. */
const volatile __u64 wakeup_bytes = 1 << 20;

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 22); /* the loader may resize before load */
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} events SEC(".maps");

/* Ring buffer reservations that failed, per event type. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct event_counts);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} ev_drops SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 4096);
  __type(key, __u32);
  __type(value, struct proc_stats);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} procs SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384);
  __type(key, struct inst_key);
  __type(value, struct inst_stats);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} insts SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384);
  __type(key, __u32);
  __type(value, struct thread_calls);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} threads SEC(".maps");

/* The address of each thread's last protection-key page fault, to attest the SEGV_PKUERR
 * signal that follows it. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 4096);
  __type(key, __u32);
  __type(value, __u64);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} pk_faults SEC(".maps");

/* Counters and the thread's running call, found once per event. */
struct event_ctx {
  struct task_struct *task;
  __u32 pid;
  __u32 tid;
  struct audit_counters *proc;
  struct audit_counters *inst; /* NULL when no instance is known */
  __u64 instance;
  __s32 tier;
};

static __always_inline __u64 process_start(struct task_struct *task) {
  return BPF_CORE_READ(task, group_leader, start_time);
}

/* The process's counters; created when `create` (a Trinity probe fired in it). */
static __always_inline struct proc_stats *proc_stats_of(struct task_struct *task, __u32 pid,
                                                         bool create) {
  __u64 start = process_start(task);
  struct proc_stats *p = bpf_map_lookup_elem(&procs, &pid);
  if (p && p->start_time == start) return p;
  if (!create) return NULL;
  /* New, or a reused pid: start over. */
  struct proc_stats fresh = {};
  fresh.start_time = start;
  BPF_CORE_READ_STR_INTO(&fresh.comm, task, group_leader, comm);
  bpf_map_update_elem(&procs, &pid, &fresh, BPF_ANY);
  return bpf_map_lookup_elem(&procs, &pid);
}

static __always_inline struct inst_stats *inst_stats_of(__u32 pid, __u64 instance, __s32 tier,
                                                         bool create) {
  struct inst_key key = {.pid = pid, .pad = 0, .instance = instance};
  struct inst_stats *s = bpf_map_lookup_elem(&insts, &key);
  if (s || !create) return s;
  struct inst_stats fresh = {};
  fresh.tier = tier;
  fresh.live = 1;
  fresh.created_ns = bpf_ktime_get_ns();
  bpf_map_update_elem(&insts, &key, &fresh, BPF_NOEXIST);
  return bpf_map_lookup_elem(&insts, &key);
}

/* The instance whose call is running on thread `tid`, if any. */
static __always_inline void current_call(__u32 tid, __u64 *instance, __s32 *tier) {
  *instance = 0;
  *tier = -1;
  struct thread_calls *t = bpf_map_lookup_elem(&threads, &tid);
  if (!t || t->depth == 0) return;
  __u32 top = t->depth - 1;
  if (top >= TRINITY_CALL_NESTING) return;
  *instance = t->instance[top];
  *tier = t->tier[top];
}

/* For a USDT probe: the current task, registered as audited. */
static __always_inline bool probe_context(struct event_ctx *c, __u64 instance, __s32 tier) {
  __u64 id = bpf_get_current_pid_tgid();
  c->task = bpf_get_current_task_btf();
  c->pid = id >> 32;
  c->tid = (__u32)id;
  struct proc_stats *p = proc_stats_of(c->task, c->pid, true);
  if (!p) return false;
  c->proc = &p->counters;
  c->instance = instance;
  c->tier = tier;
  c->inst = NULL;
  if (instance != 0) {
    struct inst_stats *s = inst_stats_of(c->pid, instance, tier, true);
    if (s) c->inst = &s->counters;
  }
  return true;
}

/* Adds `n` to the same counter in the process's and the instance's counters. */
#define COUNT(c, field, n)                                          \
  do {                                                              \
    __sync_fetch_and_add(&(c)->proc->field, (n));                   \
    if ((c)->inst) __sync_fetch_and_add(&(c)->inst->field, (n));    \
  } while (0)

static __always_inline void count_trap(struct event_ctx *c, __u32 kind) {
  if (kind >= TRINITY_TRAP_KINDS) return;
  __sync_fetch_and_add((__u64 *)&c->proc->traps + kind, 1);
  if (c->inst) __sync_fetch_and_add((__u64 *)&c->inst->traps + kind, 1);
}

static __always_inline struct trinity_event *reserve(struct event_ctx *c, __u32 type) {
  if (!(emit_mask & (1u << type))) return NULL;
  struct trinity_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
  if (!e) {
    __u32 zero = 0;
    struct event_counts *drops = bpf_map_lookup_elem(&ev_drops, &zero);
    if (drops && type < EV_TYPE_COUNT) ((__u64 *)drops)[type] += 1; /* per CPU: no other writer */
    return NULL;
  }
  struct task_struct *task = c->task;
  e->type = type;
  e->flags = 0;
  e->ktime_ns = bpf_ktime_get_ns();
  e->pid = c->pid;
  e->tid = c->tid;
  e->ppid = BPF_CORE_READ(task, real_parent, tgid);
  e->uid = BPF_CORE_READ(task, cred, uid.val);
  e->cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
  e->start_time = process_start(task);
  BPF_CORE_READ_STR_INTO(&e->comm, task, comm);
  e->seccomp_mode = BPF_CORE_READ(task, seccomp.mode);
  e->instance = c->instance;
  e->tier = c->tier;
  return e;
}

static __always_inline void submit(struct trinity_event *e) {
  bool urgent = e->type >= EV_KERNEL_SIGSYS ||
                bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes;
  bpf_ringbuf_submit(e, urgent ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

static __always_inline void push_call(__u32 tid, __u64 instance, __s32 tier) {
  struct thread_calls *t = bpf_map_lookup_elem(&threads, &tid);
  if (!t) {
    struct thread_calls fresh = {};
    bpf_map_update_elem(&threads, &tid, &fresh, BPF_NOEXIST);
    t = bpf_map_lookup_elem(&threads, &tid);
    if (!t) return;
  }
  __u32 d = t->depth;
  if (d < TRINITY_CALL_NESTING) {
    t->instance[d] = instance;
    t->tier[d] = tier;
  }
  t->depth = d + 1;
}

static __always_inline void pop_call(__u32 tid) {
  struct thread_calls *t = bpf_map_lookup_elem(&threads, &tid);
  if (!t || t->depth == 0) return;
  t->depth -= 1;
  if (t->depth == 0) bpf_map_delete_elem(&threads, &tid);
}

/* ---- USDT probes of the runtime ------------------------------------------------------ */

SEC("usdt")
int BPF_USDT(inst_create, __u64 instance, int tier) {
  struct event_ctx c;
  if (!probe_context(&c, instance, tier)) return 0;
  COUNT(&c, instances_created, 1);
  struct trinity_event *e = reserve(&c, EV_INSTANCE_CREATE);
  if (e) submit(e);
  return 0;
}

SEC("usdt")
int BPF_USDT(inst_destroy, __u64 instance, int tier) {
  struct event_ctx c;
  if (!probe_context(&c, instance, tier)) return 0;
  COUNT(&c, instances_destroyed, 1);
  struct inst_key key = {.pid = c.pid, .pad = 0, .instance = instance};
  struct inst_stats *s = bpf_map_lookup_elem(&insts, &key);
  if (s) s->live = 0;
  struct trinity_event *e = reserve(&c, EV_INSTANCE_DESTROY);
  if (e) submit(e);
  return 0;
}

SEC("usdt")
int BPF_USDT(call_entry, __u64 instance, int tier, const char *function) {
  struct event_ctx c;
  if (!probe_context(&c, instance, tier)) return 0;
  COUNT(&c, plugin_entries, 1);
  push_call(c.tid, instance, tier);
  struct trinity_event *e = reserve(&c, EV_CALL_ENTRY);
  if (!e) return 0;
  bpf_probe_read_user_str(e->u.call.function, sizeof(e->u.call.function), function);
  e->u.call.trap_kind = -1;
  e->u.call.worker = 0;
  submit(e);
  return 0;
}

SEC("usdt")
int BPF_USDT(call_exit, __u64 instance, int tier, int trap_kind) {
  struct event_ctx c;
  if (!probe_context(&c, instance, tier)) return 0;
  COUNT(&c, plugin_exits, 1);
  pop_call(c.tid);
  struct trinity_event *e = reserve(&c, EV_CALL_EXIT);
  if (!e) return 0;
  e->u.call.function[0] = 0;
  e->u.call.trap_kind = trap_kind;
  e->u.call.worker = 0;
  submit(e);
  return 0;
}

SEC("usdt")
int BPF_USDT(trap, __u64 instance, int tier, int kind, const char *message) {
  struct event_ctx c;
  if (!probe_context(&c, instance, tier)) return 0;
  count_trap(&c, kind);
  struct trinity_event *e = reserve(&c, EV_TRAP);
  if (!e) return 0;
  e->u.trap.kind = kind;
  e->u.trap.pad = 0;
  bpf_probe_read_user_str(e->u.trap.message, sizeof(e->u.trap.message), message);
  submit(e);
  return 0;
}

SEC("usdt")
int BPF_USDT(host_call, __u64 instance, __u32 import, const char *name) {
  struct event_ctx c;
  __u64 running;
  __s32 tier;
  current_call((__u32)bpf_get_current_pid_tgid(), &running, &tier);
  if (!probe_context(&c, instance, running == instance ? tier : -1)) return 0;
  COUNT(&c, host_calls, 1);
  struct trinity_event *e = reserve(&c, EV_HOST_CALL);
  if (!e) return 0;
  e->u.host.import = import;
  e->u.host.pad = 0;
  bpf_probe_read_user_str(e->u.host.name, sizeof(e->u.host.name), name);
  submit(e);
  return 0;
}

SEC("usdt")
int BPF_USDT(host_return, __u64 instance, __u32 import) {
  struct event_ctx c;
  __u64 running;
  __s32 tier;
  current_call((__u32)bpf_get_current_pid_tgid(), &running, &tier);
  if (!probe_context(&c, instance, running == instance ? tier : -1)) return 0;
  COUNT(&c, host_returns, 1);
  struct trinity_event *e = reserve(&c, EV_HOST_RETURN);
  if (!e) return 0;
  e->u.host.import = import;
  e->u.host.pad = 0;
  e->u.host.name[0] = 0;
  submit(e);
  return 0;
}

SEC("usdt")
int BPF_USDT(jit_emit, __u64 instance, __u64 addr, __u64 size, const char *name) {
  struct event_ctx c;
  if (!probe_context(&c, instance, instance ? 2 /* Tier::kJit */ : -1)) return 0;
  COUNT(&c, jit_emits, 1);
  COUNT(&c, jit_bytes, size);
  struct trinity_event *e = reserve(&c, EV_JIT_EMIT);
  if (!e) return 0;
  e->u.jit.addr = addr;
  e->u.jit.size = size;
  bpf_probe_read_user_str(e->u.jit.name, sizeof(e->u.jit.name), name);
  submit(e);
  return 0;
}

/* ---- USDT probes of the isolation layer ---------------------------------------------- */

static __always_inline int domain_switch(__u32 domain, __u32 pkru, __u32 type) {
  struct event_ctx c;
  __u64 instance;
  __s32 tier;
  current_call((__u32)bpf_get_current_pid_tgid(), &instance, &tier);
  if (!probe_context(&c, instance, tier)) return 0;
  if (type == EV_DOMAIN_ENTER) {
    COUNT(&c, domain_enters, 1);
  } else {
    COUNT(&c, domain_exits, 1);
  }
  struct trinity_event *e = reserve(&c, type);
  if (!e) return 0;
  e->u.domain.id = domain;
  e->u.domain.pkru = pkru;
  submit(e);
  return 0;
}

SEC("usdt")
int BPF_USDT(domain_enter, __u32 domain, __u32 pkru) {
  return domain_switch(domain, pkru, EV_DOMAIN_ENTER);
}

SEC("usdt")
int BPF_USDT(domain_exit, __u32 domain, __u32 pkru) {
  return domain_switch(domain, pkru, EV_DOMAIN_EXIT);
}

SEC("usdt")
int BPF_USDT(seccomp_viol, int nr, __u32 arch, __u64 ip) {
  struct event_ctx c;
  __u64 instance;
  __s32 tier;
  current_call((__u32)bpf_get_current_pid_tgid(), &instance, &tier);
  if (!probe_context(&c, instance, tier)) return 0;
  COUNT(&c, seccomp_violations, 1);
  struct trinity_event *e = reserve(&c, EV_SECCOMP_VIOLATION);
  if (!e) return 0;
  e->u.seccomp.nr = nr;
  e->u.seccomp.arch = arch;
  e->u.seccomp.ip = ip;
  e->u.seccomp.action = SECCOMP_ACTION_UNKNOWN;
  e->u.seccomp.pad = 0;
  submit(e);
  return 0;
}

static __always_inline int worker_call(__u32 worker, const char *function, int trap_kind,
                                       __u32 type) {
  struct event_ctx c;
  if (!probe_context(&c, 0, 3 /* Tier::kProcess */)) return 0;
  if (type == EV_WORKER_CALL_ENTRY) COUNT(&c, worker_calls, 1);
  struct trinity_event *e = reserve(&c, type);
  if (!e) return 0;
  e->u.call.function[0] = 0;
  if (function) bpf_probe_read_user_str(e->u.call.function, sizeof(e->u.call.function), function);
  e->u.call.trap_kind = trap_kind;
  e->u.call.worker = worker;
  submit(e);
  return 0;
}

SEC("usdt")
int BPF_USDT(worker_entry, int worker, const char *function) {
  return worker_call(worker, function, -1, EV_WORKER_CALL_ENTRY);
}

SEC("usdt")
int BPF_USDT(worker_exit, int worker, int trap_kind) {
  return worker_call(worker, NULL, trap_kind, EV_WORKER_CALL_EXIT);
}

/* ---- kernel tracepoints -------------------------------------------------------------- */

/* For a kernel event about `task`: only audited processes count. */
static __always_inline bool kernel_context(struct event_ctx *c, struct task_struct *task) {
  c->task = task;
  c->pid = BPF_CORE_READ(task, tgid);
  c->tid = BPF_CORE_READ(task, pid);
  struct proc_stats *p = proc_stats_of(task, c->pid, false);
  if (!p) return false;
  c->proc = &p->counters;
  current_call(c->tid, &c->instance, &c->tier);
  c->inst = NULL;
  if (c->instance != 0) {
    struct inst_stats *s = inst_stats_of(c->pid, c->instance, c->tier, false);
    if (s) c->inst = &s->counters;
  }
  return true;
}

SEC("tp_btf/signal_generate")
int BPF_PROG(sig_generate, int sig, struct kernel_siginfo *info, struct task_struct *task,
             int group, int result) {
  if (sig != SIGSYS && sig != SIGSEGV) return 0;
  if ((unsigned long)info <= 1) return 0; /* SEND_SIG_NOINFO, SEND_SIG_PRIV */
  int code = BPF_CORE_READ(info, si_code);
  if (sig == SIGSYS && code != SYS_SECCOMP) return 0;
  if (sig == SIGSEGV && code != SEGV_PKUERR) return 0;
  struct event_ctx c;
  if (!kernel_context(&c, task)) return 0;
  /* rt_sigqueueinfo lets a process send itself a SIGSYS or SIGSEGV with any si_code, so
   * say whether the kernel's own state confirms the cause. */
  bool attested = false;
  if (sig == SIGSYS) {
    COUNT(&c, kernel_sigsys, 1);
    struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
    long orig_ax = BPF_CORE_READ(regs, orig_ax);
    int nr = BPF_CORE_READ(info, _sifields._sigsys._syscall);
    int mode = BPF_CORE_READ(task, seccomp.mode);
    attested = mode != 0 && orig_ax == nr && orig_ax != NR_RT_SIGQUEUEINFO &&
               orig_ax != NR_RT_TGSIGQUEUEINFO;
  } else {
    COUNT(&c, kernel_pkuerr, 1);
    __u64 *fault = bpf_map_lookup_elem(&pk_faults, &c.tid);
    __u64 addr = (__u64)BPF_CORE_READ(info, _sifields._sigfault._addr);
    /* A page fault leaves its error code where a system call leaves its number: a
     * user-mode error code (bit 2; only bits 0-6 and 15 defined) cannot be the number of
     * rt_sigqueueinfo, rt_tgsigqueueinfo or pidfd_send_signal (bits 7 or 8 set). The
     * kernel also reports SEGV_PKUERR for a page that was not present, which it checks
     * against the key in software: no PK bit in the error code then. */
    struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
    long orig_ax = BPF_CORE_READ(regs, orig_ax);
    bool from_fault = orig_ax >= 0 && (orig_ax & 4) && !(orig_ax & ~0x807fL);
    attested = (fault && *fault == addr) || from_fault;
  }
  struct trinity_event *e = reserve(&c, sig == SIGSYS ? EV_KERNEL_SIGSYS : EV_KERNEL_PKUERR);
  if (!e) return 0;
  if (attested) e->flags |= EVENT_ATTESTED;
  if (sig == SIGSYS) {
    e->u.seccomp.nr = BPF_CORE_READ(info, _sifields._sigsys._syscall);
    e->u.seccomp.arch = BPF_CORE_READ(info, _sifields._sigsys._arch);
    e->u.seccomp.ip = (__u64)BPF_CORE_READ(info, _sifields._sigsys._call_addr);
    /* SECCOMP_RET_KILL_* marks the thread dead before it raises the signal. */
    e->u.seccomp.action =
        BPF_CORE_READ(task, seccomp.mode) == SECCOMP_MODE_DEAD ? SECCOMP_ACTION_KILL : SECCOMP_ACTION_TRAP;
    e->u.seccomp.pad = 0;
  } else {
    e->u.fault.addr = (__u64)BPF_CORE_READ(info, _sifields._sigfault._addr);
    e->u.fault.ip = 0;
    e->u.fault.error_code = 0;
    e->u.fault.pkey = BPF_CORE_READ(info, _sifields._sigfault._addr_pkey._pkey);
    e->u.fault.pad = 0;
  }
  submit(e);
  return 0;
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(pf_user, unsigned long address, struct pt_regs *regs, unsigned long error_code) {
  if (!(error_code & PF_PK_BIT)) return 0;
  struct event_ctx c;
  if (!kernel_context(&c, bpf_get_current_task_btf())) return 0;
  COUNT(&c, kernel_pkey_faults, 1);
  __u64 addr = address;
  bpf_map_update_elem(&pk_faults, &c.tid, &addr, BPF_ANY);
  struct trinity_event *e = reserve(&c, EV_KERNEL_PKEY_FAULT);
  if (!e) return 0;
  e->flags |= EVENT_ATTESTED;
  e->u.fault.addr = address;
  e->u.fault.ip = BPF_CORE_READ(regs, ip);
  e->u.fault.error_code = error_code;
  e->u.fault.pkey = -1;
  e->u.fault.pad = 0;
  submit(e);
  return 0;
}

/* A process forked by an audited process (a process-tier worker) is audited from birth. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(proc_fork, struct task_struct *parent, struct task_struct *child) {
  __u32 parent_pid = BPF_CORE_READ(parent, tgid);
  __u32 child_pid = BPF_CORE_READ(child, tgid);
  if (parent_pid == child_pid) return 0; /* a new thread */
  if (!proc_stats_of(parent, parent_pid, false)) return 0;
  struct proc_stats fresh = {};
  fresh.start_time = BPF_CORE_READ(child, start_time);
  BPF_CORE_READ_STR_INTO(&fresh.comm, child, comm);
  bpf_map_update_elem(&procs, &child_pid, &fresh, BPF_ANY);
  return 0;
}
