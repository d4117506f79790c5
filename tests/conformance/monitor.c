/*
 * monitor: every kind of event a trap-and-emulate monitor must handle,
 * each a known number of times, with results a bare machine defines:
 * port I/O, control/debug register moves, MSRs, RDTSC under CR4.TSD,
 * INVLPG, WBINVD, LIDT, LTR, CLI/STI, MOV SS, INT n and IRET, guest page
 * faults (error code and CR2), #UD, timer interrupts taken in HLT, a PTE
 * rewritten under a live mapping (with INVLPG), and two address spaces
 * switched by CR3. Run natively it checks the CPU; run under a monitor the
 * same lines must come out, and the monitor's exit counters say what it
 * did (tests/unit/mon_trap.c).
 *
 * SDM vol. 3A: 2.5 (control registers), 4.10.4 (INVLPG, CR3 loads), 6.12
 * (interrupt delivery), 17.2 (debug registers); vol. 2 for the rest.
 */
#include "rt.h"

RT_KERNEL("monitor");

#define N 5
#define LIN 0x01400000u		/* a linear page outside the identity map */
#define FRAME_A 0x00900000u
#define FRAME_B 0x00901000u
#define PT_PAGE 0x00902000u
#define PD2_PAGE 0x00903000u

static volatile u32 ticks, softints;

static int on_tick(struct rt_frame *f)
{
	(void)f;
	ticks++;
	rt_pic_eoi(0);
	return 1;
}

static int on_softint(struct rt_frame *f)
{
	(void)f;
	softints++;
	return 1;
}

static u32 read_cr(int n)
{
	u32 v = 0;

	switch (n) {
	case 0: asm volatile("mov %%cr0, %0" : "=r"(v)); break;
	case 2: asm volatile("mov %%cr2, %0" : "=r"(v)); break;
	case 3: asm volatile("mov %%cr3, %0" : "=r"(v)); break;
	case 4: asm volatile("mov %%cr4, %0" : "=r"(v)); break;
	}
	return v;
}

static void privileged(void)
{
	u32 v, sum = 0;
	/* Its own IDT, not what SIDT says: under ring compression SIDT shows the
	 * monitor's table (the lecture's point), and loading that would break. */
	struct rt_dtr idtr = { sizeof(rt_idt) - 1, (u32)rt_idt };

	for (int k = 0; k < N; k++) {
		sum += inb(0x21);
		outb(0x80, (u8)k);
	}
	rt_check(sum, N * 0xff, "IN reads the masked PIC IMR %d times", N);

	u32 cr3 = read_cr(3);
	for (int k = 0; k < N; k++)
		asm volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
	rt_check(read_cr(3), cr3, "CR3 reloaded %d times", N);
	rt_check(read_cr(0) & (CR0_PE | CR0_PG), CR0_PE | CR0_PG, "CR0 shows PE and PG");

	for (int k = 0; k < N; k++)
		asm volatile("invlpg (%0)" : : "r"(LIN) : "memory");
	for (int k = 0; k < N; k++)
		asm volatile("wbinvd");

	u32 lo, hi, lo2, hi2;
	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_IA32_APIC_BASE));
	for (int k = 1; k < N; k++)
		asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_IA32_APIC_BASE));
	rt_check(lo & 0xfffff900u, 0xfee00900u, "RDMSR IA32_APIC_BASE %d times", N);

	asm volatile("mov %0, %%cr4" : : "r"(read_cr(4) | CR4_TSD));
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	for (int k = 1; k < N; k++)
		asm volatile("rdtsc" : "=a"(lo2), "=d"(hi2));
	rt_check(hi2 > hi || (hi2 == hi && lo2 > lo), 1, "RDTSC at CPL 0 with CR4.TSD counts up");
	asm volatile("mov %0, %%cr4" : : "r"(read_cr(4) & ~CR4_TSD));

	for (int k = 0; k < N; k++)
		asm volatile("mov %%dr7, %0" : "=r"(v));
	rt_check(v & 0xffff27ffu, 0x400, "DR7 reads its reset value");

	for (int k = 0; k < N; k++)
		asm volatile("lidt %0" : : "m"(idtr));
	for (int k = 0; k < 2; k++)
		rt_reload_tr();

	for (int k = 0; k < N; k++)
		asm volatile("cli; sti; cli");

	for (int k = 0; k < N; k++)
		asm volatile("mov %%ss, %%eax; mov %%eax, %%ss" : : : "eax");
	rt_pass("MOV SS reloads %d times", N);
}

