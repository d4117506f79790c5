/*
 * doublefault: which exception during the delivery of another one becomes
 * a double fault, and which are simply handled one after the other.
 *
 * Follows the SDM vol. 3, 6.15, "Interrupt 8 - Double Fault Exception",
 * table 6-5 (benign / contributory / page-fault classes) and its
 * conditions table:
 *  - contributory (#DE, #TS, #NP, #SS, #GP) then contributory -> #DF;
 *  - page fault then contributory or page fault -> #DF;
 *  - benign (#DB, #NMI, #BP, #UD, #NM...) then anything, and contributory
 *    then page fault, are handled serially;
 *  - #DF is an abort with error code 0; its saved CS:EIP is undefined, so
 *    only vector and error code are checked.
 * The second exception comes from the IDT: a gate marked not present
 * (#NP(vector*8+2+EXT)) or a gate descriptor on a page that is not mapped
 * (#PF at the descriptor's address, error code 0). The relocated IDT and
 * the pages around it are this kernel's choice.
 */
#include "rt.h"

RT_KERNEL("doublefault");

static void gate_present(int vec, int present)
{
	if (present)
		rt_idt[vec] |= (u64)DESC_P << 40;
	else
		rt_idt[vec] &= ~((u64)DESC_P << 40);
}

static void expect_df(const char *name)
{
	rt_check(rt_trap.count == 1 && rt_trap.vector == X86_EXC_DF &&
		 rt_trap.err == 0, 1, "%s: one #DF with error code 0", name);
}

static void run_contributory(void)
{
	u32 at;

	gate_present(X86_EXC_DE, 0);
	rt_trap_reset();
	RT_TRY(at, "xorl %%edx, %%edx\n\tdivl %%edx", "eax", "edx");
	gate_present(X86_EXC_DE, 1);
	expect_df("#DE with a not-present #DE gate (#DE then #NP)");

	gate_present(X86_EXC_GP, 0);
	rt_trap_reset();
	RT_TRY(at, "xorl %%eax, %%eax\n\tmovw %%ax, %%ss", "eax");
	gate_present(X86_EXC_GP, 1);
	expect_df("#GP with a not-present #GP gate (#GP then #NP)");

	gate_present(0x41, 0);
	gate_present(X86_EXC_NP, 0);
	rt_trap_reset();
	RT_TRY(at, "int $0x41");
	gate_present(X86_EXC_NP, 1);
	expect_df("int to a not-present gate with a not-present #NP gate");
	(void)at;
}

static void run_benign(void)
{
	u32 at;

	gate_present(X86_EXC_UD, 0);
	rt_trap_reset();
	RT_TRY(at, "ud2");
	gate_present(X86_EXC_UD, 1);
	rt_check(rt_trap.count == 1 && rt_trap.vector == X86_EXC_NP, 1,
		 "#UD with a not-present gate: #NP, no #DF (benign first)");
	rt_check(rt_trap.err & ~1u, X86_EXC_UD * 8 + 2,
		 "#UD with a not-present gate: error code names IDT entry 6");
	rt_check(rt_trap.eip, at, "#UD with a not-present gate: EIP at the UD2");

	gate_present(X86_EXC_BP, 0);
	rt_trap_reset();
	RT_TRY(at, "int3");
	gate_present(X86_EXC_BP, 1);
	rt_check_trap("int3 with a not-present gate: #NP(3*8+2), EXT clear",
		      X86_EXC_NP, X86_EXC_BP * 8 + 2, at);
}

/*
 * A copy of the IDT straddling two pages: entries 0-13 end on the page
 * below SPLIT, entries 14-255 start at SPLIT.
 */
#define SPLIT		0xa00000u
#define IDT_COPY	(SPLIT - X86_EXC_PF * 8)

static void idt_copy_load(void)
{
	struct rt_dtr dtr = { sizeof(rt_idt) - 1, IDT_COPY };
	u32 i;

	for (i = 0; i < 256; i++)
		((u64 *)IDT_COPY)[i] = rt_idt[i];
	asm volatile("lidt %0" : : "m"(dtr));
}

static void idt_restore(void)
{
	struct rt_dtr dtr = { sizeof(rt_idt) - 1, (u32)rt_idt };

	asm volatile("lidt %0" : : "m"(dtr));
}

static void set_pte(u32 va, u32 pte)
{
	rt_pt[va >> 22][(va >> 12) & 1023] = pte;
	invlpg(va);
}

static void run_paging(void)
{
	u32 at, low = SPLIT - 0x1000;

	rt_paging_identity(PTE_P | PTE_W);
	idt_copy_load();

	/* #GP's gate is unreadable: contributory then #PF is handled serially. */
	set_pte(low, 0);
	rt_trap_reset();
	RT_TRY(at, "xorl %%eax, %%eax\n\tmovw %%ax, %%ss", "eax");
	rt_check(rt_trap.count == 1 && rt_trap.vector == X86_EXC_PF, 1,
		 "#GP whose gate is on an unmapped page: #PF, no #DF");
	rt_check(rt_trap.cr2, IDT_COPY + X86_EXC_GP * 8,
		 "#GP -> #PF: CR2 is the address of IDT entry 13");
	rt_check(rt_trap.err, 0, "#GP -> #PF: error code 0 (supervisor read, not present)");
	rt_check(rt_trap.eip, at + 2, "#GP -> #PF: saved EIP at the faulting MOV");
	set_pte(low, low | PTE_P | PTE_W);

	/* #PF's own gate is unreadable: page fault then page fault. */
	set_pte(SPLIT, 0);
	set_pte(0xc00000, 0);
	rt_trap_reset();
	RT_TRY(at, "movl 0xc00000, %%eax", "eax");
	set_pte(SPLIT, SPLIT | PTE_P | PTE_W);
	expect_df("#PF whose gate is on an unmapped page (#PF then #PF)");

	/* #PF through a not-present gate: page fault then contributory. */
	((u64 *)IDT_COPY)[X86_EXC_PF] &= ~((u64)DESC_P << 40);
	rt_trap_reset();
	RT_TRY(at, "movl 0xc00000, %%eax", "eax");
	((u64 *)IDT_COPY)[X86_EXC_PF] |= (u64)DESC_P << 40;
	expect_df("#PF with a not-present #PF gate (#PF then #NP)");

	rt_trap_reset();
	RT_TRY(at, "movl 0xc00000, %%eax", "eax");
	rt_check_trap("#PF with its gate back: delivered normally", X86_EXC_PF,
		      0, at);
	set_pte(0xc00000, 0xc00000 | PTE_P | PTE_W);
	idt_restore();
	rt_paging_off();
}

void kmain(void)
{
	run_contributory();
	run_benign();
	run_paging();
}
