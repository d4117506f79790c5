/*
 * CPU construction, EFLAGS assembly, CPL bookkeeping, counters and the
 * state dump. The EFLAGS bits a P6 implements (SDM vol. 1 3.4.3): all of
 * bits 0-21 but the reserved 1 (reads 1), 3, 5 and 15 (read 0).
 */
#include <stddef.h>
#include <stdlib.h>

#include "core/cpu/code.h"
#include "core/cpu/exec.h"
#include "core/cpu/seg.h"
#include "core/cpu/emu.h"

#define EFLAGS_WRITABLE (EFLAGS_ARITH | EFLAGS_TF | EFLAGS_IF | EFLAGS_DF | EFLAGS_IOPL | \
			 EFLAGS_NT | EFLAGS_RF | EFLAGS_VM | EFLAGS_AC | EFLAGS_VIF |      \
			 EFLAGS_VIP | EFLAGS_ID)

const struct ctr_desc cpu_counter_descs[] = {
#define CTR(name, unit, desc) { #name, unit, desc, offsetof(struct cpu_counters, name) },
#include "core/cpu/cpu_counters.def"
#undef CTR
	{ 0, 0, 0, 0 },
};

const char *const cpu_sensitive_names[SENS_COUNT] = {
	[SENS_POPF] = "POPF", [SENS_PUSHF] = "PUSHF", [SENS_MOV_FROM_SEG] = "MOV_FROM_SEG",
	[SENS_PUSH_SEG] = "PUSH_SEG", [SENS_SGDT] = "SGDT", [SENS_SIDT] = "SIDT",
	[SENS_SLDT] = "SLDT", [SENS_STR] = "STR", [SENS_SMSW] = "SMSW", [SENS_LAR] = "LAR",
	[SENS_LSL] = "LSL", [SENS_VERR] = "VERR", [SENS_VERW] = "VERW", [SENS_IRET] = "IRET",
};

const uint8_t parity_even[256] = {
#define P2(n) n, n ^ 1, n ^ 1, n
#define P4(n) P2(n), P2(n ^ 1), P2(n ^ 1), P2(n)
#define P6(n) P4(n), P4(n ^ 1), P4(n ^ 1), P4(n)
	P6(1), P6(0), P6(0), P6(1)
#undef P2
#undef P4
#undef P6
};

uint32_t lf_to_eflags(const struct cpu *c)
{
	return (get_cf(c) ? EFLAGS_CF : 0) | (get_pf(c) ? EFLAGS_PF : 0) |
	       (get_af(c) ? EFLAGS_AF : 0) | (get_zf(c) ? EFLAGS_ZF : 0) |
	       (get_sf(c) ? EFLAGS_SF : 0) | (get_of(c) ? EFLAGS_OF : 0);
}

void lf_from_eflags(struct cpu *c, uint32_t f)
{
	unsigned cf = !!(f & EFLAGS_CF), of = !!(f & EFLAGS_OF), sf = !!(f & EFLAGS_SF);
	unsigned pf = !!(f & EFLAGS_PF);
	uint32_t res = (f & EFLAGS_ZF) ? 0 : 1;

	c->lf_res = res;
	c->lf_aux = (cf ? LF_CF : 0) | ((cf ^ of) ? LF_PO : 0) | ((f & EFLAGS_AF) ? LF_AF : 0) |
		    ((uint32_t)sf << 16) | ((uint32_t)(parity_even[res] != pf) << 8);
}

uint32_t cpu_get_eflags(const struct cpu *c)
{
	return (c->eflags & ~EFLAGS_ARITH) | lf_to_eflags(c) | EFLAGS_FIXED;
}

void cpu_set_eflags(struct cpu *c, uint32_t v)
{
	uint32_t old = c->eflags;

	c->eflags = (v & EFLAGS_WRITABLE & ~EFLAGS_ARITH) | EFLAGS_FIXED;
	lf_from_eflags(c, v);
	/* Newly enabled interrupts or single-stepping: look at events. */
	if ((c->eflags & ~old) & (EFLAGS_IF | EFLAGS_TF))
		cpu_kick(c);
}

void cpu_sync_counters(struct cpu *c)
{
	uint64_t *by_cpl = &c->ctr.insns_cpl0;

	by_cpl[c->cpl] += c->insns - c->insns_at_cpl_switch;
	c->insns_at_cpl_switch = c->insns;
}

void cpu_set_cpl(struct cpu *c, unsigned cpl)
{
	if (cpl == c->cpl)
		return;
	cpu_sync_counters(c);
	c->cpl = cpl;
	c->stlb = c->stlb_tab[cpl == 3];
	c->chain_epoch++;
}

uint64_t cpu_tsc(const struct cpu *c)
{
	return clock_now(c->clock) + c->tsc_offset;
}

void cpu_default_config(struct cpu_config *cfg)
{
	*cfg = (struct cpu_config){
		.tlb = { .dtlb_entries = 64, .dtlb_ways = 4, .dtlb4m_entries = 8,
			 .dtlb4m_ways = 4, .itlb_entries = 32, .itlb_ways = 4,
			 .itlb4m_entries = 2, .itlb4m_ways = 2 },
	};
}

static void phys_written(void *opaque, uint32_t pa, uint32_t len)
{
	code_invalidate_range(opaque, pa, len);
}