static void events(void)
{
	u32 at = 0;

	rt_set_handler(0x60, on_softint);
	rt_set_isr_gate(0x60, SYS_INT_GATE32, 3);
	for (int k = 0; k < N; k++)
		asm volatile("int $0x60");
	rt_check(softints, N, "INT 0x60 from CPL 0 reaches its handler and IRETs");

	for (int k = 0; k < N; k++) {
		rt_trap_reset();
		RT_TRY(at, "ud2");
	}
	rt_check_trap("#UD from UD2", X86_EXC_UD, 0, at);

	for (int k = 0; k < N; k++) {
		rt_trap_reset();
		RT_TRY(at, "movl 0x01400123, %%eax", "eax");
	}
	rt_check(rt_trap.vector, X86_EXC_PF, "read of an unmapped page: #PF");
	rt_check(rt_trap.err, 0, "read of an unmapped page: error code (not present, read, supervisor)");
	rt_check(rt_trap.cr2, LIN + 0x123, "read of an unmapped page: CR2");

	rt_set_handler(RT_VEC_PIC1, on_tick);
	outb(0x43, 0x34);	/* PIT channel 0, mode 2, lobyte/hibyte */
	outb(0x40, 0x00);
	outb(0x40, 0x10);	/* 4096 counts: ~3.4 ms */
	rt_pic_unmask(0);
	asm volatile("sti");
	while (ticks < N)
		asm volatile("hlt");
	asm volatile("cli");
	rt_check(ticks >= N, 1, "%d timer interrupts wake HLT", N);
}

static volatile u32 *pte(void)
{
	return (volatile u32 *)PT_PAGE + ((LIN >> 12) & 1023);
}

static void shadow(void)
{
	volatile u32 *lin = (volatile u32 *)LIN;
	u32 at;

	*(volatile u32 *)FRAME_A = 0xaaaa0001;
	*(volatile u32 *)FRAME_B = 0xbbbb0002;
	for (int k = 0; k < 1024; k++)
		((u32 *)PT_PAGE)[k] = 0;
	rt_pd[LIN >> 22] = PT_PAGE | PTE_P | PTE_W;
	asm volatile("mov %%cr3, %%eax; mov %%eax, %%cr3" : : : "eax", "memory");

	*pte() = FRAME_A | PTE_P | PTE_W;
	rt_check(*lin, 0xaaaa0001, "new PTE maps frame A");
	*pte() = FRAME_B | PTE_P | PTE_W;
	asm volatile("invlpg (%0)" : : "r"(LIN) : "memory");
	rt_check(*lin, 0xbbbb0002, "rewritten PTE plus INVLPG maps frame B");
	*lin = 0xbbbb0003;
	rt_check(*(volatile u32 *)FRAME_B, 0xbbbb0003, "a write through it lands in frame B");
	rt_check(*pte() & (PTE_A | PTE_D), PTE_A | PTE_D, "accessed and dirty set in the PTE");
	*pte() = FRAME_B | PTE_P;
	asm volatile("invlpg (%0)" : : "r"(LIN) : "memory");
	asm volatile("mov %0, %%cr0" : : "r"(read_cr(0) | CR0_WP));
	rt_trap_reset();
	RT_TRY(at, "movl $7, 0x01400010");
	rt_check(rt_trap.vector, X86_EXC_PF, "write to a page made read-only, CR0.WP = 1: #PF");
	rt_check(rt_trap.err, PF_P | PF_W, "... error code: present, write, supervisor");
	rt_check(rt_trap.cr2, LIN + 0x10, "... CR2");
	asm volatile("mov %0, %%cr0" : : "r"(read_cr(0) & ~CR0_WP));
	RT_TRY(at, "movl $7, 0x01400010");
	rt_check(*(volatile u32 *)(FRAME_B + 0x10), 7, "with CR0.WP = 0 the same write lands");

	/* A second address space: its own PD maps LIN to frame A. */
	u32 *pd2 = (u32 *)PD2_PAGE;
	for (int k = 0; k < 1024; k++)
		pd2[k] = rt_pd[k];
	u32 *pt2 = (u32 *)(PD2_PAGE + 0x1000);
	for (int k = 0; k < 1024; k++)
		pt2[k] = 0;
	pt2[(LIN >> 12) & 1023] = FRAME_A | PTE_P | PTE_W;
	pd2[LIN >> 22] = (PD2_PAGE + 0x1000) | PTE_P | PTE_W;
	u32 cr3 = read_cr(3), seen = 0;
	for (int k = 0; k < 2 * N; k++) {
		asm volatile("mov %0, %%cr3" : : "r"(k & 1 ? cr3 : PD2_PAGE) : "memory");
		seen = seen * 2 + (*lin >> 28 == 0xa);
	}
	asm volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
	rt_check(seen, 0x2aa, "CR3 switches alternate frame A and B at the same address");
}

static u32 user_fn(u32 arg)
{
	for (u32 k = 0; k < arg; k++)
		asm volatile("int $0x60");
	return arg + 1;
}

void kmain(void)
{
	rt_paging_identity(PTE_P | PTE_W | PTE_U);
	privileged();
	events();
	shadow();
	softints = 0;
	rt_check(rt_user_call(user_fn, N, EFLAGS_FIXED), N + 1, "ring 3 runs and returns");
	rt_check(softints, N, "INT 0x60 from CPL 3 through a DPL-3 gate");
}
