/*
 * Control transfer (SDM vol. 2): JMP, Jcc, CALL, RET (near and far), LOOP,
 * LOOPE, LOOPNE, JECXZ/JCXZ, INT n, INT3, INTO, INT1 (ICEBP), IRET and
 * BOUND. Near targets are checked against the CS limit before anything
 * is committed (#GP(0)); far forms go through seg.c. With a 16-bit operand
 * size the new EIP is truncated to 16 bits; JCXZ and LOOP count with CX
 * when the address size is 16.
 */
#include "core/cpu/decode.h"
#include "core/cpu/exec.h"
#include "core/cpu/seg.h"

void cpu_trap(struct cpu *c, unsigned vec, uint32_t next_eip);	/* exception.c */

static inline uint32_t near_target(struct cpu *c, const struct insn *i, uint32_t t)
{
	if (i->opsz == 2)
		t &= 0xffff;
	if (unlikely(t > c->seg[SEG_CS].limit))
		cpu_fault_gp0(c);
	return t;
}

static void jmp_rel(struct cpu *c, const struct insn *i)
{
	uint32_t t = near_target(c, i, c->eip + i->len + i->imm);

	/* A jump to itself that no interrupt or debug trap can leave (a
	 * kernel's "cli; for (;;);" after a panic) would spin until the
	 * budget runs out: the guest is wedged now, and the run ends so. */
	if (unlikely(t == c->eip) && (!(c->eflags & EFLAGS_IF) || c->intr_held) &&
	    !(c->eflags & EFLAGS_TF)) {
		char msg[120];
		snprintf(msg, sizeof(msg), "the guest spins for ever: JMP to itself at EIP %#x "
			 "with interrupts disabled", t);
		c->eip = t;
		cpu_request_stop(c, CPU_STOP_BUDGET, msg);
		return;
	}
	c->eip = t;
}

static void jmp_r(struct cpu *c, const struct insn *i)
{
	c->eip = near_target(c, i, reg_get(c, i->r0, i->opsz));
}

static void jmp_m(struct cpu *c, const struct insn *i)
{
	c->eip = near_target(c, i, op_read(c, i, i->opsz));
}

static void jmp_far_ptr(struct cpu *c, const struct insn *i)
{
	far_jmp(c, (uint16_t)i->imm2, i->imm, i->opsz, c->eip + i->len);
}

static void jmp_far_m(struct cpu *c, const struct insn *i)
{
	uint32_t off;
	uint16_t sel = far_pointer(c, i, &off);

	far_jmp(c, sel, off, i->opsz, c->eip + i->len);
}

static void jcc(struct cpu *c, const struct insn *i)
{
	if (cond(c, i->op))
		c->eip = near_target(c, i, c->eip + i->len + i->imm);
	else
		NEXT(c, i);
}

static void call_near(struct cpu *c, const struct insn *i, uint32_t target)
{
	uint32_t t = near_target(c, i, target);
	push(c, i->opsz, c->eip + i->len);
	c->eip = t;
}

static void call_rel(struct cpu *c, const struct insn *i)
{
	call_near(c, i, c->eip + i->len + i->imm);
}

static void call_r(struct cpu *c, const struct insn *i)
{
	call_near(c, i, reg_get(c, i->r0, i->opsz));
}

static void call_m(struct cpu *c, const struct insn *i)
{
	call_near(c, i, op_read(c, i, i->opsz));
}

static void call_far_ptr(struct cpu *c, const struct insn *i)
{
	far_call(c, (uint16_t)i->imm2, i->imm, i->opsz, c->eip + i->len);
}

static void call_far_m(struct cpu *c, const struct insn *i)
{
	uint32_t off;
	uint16_t sel = far_pointer(c, i, &off);

	far_call(c, sel, off, i->opsz, c->eip + i->len);
}

static void ret_near(struct cpu *c, const struct insn *i)
{
	uint32_t t = near_target(c, i, stack_peek(c, i->opsz, 0));
	sp_set(c, sp_add(c, sp_get(c), (int32_t)(i->opsz + (i->imm & 0xffff))));
	c->eip = t;
}

