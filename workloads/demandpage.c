/*
 * demandpage: touching fresh demand-zero pages. One process reads a word
 * of each page of a large untouched region, which must read as zero (that
 * first read faults the page in), writes a tag into it, and checks a few
 * more words of the page; after a pass it checks every tag and hands the
 * pages back with SYS_DISCARD, so the next pass faults them in again from
 * recycled frames, which must come back zeroed as well.
 *
 * Parameters: pages (default 4096) pages per pass; rounds (default 8)
 * passes.
 * Prints: the numbers of pages touched and of zero-fill faults taken,
 * and a checksum of the tags.
 */
#include "kernel.h"
#include "user.h"

#define REGION (USER_BASE + 0x01000000u)

static uint32_t npages, rounds;
static const struct param params[] = {
	{ "pages", &npages, 4096, 1, 0x8000 },
	{ "rounds", &rounds, 8, 1, 100000 },
	{ 0 },
};

struct u_args {
	uint32_t pages, rounds;
};

static uint32_t tag(uint32_t round, uint32_t page)
{
	return (round << 20 | page) * 2654435761u | 1;
}

static int u_main(uint32_t arg)
{
	const struct u_args *a = (const struct u_args *)arg;
	uint32_t r, i, off, bad = 0, sum = 0, words = PAGE_SIZE / 4;
	volatile uint32_t *page;

	for (r = 0; r < a->rounds; r++) {
		for (i = 0; i < a->pages; i++) {
			page = (volatile uint32_t *)(REGION + i * PAGE_SIZE);
			off = (i * 97 + r * 13) % words;
			bad += page[off] != 0;
			page[off] = tag(r, i);
			bad += page[(off + words / 2) % words] != 0;
			bad += page[0] != (off == 0 ? tag(r, i) : 0);
		}
		for (i = 0; i < a->pages; i++) {
			page = (volatile uint32_t *)(REGION + i * PAGE_SIZE);
			off = (i * 97 + r * 13) % words;
			bad += page[off] != tag(r, i);
			sum = (sum ^ page[off]) * 16777619u;
		}
		if (sys_discard((void *)REGION, a->pages * PAGE_SIZE))
			bad++;
	}
	u_printf("pages touched: %u bad: %u checksum: 0x%08x\n",
		 a->pages * a->rounds, bad, sum);
	return bad != 0;
}

static int demandpage_main(void)
{
	uint32_t free_before = mm_free_pages(), fills;
	struct u_args args = { npages, rounds };
	int pid, status;

	if (npages + npages / 1024 + 16 > free_before)
		return fail("%u pages do not fit in memory", npages);
	fills = vm_zero_fills;
	pid = proc_spawn_block(u_main, &args, sizeof(args));
	if (proc_join(pid, &status))
		return 1;
	fills = vm_zero_fills - fills;
	printk("zero-fill faults: %u\n", fills);
	if (status != 0)
		return fail("child exit status %d", status);
	if (fills < npages * rounds)
		return fail("%u zero-fill faults for %u fresh pages", fills, npages * rounds);
	return check_no_leak(free_before);
}

WORKLOAD("demandpage", params, demandpage_main);
