// SPDX-License-Identifier: GPL-2.0
/*
 * Runs inside the QEMU guest with trinity.ko loaded: every /dev/trinity ioctl against
 * memory whose truth it arranged itself (keys, rights, an RWX mapping, seccomp filters,
 * a PKU fault), and the refusals of bad arguments. Prints "key=value" facts that
 * guest_test.sh then looks for in the trace, and "N passed, N failed" last.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../trinity_uapi.h"

static int passed, failed;
static int dev;
static long page;

#define CHECK(cond, ...)                                                 \
	do {                                                             \
		if (cond) {                                              \
			passed++;                                        \
		} else {                                                 \
			failed++;                                        \
			printf("FAIL %s:%d: %s: ", __func__, __LINE__, #cond); \
			printf(__VA_ARGS__);                             \
			printf("\n");                                    \
		}                                                        \
	} while (0)

static uint32_t rdpkru(void)
{
	uint32_t eax, edx;

	asm volatile("rdpkru" : "=a"(eax), "=d"(edx) : "c"(0));
	return eax;
}

static int attest(struct trinity_attest *a, struct trinity_range *r, unsigned int n)
{
	memset(a, 0, sizeof(*a));
	a->ranges = (uintptr_t)r;
	a->nr_ranges = n;
	return ioctl(dev, TRINITY_IOC_ATTEST, a);
}

static int register_jit(void *addr, size_t size, const char *name, int *pkey)
{
	struct trinity_jit_code j;
	int rc;

	memset(&j, 0, sizeof(j));
	j.addr = (uintptr_t)addr;
	j.size = size;
	snprintf(j.name, sizeof(j.name), "%s", name);
	j.pkey = -7;
	rc = ioctl(dev, TRINITY_IOC_JIT_CODE, &j);
	if (pkey)
		*pkey = j.pkey;
	return rc == 0 ? 0 : -errno;
}

static void test_version(void)
{
	struct trinity_version v;

	CHECK(ioctl(dev, TRINITY_IOC_VERSION, &v) == 0, "errno %d", errno);
	CHECK(v.major == TRINITY_API_MAJOR, "major %u", v.major);
	CHECK(v.features & TRINITY_FEATURE_ATTEST, "features 0x%llx", (unsigned long long)v.features);
	CHECK(v.features & TRINITY_FEATURE_JIT_CODE, "features 0x%llx", (unsigned long long)v.features);
	CHECK(v.features & TRINITY_FEATURE_PKU_FAULT, "features 0x%llx", (unsigned long long)v.features);
	/* -cpu max has PKU: without it the pkey checks below would prove nothing. */
	CHECK(v.features & TRINITY_FEATURE_PKU, "features 0x%llx", (unsigned long long)v.features);
}

static void test_thread_state(void)
{
	struct trinity_attest a;
	int key = pkey_alloc(0, 0);

	CHECK(key > 0, "pkey_alloc: %s", strerror(errno));
	CHECK(attest(&a, NULL, 0) == 0, "errno %d", errno);
	CHECK(a.result_flags & TRINITY_ATTEST_PKRU_VALID, "flags 0x%x", a.result_flags);
	CHECK(a.pkru == rdpkru(), "kernel 0x%x user 0x%x", a.pkru, rdpkru());
	CHECK(a.seccomp_mode == 0 && a.seccomp_filters == 0, "mode %u filters %u",
	      a.seccomp_mode, a.seccomp_filters);
	CHECK(a.wx_mappings == 0, "wx %u at 0x%llx", a.wx_mappings, (unsigned long long)a.wx_start);
	CHECK(a.vmas > 3, "vmas %u", a.vmas);

	/* A PKRU the thread wrote itself must be the one the kernel reads. */
	pkey_set(key, PKEY_DISABLE_WRITE);
	CHECK(attest(&a, NULL, 0) == 0, "errno %d", errno);
	CHECK(a.pkru == rdpkru() && (a.pkru >> (2 * key) & 3) == PKEY_DISABLE_WRITE,
	      "kernel 0x%x user 0x%x key %d", a.pkru, rdpkru(), key);
	printf("fact attest_pkru=0x%08x\n", a.pkru);
	pkey_set(key, 0);
	pkey_free(key);
}

