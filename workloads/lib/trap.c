/*
 * Trap dispatch, the 8259A pair and the 8254 timer.
 *
 * Every vector enters trap(). A workload hook gets the first look at an
 * exception (and may resolve it) and a look at an IRQ before its EOI; then
 * come system calls, IRQs, demand-zero page faults, and finally the default:
 * a fault in ring 3 kills the process, one in the kernel ends the run.
 * "From ring 3" is decided by CS.RPL == 3 alone, because a kernel run
 * deprivileged by a monitor sees RPL 1 in its own CS.
 *
 * PIC (8259A datasheet): master at IRQ_BASE, slave at IRQ_BASE + 8, cascade
 * on IRQ2, non-specific EOI. PIT (8254 datasheet): channel 0, mode 2 (rate
 * generator), binary, 1193182 Hz input clock.
 */
#include "kernel.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define PIC_EOI 0x20
#define PIC_READ_ISR 0x0b
#define ICW1_INIT_ICW4 0x11
#define ICW4_8086 0x01

#define PIT_CH0 0x40
#define PIT_CMD 0x43
#define PIT_HZ 1193182u
#define PIT_CH0_LOHI_MODE2 0x34
#define PIT_CH0_LATCH 0x00

volatile uint32_t ticks;
static trap_hook_t hooks[256];
static uint16_t irq_mask_bits = 0xffff & ~(1u << IRQ_CASCADE);
static uint16_t pit_divisor;

static const char *const exc_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
	"#DF", "exc9", "#TS", "#NP", "#SS", "#GP", "#PF", "exc15",
	"#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "exc22", "exc23",
	"exc24", "exc25", "exc26", "exc27", "exc28", "exc29", "exc30", "exc31",
};

void trap_set_hook(int vector, trap_hook_t fn)
{
	hooks[vector] = fn;
}

static void pic_write_masks(void)
{
	outb(PIC1_DATA, irq_mask_bits & 0xff);
	outb(PIC2_DATA, irq_mask_bits >> 8);
}

void irq_unmask(int irq)
{
	irq_mask_bits &= ~(1u << irq);
	pic_write_masks();
}

void irq_mask(int irq)
{
	irq_mask_bits |= 1u << irq;
	pic_write_masks();
}

uint8_t pic_imr_master(void)
{
	return irq_mask_bits & 0xff;
}

static void pic_init(void)
{
	outb(PIC1_CMD, ICW1_INIT_ICW4);
	outb(PIC2_CMD, ICW1_INIT_ICW4);
	outb(PIC1_DATA, IRQ_BASE);
	outb(PIC2_DATA, IRQ_BASE + 8);
	outb(PIC1_DATA, 1u << IRQ_CASCADE);
	outb(PIC2_DATA, IRQ_CASCADE);
	outb(PIC1_DATA, ICW4_8086);
	outb(PIC2_DATA, ICW4_8086);
	pic_write_masks();
}

/* An IRQ7/IRQ15 whose ISR bit is clear was spurious and gets no EOI there. */
static int pic_spurious(int irq)
{
	if (irq == 7) {
		outb(PIC1_CMD, PIC_READ_ISR);
		return !(inb(PIC1_CMD) & 0x80);
	}
	if (irq == 15) {
		outb(PIC2_CMD, PIC_READ_ISR);
		if (!(inb(PIC2_CMD) & 0x80)) {
			outb(PIC1_CMD, PIC_EOI);
			return 1;
		}
	}
	return 0;
}

static void pic_eoi(int irq)
{
	if (irq >= 8)
		outb(PIC2_CMD, PIC_EOI);
	outb(PIC1_CMD, PIC_EOI);
}

void pit_set_hz(uint32_t hz)
{
	uint32_t div = (PIT_HZ + hz / 2) / hz;

	if (div > 0xffff)
		div = 0xffff;
	if (div < 2)
		div = 2;
	pit_divisor = (uint16_t)div;
	outb(PIT_CMD, PIT_CH0_LOHI_MODE2);
	outb(PIT_CH0, div & 0xff);
	outb(PIT_CH0, div >> 8);
}

uint16_t pit_read_count(void)
{
	uint8_t lo, hi;

	outb(PIT_CMD, PIT_CH0_LATCH);
	lo = inb(PIT_CH0);
	hi = inb(PIT_CH0);
	return (uint16_t)(lo | hi << 8);
}

/*
 * Busy-waits until the counter has reloaded n times, i.e. for at least
 * n - 1 whole timer periods, by watching the count rather than the ticks,
 * so it works with interrupts off and takes the same number of periods on
 * any host speed.
 */
void pit_wait_periods(uint32_t n)
{
	uint16_t prev = pit_read_count(), now;

	while (n) {
		now = pit_read_count();
		if (now > prev)
			n--;
		prev = now;
	}
}

void trap_init(void)
{
	pic_init();
	pit_set_hz(DEFAULT_HZ);
	irq_unmask(IRQ_TIMER);
}

static void dump_frame(const struct trapframe *tf)
{
	printk("  eip=0x%08x cs=0x%04x eflags=0x%08x error=0x%x cr2=0x%08x\n",
	       tf->eip, tf->cs & 0xffff, tf->eflags, tf->error, read_cr2());
	printk("  eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x\n",
	       tf->eax, tf->ebx, tf->ecx, tf->edx);
	printk("  esi=0x%08x edi=0x%08x ebp=0x%08x\n", tf->esi, tf->edi, tf->ebp);
}

static void irq(struct trapframe *tf, int n)
{
	if (pic_spurious(n))
		return;
	if (n == IRQ_TIMER)
		ticks++;
	if (hooks[tf->vector])
		hooks[tf->vector](tf);
	pic_eoi(n);
	if (n == IRQ_TIMER && trap_from_user(tf))
		proc_yield();
}

static void fault(struct trapframe *tf)
{
	uint32_t v = tf->vector;

	if (v == X86_EXC_PF && (tf->error & PF_ERR_P) == 0 &&
	    current && vm_demand_zero(current->pgdir, read_cr2()) == 0)
		return;
	if (trap_from_user(tf)) {
		printk("pid %d killed by %s\n", current->pid, exc_names[v]);
		dump_frame(tf);
		proc_exit(PROC_KILLED | (int)v);
	}
	printk("kernel trap %s\n", v < 32 ? exc_names[v] : "?");
	dump_frame(tf);
	panic("kernel trap %u", v);
}

void trap(struct trapframe *tf)
{
	uint32_t v = tf->vector;

	if (current && trap_from_user(tf))
		current->tf = tf;
	if (v < 32 && hooks[v] && hooks[v](tf))
		return;
	if (v == SYSCALL_VECTOR)
		syscall_dispatch(tf);
	else if (v >= IRQ_BASE && v < IRQ_BASE + 16)
		irq(tf, (int)(v - IRQ_BASE));
	else if (v < 32)
		fault(tf);
	else
		panic("unexpected vector %u", v);
}
