/*
 * Runtime of the platform kernels: port and MMIO access, COM1 output,
 * a GDT and an IDT whose vectors all reach one dispatcher, checks, the
 * exit path, and the MP table parser. Register names follow the Intel SDM
 * vol. 3A chapter 10 (local APIC), the 82093AA datasheet (I/O APIC), the
 * 8259A and 8254 datasheets and the MP specification 1.4.
 *
 * Output convention: facts as "topic: value" lines, never timing; one
 * "FAIL what: got X want Y" line per failed check; a summary line; the
 * exit value (0: every check passed) goes to isa-debug-exit at 0xf4.
 */
#ifndef PLATFORM_PLAT_H
#define PLATFORM_PLAT_H

#include <stdarg.h>

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define EFLAGS_IF	0x200
#define CPUID_APIC	(1u << 9)
#define MSR_IA32_APIC_BASE 0x1b

/* Local APIC registers (offsets from 0xfee00000). */
#define LAPIC_ADDR	0xfee00000u
#define APIC_ID		0x020
#define APIC_VER	0x030
#define APIC_TPR	0x080
#define APIC_PPR	0x0a0
#define APIC_EOI	0x0b0
#define APIC_LDR	0x0d0
#define APIC_DFR	0x0e0
#define APIC_SVR	0x0f0
#define APIC_ISR	0x100
#define APIC_TMR	0x180
#define APIC_IRR	0x200
#define APIC_ESR	0x280
#define APIC_ICR_LO	0x300
#define APIC_ICR_HI	0x310
#define APIC_LVT_TIMER	0x320
#define APIC_LVT_LINT0	0x350
#define APIC_LVT_LINT1	0x360
#define APIC_LVT_ERROR	0x370
#define APIC_TMICT	0x380
#define APIC_TMCCT	0x390
#define APIC_TDCR	0x3e0
#define APIC_SVR_ENABLE	0x100
#define LVT_MASKED	0x10000
#define LVT_PERIODIC	0x20000
#define LVT_EXTINT	0x700
#define ICR_DS		0x1000
#define ICR_ASSERT	0x4000
#define ICR_LEVEL	0x8000
#define ICR_INIT	0x500
#define ICR_STARTUP	0x600
#define ICR_SELF	(1u << 18)

/* I/O APIC registers. */
#define IOAPICID	0x00
#define IOAPICVER	0x01
#define IOAPICARB	0x02
#define IOREDTBL	0x10
#define IOART_LEVEL	0x8000
#define IOART_REM_IRR	0x4000
#define IOART_MASKED	0x10000

/* 8259A, 8254, COM1, IDE. */
#define PIC1		0x20
#define PIC2		0xa0
#define PIT_CH0		0x40
#define PIT_CMD		0x43
#define COM1		0x3f8
#define IDE_DATA	0x1f0

static inline void outb(u16 port, u8 v) { asm volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(u16 port, u16 v) { asm volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port)
{
	u8 v;
	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline u16 inw(u16 port)
{
	u16 v;
	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
/* A pointer to physical memory gcc cannot reason about (the BDA at 0x400
 * would otherwise look like a null-pointer access to it). */
static inline const void *phys_ptr(u32 addr)
{
	const void *p = (const void *)addr;

	asm("" : "+r"(p));
	return p;
}

static inline u32 mmio_rd(u32 addr) { return *(volatile u32 *)addr; }
static inline void mmio_wr(u32 addr, u32 v) { *(volatile u32 *)addr = v; }
static inline void cli(void) { asm volatile("cli" : : : "memory"); }
static inline void sti(void) { asm volatile("sti" : : : "memory"); }
/* STI's one-instruction shadow covers HLT: no wake-up is lost in between. */
static inline void sti_hlt(void) { asm volatile("sti; hlt; cli" : : : "memory"); }

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (u64)hi << 32 | lo;
}

static inline void cpuid(u32 leaf, u32 r[4])
{
	asm volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

static inline u32 lapic_rd(u32 reg) { return mmio_rd(LAPIC_ADDR + reg); }
static inline void lapic_wr(u32 reg, u32 v) { mmio_wr(LAPIC_ADDR + reg, v); }

/* lib.c */
void plat_printf(const char *fmt, ...);
void plat_vprintf(const char *fmt, va_list ap);
void plat_setup(void);
int plat_check(const char *what, u32 got, u32 want);
void __attribute__((noreturn)) plat_done(const char *name);
/* Spins until *flag reaches want, sleeping in HLT when interrupts may come;
 * 0 on success, -1 (and a FAIL line) when the bound runs out. */
int plat_wait(volatile u32 *flag, u32 want, const char *what, int sleep);
int plat_cmdline_has(const char *word);

/* One vector's handler: receives the vector number. */
typedef void (*plat_handler)(u32 vector);
void plat_set_handler(u32 vector, plat_handler h);
extern volatile u32 plat_unexpected;

extern u32 plat_mbi;

/* mp.c: the MP tables as a kernel needs them. */
struct plat_mp {
	u32 ioapic_addr;
	u8 ioapic_id;
	int isa_pin[16];	/* I/O APIC pin of each ISA IRQ, -1 if unlisted */
	u8 imcrp;
	int ncpus;
};
int plat_mp_parse(struct plat_mp *mp);

static inline u32 ioapic_rd(const struct plat_mp *mp, u32 reg)
{
	mmio_wr(mp->ioapic_addr, reg);
	return mmio_rd(mp->ioapic_addr + 0x10);
}

static inline void ioapic_wr(const struct plat_mp *mp, u32 reg, u32 v)
{
	mmio_wr(mp->ioapic_addr, reg);
	mmio_wr(mp->ioapic_addr + 0x10, v);
}

#endif