static void test_ranges(void)
{
	struct trinity_attest a;
	struct trinity_range r[3];
	int key = pkey_alloc(0, 0);
	char *p = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED && key > 0, "mmap/pkey_alloc: %s", strerror(errno));
	CHECK(pkey_mprotect(p, 2 * page, PROT_READ | PROT_WRITE, key) == 0, "%s", strerror(errno));
	CHECK(mprotect(p + 2 * page, page, PROT_READ) == 0, "%s", strerror(errno));
	CHECK(munmap(p + 3 * page, page) == 0, "%s", strerror(errno));

	memset(r, 0, sizeof(r));
	r[0].start = (uintptr_t)p;			/* the tagged pages */
	r[0].length = 2 * page;
	r[1].start = (uintptr_t)p + page;		/* tagged, then read-only key 0 */
	r[1].length = 2 * page;
	r[2].start = (uintptr_t)p + 2 * page;		/* read-only, then the hole */
	r[2].length = 2 * page;
	CHECK(attest(&a, r, 3) == 0, "errno %d", errno);
	CHECK(r[0].pkey == key && r[0].prot == (TRINITY_PROT_READ | TRINITY_PROT_WRITE) &&
	      r[0].flags == 0 && r[0].vmas == 1,
	      "pkey %d prot %u flags %u vmas %u", r[0].pkey, r[0].prot, r[0].flags, r[0].vmas);
	CHECK(r[1].pkey == key && r[1].vmas == 2 &&
	      r[1].flags == (TRINITY_RANGE_MIXED_PROT | TRINITY_RANGE_MIXED_PKEY),
	      "pkey %d flags %u vmas %u", r[1].pkey, r[1].flags, r[1].vmas);
	CHECK(r[2].pkey == 0 && r[2].prot == TRINITY_PROT_READ &&
	      r[2].flags == TRINITY_RANGE_HOLE && r[2].vmas == 1,
	      "pkey %d prot %u flags %u", r[2].pkey, r[2].prot, r[2].flags);
	printf("fact range_start=0x%llx range_pkey=%d\n", (unsigned long long)r[0].start, key);
	munmap(p, 3 * page);

	/* Entirely unmapped now. */
	CHECK(attest(&a, r, 1) == 0 && r[0].vmas == 0 && r[0].pkey == -1 &&
	      r[0].flags == TRINITY_RANGE_HOLE, "vmas %u pkey %d", r[0].vmas, r[0].pkey);
	pkey_free(key);
}

