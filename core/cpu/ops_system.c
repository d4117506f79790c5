/*
 * System instructions (SDM vol. 2 and vol. 3A 2.7-2.8): CLI, STI, HLT, IN,
 * OUT, MOV to/from CR0-CR4 and DR0-DR7, LGDT, LIDT, SGDT, SIDT, LLDT,
 * SLDT, LTR, STR, LMSW, SMSW, CLTS, INVLPG, INVD, WBINVD, CPUID, RDTSC,
 * RDMSR, WRMSR.
 *
 * CPL-0-only instructions raise #GP(0) elsewhere; SGDT, SIDT, SLDT, STR
 * and SMSW run at any CPL (they are sensitive but not privileged on x86:
 * on the virtualizable ISA variant they trap). I/O at CPL > IOPL consults
 * the TSS I/O permission bitmap (vol. 1 18.5.2).
 *
 * The CPU identifies as a P6-class "GenuineIntel" family 6 model 3 part
 * and reports only what is modelled: DE, PSE, TSC, MSR, CX8, PGE, CMOV (and
 * APIC when the platform has a local APIC); no FPU, VME, PAE, SEP, MTRR,
 * MMX, FXSR or SSE. Leaves above the maximum return the highest basic leaf,
 * as the SDM specifies. Debug registers hold their values but no
 * breakpoint is modelled. RDPMC and the counters are in pmc.c.
 */
#include "core/cpu/code.h"
#include "core/cpu/decode.h"
#include "core/cpu/seg.h"

#define CPUID_FEATURES 0x0000a13cu	/* DE PSE TSC MSR CX8 PGE CMOV */
#define CPUID_APIC (1u << 9)
#define CR4_SUPPORTED (CR4_TSD | CR4_DE | CR4_PSE | CR4_MCE | CR4_PGE | CR4_PCE)

static inline void cpl0(struct cpu *c)
{
	if (c->cpl != 0)
		cpu_fault_gp0(c);
}

static inline unsigned iopl(const struct cpu *c)
{
	return (c->eflags & EFLAGS_IOPL) >> EFLAGS_IOPL_SHIFT;
}

/* ---- interrupts, HLT ---- */

static void cli(struct cpu *c, const struct insn *i)
{
	if (c->cpl > iopl(c))
		cpu_fault_gp0(c);
	c->eflags &= ~EFLAGS_IF;
	NEXT(c, i);
}

static void sti(struct cpu *c, const struct insn *i)
{
	if (c->cpl > iopl(c))
		cpu_fault_gp0(c);
	if (!(c->eflags & EFLAGS_IF)) {
		c->eflags |= EFLAGS_IF;
		c->shadow_until = c->insns + 2;
		cpu_kick(c);
	}
	NEXT(c, i);
}

static void hlt(struct cpu *c, const struct insn *i)
{
	cpl0(c);
	if (intercepted(c, ICPT_HLT, i))
		return;
	c->ctr.halts++;
	c->halted = true;
	c->halt_ns = 0;
	NEXT(c, i);
	cpu_kick(c);
}

/* ---- port I/O ---- */

void io_check(struct cpu *c, uint16_t port, unsigned size)
{
	const struct seg *tr = &c->seg[SEG_TR];

	if (c->cpl <= iopl(c))
		return;
	if ((tr->attr & DESC_TYPE_MASK) != SYS_TSS32_BUSY || tr->limit < 0x67)
		cpu_fault_gp0(c);
	uint32_t map = sys_read(c, tr->base + 0x66, 2) + port / 8u;
	if (map + 1 > tr->limit)
		cpu_fault_gp0(c);
	uint32_t bits = sys_read(c, tr->base + map, 2);
	if ((bits >> (port & 7)) & ((1u << size) - 1))
		cpu_fault_gp0(c);
}

uint32_t io_in(struct cpu *c, uint16_t port, unsigned size)
{
	c->ctr.io_reads++;
	cpu_kick(c);
	return c->hooks.pio_read ? c->hooks.pio_read(c->hooks.platform, port, size)
				 : 0xffffffffu >> (32 - 8 * size);
}

void io_out(struct cpu *c, uint16_t port, unsigned size, uint32_t v)
{
	c->ctr.io_writes++;
	if (c->hooks.pio_write)
		c->hooks.pio_write(c->hooks.platform, port, size, v);
	cpu_kick(c);
}

