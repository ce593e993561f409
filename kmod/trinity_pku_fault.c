// SPDX-License-Identifier: GPL-2.0
/*
 * trinity:pku_fault: the kernel's own record of protection-key faults (SIGSEGV with
 * SEGV_PKUERR) in processes that hold /dev/trinity open. It hangs a probe on the core
 * signal_generate tracepoint, which modules reach through for_each_kernel_tracepoint().
 */
#include <linux/rculist.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/tracepoint.h>

#include "trinity_internal.h"
#include "trinity_trace.h"

static LIST_HEAD(trinity_watched);
static DEFINE_SPINLOCK(trinity_watched_lock);
static struct tracepoint *trinity_signal_tp;

void trinity_watch(struct trinity_client *client)
{
	spin_lock(&trinity_watched_lock);
	list_add_rcu(&client->node, &trinity_watched);
	spin_unlock(&trinity_watched_lock);
}

void trinity_unwatch(struct trinity_client *client)
{
	spin_lock(&trinity_watched_lock);
	list_del_rcu(&client->node);
	spin_unlock(&trinity_watched_lock);
	kfree_rcu(client, rcu);
}

static bool trinity_is_watched(pid_t tgid)
{
	struct trinity_client *client;
	bool found = false;

	rcu_read_lock();
	list_for_each_entry_rcu(client, &trinity_watched, node) {
		if (client->tgid == tgid) {
			found = true;
			break;
		}
	}
	rcu_read_unlock();
	return found;
}

/* Runs with the target's siglock held and interrupts off: no sleeping, no allocation. */
static void trinity_signal_probe(void *data, int sig, struct kernel_siginfo *info,
				 struct task_struct *task, int group, int result)
{
	if (sig != SIGSEGV || info == SEND_SIG_NOINFO || info == SEND_SIG_PRIV)
		return;
	if (info->si_code != SEGV_PKUERR || !trinity_is_watched(task->tgid))
		return;
	trace_pku_fault(task, (u64)(unsigned long)info->si_addr, info->si_pkey, result);
}

static void trinity_find_signal_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "signal_generate"))
		*(struct tracepoint **)priv = tp;
}

int trinity_pku_fault_init(void)
{
	struct tracepoint *tp = NULL;
	int err;

	for_each_kernel_tracepoint(trinity_find_signal_tp, &tp);
	if (!tp)
		return -ENOENT;
	err = tracepoint_probe_register(tp, trinity_signal_probe, NULL);
	if (err)
		return err;
	trinity_signal_tp = tp;
	return 0;
}

void trinity_pku_fault_exit(void)
{
	if (!trinity_signal_tp)
		return;
	tracepoint_probe_unregister(trinity_signal_tp, trinity_signal_probe, NULL);
	/* No probe may still run in this module's text once it is freed. */
	tracepoint_synchronize_unregister();
	trinity_signal_tp = NULL;
}

bool trinity_pku_fault_attached(void)
{
	return trinity_signal_tp;
}
