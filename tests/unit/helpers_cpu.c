/* The bare test machine; see helpers_cpu.h. */
#include "tests/unit/helpers_cpu.h"

#include <stdlib.h>
#include <string.h>

#include "core/cpu/seg.h"

static bool on_event(void *opaque, struct cpu *c, const struct cpu_event *ev)
{
	struct tm *m = opaque;

	if (m->nevents++ == 0) {
		m->ev = *ev;
		m->ev_cr2 = c->cr2;
	}
	if (m->deliver)
		return false;
	cpu_request_stop(c, CPU_STOP_REQUESTED, "test event");
	return true;
}

void tm_set_desc(struct tm *m, unsigned index, uint32_t base, uint32_t limit, unsigned attr)
{
	uint32_t lo = (limit & 0xffff) | (base << 16);
	uint32_t hi = ((base >> 16) & 0xff) | (base & 0xff000000u) | (limit & 0xf0000) |
		      ((attr & 0xff) << 8) | ((attr & 0xf000) << 8);
	tm_wr32(m, TM_GDT + index * 8, lo);
	tm_wr32(m, TM_GDT + index * 8 + 4, hi);
}

void tm_set_gate(struct tm *m, unsigned vec, unsigned type, uint16_t sel, uint32_t off,
		 unsigned dpl)
{
	tm_wr32(m, TM_IDT + vec * 8, (off & 0xffff) | ((uint32_t)sel << 16));
	tm_wr32(m, TM_IDT + vec * 8 + 4, (off & 0xffff0000u) | DESC_P << 8 | dpl << 13 | type << 8);
}

static void load(struct cpu *c, unsigned s, uint16_t sel)
{
	struct desc d;
	desc_fetch(c, sel, &d);
	seg_fill(&c->seg[s], sel, d);
}

struct tm *tm_new(void)
{
	struct tm *m = calloc(1, sizeof(*m));
	struct cpu_config cfg;
	char err[160];

	if (phys_init(&m->phys, TM_RAM, 0, err, sizeof(err)))
		abort();
	clock_init(&m->clock, NULL);
	cpu_default_config(&cfg);
	m->cpu = cpu_new(&m->phys, &m->clock, &cfg, err, sizeof(err));
	if (!m->cpu)
		abort();
	/* G=1, D=1, P=1, S=1: flat 4 GiB segments. */
	tm_set_desc(m, 1, 0, 0xfffff, 0xc09a);
	tm_set_desc(m, 2, 0, 0xfffff, 0xc092);
	tm_set_desc(m, 3, 0, 0xfffff, 0xc0fa);
	tm_set_desc(m, 4, 0, 0xfffff, 0xc0f2);
	tm_set_desc(m, 5, TM_TSS_BASE, 0x67, 0x0089);
	tm_wr32(m, TM_TSS_BASE + 4, TM_STACK0);
	tm_wr32(m, TM_TSS_BASE + 8, TM_DS0);
	tm_wr32(m, TM_TSS_BASE + 0x64, 0x68u << 16);	/* no I/O bitmap */

	struct cpu *c = m->cpu;
	c->cr0 = CR0_PE | CR0_ET;
	c->gdtr = (struct dtr){ TM_GDT, 6 * 8 - 1 };
	c->idtr = (struct dtr){ TM_IDT, 256 * 8 - 1 };
	load(c, SEG_CS, TM_CS0);
	for (unsigned s = 0; s < 6; s++)
		if (s != SEG_CS)
			load(c, s, TM_DS0);
	load(c, SEG_TR, TM_TSS);
	c->seg[SEG_TR].attr |= 2;	/* busy */
	c->r[REG_ESP] = TM_STACK0 - 0x1000;
	c->hooks.event = on_event;
	c->hooks.monitor = m;
	return m;
}

void tm_free(struct tm *m)
{
	cpu_free(m->cpu);
	phys_free(&m->phys);
	free(m);
}

enum cpu_stop tm_run(struct tm *m, const void *code, size_t len, uint64_t budget)
{
	phys_dma_write(&m->phys, TM_CODE, code, (uint32_t)len);
	m->cpu->eip = TM_CODE;
	m->cpu->halted = false;
	return cpu_run(m->cpu, budget);
}
