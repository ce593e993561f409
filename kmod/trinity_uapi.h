/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The /dev/trinity ioctl ABI, the only definitions the kernel module and user space
 * share. Ask TRINITY_IOC_VERSION first: another major version is another ABI, a higher
 * minor only adds features (struct trinity_version.features says which).
 */
#ifndef _UAPI_TRINITY_H
#define _UAPI_TRINITY_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define TRINITY_DEVICE_PATH "/dev/trinity"
#define TRINITY_API_MAJOR 1
#define TRINITY_API_MINOR 0

/* struct trinity_version.features */
#define TRINITY_FEATURE_ATTEST		(1ULL << 0)
#define TRINITY_FEATURE_JIT_CODE	(1ULL << 1)
#define TRINITY_FEATURE_PKU_FAULT	(1ULL << 2) /* trinity:pku_fault is attached */
#define TRINITY_FEATURE_PKU		(1ULL << 3) /* CPU and kernel use protection keys */

struct trinity_version {
	__u32 major;
	__u32 minor;
	__u64 features;
};

/* struct trinity_range.prot: the VMA's current rights */
#define TRINITY_PROT_READ	(1U << 0)
#define TRINITY_PROT_WRITE	(1U << 1)
#define TRINITY_PROT_EXEC	(1U << 2)

/* struct trinity_range.flags */
#define TRINITY_RANGE_HOLE	 (1U << 0) /* part of the range is not mapped */
#define TRINITY_RANGE_MIXED_PROT (1U << 1) /* VMAs differ in rights; prot is their union */
#define TRINITY_RANGE_MIXED_PKEY (1U << 2) /* VMAs differ in key; pkey is the first's */

struct trinity_range {
	__u64 start;	/* in */
	__u64 length;	/* in: at least 1; start + length inside the address space */
	__u32 prot;	/* out: TRINITY_PROT_* of the VMAs covering it (their union) */
	__s32 pkey;	/* out: protection key of the first VMA, -1 when none is mapped */
	__u32 flags;	/* out: TRINITY_RANGE_* */
	__u32 vmas;	/* out: VMAs intersecting the range */
};

#define TRINITY_ATTEST_MAX_RANGES 64

/* struct trinity_attest.result_flags */
#define TRINITY_ATTEST_PKRU_VALID (1U << 0) /* pkru is the live register (OSPKE on) */

struct trinity_attest {
	__u64 ranges;		/* in: user pointer to struct trinity_range[nr_ranges] */
	__u32 nr_ranges;	/* in: 0 .. TRINITY_ATTEST_MAX_RANGES */
	__u32 flags;		/* in: must be 0 */
	__u32 result_flags;	/* out: TRINITY_ATTEST_* */
	__u32 pkru;		/* out: the calling thread's PKRU */
	__u32 seccomp_mode;	/* out: 0 disabled, 1 strict, 2 filter */
	__u32 seccomp_filters;	/* out: filters attached to the calling thread */
	__u32 vmas;		/* out: VMAs of the process */
	__u32 wx_mappings;	/* out: VMAs both writable and executable */
	__u64 wx_start;		/* out: the first of them, [wx_start, wx_end); 0 if none */
	__u64 wx_end;
};

#define TRINITY_JIT_NAME_MAX 64

struct trinity_jit_code {
	__u64 addr;				/* in */
	__u64 size;				/* in: at least 1 */
	char name[TRINITY_JIT_NAME_MAX];	/* in: NUL-terminated trace name */
	__u32 flags;				/* in: must be 0 */
	__s32 pkey;				/* out: the code pages' protection key */
};

#define TRINITY_IOC_MAGIC 0xB7

/* Fills struct trinity_version. Never fails on an open descriptor. */
#define TRINITY_IOC_VERSION	_IOR(TRINITY_IOC_MAGIC, 0x00, struct trinity_version)
/*
 * The calling thread's PKRU and seccomp state, the protections and keys of the given
 * ranges and the process's writable+executable mappings; fires trinity:attest (and one
 * trinity:attest_range per range). EINVAL for bad flags, counts or ranges, EFAULT for
 * bad pointers, EINTR when killed while waiting for the mmap lock.
 */
#define TRINITY_IOC_ATTEST	_IOWR(TRINITY_IOC_MAGIC, 0x01, struct trinity_attest)
/*
 * Registers [addr, addr + size) as JIT code named `name`: accepted (0) only when every
 * byte is mapped read+execute and not writable, and no covering mapping is a shared one
 * that could be written through another mapping of the same file. Fires trinity:jit_code
 * either way. EINVAL for bad flags, size or name, ENOMEM when part of the range is not
 * mapped, EACCES when the rights are wrong.
 */
#define TRINITY_IOC_JIT_CODE	_IOWR(TRINITY_IOC_MAGIC, 0x02, struct trinity_jit_code)

#endif /* _UAPI_TRINITY_H */
