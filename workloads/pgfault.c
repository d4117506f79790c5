/*
 * pgfault: ring-3 page faults that the kernel resolves, over and over. A
 * user region of a few pages has at most one page present at a time: each
 * fault maps the faulting page (onto the frame that keeps its contents)
 * and unmaps the one mapped before, with INVLPG, so the next access to any
 * other page faults again. The process visits the pages in an order where
 * consecutive accesses never hit the same page, so every access faults,
 * and it checks that each page still holds what it last wrote there.
 *
 * Parameters: iters (default 40000) accesses, each one fault; pages
 * (default 16) pages in the region.
 * Prints: the numbers of accesses and faults and a checksum of the values
 * read.
 */
#include "kernel.h"
#include "user.h"

#define REGION (USER_BASE + 0x01000000u)
#define MAX_PAGES 256

static uint32_t iters, npages;
static const struct param params[] = {
	{ "iters", &iters, 40000, 1, 100000000 },
	{ "pages", &npages, 16, 2, MAX_PAGES },
	{ 0 },
};

static void *frames[MAX_PAGES];
static int owner_pid;
static uint32_t resident = ~0u;
static uint32_t faults;

static int pf_hook(struct trapframe *tf)
{
	uint32_t va = read_cr2(), page;

	if (!trap_from_user(tf) || current->pid != owner_pid ||
	    va < REGION || va >= REGION + npages * PAGE_SIZE || (tf->error & PF_ERR_P))
		return 0;
	page = (va - REGION) / PAGE_SIZE;
	if (resident != ~0u)
		vm_unmap(current->pgdir, REGION + resident * PAGE_SIZE);
	if (vm_map(current->pgdir, REGION + page * PAGE_SIZE, (uint32_t)frames[page],
		   PTE_W | PTE_U | PTE_AVL0))
		return 0;
	resident = page;
	faults++;
	return 1;
}

struct u_args {
	uint32_t iters, pages;
};

static int u_main(uint32_t arg)
{
	const struct u_args *a = (const struct u_args *)arg;
	uint32_t counts[MAX_PAGES], i, page = 0, v, sum = 0, wrong = 0;
	volatile uint32_t *p;

	memset(counts, 0, sizeof(counts));
	for (i = 0; i < a->iters; i++) {
		page = (page + 1) % a->pages;
		p = (volatile uint32_t *)(REGION + page * PAGE_SIZE);
		v = p[0];
		wrong += v != counts[page];
		p[0] = ++counts[page];
		sum = sum * 31 + v;
	}
	u_printf("accesses: %u wrong: %u checksum: 0x%08x\n", a->iters, wrong, sum);
	return wrong != 0;
}

static int pgfault_main(void)
{
	uint32_t free_before = mm_free_pages(), i;
	struct u_args args = { iters, npages };
	int status;

	for (i = 0; i < npages; i++)
		if (!(frames[i] = page_zalloc()))
			return fail("out of memory");
	trap_set_hook(X86_EXC_PF, pf_hook);
	owner_pid = proc_spawn_block(u_main, &args, sizeof(args));
	if (proc_join(owner_pid, &status))
		return 1;
	trap_set_hook(X86_EXC_PF, NULL);
	for (i = 0; i < npages; i++)
		page_free(frames[i]);
	printk("faults: %u\n", faults);
	if (status != 0)
		return fail("child exit status %d", status);
	if (faults != iters)
		return fail("%u faults for %u accesses", faults, iters);
	return check_no_leak(free_before);
}

WORKLOAD("pgfault", params, pgfault_main);
