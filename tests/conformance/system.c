/*
 * system: CPUID, the time-stamp counter, two architectural MSRs, HLT woken
 * by the timer, and when IF takes effect after STI and POPF.
 *
 * Follows the SDM vol. 2 pages CPUID, RDTSC, RDMSR, WRMSR, HLT, STI, POPF
 * and vol. 3, 17.17 (time-stamp counter), 10.4.4 (IA32_APIC_BASE), 6.8.3
 * (interrupt shadows):
 *  - CPUID leaf 0 reports a maximum basic leaf of at least 1; leaf 1 EDX
 *    has PSE, TSC, MSR, CX8 and CMOV, all of which this CPU model and
 *    QEMU's qemu32 provide (nothing else is printed or asserted);
 *  - the TSC never goes backwards and does advance (reading and writing
 *    it as MSR 0x10 is checked in sdm_vs_qemu);
 *  - IA32_APIC_BASE (MSR 0x1b) of the bootstrap processor after reset is
 *    0xfee00900: base 0xfee00000, BSP flag, APIC global enable;
 *  - HLT stops until an interrupt, whose saved EIP is the instruction after
 *    the HLT;
 *  - an interrupt pending when STI sets IF is taken after the instruction
 *    that follows STI; after POPF sets IF it is taken right away.
 * The PIT programmes IRQ0; only "at least one tick" is ever asserted.
 * And one platform answer, QEMU's pc (there is no SDM text for it): memory
 * that neither RAM nor a device backs (256 MiB, with the 64 MiB this
 * kernel runs with) reads as zeros, and writes there are lost.
 */
#include "rt.h"

RT_KERNEL("system");

#define CPUID_1_EDX_PSE		(1u << 3)
#define CPUID_1_EDX_TSC		(1u << 4)
#define CPUID_1_EDX_MSR		(1u << 5)
#define CPUID_1_EDX_CX8		(1u << 8)
#define CPUID_1_EDX_CMOV	(1u << 15)

static void run_cpuid(void)
{
	static const struct {
		const char *name;
		u32 bit;
	} bits[] = {
		{ "PSE", CPUID_1_EDX_PSE }, { "TSC", CPUID_1_EDX_TSC },
		{ "MSR", CPUID_1_EDX_MSR }, { "CX8", CPUID_1_EDX_CX8 },
		{ "CMOV", CPUID_1_EDX_CMOV },
	};
	u32 a, b, c, d, i;

	cpuid(0, &a, &b, &c, &d);
	rt_check(a >= 1, 1, "cpuid leaf 0: maximum basic leaf >= 1");
	cpuid(1, &a, &b, &c, &d);
	for (i = 0; i < ARRAY_SIZE(bits); i++)
		rt_check(d & bits[i].bit, bits[i].bit, "cpuid leaf 1: EDX.%s",
			 bits[i].name);
}

static void run_tsc(void)
{
	u64 t0, t1, t2;
	u32 i;

	t0 = rdtsc();
	t1 = rdtsc();
	for (i = 0; i < 1000000 && (t2 = rdtsc()) == t1; i++)
		;
	rt_check(t1 >= t0, 1, "rdtsc does not go backwards");
	rt_check(t2 > t1, 1, "rdtsc advances");
}

static void run_msr(void)
{
	rt_check64(rdmsr(MSR_IA32_APIC_BASE), 0xfee00900ull,
		   "rdmsr IA32_APIC_BASE: 0xfee00900 (BSP, enabled)");
}

#define PIT_CH0		0x40
#define PIT_CMD		0x43

static volatile u32 ticks, tick_eip, tick_flags;

static int tick_handler(struct rt_frame *f)
{
	ticks++;
	tick_eip = f->eip;
	tick_flags = f->eflags;
	rt_pic_eoi(0);
	return 1;
}

static void pit_start(u16 divisor)
{
	outb(PIT_CMD, 0x34);	/* channel 0, lobyte/hibyte, mode 2 */
	outb(PIT_CH0, divisor & 0xff);
	outb(PIT_CH0, divisor >> 8);
}

/* OCW3 "read IRR", then wait until IRQ0 is latched with IF still clear. */
static int wait_irq0_pending(void)
{
	u32 i;

	outb(0x20, 0x0a);
	for (i = 0; i < 50000000; i++)
		if (inb(0x20) & 1)
			return 1;
	return 0;
}

extern u8 hlt_after[], sti_after[], popf_next[];

static void run_hlt(void)
{
	rt_set_handler(RT_VEC_PIC1, tick_handler);
	pit_start(PIT_HZ / 1000);
	rt_pic_unmask(0);
	ticks = 0;
	asm volatile("sti\n\thlt\n"
		     "hlt_after:\n\tcli" : : : "memory");
	rt_check(ticks >= 1, 1, "hlt returns after a timer interrupt");
	rt_check(tick_eip, (u32)hlt_after, "interrupt during hlt: saved EIP after the HLT");
	rt_check(tick_flags & EFLAGS_IF, EFLAGS_IF, "interrupt during hlt: saved IF = 1");
}

static void run_shadow(void)
{
	rt_check(wait_irq0_pending(), 1, "IRQ0 pending in the PIC with IF = 0");
	tick_eip = 0;
	asm volatile("sti\n"
		     "nop\n"
		     "sti_after:\n\tnop\n\tcli" : : : "memory");
	rt_check(tick_eip, (u32)sti_after,
		 "pending interrupt taken after the instruction following STI");

	rt_check(wait_irq0_pending(), 1, "IRQ0 pending again");
	tick_eip = 0;
	asm volatile("pushl $0x202\n\tpopfl\n"
		     "popf_next:\n\tnop\n\tcli" : : : "memory");
	rt_check(tick_eip, (u32)popf_next,
		 "pending interrupt taken right after POPF sets IF");

	asm volatile("sti");
	rt_check(read_eflags() & EFLAGS_IF, EFLAGS_IF, "sti sets IF");
	asm volatile("cli");
	rt_check(read_eflags() & EFLAGS_IF, 0, "cli clears IF");
	outb(0x21, 0xff);
	rt_set_handler(RT_VEC_PIC1, 0);
}

static void run_hole(void)
{
	volatile u32 *hole = (volatile u32 *)0x10000000u;

	*hole = 0x12345678;
	rt_check(*hole, 0, "memory beyond RAM reads 0 after a write");
	rt_check(*(volatile u8 *)0x10000003u, 0, "... and byte by byte");
}

void kmain(void)
{
	run_hole();
	run_cpuid();
	run_tsc();
	run_msr();
	run_hlt();
	run_shadow();
}