/* i->op: 1 when the port is in DX; r0/size from the operands. */
static void in_(struct cpu *c, const struct insn *i)
{
	uint16_t port = i->op ? (uint16_t)c->r[REG_EDX] : (uint16_t)i->imm;

	io_check(c, port, i->opsz);
	c->icpt_elems = 1;
	if (intercepted(c, ICPT_IO, i))
		return;
	reg_set(c, REG_EAX, i->opsz, io_in(c, port, i->opsz));
	NEXT(c, i);
}

static void out_(struct cpu *c, const struct insn *i)
{
	uint16_t port = i->op ? (uint16_t)c->r[REG_EDX] : (uint16_t)i->imm;

	io_check(c, port, i->opsz);
	c->icpt_elems = 1;
	if (intercepted(c, ICPT_IO, i))
		return;
	io_out(c, port, i->opsz, reg_get(c, REG_EAX, i->opsz));
	NEXT(c, i);
}

static bool bind_io(struct insn *i, const struct dec *d, unsigned is_out)
{
	unsigned data = is_out ? 1 : 0, port = is_out ? 0 : 1;

	i->opsz = d->size[data];
	i->op = d->kind[port] == OK_REG;
	i->fn = is_out ? out_ : in_;
	return d->kind[data] == OK_REG;
}

/* ---- control and debug registers ---- */

static void cr_write(struct cpu *c, unsigned n, uint32_t v)
{
	uint32_t old;

	switch (n) {
	case 0:
		v |= CR0_ET;
		if (!(v & CR0_PE)) {
			char msg[96];
			snprintf(msg, sizeof(msg), "CR0.PE cleared at EIP %#x: real mode is not modelled",
				 c->eip);
			cpu_request_stop(c, CPU_STOP_UNSUPPORTED, msg);
			return;
		}
		if ((v & CR0_NW) && !(v & CR0_CD))
			cpu_fault_gp0(c);
		old = c->cr0;
		c->cr0 = v & (CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP |
			      CR0_AM | CR0_NW | CR0_CD | CR0_PG);
		if ((old ^ c->cr0) & CR0_PG)
			mmu_flush(c, false);
		if ((old ^ c->cr0) & (CR0_PG | CR0_WP))
			stlb_flush_all(c);
		break;
	case 2:
		c->cr2 = v;
		break;
	case 3:
		c->cr3 = v & (PAGE_MASK | PTE_PWT | PTE_PCD);
		mmu_flush(c, c->cr4 & CR4_PGE);
		break;
	case 4:
		if (v & ~CR4_SUPPORTED)
			cpu_fault_gp0(c);
		old = c->cr4;
		c->cr4 = v;
		if ((old ^ v) & (CR4_PSE | CR4_PGE))
			mmu_flush(c, false);
		break;
	default:
		cpu_fault_ud(c);
	}
}

static uint32_t cr_read(struct cpu *c, unsigned n)
{
	switch (n) {
	case 0: return c->cr0;
	case 2: return c->cr2;
	case 3: return c->cr3;
	case 4: return c->cr4;
	default: cpu_fault_ud(c);
	}
}

static unsigned dr_index(struct cpu *c, unsigned n)
{
	if (n == 4 || n == 5) {
		if (c->cr4 & CR4_DE)
			cpu_fault_ud(c);
		return n + 2;
	}
	return n;
}

/* i->op: register number; imm2: 1 for a debug register; r0/r1: the GPR. */
static void mov_to_cr(struct cpu *c, const struct insn *i)
{
	cpl0(c);
	if (intercepted(c, ICPT_CR_WRITE, i))
		return;
	if (i->imm2) {
		unsigned n = dr_index(c, i->op);
		c->dr[n] = n == 6 ? (c->r[i->r1] | 0xffff0ff0u) : c->r[i->r1];
	} else {
		cr_write(c, i->op, c->r[i->r1]);
	}
	NEXT(c, i);
}

static void mov_from_cr(struct cpu *c, const struct insn *i)
{
	cpl0(c);
	if (intercepted(c, ICPT_CR_READ, i))
		return;
	c->r[i->r0] = i->imm2 ? c->dr[dr_index(c, i->op)] : cr_read(c, i->op);
	NEXT(c, i);
}

