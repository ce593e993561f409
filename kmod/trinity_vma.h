/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How the module reads VMAs: rights as TRINITY_PROT_* bits, and one range's coverage
 * (rights, key, holes). Callers hold the mmap lock for reading.
 */
#ifndef _TRINITY_VMA_H
#define _TRINITY_VMA_H

#include <linux/mm.h>
#include <linux/pkeys.h>

#include "trinity_uapi.h"

static inline u32 trinity_vma_prot(const struct vm_area_struct *vma)
{
	u32 prot = 0;

	if (vma->vm_flags & VM_READ)
		prot |= TRINITY_PROT_READ;
	if (vma->vm_flags & VM_WRITE)
		prot |= TRINITY_PROT_WRITE;
	if (vma->vm_flags & VM_EXEC)
		prot |= TRINITY_PROT_EXEC;
	return prot;
}

/*
 * Fills r->prot, pkey, flags and vmas for [r->start, r->start + r->length), which the
 * caller has checked lies inside the address space. Returns true when some VMA is shared
 * and may be made writable (VM_SHARED | VM_MAYWRITE): another mapping of its file can
 * write what this one executes.
 */
bool trinity_describe_range(struct mm_struct *mm, struct trinity_range *r);

/* A range is usable when it is not empty and ends inside the user address space. */
static inline bool trinity_range_valid(u64 start, u64 length)
{
	return length && start < TASK_SIZE && length <= TASK_SIZE - start;
}

#endif /* _TRINITY_VMA_H */
