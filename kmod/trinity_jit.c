// SPDX-License-Identifier: GPL-2.0
/*
 * TRINITY_IOC_JIT_CODE: a JIT announces code it emitted; the module checks that the range
 * is mapped read+execute and nowhere writable (not even through a shared file mapping)
 * and fires trinity:jit_code with the verdict, so tracers can name the code.
 */
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "trinity_internal.h"
#include "trinity_trace.h"
#include "trinity_vma.h"

/* The verdict on a described range: 0 when it is exactly read+execute code. */
static int trinity_jit_verdict(const struct trinity_range *r, bool shared_writable)
{
	if (r->vmas == 0 || (r->flags & TRINITY_RANGE_HOLE))
		return -ENOMEM;
	if (r->prot != (TRINITY_PROT_READ | TRINITY_PROT_EXEC) ||
	    (r->flags & TRINITY_RANGE_MIXED_PROT) || shared_writable)
		return -EACCES;
	return 0;
}

long trinity_jit_code_ioctl(void __user *arg)
{
	struct mm_struct *mm = current->mm;
	struct trinity_range r = {};
	struct trinity_jit_code j;
	bool shared_writable;
	int err;

	if (copy_from_user(&j, arg, sizeof(j)))
		return -EFAULT;
	if (j.flags || !mm || !trinity_range_valid(j.addr, j.size) ||
	    strnlen(j.name, sizeof(j.name)) == sizeof(j.name))
		return -EINVAL;

	r.start = j.addr;
	r.length = j.size;
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	shared_writable = trinity_describe_range(mm, &r);
	mmap_read_unlock(mm);

	j.pkey = r.pkey;
	err = trinity_jit_verdict(&r, shared_writable);
	trace_jit_code(&j, r.prot, err);
	if (err)
		return err;
	if (copy_to_user(arg, &j, sizeof(j)))
		return -EFAULT;
	return 0;
}