bool bind_mov_cr(struct insn *i, const struct dec *d, unsigned arg)
{
	if ((d->kind[0] == OK_CR || d->kind[0] == OK_DR) && d->kind[1] == OK_REG) {
		i->op = d->reg[0];
		i->imm2 = d->kind[0] == OK_DR;
		i->fn = mov_to_cr;
		return true;
	}
	if ((d->kind[1] == OK_CR || d->kind[1] == OK_DR) && d->kind[0] == OK_REG) {
		i->op = d->reg[1];
		i->imm2 = d->kind[1] == OK_DR;
		i->fn = mov_from_cr;
		return true;
	}
	return false;
}

static void lmsw(struct cpu *c, const struct insn *i)
{
	cpl0(c);
	uint32_t v = (i->flags & INSN_MEM) ? op_read(c, i, 2) : c->r[i->r0];
	if (intercepted(c, ICPT_CR_WRITE, i))
		return;
	/* LMSW sets PE but never clears it, and touches only MP, EM, TS. */
	c->cr0 = (c->cr0 & ~0xeu) | (v & 0xfu) | (c->cr0 & CR0_PE);
	NEXT(c, i);
}

static void smsw(struct cpu *c, const struct insn *i)
{
	sensitive_trap(c);
	if (i->flags & INSN_MEM)
		op_write(c, i, 2, c->cr0);
	else
		reg_set(c, i->r0, i->opsz, c->cr0);
	sensitive_seen(c, SENS_SMSW, 0);
	NEXT(c, i);
}

static void clts(struct cpu *c, const struct insn *i)
{
	cpl0(c);
	if (intercepted(c, ICPT_CR_WRITE, i))
		return;
	c->cr0 &= ~CR0_TS;
	NEXT(c, i);
}

/* ---- descriptor tables ---- */

static void lgdt_lidt(struct cpu *c, const struct insn *i)
{
	cpl0(c);
	uint32_t a = ea(c, i);
	uint16_t limit = (uint16_t)mread(c, i->seg, a, 2);
	uint32_t base = mread(c, i->seg, a + 2, 4);
	if (intercepted(c, ICPT_DT, i))
		return;
	if (i->opsz == 2)
		base &= 0xffffff;
	*(i->op ? &c->idtr : &c->gdtr) = (struct dtr){ base, limit };
	NEXT(c, i);
}

static void sgdt_sidt(struct cpu *c, const struct insn *i)
{
	const struct dtr *t = i->op ? &c->idtr : &c->gdtr;
	uint32_t a = ea(c, i);

	sensitive_trap(c);
	seg_lin(c, i->seg, a, 6, true);
	mwrite(c, i->seg, a, 2, t->limit);
	mwrite(c, i->seg, a + 2, 4, i->opsz == 2 ? t->base & 0xffffff : t->base);
	sensitive_seen(c, i->op ? SENS_SIDT : SENS_SGDT, 0);
	NEXT(c, i);
}

static uint16_t sel_operand(struct cpu *c, const struct insn *i)
{
	return (uint16_t)((i->flags & INSN_MEM) ? op_read(c, i, 2) : c->r[i->r0]);
}

static void lldt(struct cpu *c, const struct insn *i)
{
	struct desc d;

	cpl0(c);
	uint16_t sel = sel_operand(c, i);
	if (intercepted(c, ICPT_DT, i))
		return;
	if ((sel & ~3u) == 0) {
		seg_fill_null(&c->seg[SEG_LDTR], sel);
		NEXT(c, i);
		return;
	}
	if ((sel & SEL_TI) || !desc_fetch(c, sel, &d))
		cpu_fault(c, X86_EXC_GP, sel & 0xfffc);
	unsigned a = desc_attr(d);
	if ((a & DESC_S) || (a & DESC_TYPE_MASK) != SYS_LDT)
		cpu_fault(c, X86_EXC_GP, sel & 0xfffc);
	if (!(a & DESC_P))
		cpu_fault(c, X86_EXC_NP, sel & 0xfffc);
	seg_fill(&c->seg[SEG_LDTR], sel, d);
	NEXT(c, i);
}

