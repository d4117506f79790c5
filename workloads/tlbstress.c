/*
 * tlbstress: random accesses over a working set far beyond the TLB's
 * reach (16 MiB of 4 KiB pages by default: 4096 translations, where a
 * P6-class TLB holds 64). One process first touches every page of its
 * working set (demand-zero faults), then adds pseudo-random values to
 * pseudo-random words, so nearly every access needs a page walk (or, under
 * shadow or nested paging, the monitor's equivalent). At the end the sum of
 * all words must equal the sum of all values added, modulo 2^32.
 *
 * Parameters: pages (default 4096) pages in the working set; iters
 * (default 1000000) random accesses.
 * Prints: the working set, the number of accesses and the final sum.
 */
#include "kernel.h"
#include "user.h"

static uint32_t npages, iters;
static const struct param params[] = {
	{ "pages", &npages, 4096, 1, 0x8000 },
	{ "iters", &iters, 1000000, 1, 1000000000 },
	{ 0 },
};

struct u_args {
	uint32_t pages, iters;
};

static int u_main(uint32_t arg)
{
	const struct u_args *a = (const struct u_args *)arg;
	volatile uint32_t *ws = USER_HEAP;
	uint32_t words = a->pages * (PAGE_SIZE / 4), i, x = 12345, v, added = 0, sum = 0;

	for (i = 0; i < a->pages; i++)
		ws[i * (PAGE_SIZE / 4)] = 0;
	for (i = 0; i < a->iters; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		v = x >> 7;
		ws[x % words] += v;
		added += v;
	}
	for (i = 0; i < words; i++)
		sum += ws[i];
	u_printf("working set: %u KiB accesses: %u sum: 0x%08x\n",
		 a->pages * 4, a->iters, sum);
	if (sum != added) {
		u_printf("sum of the working set differs from the sum added (0x%08x)\n", added);
		return 1;
	}
	return 0;
}

static int tlbstress_main(void)
{
	uint32_t free_before = mm_free_pages();
	struct u_args args = { npages, iters };
	int pid, status;

	/* Room for the working set, its page tables and the process itself. */
	if (npages + npages / 1024 + 16 > free_before)
		return fail("%u pages do not fit in memory", npages);
	pid = proc_spawn_block(u_main, &args, sizeof(args));
	if (proc_join(pid, &status))
		return 1;
	if (status != 0)
		return fail("child exit status %d", status);
	return check_no_leak(free_before);
}

WORKLOAD("tlbstress", params, tlbstress_main);
