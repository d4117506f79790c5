/*
 * Segment-register instructions (SDM vol. 2): MOV to and from Sreg,
 * PUSH/POP Sreg, LDS/LES/LFS/LGS/LSS, LAR, LSL, VERR, VERW, ARPL.
 *
 * The sensitive ones of Robin & Irvine's list live here: reading CS or SS
 * (MOV, PUSH) shows the current privilege level in the RPL bits, and
 * LAR/LSL/VERR/VERW show descriptor privilege and limits; all of them run
 * at any CPL without trapping on x86. On the virtualizable ISA variant
 * they raise #GP(0) at CPL > 0 instead.
 *
 * MOV SS and POP SS inhibit interrupts until after the next instruction
 * (vol. 3A 6.8.3). MOV r32, Sreg zero-extends, as current processors and
 * QEMU do (the Pentium Pro left the upper half undefined).
 */
#include "core/cpu/decode.h"
#include "core/cpu/seg.h"

/* MOV SS and POP SS hold off interrupts and debug traps (single-step
 * included) until the next instruction has run (SDM vol. 3A 6.8.3). */
static inline void shadow_after(struct cpu *c)
{
	c->shadow_until = c->insns + 2;
	c->db_shadow_until = c->insns + 2;
}

static void mov_sreg_r(struct cpu *c, const struct insn *i)
{
	seg_load(c, i->op, (uint16_t)c->r[i->r1]);
	if (i->op == SEG_SS)
		shadow_after(c);
	NEXT(c, i);
}

static void mov_sreg_m(struct cpu *c, const struct insn *i)
{
	seg_load(c, i->op, (uint16_t)op_read(c, i, 2));
	if (i->op == SEG_SS)
		shadow_after(c);
	NEXT(c, i);
}

static void reveal_trap(struct cpu *c, unsigned sreg)
{
	if (sreg == SEG_CS || sreg == SEG_SS)
		sensitive_trap(c);
}

static void reveal_seen(struct cpu *c, unsigned sreg, enum cpu_sensitive s)
{
	if (sreg == SEG_CS || sreg == SEG_SS)
		sensitive_seen(c, s, 0);
}

static void mov_r_sreg(struct cpu *c, const struct insn *i)
{
	reveal_trap(c, i->op);
	reg_set(c, i->r0, i->opsz == 2 ? 2 : 4, c->seg[i->op].sel);
	reveal_seen(c, i->op, SENS_MOV_FROM_SEG);
	NEXT(c, i);
}

static void mov_m_sreg(struct cpu *c, const struct insn *i)
{
	reveal_trap(c, i->op);
	op_write(c, i, 2, c->seg[i->op].sel);
	reveal_seen(c, i->op, SENS_MOV_FROM_SEG);
	NEXT(c, i);
}

binder_fn bind_mov_cr;	/* ops_system.c */

bool bind_mov_special(struct insn *i, const struct dec *d, unsigned arg)
{
	if (d->kind[0] == OK_SREG) {
		if (d->reg[0] == SEG_CS)
			return false;
		i->op = d->reg[0];
		if (d->kind[1] == OK_REG)
			i->fn = mov_sreg_r;
		else if (d->kind[1] == OK_MEM)
			i->fn = mov_sreg_m;
		else
			return false;
		return true;
	}
	if (d->kind[1] == OK_SREG) {
		i->op = d->reg[1];
		if (d->kind[0] == OK_REG)
			i->fn = mov_r_sreg;
		else if (d->kind[0] == OK_MEM)
			i->fn = mov_m_sreg;
		else
			return false;
		return true;
	}
	return bind_mov_cr(i, d, arg);
}

/* PUSH Sreg with a 32-bit operand size pushes the selector zero-extended,
 * one of the two behaviours the SDM allows and the one QEMU shows. */
static void push_sreg(struct cpu *c, const struct insn *i)
{
	reveal_trap(c, i->op);
	push(c, i->opsz, c->seg[i->op].sel);
	reveal_seen(c, i->op, SENS_PUSH_SEG);
	NEXT(c, i);
}

static void pop_sreg(struct cpu *c, const struct insn *i)
{
	uint16_t sel = (uint16_t)stack_peek(c, 2, 0);

	seg_load(c, i->op, sel);
	sp_set(c, sp_add(c, sp_get(c), i->opsz));
	if (i->op == SEG_SS)
		shadow_after(c);
	NEXT(c, i);
}

bool bind_push_sreg(struct insn *i, const struct dec *d, unsigned arg)
{
	i->op = d->reg[0];
	i->fn = push_sreg;
	return true;
}

bool bind_pop_sreg(struct insn *i, const struct dec *d, unsigned arg)
{
	if (d->reg[0] == SEG_CS)
		return false;
	i->op = d->reg[0];
	i->fn = pop_sreg;
	return true;
}

/* ---- LDS, LES, LFS, LGS, LSS ---- */

static void load_far(struct cpu *c, const struct insn *i)
{
	uint32_t off;
	uint16_t sel = far_pointer(c, i, &off);

	seg_load(c, i->op, sel);
	reg_set(c, i->r0, i->opsz, off);
	if (i->op == SEG_SS)
		shadow_after(c);
	NEXT(c, i);
}

static bool bind_load_far(struct insn *i, const struct dec *d, unsigned sreg)
{
	if (dec_form(d) != F_RM)
		return false;
	i->op = (uint8_t)sreg;
	i->fn = load_far;
	return true;
}

