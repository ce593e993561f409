/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of the trinity module, under events/trinity/ in tracefs: what the kernel saw
 * when a process attested its isolation state, registered JIT code, or took a
 * protection-key fault. Read them with trace-cmd, perf or a BPF tp program.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM trinity

#if !defined(_TRINITY_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRINITY_TRACE_H

#include <linux/sched.h>
#include <linux/tracepoint.h>

#include "trinity_uapi.h"

/* TRINITY_PROT_* as ls would print them */
#define trinity_show_prot(prot)						\
	__print_symbolic(prot, { 0, "---" }, { 1, "r--" }, { 2, "-w-" },	\
			 { 3, "rw-" }, { 4, "--x" }, { 5, "r-x" },		\
			 { 6, "-wx" }, { 7, "rwx" })

/* One attestation: the calling thread's state and the process's W+X mappings. */
TRACE_EVENT(attest,
	TP_PROTO(const struct trinity_attest *a),
	TP_ARGS(a),
	TP_STRUCT__entry(
		__field(pid_t, tgid)
		__field(u32, pkru)
		__field(u32, pkru_valid)
		__field(u32, seccomp_mode)
		__field(u32, seccomp_filters)
		__field(u32, nr_ranges)
		__field(u32, vmas)
		__field(u32, wx_mappings)
		__field(u64, wx_start)
		__field(u64, wx_end)
	),
	TP_fast_assign(
		__entry->tgid = current->tgid;
		__entry->pkru = a->pkru;
		__entry->pkru_valid = !!(a->result_flags & TRINITY_ATTEST_PKRU_VALID);
		__entry->seccomp_mode = a->seccomp_mode;
		__entry->seccomp_filters = a->seccomp_filters;
		__entry->nr_ranges = a->nr_ranges;
		__entry->vmas = a->vmas;
		__entry->wx_mappings = a->wx_mappings;
		__entry->wx_start = a->wx_start;
		__entry->wx_end = a->wx_end;
	),
	TP_printk("tgid=%d pkru=0x%08x pkru_valid=%u seccomp_mode=%u seccomp_filters=%u ranges=%u vmas=%u wx_mappings=%u wx_start=0x%llx wx_end=0x%llx",
		  __entry->tgid, __entry->pkru, __entry->pkru_valid,
		  __entry->seccomp_mode, __entry->seccomp_filters,
		  __entry->nr_ranges, __entry->vmas, __entry->wx_mappings,
		  __entry->wx_start, __entry->wx_end)
);

/* One range of an attestation, as the kernel's VMAs describe it. */
TRACE_EVENT(attest_range,
	TP_PROTO(const struct trinity_range *r),
	TP_ARGS(r),
	TP_STRUCT__entry(
		__field(pid_t, tgid)
		__field(u64, start)
		__field(u64, length)
		__field(u32, prot)
		__field(s32, pkey)
		__field(u32, flags)
		__field(u32, vmas)
	),
	TP_fast_assign(
		__entry->tgid = current->tgid;
		__entry->start = r->start;
		__entry->length = r->length;
		__entry->prot = r->prot;
		__entry->pkey = r->pkey;
		__entry->flags = r->flags;
		__entry->vmas = r->vmas;
	),
	TP_printk("tgid=%d start=0x%llx length=0x%llx prot=%s pkey=%d flags=0x%x vmas=%u",
		  __entry->tgid, __entry->start, __entry->length,
		  trinity_show_prot(__entry->prot), __entry->pkey,
		  __entry->flags, __entry->vmas)
);

/* A JIT code registration, accepted or not (then err says why). */
TRACE_EVENT(jit_code,
	TP_PROTO(const struct trinity_jit_code *j, u32 prot, int err),
	TP_ARGS(j, prot, err),
	TP_STRUCT__entry(
		__field(pid_t, tgid)
		__field(u64, addr)
		__field(u64, size)
		__field(u32, prot)
		__field(s32, pkey)
		__field(int, err)
		__string(name, j->name)
	),
	TP_fast_assign(
		__entry->tgid = current->tgid;
		__entry->addr = j->addr;
		__entry->size = j->size;
		__entry->prot = prot;
		__entry->pkey = j->pkey;
		__entry->err = err;
		__assign_str(name, j->name);
	),
	TP_printk("tgid=%d addr=0x%llx size=%llu prot=%s pkey=%d err=%d name=%s",
		  __entry->tgid, __entry->addr, __entry->size,
		  trinity_show_prot(__entry->prot), __entry->pkey, __entry->err,
		  __get_str(name))
);

/* SIGSEGV with SEGV_PKUERR generated for a thread of a process that opened the device. */
TRACE_EVENT(pku_fault,
	TP_PROTO(struct task_struct *task, u64 addr, u32 pkey, int result),
	TP_ARGS(task, addr, pkey, result),
	TP_STRUCT__entry(
		__field(pid_t, tgid)
		__field(pid_t, tid)
		__field(u64, addr)
		__field(u32, pkey)
		__field(int, result)
	),
	TP_fast_assign(
		__entry->tgid = task->tgid;
		__entry->tid = task->pid;
		__entry->addr = addr;
		__entry->pkey = pkey;
		__entry->result = result;
	),
	TP_printk("tgid=%d tid=%d addr=0x%llx pkey=%u result=%d",
		  __entry->tgid, __entry->tid, __entry->addr, __entry->pkey,
		  __entry->result)
);

#endif /* _TRINITY_TRACE_H */

/* Outside the guard: define_trace.h reads this file again to generate the events. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trinity_trace
#include <trace/define_trace.h>
