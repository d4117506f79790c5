/*
 * paging: 32-bit paging with 4 KiB and 4 MiB pages, U/S and R/W at both
 * levels, CR0.WP, the #PF error code and CR2, and the accessed and dirty
 * bits.
 *
 * Follows the SDM vol. 3, 4.3 (32-bit paging), 4.6 (access rights: the
 * rights of a translation combine the PDE's and the PTE's; supervisor
 * writes to read-only pages fault only when CR0.WP = 1), 4.7 (#PF error
 * code: P, W/R, U/S; CR2 = the linear address), 4.8 (A is set in every
 * paging-structure entry used, D only in the entry that maps the page):
 *  - CR4.PSE = 1 makes a PDE with PS = 1 map 4 MiB; with CR4.PSE = 0 the
 *    same PDE points to a page table;
 *  - CMPXCHG writes its destination even when the comparison fails, so a
 *    read-only page faults with W set either way (vol. 2, CMPXCHG).
 * The kernel maps its test pages at 16 MiB and up over frames at 9 MiB;
 * the first 16 MiB stay identity-mapped and user-accessible.
 */
#include "rt.h"

RT_KERNEL("paging");

#define VA		0x1000000u	/* PD entry 4: this kernel's page table */
#define VA_BIG		0x1400000u	/* PD entry 5: a 4 MiB page */
#define FRAME(n)	(0x900000u + (n) * 0x1000)
#define BIG_FRAME	0x800000u

static u32 test_pt[1024] __attribute__((aligned(4096)));

static void map(u32 va, u32 pte)
{
	test_pt[(va >> 12) & 1023] = pte;
	invlpg(va);
}

/* Parameters of the CPL-3 probe; it runs with the pages user-accessible. */
static volatile u32 probe_va, probe_op;

static u32 user_probe(u32 arg)
{
	u32 at, va = probe_va;

	(void)arg;
	if (probe_op == 0)
		asm volatile("movl $1f, rt_resume\n\tmovl $2f, %0\n"
			     "2:\tmovl (%1), %%eax\n"
			     "1:\tmovl $0, rt_resume"
			     : "=&r"(at) : "c"(va) : "eax", "memory");
	else if (probe_op == 1)
		asm volatile("movl $1f, rt_resume\n\tmovl $2f, %0\n"
			     "2:\tmovl %1, (%1)\n"
			     "1:\tmovl $0, rt_resume"
			     : "=&r"(at) : "c"(va) : "memory");
	else
		/* A fault at the target leaves the return address pushed. */
		asm volatile("movl $1f, rt_resume\n\tmovl $2f, %0\n\t"
			     "movl %%esp, %%edx\n"
			     "2:\tcall *%1\n"
			     "1:\tmovl %%edx, %%esp\n\tmovl $0, rt_resume"
			     : "=&r"(at) : "c"(va) : "eax", "edx", "memory");
	return at;
}

struct pf_case {
	const char *name;
	u32 pde, pte;		/* flags of PD entry 4 and of the PTE */
	int cpl3, op, wp;	/* op: 0 read, 1 write */
	u32 err;		/* ~0: no fault expected */
};

