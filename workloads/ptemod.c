/*
 * ptemod: the kernel rewrites page-table entries of the live address space
 * and flushes each with INVLPG, then reads through the new translation.
 * A window of virtual pages is remapped, round after round, onto a pool of
 * frames whose every word holds its frame number and offset, so a read
 * through a stale TLB entry (or a shadow entry the monitor failed to
 * update) returns the wrong tag. Under shadow paging every PTE write here
 * hits a write-protected guest page table.
 *
 * Parameters: iters (default 1000000) PTE rewrites; window (default 8)
 * virtual pages; frames (default 32) physical pages they rotate through.
 * Prints: the number of rewrites and reads and a checksum of the reads.
 */
#include "kernel.h"

#define MAX_WINDOW 1024
#define MAX_FRAMES 1024
#define WINDOW_BASE (USER_BASE + 0x00400000u)

static uint32_t iters, window, nframes;
static const struct param params[] = {
	{ "iters", &iters, 1000000, 1, 1000000000 },
	{ "window", &window, 8, 1, MAX_WINDOW },
	{ "frames", &nframes, 32, 2, MAX_FRAMES },
	{ 0 },
};

static uint32_t *frames[MAX_FRAMES];
static volatile uint32_t *ptes[MAX_WINDOW];

static uint32_t tag(uint32_t frame, uint32_t word)
{
	return frame << 16 | word;
}

static int ptemod_main(void)
{
	uint32_t free_before = mm_free_pages(), *space = vm_create();
	uint32_t i, f, w, word, v, wrong = 0, sum = 0;

	if (!space)
		return fail("out of memory");
	for (f = 0; f < nframes; f++) {
		if (!(frames[f] = page_alloc()))
			return fail("out of memory");
		for (word = 0; word < PAGE_SIZE / 4; word++)
			frames[f][word] = tag(f, word);
	}
	for (w = 0; w < window; w++) {
		if (vm_map(space, WINDOW_BASE + w * PAGE_SIZE, (uint32_t)frames[w % nframes],
			   PTE_W | PTE_U | PTE_AVL0))
			return fail("out of memory");
		ptes[w] = vm_pte(space, WINDOW_BASE + w * PAGE_SIZE, 0);
	}
	current->pgdir = space;
	vm_activate(space);

	for (i = 0; i < iters; i++) {
		w = i % window;
		f = (i * 7 + i / window) % nframes;
		word = (i * 13) % (PAGE_SIZE / 4);
		*ptes[w] = (uint32_t)frames[f] | PTE_P | PTE_W | PTE_U | PTE_AVL0;
		invlpg((void *)(WINDOW_BASE + w * PAGE_SIZE));
		v = ((volatile uint32_t *)(WINDOW_BASE + w * PAGE_SIZE))[word];
		wrong += v != tag(f, word);
		sum = (sum << 3 | sum >> 29) ^ v;
	}

	current->pgdir = kernel_pgdir;
	vm_activate(kernel_pgdir);
	vm_free(space);
	for (f = 0; f < nframes; f++)
		page_free(frames[f]);
	printk("pte rewrites: %u invlpg: %u wrong reads: %u checksum: 0x%08x\n",
	       iters, iters, wrong, sum);
	if (wrong)
		return fail("%u reads went through a stale translation", wrong);
	return check_no_leak(free_before);
}

WORKLOAD("ptemod", params, ptemod_main);