static void ret_far(struct cpu *c, const struct insn *i)
{
	far_ret(c, i->opsz, (uint16_t)i->imm);
}

static bool bind_jmp(struct insn *i, const struct dec *d, unsigned is_call)
{
	bool far = d->zi->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR;
	static insn_fn *const fns[2][5] = {
		{ jmp_rel, jmp_r, jmp_m, jmp_far_ptr, jmp_far_m },
		{ call_rel, call_r, call_m, call_far_ptr, call_far_m },
	};

	switch (d->kind[0]) {
	case OK_IMM: i->fn = fns[is_call][0]; return true;
	case OK_REG: i->fn = fns[is_call][1]; return !far;
	case OK_MEM: i->fn = fns[is_call][far ? 4 : 2]; return true;
	case OK_PTR: i->fn = fns[is_call][3]; return true;
	default: return false;
	}
}

/* The common case, one handler per condition with the condition folded
 * in: a 32-bit operand size, so no EIP truncation. */
#define JCC32(cc)                                                                        \
static void jcc32_##cc(struct cpu *c, const struct insn *i)                              \
{                                                                                        \
	uint32_t t = c->eip + i->len;                                                    \
	if (cond(c, cc)) {                                                               \
		t += i->imm;                                                             \
		if (unlikely(t > c->seg[SEG_CS].limit))                                  \
			cpu_fault_gp0(c);                                                \
	}                                                                                \
	c->eip = t;                                                                      \
}
JCC32(0) JCC32(1) JCC32(2) JCC32(3) JCC32(4) JCC32(5) JCC32(6) JCC32(7)
JCC32(8) JCC32(9) JCC32(10) JCC32(11) JCC32(12) JCC32(13) JCC32(14) JCC32(15)

static insn_fn *const jcc32_fns[16] = {
	jcc32_0, jcc32_1, jcc32_2, jcc32_3, jcc32_4, jcc32_5, jcc32_6, jcc32_7,
	jcc32_8, jcc32_9, jcc32_10, jcc32_11, jcc32_12, jcc32_13, jcc32_14, jcc32_15,
};

static bool bind_jcc(struct insn *i, const struct dec *d, unsigned cc)
{
	i->op = (uint8_t)cc;
	i->fn = i->opsz == 4 ? jcc32_fns[cc] : jcc;
	return d->kind[0] == OK_IMM;
}

static bool bind_ret(struct insn *i, const struct dec *d, unsigned arg)
{
	i->imm = d->n > 0 && d->kind[0] == OK_IMM ? i->imm : 0;
	i->fn = d->zi->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR ? ret_far : ret_near;
	return true;
}

/* ---- LOOP family ---- */

static inline uint32_t count_get(const struct cpu *c, const struct insn *i)
{
	return (i->flags & INSN_A16) ? (uint16_t)c->r[REG_ECX] : c->r[REG_ECX];
}

enum { LOOP, LOOPE, LOOPNE, JECXZ };

static void loop(struct cpu *c, const struct insn *i)
{
	uint32_t n = count_get(c, i) - 1;
	bool taken;

	if (i->flags & INSN_A16)
		n &= 0xffff;
	switch (i->op) {
	case LOOPE: taken = n != 0 && get_zf(c); break;
	case LOOPNE: taken = n != 0 && !get_zf(c); break;
	default: taken = n != 0; break;
	}
	uint32_t t = taken ? near_target(c, i, c->eip + i->len + i->imm) : c->eip + i->len;
	if (i->flags & INSN_A16)
		R16(c, REG_ECX) = (uint16_t)n;
	else
		c->r[REG_ECX] = n;
	c->eip = t;
}

static void jecxz(struct cpu *c, const struct insn *i)
{
	if (count_get(c, i) == 0)
		c->eip = near_target(c, i, c->eip + i->len + i->imm);
	else
		NEXT(c, i);
}