/* ---- LAR, LSL, VERR, VERW ---- */

static void set_zf(struct cpu *c, bool z)
{
	uint32_t f = cpu_get_eflags(c);
	lf_from_eflags(c, z ? f | EFLAGS_ZF : f & ~EFLAGS_ZF);
}

/* The descriptor for sel if LAR/LSL/VERx may look at it (visible at the
 * current CPL and RPL); false: ZF = 0. */
static bool visible_desc(struct cpu *c, uint16_t sel, struct desc *d, unsigned *attr)
{
	if ((sel & ~3u) == 0 || !desc_fetch(c, sel, d))
		return false;
	*attr = desc_attr(*d);
	bool conforming = attr_is_code(*attr) && (*attr & DESC_TYPE_C);
	unsigned dpl = DESC_DPL(*attr);
	return conforming || (dpl >= c->cpl && dpl >= (sel & 3u));
}

static uint16_t selector_operand(struct cpu *c, const struct insn *i)
{
	return (uint16_t)((i->flags & INSN_MEM) ? op_read(c, i, 2) : c->r[i->r1]);
}

enum { LAR, LSL, VERR, VERW };

static void lar_lsl(struct cpu *c, const struct insn *i)
{
	struct desc d;
	unsigned a;

	sensitive_trap(c);
	uint16_t sel = selector_operand(c, i);
	bool ok = visible_desc(c, sel, &d, &a);
	if (ok && !(a & DESC_S)) {
		unsigned t = a & DESC_TYPE_MASK;
		/* LAR accepts TSSs, LDTs and gates; LSL only what has a limit. */
		ok = i->op == LAR ? (t == 1 || t == 2 || t == 3 || t == 4 || t == 5 || t == 9 ||
				     t == 11 || t == 12)
				  : (t == 1 || t == 2 || t == 3 || t == 9 || t == 11);
	}
	if (ok) {
		uint32_t v = i->op == LAR ? d.hi & 0x00f0ff00u : desc_limit(d);
		reg_set(c, i->r0, i->opsz, i->opsz == 2 ? v & 0xffff : v);
	}
	set_zf(c, ok);
	sensitive_seen(c, i->op == LAR ? SENS_LAR : SENS_LSL, sel);
	NEXT(c, i);
}

static void verr_verw(struct cpu *c, const struct insn *i)
{
	struct desc d;
	unsigned a;

	sensitive_trap(c);
	uint16_t sel = (uint16_t)((i->flags & INSN_MEM) ? op_read(c, i, 2) : c->r[i->r0]);
	bool ok = visible_desc(c, sel, &d, &a) && (a & DESC_S);
	if (ok && i->op == VERR)
		ok = !(a & DESC_TYPE_CODE) || (a & DESC_TYPE_R);
	else if (ok)
		ok = !(a & DESC_TYPE_CODE) && (a & DESC_TYPE_W);
	set_zf(c, ok);
	sensitive_seen(c, i->op == VERR ? SENS_VERR : SENS_VERW, sel);
	NEXT(c, i);
}

static bool bind_lar(struct insn *i, const struct dec *d, unsigned which)
{
	i->op = (uint8_t)which;
	if (which == VERR || which == VERW) {
		i->fn = verr_verw;
		return d->kind[0] == OK_REG || d->kind[0] == OK_MEM;
	}
	i->fn = lar_lsl;
	return d->kind[0] == OK_REG && (d->kind[1] == OK_REG || d->kind[1] == OK_MEM);
}

/* ---- ARPL ---- */

static void arpl(struct cpu *c, const struct insn *i)
{
	uint32_t lin = 0;
	uint16_t dst;

	if (i->flags & INSN_MEM) {
		lin = seg_lin(c, i->seg, ea(c, i), 2, true);
		dst = (uint16_t)lin_read_w(c, lin, 2);
	} else {
		dst = R16(c, i->r0);
	}
	unsigned src_rpl = R16(c, i->r1) & 3u;
	bool adjust = (dst & 3u) < src_rpl;
	if (adjust) {
		dst = (uint16_t)((dst & ~3u) | src_rpl);
		if (i->flags & INSN_MEM)
			lin_write(c, lin, 2, dst);
		else
			R16(c, i->r0) = dst;
	}
	set_zf(c, adjust);
	NEXT(c, i);
}

static bool bind_arpl(struct insn *i, const struct dec *d, unsigned arg)
{
	i->fn = arpl;
	return d->kind[1] == OK_REG;
}

const struct binder ops_seg_binders[] = {
	{ ZYDIS_MNEMONIC_LDS, bind_load_far, SEG_DS },
	{ ZYDIS_MNEMONIC_LES, bind_load_far, SEG_ES },
	{ ZYDIS_MNEMONIC_LFS, bind_load_far, SEG_FS },
	{ ZYDIS_MNEMONIC_LGS, bind_load_far, SEG_GS },
	{ ZYDIS_MNEMONIC_LSS, bind_load_far, SEG_SS },
	{ ZYDIS_MNEMONIC_LAR, bind_lar, LAR },
	{ ZYDIS_MNEMONIC_LSL, bind_lar, LSL },
	{ ZYDIS_MNEMONIC_VERR, bind_lar, VERR },
	{ ZYDIS_MNEMONIC_VERW, bind_lar, VERW },
	{ ZYDIS_MNEMONIC_ARPL, bind_arpl, 0 },
	{ 0, NULL, 0 },
};