static void ltr(struct cpu *c, const struct insn *i)
{
	struct desc d;

	cpl0(c);
	uint16_t sel = sel_operand(c, i);
	if (intercepted(c, ICPT_DT, i))
		return;
	if ((sel & ~3u) == 0)
		cpu_fault_gp0(c);
	if ((sel & SEL_TI) || !desc_fetch(c, sel, &d))
		cpu_fault(c, X86_EXC_GP, sel & 0xfffc);
	unsigned a = desc_attr(d), t = a & DESC_TYPE_MASK;
	if ((a & DESC_S) || (t != SYS_TSS16_AVAIL && t != SYS_TSS32_AVAIL))
		cpu_fault(c, X86_EXC_GP, sel & 0xfffc);
	if (!(a & DESC_P))
		cpu_fault(c, X86_EXC_NP, sel & 0xfffc);
	d.hi |= 2u << 8;	/* busy */
	sys_write(c, c->gdtr.base + (sel & ~7u) + 4, 4, d.hi);
	seg_fill(&c->seg[SEG_TR], sel, d);
	NEXT(c, i);
}

static void sldt_str(struct cpu *c, const struct insn *i)
{
	uint16_t sel = c->seg[i->op ? SEG_TR : SEG_LDTR].sel;

	sensitive_trap(c);
	if (i->flags & INSN_MEM)
		op_write(c, i, 2, sel);
	else
		reg_set(c, i->r0, i->opsz == 2 ? 2 : 4, sel);
	sensitive_seen(c, i->op ? SENS_STR : SENS_SLDT, 0);
	NEXT(c, i);
}

/* ---- TLB and caches ---- */

static void invlpg(struct cpu *c, const struct insn *i)
{
	cpl0(c);
	if (intercepted(c, ICPT_INVLPG, i))
		return;
	mmu_invlpg(c, c->seg[i->seg].base + ea(c, i));
	NEXT(c, i);
}

static void wbinvd(struct cpu *c, const struct insn *i)
{
	cpl0(c);
	NEXT(c, i);
}

/* ---- CPUID, RDTSC, MSRs ---- */

void cpuid_leaf(const struct cpu *c, uint32_t leaf, uint32_t out[4])
{
	if (leaf > 1)
		leaf = 1;	/* the highest basic leaf, for any input above it */
	if (leaf == 0) {
		out[0] = 1;
		out[1] = 0x756e6547;	/* "Genu" */
		out[3] = 0x49656e69;	/* "ineI" */
		out[2] = 0x6c65746e;	/* "ntel" */
		return;
	}
	out[0] = 0x633;
	out[1] = 0;
	out[2] = 0;
	out[3] = CPUID_FEATURES | (c->cfg.apic ? CPUID_APIC : 0);
}

static void cpuid(struct cpu *c, const struct insn *i)
{
	uint32_t r[4];

	if (intercepted(c, ICPT_CPUID, i))
		return;
	cpuid_leaf(c, c->r[REG_EAX], r);
	c->r[REG_EAX] = r[0];
	c->r[REG_EBX] = r[1];
	c->r[REG_ECX] = r[2];
	c->r[REG_EDX] = r[3];
	NEXT(c, i);
}

static void rdtsc(struct cpu *c, const struct insn *i)
{
	if ((c->cr4 & CR4_TSD) && c->cpl != 0)
		cpu_fault_gp0(c);
	uint64_t t = cpu_tsc(c);
	c->r[REG_EAX] = (uint32_t)t;
	c->r[REG_EDX] = (uint32_t)(t >> 32);
	NEXT(c, i);
}

bool pmc_msr_read(struct cpu *c, uint32_t msr, uint64_t *v);	/* pmc.c */
bool pmc_msr_write(struct cpu *c, uint32_t msr, uint64_t v);
binder_fn bind_rdpmc;

bool msr_read(struct cpu *c, uint32_t msr, uint64_t *v)
{
	switch (msr) {
	case MSR_IA32_TSC: *v = cpu_tsc(c); return true;
	case MSR_IA32_APIC_BASE: *v = c->apic_base; return true;
	default: return pmc_msr_read(c, msr, v);
	}
}

bool msr_write(struct cpu *c, uint32_t msr, uint64_t v)
{
	switch (msr) {
	case MSR_IA32_TSC:
		c->tsc_offset = v - clock_now(c->clock);
		return true;
	case MSR_IA32_APIC_BASE:
		if (v >> 32 || (v & 0x6ffu))
			return false;
		c->apic_base = (uint32_t)((v & ~(uint64_t)APIC_BASE_BSP) |
					  (c->apic_base & APIC_BASE_BSP));
		if (c->hooks.apic_base_written)
			c->hooks.apic_base_written(c->hooks.platform, c->apic_base);
		return true;
	default:
		return pmc_msr_write(c, msr, v);
	}
}