#define NOFAULT	(~0u)
static const struct pf_case pf_cases[] = {
	{ "supervisor read, not present", PTE_P | PTE_W | PTE_U, 0, 0, 0, 1, 0 },
	{ "supervisor write, not present", PTE_P | PTE_W | PTE_U, 0, 0, 1, 1,
	  PF_W },
	{ "user read, not present", PTE_P | PTE_W | PTE_U, 0, 1, 0, 1, PF_U },
	{ "user write, not present", PTE_P | PTE_W | PTE_U, 0, 1, 1, 1,
	  PF_U | PF_W },
	{ "user read, supervisor page", PTE_P | PTE_W | PTE_U, PTE_P | PTE_W,
	  1, 0, 1, PF_U | PF_P },
	{ "user write, supervisor page", PTE_P | PTE_W | PTE_U, PTE_P | PTE_W,
	  1, 1, 1, PF_U | PF_W | PF_P },
	{ "user write, read-only user page", PTE_P | PTE_W | PTE_U,
	  PTE_P | PTE_U, 1, 1, 1, PF_U | PF_W | PF_P },
	{ "user read, read-only user page", PTE_P | PTE_W | PTE_U,
	  PTE_P | PTE_U, 1, 0, 1, NOFAULT },
	{ "supervisor write, read-only page, WP=1", PTE_P | PTE_W | PTE_U,
	  PTE_P | PTE_U, 0, 1, 1, PF_W | PF_P },
	{ "supervisor write, read-only page, WP=0", PTE_P | PTE_W | PTE_U,
	  PTE_P | PTE_U, 0, 1, 0, NOFAULT },
	{ "supervisor read, user page", PTE_P | PTE_W | PTE_U,
	  PTE_P | PTE_W | PTE_U, 0, 0, 1, NOFAULT },
	{ "user read, PDE supervisor, PTE user", PTE_P | PTE_W,
	  PTE_P | PTE_W | PTE_U, 1, 0, 1, PF_U | PF_P },
	{ "user write, PDE read-only, PTE writable", PTE_P | PTE_U,
	  PTE_P | PTE_W | PTE_U, 1, 1, 1, PF_U | PF_W | PF_P },
	{ "supervisor write, PDE read-only, WP=1", PTE_P | PTE_U,
	  PTE_P | PTE_W | PTE_U, 0, 1, 1, PF_W | PF_P },
	{ "supervisor write, PDE read-only, WP=0", PTE_P | PTE_U,
	  PTE_P | PTE_W | PTE_U, 0, 1, 0, NOFAULT },
};

static void run_pf_cases(void)
{
	const struct pf_case *c;
	u32 i, at, cr0 = read_cr0(), va = VA + 0x5000 + 0x123;

	for (i = 0; i < ARRAY_SIZE(pf_cases); i++) {
		c = &pf_cases[i];
		rt_pd[4] = (u32)test_pt | c->pde;
		map(va & ~0xfff, c->pte ? FRAME(5) | c->pte : 0);
		write_cr3(read_cr3());
		write_cr0(c->wp ? cr0 | CR0_WP : cr0 & ~CR0_WP);
		probe_va = va;
		probe_op = c->op;
		rt_trap_reset();
		if (c->cpl3)
			at = rt_user_call(user_probe, 0, EFLAGS_FIXED);
		else
			at = user_probe(0);
		if (c->err == NOFAULT) {
			rt_check(rt_trap.count, 0, "%s: no fault", c->name);
			continue;
		}
		rt_check_trap(c->name, X86_EXC_PF, c->err, at);
		rt_check(rt_trap.cr2, va, "%s: CR2", c->name);
	}
	write_cr0(cr0);
	rt_pd[4] = (u32)test_pt | PTE_P | PTE_W | PTE_U;
	write_cr3(read_cr3());
}

static void run_fetch(void)
{
	u32 va = VA + 0x6000;

	/* A RET placed in a supervisor-only page, called from CPL 3. */
	*(u8 *)FRAME(6) = 0xc3;
	map(va, FRAME(6) | PTE_P | PTE_W);
	probe_va = va;
	probe_op = 2;
	rt_trap_reset();
	rt_user_call(user_probe, 0, EFLAGS_FIXED);
	rt_check(rt_trap.count == 1 && rt_trap.vector == X86_EXC_PF &&
		 rt_trap.err == (PF_U | PF_P), 1,
		 "user fetch from a supervisor page: #PF(U|P)");
	rt_check(rt_trap.eip, va, "user fetch: saved EIP is the target");
	rt_check(rt_trap.cr2, va, "user fetch: CR2 is the target");
}

static void run_rmw(void)
{
	u32 va = VA + 0x7000, at;

	map(va, FRAME(7) | PTE_P);
	*(volatile u32 *)FRAME(7) = 5;
	write_cr0(read_cr0() | CR0_WP);
	rt_trap_reset();
	RT_TRY(at, "incl 0x1007010");
	rt_check_trap("inc on a read-only page: #PF(W|P)", X86_EXC_PF,
		      PF_W | PF_P, at);
	rt_trap_reset();
	RT_TRY(at, "movl $1, %%eax\n\tmovl $2, %%ecx\n\tcmpxchgl %%ecx, 0x1007000",
	       "eax", "ecx");
	rt_check(rt_trap.count == 1 && rt_trap.err == (PF_W | PF_P), 1,
		 "cmpxchg that fails its compare on a read-only page: #PF(W|P)");
	rt_check(*(volatile u32 *)FRAME(7), 5, "read-only data left unchanged");
	write_cr0(read_cr0() & ~CR0_WP);
}

