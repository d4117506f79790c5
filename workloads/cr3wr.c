/*
 * cr3wr: kernel writes to CR3. The kernel alternates between two address
 * spaces that map the same user pages to different frames, and after every
 * write reads those pages through the new translation: a stale TLB entry
 * (or a stale shadow page table) would return the other space's tag.
 * Under shadow paging every one of these writes is a monitor exit that
 * switches shadow tables.
 *
 * Parameters: iters (default 50000) CR3 writes; pages (default 4) pages
 * read after each write.
 * Prints: the number of CR3 writes and reads and a checksum of what the
 * reads returned.
 */
#include "kernel.h"

#define SPACES 2
#define MAX_PAGES 64

static uint32_t iters, npages;
static const struct param params[] = {
	{ "iters", &iters, 50000, 1, 100000000 },
	{ "pages", &npages, 4, 1, MAX_PAGES },
	{ 0 },
};

static uint32_t tag(uint32_t space, uint32_t page)
{
	return 0xc3000000u | space << 16 | page;
}

static int cr3wr_main(void)
{
	uint32_t free_before = mm_free_pages(), *spaces[SPACES];
	uint32_t i, s, p, v, wrong = 0, sum = 0;
	uint32_t *frame;

	for (s = 0; s < SPACES; s++) {
		if (!(spaces[s] = vm_create()))
			return fail("out of memory");
		for (p = 0; p < npages; p++) {
			/* Private frames: vm_free releases them with the space. */
			if (!(frame = page_zalloc()) ||
			    vm_map(spaces[s], USER_BASE + p * PAGE_SIZE,
				   (uint32_t)frame, PTE_W | PTE_U))
				return fail("out of memory");
			frame[0] = tag(s, p);
		}
	}

	for (i = 0; i < iters; i++) {
		s = i % SPACES;
		current->pgdir = spaces[s];
		vm_activate(spaces[s]);
		for (p = 0; p < npages; p++) {
			v = *(volatile uint32_t *)(USER_BASE + p * PAGE_SIZE);
			wrong += v != tag(s, p);
			sum = sum * 31 + v;
		}
	}
	current->pgdir = kernel_pgdir;
	vm_activate(kernel_pgdir);
	for (s = 0; s < SPACES; s++)
		vm_free(spaces[s]);

	printk("cr3 writes: %u reads: %u wrong: %u checksum: 0x%08x\n",
	       iters, iters * npages, wrong, sum);
	if (wrong)
		return fail("%u reads saw the other address space", wrong);
	return check_no_leak(free_before);
}

WORKLOAD("cr3wr", params, cr3wr_main);
