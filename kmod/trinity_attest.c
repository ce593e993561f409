// SPDX-License-Identifier: GPL-2.0
/*
 * TRINITY_IOC_ATTEST: from kernel context, the calling thread's live PKRU and seccomp
 * state, the protections and keys of the ranges it names, and every writable+executable
 * mapping of its process. Fires trinity:attest and one trinity:attest_range per range.
 */
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/pkru.h>

#include "trinity_internal.h"
#include "trinity_trace.h"
#include "trinity_vma.h"

static void trinity_read_thread_state(struct trinity_attest *a)
{
	if (cpu_feature_enabled(X86_FEATURE_OSPKE)) {
		/* The register holds the user's value while the kernel runs for it. */
		a->pkru = read_pkru();
		a->result_flags |= TRINITY_ATTEST_PKRU_VALID;
	}
#ifdef CONFIG_SECCOMP
	/* Another thread's TSYNC changes ours under our siglock. */
	spin_lock_irq(&current->sighand->siglock);
	a->seccomp_mode = current->seccomp.mode;
	a->seccomp_filters = atomic_read(&current->seccomp.filter_count);
	spin_unlock_irq(&current->sighand->siglock);
#endif
}

static void trinity_scan_process(struct mm_struct *mm, struct trinity_attest *a)
{
	struct vm_area_struct *vma;
	struct vma_iterator vmi;

	vma_iter_init(&vmi, mm, 0);
	for_each_vma(vmi, vma) {
		a->vmas++;
		if ((vma->vm_flags & (VM_WRITE | VM_EXEC)) != (VM_WRITE | VM_EXEC))
			continue;
		if (a->wx_mappings++ == 0) {
			a->wx_start = vma->vm_start;
			a->wx_end = vma->vm_end;
		}
	}
}

long trinity_attest_ioctl(void __user *arg)
{
	struct mm_struct *mm = current->mm;
	struct trinity_range *ranges = NULL;
	struct trinity_attest a;
	long err = 0;
	u32 i;

	if (copy_from_user(&a, arg, sizeof(a)))
		return -EFAULT;
	if (a.flags || a.nr_ranges > TRINITY_ATTEST_MAX_RANGES || !mm)
		return -EINVAL;
	if (a.nr_ranges) {
		ranges = memdup_user(u64_to_user_ptr(a.ranges),
				     array_size(a.nr_ranges, sizeof(*ranges)));
		if (IS_ERR(ranges))
			return PTR_ERR(ranges);
		for (i = 0; i < a.nr_ranges; i++) {
			if (!trinity_range_valid(ranges[i].start, ranges[i].length)) {
				err = -EINVAL;
				goto out;
			}
		}
	}
	a.result_flags = 0;
	a.pkru = 0;
	a.seccomp_mode = 0;
	a.seccomp_filters = 0;
	a.vmas = 0;
	a.wx_mappings = 0;
	a.wx_start = 0;
	a.wx_end = 0;
	trinity_read_thread_state(&a);

	/* Sleeps; nothing is copied to user space while the lock is held. */
	if (mmap_read_lock_killable(mm)) {
		err = -EINTR;
		goto out;
	}
	trinity_scan_process(mm, &a);
	for (i = 0; i < a.nr_ranges; i++)
		trinity_describe_range(mm, &ranges[i]);
	mmap_read_unlock(mm);

	trace_attest(&a);
	for (i = 0; i < a.nr_ranges; i++)
		trace_attest_range(&ranges[i]);

	if (a.nr_ranges &&
	    copy_to_user(u64_to_user_ptr(a.ranges), ranges,
			 array_size(a.nr_ranges, sizeof(*ranges)))) {
		err = -EFAULT;
		goto out;
	}
	if (copy_to_user(arg, &a, sizeof(a)))
		err = -EFAULT;
out:
	kfree(ranges);
	return err;
}
