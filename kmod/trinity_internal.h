/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the files of the trinity module share: the per-descriptor client (one per open of
 * /dev/trinity) and the entry points of attestation, JIT registration and PKU faults.
 */
#ifndef _TRINITY_INTERNAL_H
#define _TRINITY_INTERNAL_H

#include <linux/list.h>
#include <linux/rcupdate.h>
#include <linux/types.h>

struct file;

/* One open of /dev/trinity; its process is watched for protection-key faults. */
struct trinity_client {
	struct list_head node;	/* in the watched list, under RCU */
	struct rcu_head rcu;
	pid_t tgid;
};

long trinity_attest_ioctl(void __user *arg);
long trinity_jit_code_ioctl(void __user *arg);

/* trinity_pku_fault.c: attach to signal_generate; -ENOENT when it cannot be found. */
int trinity_pku_fault_init(void);
void trinity_pku_fault_exit(void);
bool trinity_pku_fault_attached(void);
void trinity_watch(struct trinity_client *client);
void trinity_unwatch(struct trinity_client *client);

#endif /* _TRINITY_INTERNAL_H */
