/*
 * tlb: what software must do, and may rely on, after changing paging
 * structures.
 *
 * Follows the SDM vol. 3, 4.10 (caching translation information):
 *  - INVLPG invalidates the translation of one page, global or not
 *    (4.10.4.1);
 *  - a MOV to CR3 invalidates every non-global translation; global ones
 *    (CR4.PGE = 1, PTE.G = 1) may survive it, so nothing is asserted
 *    about them after a CR3 write (4.10.4.1);
 *  - toggling CR4.PGE invalidates all translations, global ones included;
 *  - translations are cached only for present entries, and a #PF
 *    invalidates the faulting address's translation, so an entry made
 *    present, or made writable after a write faulted, needs no INVLPG
 *    (4.10.4.3, 4.10.2.2).
 * Staleness is never asserted: a TLB that caches nothing is correct.
 * Each check remaps one page between frames whose contents differ; the
 * pages at 16 MiB and the frames at 9 MiB are this kernel's choice.
 */
#include "rt.h"

RT_KERNEL("tlb");

#define VA		0x1000000u
#define FRAME(n)	(0x900000u + (n) * 0x1000)

static u32 test_pt[1024] __attribute__((aligned(4096)));

static void set_pte(u32 va, u32 pte)
{
	*(volatile u32 *)&test_pt[(va >> 12) & 1023] = pte;
}

static u32 peek(u32 va)
{
	return *(volatile u32 *)va;
}

static void run_invlpg(void)
{
	u32 va = VA + 0x1000;

	set_pte(va, FRAME(0) | PTE_P | PTE_W);
	invlpg(va);
	rt_check(peek(va), 0xa0, "page maps frame 0");
	set_pte(va, FRAME(1) | PTE_P | PTE_W);
	invlpg(va);
	rt_check(peek(va), 0xa1, "invlpg: remapped page shows frame 1");
	set_pte(va, FRAME(2) | PTE_P | PTE_W);
	invlpg(va + 0xabc);
	rt_check(peek(va), 0xa2, "invlpg of another byte of the page works too");

	/* INVLPG of one page keeps the others correct, cached or not. */
	set_pte(va + 0x1000, FRAME(3) | PTE_P | PTE_W);
	invlpg(va + 0x1000);
	rt_check(peek(va + 0x1000), 0xa3, "neighbour page maps frame 3");
	set_pte(va, FRAME(0) | PTE_P | PTE_W);
	invlpg(va);
	rt_check(peek(va) == 0xa0 && peek(va + 0x1000) == 0xa3, 1,
		 "invlpg changes only its own page");
}

static void run_cr3(void)
{
	u32 va = VA + 0x3000;

	set_pte(va, FRAME(0) | PTE_P | PTE_W);
	write_cr3(read_cr3());
	rt_check(peek(va), 0xa0, "cr3 reload: page maps frame 0");
	set_pte(va, FRAME(1) | PTE_P | PTE_W);
	write_cr3(read_cr3());
	rt_check(peek(va), 0xa1, "cr3 reload makes a changed PTE visible");

	/* A changed PDE: the page table behind 16 MiB is swapped. */
	set_pte(va, FRAME(2) | PTE_P | PTE_W);
	write_cr3(read_cr3());
	rt_check(peek(va), 0xa2, "cr3 reload: page maps frame 2");
	*(volatile u32 *)(FRAME(8) + ((va >> 12) & 1023) * 4) =
		FRAME(4) | PTE_P | PTE_W;
	rt_pd[VA >> 22] = FRAME(8) | PTE_P | PTE_W;
	write_cr3(read_cr3());
	rt_check(peek(va), 0xa4, "cr3 reload makes a changed PDE visible");
	rt_pd[VA >> 22] = (u32)test_pt | PTE_P | PTE_W;
	write_cr3(read_cr3());
	rt_check(peek(va), 0xa2, "cr3 reload: original page table back");
}

static void run_global(void)
{
	u32 va = VA + 0x5000, nva = VA + 0x6000;
	u32 cr4 = read_cr4();

	write_cr4(cr4 | CR4_PGE);
	set_pte(va, FRAME(0) | PTE_P | PTE_W | PTE_G);
	set_pte(nva, FRAME(1) | PTE_P | PTE_W);
	invlpg(va);
	invlpg(nva);
	rt_check(peek(va) == 0xa0 && peek(nva) == 0xa1, 1,
		 "PGE: global and non-global pages map");

	set_pte(va, FRAME(2) | PTE_P | PTE_W | PTE_G);
	set_pte(nva, FRAME(3) | PTE_P | PTE_W);
	write_cr3(read_cr3());
	rt_check(peek(nva), 0xa3, "PGE: cr3 reload still flushes non-global pages");
	invlpg(va);
	rt_check(peek(va), 0xa2, "PGE: invlpg flushes a global page");

	set_pte(va, FRAME(4) | PTE_P | PTE_W | PTE_G);
	write_cr4(cr4 & ~CR4_PGE);
	write_cr4(cr4 | CR4_PGE);
	rt_check(peek(va), 0xa4, "PGE: toggling CR4.PGE flushes global pages");

	set_pte(va, FRAME(1) | PTE_P | PTE_W | PTE_G);
	write_cr4(cr4);
	rt_check(peek(va), 0xa1, "PGE: clearing CR4.PGE flushes global pages");
}

static volatile u32 pf_count;

/* Makes the faulting page present and writable, then lets it retry. */
static int pf_fix(struct rt_frame *f)
{
	u32 va = read_cr2();

	(void)f;
	pf_count++;
	set_pte(va, FRAME(5) | PTE_P | PTE_W);
	return 1;
}

static void run_fault_invalidation(void)
{
	u32 va = VA + 0x7000;

	/* Not present to present: the #PF handler fixes the PTE, no INVLPG. */
	set_pte(va, 0);
	invlpg(va);
	pf_count = 0;
	rt_set_handler(X86_EXC_PF, pf_fix);
	rt_check(peek(va), 0xa5, "not-present page made present by the #PF handler");
	rt_check(pf_count, 1, "one #PF, then the retried read walks again");

	/* Read-only to writable after a write fault, no INVLPG either. */
	write_cr0(read_cr0() | CR0_WP);
	set_pte(va, FRAME(5) | PTE_P);
	invlpg(va);
	(void)peek(va);
	pf_count = 0;
	*(volatile u32 *)(va + 0x10) = 0x5a5a;
	rt_check(*(volatile u32 *)(FRAME(5) + 0x10), 0x5a5a,
		 "write to a page made writable in the #PF handler completes");
	rt_check(pf_count <= 1, 1, "at most one #PF for it");
	rt_set_handler(X86_EXC_PF, 0);
	write_cr0(read_cr0() & ~CR0_WP);
}

void kmain(void)
{
	u32 i;

	for (i = 0; i < 8; i++)
		*(volatile u32 *)FRAME(i) = 0xa0 + i;
	rt_paging_identity(PTE_P | PTE_W);
	rt_pd[VA >> 22] = (u32)test_pt | PTE_P | PTE_W;
	write_cr3(read_cr3());
	run_invlpg();
	run_cr3();
	run_global();
	run_fault_invalidation();
	rt_paging_off();
}