/* The CPU writes A and D behind the compiler's back: always reload. */
static u32 entry(u32 *e)
{
	return *(volatile u32 *)e;
}

static void run_ad_bits(void)
{
	u32 va = VA + 0x8000;
	volatile u32 *p = (volatile u32 *)va;

	rt_pd[4] &= ~(PTE_A | PTE_D);
	map(va, FRAME(8) | PTE_P | PTE_W);
	write_cr3(read_cr3());
	(void)*p;
	rt_check(entry(&test_pt[8]) & (PTE_A | PTE_D), PTE_A, "read sets PTE.A, not PTE.D");
	rt_check(entry(&rt_pd[4]) & PTE_A, PTE_A, "read sets PDE.A");
	*p = 1;
	rt_check(entry(&test_pt[8]) & (PTE_A | PTE_D), PTE_A | PTE_D,
		 "write after a read sets PTE.D");
	rt_check(entry(&rt_pd[4]) & PTE_D, 0, "PDE.D of a page-table PDE stays clear");
	map(va, FRAME(8) | PTE_P | PTE_W);
	*p = 2;
	rt_check(entry(&test_pt[8]) & (PTE_A | PTE_D), PTE_A | PTE_D,
		 "first access a write: PTE.A and PTE.D");

	write_cr4(read_cr4() | CR4_PSE);
	rt_pd[5] = BIG_FRAME | PDE_PS | PTE_P | PTE_W;
	invlpg(VA_BIG + 0x3ff000);
	(void)*(volatile u32 *)(VA_BIG + 0x3ff000);
	rt_check(entry(&rt_pd[5]) & (PTE_A | PTE_D), PTE_A, "4 MiB page read: PDE.A only");
	*(volatile u32 *)(VA_BIG + 0x3ff000) = 3;
	rt_check(entry(&rt_pd[5]) & (PTE_A | PTE_D), PTE_A | PTE_D,
		 "4 MiB page write: PDE.D");
}

static void run_sizes(void)
{
	u32 i;

	for (i = 0; i < 4; i++) {
		map(VA + i * 0x1000, FRAME(i) | PTE_P | PTE_W);
		*(volatile u32 *)FRAME(i) = 0xf00d0000 + i;
	}
	rt_check(*(volatile u32 *)(VA + 0x2000), 0xf00d0002,
		 "4 KiB page: VA+0x2000 reads frame 2");
	*(volatile u32 *)(VA + 0x3ffc) = 0x600dcafe;
	rt_check(*(volatile u32 *)(FRAME(3) + 0xffc), 0x600dcafe,
		 "4 KiB page: write lands at frame 3 + 0xffc");

	write_cr4(read_cr4() | CR4_PSE);
	rt_pd[5] = BIG_FRAME | PDE_PS | PTE_P | PTE_W;
	write_cr3(read_cr3());
	*(volatile u32 *)(BIG_FRAME + 0x2ab000) = 0x4d1b;
	rt_check(*(volatile u32 *)(VA_BIG + 0x2ab000), 0x4d1b,
		 "4 MiB page: offset 0x2ab000 maps to frame + 0x2ab000");

	/* The same PDE without CR4.PSE: BIG_FRAME is now a page table. */
	*(volatile u32 *)BIG_FRAME = FRAME(1) | PTE_P | PTE_W;
	*(volatile u32 *)(BIG_FRAME + 4) = FRAME(2) | PTE_P | PTE_W;
	write_cr4(read_cr4() & ~CR4_PSE);
	write_cr3(read_cr3());
	rt_check(*(volatile u32 *)(VA_BIG + 0x1000), 0xf00d0002,
		 "CR4.PSE = 0: PDE.PS ignored, PDE points to a page table");
	write_cr4(read_cr4() | CR4_PSE);
	write_cr3(read_cr3());
	/* The read through it as a PTE set that entry's accessed bit. */
	rt_check(*(volatile u32 *)(VA_BIG + 0x4), FRAME(2) | PTE_P | PTE_W |
		 PTE_A, "CR4.PSE = 1 again: the same PDE maps 4 MiB");
}

void kmain(void)
{
	rt_paging_identity(PTE_P | PTE_W | PTE_U);
	rt_pd[4] = (u32)test_pt | PTE_P | PTE_W | PTE_U;
	write_cr3(read_cr3());
	run_sizes();
	run_pf_cases();
	run_fetch();
	run_rmw();
	run_ad_bits();
	rt_paging_off();
}
