/*
 * A bare test machine for CPU unit tests: 4 MiB of RAM, flat 32-bit
 * protected mode at CPL 0, no devices. A GDT at TM_GDT holds ring-0 and
 * ring-3 flat code/data segments (TM_CS0, TM_DS0, TM_CS3, TM_DS3) and a
 * TSS (TM_TSS) whose ring-0 stack is TM_STACK0; the IDT at TM_IDT is empty
 * unless a test installs gates. Every event (exception, interrupt, INT n)
 * is recorded and stops the run, unless tm.deliver is set, in which case
 * the CPU delivers it through the IDT.
 */
#ifndef TESTS_HELPERS_CPU_H
#define TESTS_HELPERS_CPU_H

#include "core/cpu/cpu.h"
#include "core/dev/clock.h"
#include "core/mmu/phys.h"

#define TM_RAM (4u << 20)
#define TM_GDT 0x1000u
#define TM_IDT 0x2000u
#define TM_TSS_BASE 0x3000u
#define TM_CODE 0x10000u
#define TM_DATA 0x20000u
#define TM_STACK0 0x80000u
#define TM_CS0 0x08
#define TM_DS0 0x10
#define TM_CS3 0x1b
#define TM_DS3 0x23
#define TM_TSS 0x28

struct tm {
	struct phys phys;
	struct clock clock;
	struct cpu *cpu;
	bool deliver;			/* deliver events through the IDT */
	int nevents;
	struct cpu_event ev;		/* the first event seen */
	uint32_t ev_cr2;
	uint8_t out_port_last;
};

struct tm *tm_new(void);
void tm_free(struct tm *m);

/* Copies code to TM_CODE, sets EIP there, runs until the CPU stops (HLT
 * with IF = 0 ends the run) or `budget` instructions. */
enum cpu_stop tm_run(struct tm *m, const void *code, size_t len, uint64_t budget);

/* Writes an interrupt (type 14) or trap (type 15) gate. */
void tm_set_gate(struct tm *m, unsigned vec, unsigned type, uint16_t sel, uint32_t off,
		 unsigned dpl);
/* Writes a GDT entry. */
void tm_set_desc(struct tm *m, unsigned index, uint32_t base, uint32_t limit, unsigned attr);

static inline uint32_t tm_rd32(struct tm *m, uint32_t pa)
{
	uint32_t v;
	__builtin_memcpy(&v, m->phys.ram + pa, 4);
	return v;
}

static inline void tm_wr32(struct tm *m, uint32_t pa, uint32_t v)
{
	__builtin_memcpy(m->phys.ram + pa, &v, 4);
}

#endif