static bool bind_loop(struct insn *i, const struct dec *d, unsigned which)
{
	i->op = (uint8_t)which;
	i->fn = which == JECXZ ? jecxz : loop;
	return true;
}

/* ---- interrupts ---- */

static void int_n(struct cpu *c, const struct insn *i)
{
	cpu_softint(c, i->imm & 0xff, c->eip + i->len);
}

static void int3(struct cpu *c, const struct insn *i)
{
	cpu_softint(c, X86_EXC_BP, c->eip + i->len);
}

static void into(struct cpu *c, const struct insn *i)
{
	if (get_of(c))
		cpu_softint(c, X86_EXC_OF, c->eip + i->len);
	else
		NEXT(c, i);
}

/* ICEBP raises #DB as a trap with no gate DPL check (SDM vol. 3A 17.3.1). */
static void int1(struct cpu *c, const struct insn *i)
{
	cpu_trap(c, X86_EXC_DB, c->eip + i->len);
}

static void iret_(struct cpu *c, const struct insn *i)
{
	iret(c, i->opsz);
}

static void bound(struct cpu *c, const struct insn *i)
{
	unsigned w = i->opsz;
	uint32_t a = ea(c, i);
	int32_t lo = (int32_t)sext(mread(c, i->seg, a, w), 8 * w);
	int32_t hi = (int32_t)sext(mread(c, i->seg, a + w, w), 8 * w);
	int32_t v = (int32_t)sext(reg_get(c, i->r0, w), 8 * w);

	if (v < lo || v > hi)
		cpu_fault(c, X86_EXC_BR, 0);
	NEXT(c, i);
}

enum { INT, INT3, INTO, INT1, IRET, BOUND };

static bool bind_int(struct insn *i, const struct dec *d, unsigned which)
{
	static insn_fn *const fns[] = {
		[INT] = int_n, [INT3] = int3, [INTO] = into, [INT1] = int1, [IRET] = iret_,
		[BOUND] = bound,
	};
	if (which == BOUND && dec_form(d) != F_RM)
		return false;
	i->fn = fns[which];
	return true;
}

#define JCC(m, n) { ZYDIS_MNEMONIC_J##m, bind_jcc, n }

const struct binder ops_ctrl_binders[] = {
	{ ZYDIS_MNEMONIC_JMP, bind_jmp, 0 },
	{ ZYDIS_MNEMONIC_CALL, bind_jmp, 1 },
	{ ZYDIS_MNEMONIC_RET, bind_ret, 0 },
	JCC(O, 0), JCC(NO, 1), JCC(B, 2), JCC(NB, 3), JCC(Z, 4), JCC(NZ, 5), JCC(BE, 6),
	JCC(NBE, 7), JCC(S, 8), JCC(NS, 9), JCC(P, 10), JCC(NP, 11), JCC(L, 12), JCC(NL, 13),
	JCC(LE, 14), JCC(NLE, 15),
	{ ZYDIS_MNEMONIC_LOOP, bind_loop, LOOP },
	{ ZYDIS_MNEMONIC_LOOPE, bind_loop, LOOPE },
	{ ZYDIS_MNEMONIC_LOOPNE, bind_loop, LOOPNE },
	{ ZYDIS_MNEMONIC_JECXZ, bind_loop, JECXZ },
	{ ZYDIS_MNEMONIC_JCXZ, bind_loop, JECXZ },
	{ ZYDIS_MNEMONIC_INT, bind_int, INT },
	{ ZYDIS_MNEMONIC_INT3, bind_int, INT3 },
	{ ZYDIS_MNEMONIC_INTO, bind_int, INTO },
	{ ZYDIS_MNEMONIC_INT1, bind_int, INT1 },
	{ ZYDIS_MNEMONIC_IRET, bind_int, IRET },
	{ ZYDIS_MNEMONIC_IRETD, bind_int, IRET },
	{ ZYDIS_MNEMONIC_BOUND, bind_int, BOUND },
	{ 0, NULL, 0 },
};