static void test_rwx_reported(void)
{
	struct trinity_attest a;
	char *rwx = mmap(NULL, page, PROT_READ | PROT_WRITE | PROT_EXEC,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(rwx != MAP_FAILED, "%s", strerror(errno));
	CHECK(attest(&a, NULL, 0) == 0, "errno %d", errno);
	CHECK(a.wx_mappings == 1 && a.wx_start == (uintptr_t)rwx &&
	      a.wx_end == (uintptr_t)rwx + page,
	      "wx %u [0x%llx, 0x%llx) mapped at %p", a.wx_mappings,
	      (unsigned long long)a.wx_start, (unsigned long long)a.wx_end, (void *)rwx);
	printf("fact wx_start=0x%llx\n", (unsigned long long)a.wx_start);
	munmap(rwx, page);
	CHECK(attest(&a, NULL, 0) == 0 && a.wx_mappings == 0, "wx %u", a.wx_mappings);
}

static void test_jit_registration(void)
{
	/* mov eax, 42; ret */
	static const unsigned char code[] = { 0xb8, 0x2a, 0, 0, 0, 0xc3 };
	char *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int pkey = -1;
	int fd;
	char *rx, *rw;
	char long_name[TRINITY_JIT_NAME_MAX + 1];

	CHECK(p != MAP_FAILED, "%s", strerror(errno));
	memcpy(p, code, sizeof(code));
	CHECK(register_jit(p, sizeof(code), "trace_rw", NULL) == -EACCES, "writable code accepted");
	CHECK(mprotect(p, page, PROT_READ | PROT_EXEC) == 0, "%s", strerror(errno));
	CHECK(((int (*)(void))p)() == 42, "code does not run");
	CHECK(register_jit(p, sizeof(code), "trace_loop_1", &pkey) == 0, "r-x code refused");
	CHECK(pkey == 0, "pkey %d", pkey);
	printf("fact jit_addr=0x%llx\n", (unsigned long long)(uintptr_t)p);
	/* Runs into the second page, still read-write. */
	CHECK(register_jit(p, page + 1, "trace_spill", NULL) == -EACCES, "mixed range accepted");
	CHECK(mprotect(p + page, page, PROT_EXEC) == 0, "%s", strerror(errno));
	CHECK(register_jit(p + page, page, "trace_xonly", NULL) == -EACCES, "execute-only accepted");
	munmap(p, 2 * page);
	CHECK(register_jit(p, page, "trace_gone", NULL) == -ENOMEM, "unmapped code accepted");

	/* A dual mapping: r-x here, the same memory writable through another mapping. */
	fd = memfd_create("jit", 0);
	CHECK(fd >= 0 && ftruncate(fd, page) == 0, "%s", strerror(errno));
	rw = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	rx = mmap(NULL, page, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	CHECK(rw != MAP_FAILED && rx != MAP_FAILED, "%s", strerror(errno));
	CHECK(register_jit(rx, page, "trace_alias", NULL) == -EACCES, "dual mapping accepted");
	munmap(rw, page);
	munmap(rx, page);
	close(fd);

	memset(long_name, 'n', sizeof(long_name));
	{
		struct trinity_jit_code j;

		memset(&j, 0, sizeof(j));
		j.addr = 0x10000;
		j.size = 1;
		memcpy(j.name, long_name, sizeof(j.name));
		CHECK(ioctl(dev, TRINITY_IOC_JIT_CODE, &j) == -1 && errno == EINVAL,
		      "unterminated name: errno %d", errno);
		j.name[0] = 0;
		j.flags = 1;
		CHECK(ioctl(dev, TRINITY_IOC_JIT_CODE, &j) == -1 && errno == EINVAL,
		      "flags: errno %d", errno);
	}
}

static void test_bad_arguments(void)
{
	struct trinity_attest a;
	struct trinity_range r;

	CHECK(ioctl(dev, TRINITY_IOC_ATTEST, NULL) == -1 && errno == EFAULT, "errno %d", errno);
	CHECK(ioctl(dev, TRINITY_IOC_VERSION, (void *)-4096L) == -1 && errno == EFAULT,
	      "errno %d", errno);
	CHECK(ioctl(dev, _IO(TRINITY_IOC_MAGIC, 0x7f)) == -1 && errno == ENOTTY, "errno %d", errno);
	memset(&a, 0, sizeof(a));
	a.flags = 2;
	CHECK(ioctl(dev, TRINITY_IOC_ATTEST, &a) == -1 && errno == EINVAL, "errno %d", errno);
	a.flags = 0;
	a.nr_ranges = TRINITY_ATTEST_MAX_RANGES + 1;
	CHECK(ioctl(dev, TRINITY_IOC_ATTEST, &a) == -1 && errno == EINVAL, "errno %d", errno);
	a.nr_ranges = 1;
	a.ranges = 0x10;
	CHECK(ioctl(dev, TRINITY_IOC_ATTEST, &a) == -1 && errno == EFAULT, "errno %d", errno);
	memset(&r, 0, sizeof(r));
	r.start = ~0ULL - 10;
	r.length = 100;
	a.ranges = (uintptr_t)&r;
	CHECK(ioctl(dev, TRINITY_IOC_ATTEST, &a) == -1 && errno == EINVAL, "wrap: errno %d", errno);
	r.start = 0x1000;
	r.length = 0;
	CHECK(ioctl(dev, TRINITY_IOC_ATTEST, &a) == -1 && errno == EINVAL, "empty: errno %d", errno);
	/* Results go to read-only memory: refused with EFAULT, nothing half-written. */
	{
		struct trinity_attest *ro = mmap(NULL, page, PROT_READ | PROT_WRITE,
						 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		memset(ro, 0, sizeof(*ro));
		mprotect(ro, page, PROT_READ);
		CHECK(ioctl(dev, TRINITY_IOC_ATTEST, ro) == -1 && errno == EFAULT, "errno %d", errno);
		munmap(ro, page);
	}
}

/* In a child, since filters cannot be removed: two filters, each allowing everything. */
static void test_seccomp_seen(void)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = 1, .filter = &allow };
	int status;
	pid_t pid;

	fflush(stdout);	/* or the child repeats what is buffered */
	pid = fork();

	if (pid == 0) {
		struct trinity_attest a;

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
			_exit(2);
		if (attest(&a, NULL, 0) != 0)
			_exit(3);
		printf("fact seccomp_tgid=%d\n", getpid());
		fflush(stdout);
		_exit(a.seccomp_mode == SECCOMP_MODE_FILTER && a.seccomp_filters == 2 ? 0 : 4);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "child status 0x%x", status);
}

/* A child that opened the device touches memory its PKRU denies and dies of SEGV_PKUERR. */
static void test_pku_fault(void)
{
	int status;
	pid_t pid;
	int key = pkey_alloc(0, 0);
	char *p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(key > 0 && pkey_mprotect(p, page, PROT_READ | PROT_WRITE, key) == 0,
	      "%s", strerror(errno));
	printf("fact fault_addr=0x%llx fault_pkey=%d\n", (unsigned long long)(uintptr_t)p, key);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int own = open(TRINITY_DEVICE_PATH, O_RDONLY);

		pkey_set(key, PKEY_DISABLE_ACCESS);
		__atomic_store_n(p, own >= 0, __ATOMIC_RELAXED);	/* faults */
		_exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
	      "child status 0x%x", status);
	printf("fact fault_tgid=%d\n", pid);
	munmap(p, page);
	pkey_free(key);
}

int main(void)
{
	page = sysconf(_SC_PAGESIZE);
	dev = open(TRINITY_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		printf("FAIL open %s: %s\n0 passed, 1 failed\n", TRINITY_DEVICE_PATH, strerror(errno));
		return 1;
	}
	printf("fact tgid=%d\n", getpid());
	test_version();
	test_thread_state();
	test_ranges();
	test_rwx_reported();
	test_jit_registration();
	test_bad_arguments();
	test_seccomp_seen();
	test_pku_fault();
	close(dev);
	printf("ioctl_check: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