struct cpu *cpu_new(struct phys *phys, struct clock *clock, const struct cpu_config *cfg,
		    char *err, size_t errlen)
{
	struct cpu *c = calloc(1, sizeof(*c));
	const struct cpu_tlb_config *t = &cfg->tlb;

	if (!c) {
		snprintf(err, errlen, "out of memory for the CPU");
		return NULL;
	}
	decode_init();
	c->cfg = *cfg;
	c->sens_fault_cpls = cfg->isa_virtualizable ? 0xe : 0;
	c->phys = phys;
	c->ram_limit = phys->size;
	c->clock = clock;
	clock->insns = &c->insns;
	if (tlb_model_init(&c->dtlb, t->dtlb_entries, t->dtlb_ways, 12) ||
	    tlb_model_init(&c->dtlb4m, t->dtlb4m_entries, t->dtlb4m_ways, 22) ||
	    tlb_model_init(&c->itlb, t->itlb_entries, t->itlb_ways, 12) ||
	    tlb_model_init(&c->itlb4m, t->itlb4m_entries, t->itlb4m_ways, 22)) {
		snprintf(err, errlen, "bad TLB geometry: entries must be a multiple of ways");
		cpu_free(c);
		return NULL;
	}
	c->cc = code_cache_new(phys->size, 32u << 20);
	if (!c->cc) {
		snprintf(err, errlen, "out of memory for the decoded-code cache");
		cpu_free(c);
		return NULL;
	}
	phys->written = phys_written;
	phys->written_opaque = c;
	mem_init_tlbs(c);
	cpu_reset(c);
	return c;
}

void cpu_free(struct cpu *c)
{
	if (!c)
		return;
	tlb_model_free(&c->dtlb);
	tlb_model_free(&c->dtlb4m);
	tlb_model_free(&c->itlb);
	tlb_model_free(&c->itlb4m);
	code_cache_free(c->cc);
	free(c);
}

void cpu_reset(struct cpu *c)
{
	memset(c->r, 0, sizeof(c->r));
	c->eip = 0;
	cpu_set_eflags(c, 0);
	c->cr0 = CR0_ET;
	c->cr2 = c->cr3 = c->cr4 = 0;
	memset(c->dr, 0, sizeof(c->dr));
	c->dr[6] = 0xffff0ff0u;
	c->dr[7] = 0x400;
	c->apic_base = APIC_BASE_DEFAULT | APIC_BASE_BSP | APIC_BASE_EN;
	for (unsigned s = 0; s < SEG_COUNT; s++)
		seg_fill_null(&c->seg[s], 0);
	c->gdtr = c->idtr = (struct dtr){ 0, 0xffff };
	c->cpl = 0;
	c->stlb = c->stlb_tab[0];
	c->delivering = -1;
	c->halted = false;
	c->intr_line = false;
	c->stop = CPU_RUNNING;
	stlb_flush_all(c);
	mmu_flush(c, false);
	c->ctr.tlb_flushes = 0;
}

static void dump_seg(FILE *f, const char *name, const struct seg *s)
{
	fprintf(f, "  %-4s %04x base=%08x limit=%08x attr=%04x (dpl %u%s%s)\n", name, s->sel,
		s->base, s->limit, s->attr, DESC_DPL(s->attr), (s->attr & DESC_P) ? "" : ", not present",
		(s->attr & DESC_DB) ? ", 32-bit" : "");
}

void cpu_dump(const struct cpu *c, FILE *f)
{
	static const char *const rn[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
	static const char *const sn[SEG_COUNT] = { "es", "cs", "ss", "ds", "fs", "gs", "ldtr", "tr" };

	fprintf(f, "  eip=%08x eflags=%08x cpl=%u insns=%llu%s\n", c->eip, cpu_get_eflags(c), c->cpl,
		(unsigned long long)c->insns, c->halted ? " halted" : "");
	for (int r = 0; r < 8; r++)
		fprintf(f, "%s%s=%08x%s", r % 4 ? " " : "  ", rn[r], c->r[r], r % 4 == 3 ? "\n" : "");
	for (int s = 0; s < SEG_COUNT; s++)
		dump_seg(f, sn[s], &c->seg[s]);
	fprintf(f, "  gdtr=%08x/%04x idtr=%08x/%04x\n", c->gdtr.base, c->gdtr.limit, c->idtr.base,
		c->idtr.limit);
	fprintf(f, "  cr0=%08x cr2=%08x cr3=%08x cr4=%08x\n", c->cr0, c->cr2, c->cr3, c->cr4);
}

void cpu_load_seg(struct cpu *c, unsigned sreg, uint16_t sel, uint32_t lo, uint32_t hi)
{
	seg_fill(&c->seg[sreg], sel, (struct desc){ lo, hi });
}

void cpu_set_privilege(struct cpu *c, unsigned cpl)
{
	cpu_set_cpl(c, cpl);
}

void cpu_write_cr3(struct cpu *c, uint32_t v)
{
	c->cr3 = v & (PAGE_MASK | PTE_PWT | PTE_PCD);
	mmu_flush(c, c->cr4 & CR4_PGE);
}

void cpu_write_cr0(struct cpu *c, uint32_t v)
{
	uint32_t old = c->cr0;

	c->cr0 = v | CR0_ET;
	if ((old ^ c->cr0) & CR0_PG)
		mmu_flush(c, false);
	if ((old ^ c->cr0) & (CR0_PG | CR0_WP))
		stlb_flush_all(c);
}

void cpu_write_cr4(struct cpu *c, uint32_t v)
{
	uint32_t old = c->cr4;

	c->cr4 = v;
	if ((old ^ v) & (CR4_PSE | CR4_PGE))
		mmu_flush(c, false);
}

void cpu_invlpg(struct cpu *c, uint32_t lin)
{
	mmu_invlpg(c, lin);
}
