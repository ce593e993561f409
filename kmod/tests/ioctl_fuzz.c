// SPDX-License-Identifier: GPL-2.0
/*
 * Random-argument fuzzing of /dev/trinity inside the QEMU guest, for a bounded time:
 * random commands (valid, neighbouring and foreign numbers) on random pointers (valid
 * buffers of random bytes, NULL, unmapped, kernel, read-only, page-straddling) while a
 * second thread maps, re-protects and unmaps memory under the walks. Usage: ioctl_fuzz SECONDS
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "../trinity_uapi.h"

#define CHURN_PAGES 64

static int stop;	/* read and written with __atomic builtins */
static char *churn;
static long page;

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t next_random(void)
{
	/* xorshift64*: reproducible from the printed seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

/* Maps, re-protects (with PROT_EXEC too, so W+X comes and goes) and unmaps pages. */
static void *churn_memory(void *unused)
{
	static const int prots[] = { PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE,
				     PROT_READ | PROT_EXEC, PROT_READ | PROT_WRITE | PROT_EXEC };
	uint64_t r = 1;

	(void)unused;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		char *at;

		r = r * 6364136223846793005ULL + 1442695040888963407ULL;
		at = churn + (r >> 33) % CHURN_PAGES * page;
		switch ((r >> 20) % 3) {
		case 0:
			mprotect(at, page, prots[(r >> 40) % 5]);
			break;
		case 1:
			munmap(at, page);
			break;
		default:
			/* NOREPLACE: a hole may have been handed to someone else. */
			mmap(at, page, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
			break;
		}
	}
	return NULL;
}

static uint64_t random_address(char *buf, size_t len)
{
	switch (next_random() % 8) {
	case 0:
		return 0;
	case 1:
		return next_random();				/* anywhere, often non-canonical */
	case 2:
		return 0xffffffff81000000ULL;			/* kernel text */
	case 3:
		return (uintptr_t)churn + next_random() % (CHURN_PAGES * page);
	case 4:
		return (uintptr_t)buf + len - next_random() % 64;	/* straddles the end */
	default:
		return (uintptr_t)buf;
	}
}

/* Fills a request: random bytes, then sometimes plausible fields. */
static void fill(char *buf, size_t len, char *ranges, size_t ranges_len)
{
	size_t i;

	for (i = 0; i < len; i += 8) {
		uint64_t v = next_random();

		memcpy(buf + i, &v, len - i < 8 ? len - i : 8);
	}
	if (next_random() % 2) {
		struct trinity_attest *a = (struct trinity_attest *)buf;

		a->flags = next_random() % 8 == 0 ? (uint32_t)next_random() : 0;
		a->nr_ranges = next_random() % (TRINITY_ATTEST_MAX_RANGES + 4);
		a->ranges = random_address(ranges, ranges_len);
	}
	if (next_random() % 2) {
		struct trinity_range *r = (struct trinity_range *)ranges;

		for (i = 0; i < ranges_len / sizeof(*r); i++) {
			r[i].start = random_address(ranges, ranges_len) & ~(uint64_t)(page - 1);
			r[i].length = next_random() % (1ULL << (next_random() % 48));
		}
	}
}

static unsigned long random_command(void)
{
	static const unsigned long known[] = { TRINITY_IOC_VERSION, TRINITY_IOC_ATTEST,
					       TRINITY_IOC_JIT_CODE };
	uint64_t r = next_random();

	switch (r % 4) {
	case 0:
	case 1:
		return known[(r >> 8) % 3];
	case 2:	/* same number, another size or direction */
		return _IOC((r >> 8) % 4, TRINITY_IOC_MAGIC, (r >> 16) % 4, (r >> 24) % 256);
	default:
		return (unsigned long)(r >> 16);
	}
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 10;
	size_t ranges_len = (TRINITY_ATTEST_MAX_RANGES + 4) * sizeof(struct trinity_range);
	unsigned long calls = 0, ok = 0;
	char *buf, *ranges, *ro;
	pthread_t churner;
	time_t end;
	int dev;

	page = sysconf(_SC_PAGESIZE);
	rng_state ^= (uint64_t)time(NULL);
	printf("ioctl_fuzz: seed 0x%llx, %d s\n", (unsigned long long)rng_state, seconds);
	dev = open(TRINITY_DEVICE_PATH, O_RDWR);
	if (dev < 0) {
		perror("open " TRINITY_DEVICE_PATH);
		return 1;
	}
	churn = mmap(NULL, CHURN_PAGES * page, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	buf = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ranges = malloc(ranges_len);
	ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (churn == MAP_FAILED || buf == MAP_FAILED || !ranges || ro == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	pthread_create(&churner, NULL, churn_memory, NULL);
	end = time(NULL) + seconds;
	while (time(NULL) < end) {
		int i;

		for (i = 0; i < 256; i++) {
			/* Requests sit at the end of the page, so oversized reads fault. */
			size_t len = 32 + next_random() % 96;
			char *req = buf + page - len;
			uint64_t where = next_random() % 16;
			void *arg = req;

			fill(req, len, ranges, ranges_len);
			if (where == 0)
				arg = NULL;
			else if (where == 1)
				arg = ro;
			else if (where == 2)
				arg = (void *)(uintptr_t)random_address(buf, page);
			if (ioctl(dev, random_command(), arg) == 0)
				ok++;
			calls++;
		}
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_join(churner, NULL);
	close(dev);
	printf("ioctl_fuzz: %lu calls, %lu succeeded\n", calls, ok);
	return 0;
}
