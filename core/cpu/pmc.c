/*
 * The P6 family's two performance counters (SDM vol. 3B 19.6/20.6, P6
 * family performance monitoring): PerfEvtSel0/1 (MSRs 0x186/0x187),
 * PerfCtr0/1 (MSRs 0xC1/0xC2, 40 bits; a write sets the low 32 bits and
 * sign-extends bit 31), RDPMC (ECX = 0 or 1; #GP at CPL > 0 unless
 * CR4.PCE). The EN bit of PerfEvtSel0 enables both counters. Two events
 * are counted, exactly, from the per-CPL retired-instruction counts:
 * INST_RETIRED (0xC0) and CPU_CLK_UNHALTED (0x79, equal to it in this
 * machine's CPI-1 model time); USR and OS select CPL 3 and CPL 0-2. Any
 * other event counts nothing.
 */
#include "core/cpu/decode.h"
#include "core/cpu/exec.h"

#define MSR_PERFCTR0 0xc1u
#define MSR_PERFEVTSEL0 0x186u
#define SEL_USR (1u << 16)
#define SEL_OS (1u << 17)
#define SEL_EN (1u << 22)
#define EV_INST_RETIRED 0xc0u
#define EV_CPU_CLK_UNHALTED 0x79u
#define CTR_MASK 0xffffffffffull

static uint64_t counted(struct cpu *c, unsigned n)
{
	uint32_t sel = c->perfevtsel[n];
	unsigned ev = sel & 0xff;
	const uint64_t *by_cpl = &c->ctr.insns_cpl0;
	uint64_t v = 0;

	if (!(c->perfevtsel[0] & SEL_EN) || (ev != EV_INST_RETIRED && ev != EV_CPU_CLK_UNHALTED))
		return 0;
	cpu_sync_counters(c);
	for (unsigned cpl = 0; cpl < 4; cpl++)
		if (sel & (cpl == 3 ? SEL_USR : SEL_OS))
			v += by_cpl[cpl] - c->perf_base[n][cpl];
	return v;
}

static uint64_t pmc_value(struct cpu *c, unsigned n)
{
	return (c->perfctr[n] + counted(c, n)) & CTR_MASK;
}

/* Folds what was counted into the counter and restarts from now. */
static void pmc_rebase(struct cpu *c, unsigned n)
{
	c->perfctr[n] = pmc_value(c, n);
	cpu_sync_counters(c);
	for (unsigned cpl = 0; cpl < 4; cpl++)
		c->perf_base[n][cpl] = (&c->ctr.insns_cpl0)[cpl];
}

bool pmc_msr_read(struct cpu *c, uint32_t msr, uint64_t *v)
{
	if (msr - MSR_PERFCTR0 < 2) {
		*v = pmc_value(c, msr - MSR_PERFCTR0);
		return true;
	}
	if (msr - MSR_PERFEVTSEL0 < 2) {
		*v = c->perfevtsel[msr - MSR_PERFEVTSEL0];
		return true;
	}
	return false;
}

bool pmc_msr_write(struct cpu *c, uint32_t msr, uint64_t v)
{
	if (msr - MSR_PERFCTR0 < 2) {
		unsigned n = msr - MSR_PERFCTR0;
		pmc_rebase(c, n);
		c->perfctr[n] = (uint64_t)(int64_t)(int32_t)(uint32_t)v & CTR_MASK;
		return true;
	}
	if (msr - MSR_PERFEVTSEL0 < 2) {
		if (v >> 32)
			return false;
		/* EN lives in PerfEvtSel0 and gates both counters. */
		pmc_rebase(c, 0);
		pmc_rebase(c, 1);
		c->perfevtsel[msr - MSR_PERFEVTSEL0] = (uint32_t)v;
		return true;
	}
	return false;
}

static void rdpmc(struct cpu *c, const struct insn *i)
{
	uint32_t n = c->r[REG_ECX];

	if ((c->cpl > 0 && !(c->cr4 & CR4_PCE)) || n > 1)
		cpu_fault_gp0(c);
	uint64_t v = pmc_value(c, n);
	c->r[REG_EAX] = (uint32_t)v;
	c->r[REG_EDX] = (uint32_t)(v >> 32);
	NEXT(c, i);
}

bool bind_rdpmc(struct insn *i, const struct dec *d, unsigned arg)
{
	i->fn = rdpmc;
	return true;
}
