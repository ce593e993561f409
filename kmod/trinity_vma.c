// SPDX-License-Identifier: GPL-2.0
/*
 * One range's coverage by the process's VMAs: the union of their rights, the key of the
 * first, whether keys or rights differ and whether a hole is left. Shared by attestation
 * and JIT code registration.
 */
#include "trinity_vma.h"

bool trinity_describe_range(struct mm_struct *mm, struct trinity_range *r)
{
	u64 end = r->start + r->length;
	u64 covered_to = r->start;
	bool shared_writable = false;
	struct vm_area_struct *vma;
	struct vma_iterator vmi;

	vma_iter_init(&vmi, mm, r->start);
	r->prot = 0;
	r->pkey = -1;
	r->flags = 0;
	r->vmas = 0;
	for_each_vma_range(vmi, vma, end) {
		u32 prot = trinity_vma_prot(vma);
		int pkey = vma_pkey(vma);

		if (vma->vm_start > covered_to)
			r->flags |= TRINITY_RANGE_HOLE;
		if (r->vmas == 0) {
			r->prot = prot;
			r->pkey = pkey;
		} else {
			if (prot != r->prot)
				r->flags |= TRINITY_RANGE_MIXED_PROT;
			if (pkey != r->pkey)
				r->flags |= TRINITY_RANGE_MIXED_PKEY;
			r->prot |= prot;
		}
		if ((vma->vm_flags & (VM_SHARED | VM_MAYWRITE)) == (VM_SHARED | VM_MAYWRITE))
			shared_writable = true;
		covered_to = vma->vm_end;
		r->vmas++;
	}
	if (covered_to < end)
		r->flags |= TRINITY_RANGE_HOLE;
	return shared_writable;
}