static void rdmsr(struct cpu *c, const struct insn *i)
{
	uint64_t v;

	cpl0(c);
	if (intercepted(c, ICPT_MSR, i))
		return;
	if (!msr_read(c, c->r[REG_ECX], &v))
		cpu_fault_gp0(c);
	c->r[REG_EAX] = (uint32_t)v;
	c->r[REG_EDX] = (uint32_t)(v >> 32);
	NEXT(c, i);
}

static void wrmsr(struct cpu *c, const struct insn *i)
{
	cpl0(c);
	if (intercepted(c, ICPT_MSR_WRITE, i))
		return;
	if (!msr_write(c, c->r[REG_ECX], ((uint64_t)c->r[REG_EDX] << 32) | c->r[REG_EAX]))
		cpu_fault_gp0(c);
	NEXT(c, i);
}

enum { CLI, STI, HLT, LGDT, LIDT, SGDT, SIDT, LLDT, LTR, SLDT, STR, LMSW, SMSW, CLTS,
       INVLPG, WBINVD, CPUID, RDTSC, RDMSR, WRMSR };

static bool bind_sys(struct insn *i, const struct dec *d, unsigned which)
{
	static insn_fn *const fns[] = {
		[CLI] = cli, [STI] = sti, [HLT] = hlt, [LGDT] = lgdt_lidt, [LIDT] = lgdt_lidt,
		[SGDT] = sgdt_sidt, [SIDT] = sgdt_sidt, [LLDT] = lldt, [LTR] = ltr,
		[SLDT] = sldt_str, [STR] = sldt_str, [LMSW] = lmsw, [SMSW] = smsw,
		[CLTS] = clts, [INVLPG] = invlpg, [WBINVD] = wbinvd, [CPUID] = cpuid,
		[RDTSC] = rdtsc, [RDMSR] = rdmsr, [WRMSR] = wrmsr,
	};
	i->fn = fns[which];
	i->op = which == LIDT || which == SIDT || which == STR;
	switch (which) {
	case LGDT: case LIDT: case SGDT: case SIDT: case INVLPG:
		return d->kind[0] == OK_MEM;
	default:
		return true;
	}
}

const struct binder ops_system_binders[] = {
	{ ZYDIS_MNEMONIC_CLI, bind_sys, CLI }, { ZYDIS_MNEMONIC_STI, bind_sys, STI },
	{ ZYDIS_MNEMONIC_HLT, bind_sys, HLT },
	{ ZYDIS_MNEMONIC_IN, bind_io, 0 }, { ZYDIS_MNEMONIC_OUT, bind_io, 1 },
	{ ZYDIS_MNEMONIC_LGDT, bind_sys, LGDT }, { ZYDIS_MNEMONIC_LIDT, bind_sys, LIDT },
	{ ZYDIS_MNEMONIC_SGDT, bind_sys, SGDT }, { ZYDIS_MNEMONIC_SIDT, bind_sys, SIDT },
	{ ZYDIS_MNEMONIC_LLDT, bind_sys, LLDT }, { ZYDIS_MNEMONIC_LTR, bind_sys, LTR },
	{ ZYDIS_MNEMONIC_SLDT, bind_sys, SLDT }, { ZYDIS_MNEMONIC_STR, bind_sys, STR },
	{ ZYDIS_MNEMONIC_LMSW, bind_sys, LMSW }, { ZYDIS_MNEMONIC_SMSW, bind_sys, SMSW },
	{ ZYDIS_MNEMONIC_CLTS, bind_sys, CLTS }, { ZYDIS_MNEMONIC_INVLPG, bind_sys, INVLPG },
	{ ZYDIS_MNEMONIC_INVD, bind_sys, WBINVD }, { ZYDIS_MNEMONIC_WBINVD, bind_sys, WBINVD },
	{ ZYDIS_MNEMONIC_CPUID, bind_sys, CPUID }, { ZYDIS_MNEMONIC_RDTSC, bind_sys, RDTSC },
	{ ZYDIS_MNEMONIC_RDMSR, bind_sys, RDMSR }, { ZYDIS_MNEMONIC_WRMSR, bind_sys, WRMSR },
	{ ZYDIS_MNEMONIC_RDPMC, bind_rdpmc, 0 },
	{ 0, NULL, 0 },
};
