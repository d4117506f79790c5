/*
 * Data movement and flag instructions (SDM vol. 2): MOV between registers,
 * memory and immediates; MOVZX/MOVSX; LEA; XCHG; PUSH/POP (register,
 * memory, immediate), PUSHA/POPA, PUSHF/POPF with their privilege rules;
 * LAHF/SAHF; CBW/CWDE/CWD/CDQ; CMOVcc/SETcc; CLC/STC/CMC/CLD/STD; XLAT;
 * ENTER/LEAVE; NOP and PAUSE. MOV to and from segment, control and debug
 * registers live in ops_seg.c and ops_system.c.
 *
 * POPF (SDM vol. 2 POPF, protected mode): IOPL changes only at CPL 0, IF
 * only when CPL <= IOPL; a change that is not allowed is silently dropped,
 * with no fault: the lecture's POPF problem. VM is never changed, RF is
 * cleared, VIF/VIP are left alone. PUSHF pushes the real IF and IOPL.
 */
#include "core/cpu/decode.h"
#include "core/cpu/exec.h"

#define REG1(c, n) R8(c, n)
#define REG2(c, n) R16(c, n)
#define REG4(c, n) ((c)->r[n])

/* ---- MOV ---- */

#define MOV_SIZED(SZ)                                                                    \
static void mov_rr##SZ(struct cpu *c, const struct insn *i)                              \
{                                                                                        \
	REG##SZ(c, i->r0) = REG##SZ(c, i->r1);                                           \
	NEXT(c, i);                                                                      \
}                                                                                        \
static void mov_ri##SZ(struct cpu *c, const struct insn *i)                              \
{                                                                                        \
	REG##SZ(c, i->r0) = i->imm;                                                      \
	NEXT(c, i);                                                                      \
}                                                                                        \
static void mov_rm##SZ(struct cpu *c, const struct insn *i)                              \
{                                                                                        \
	REG##SZ(c, i->r0) = op_read(c, i, SZ);                                           \
	NEXT(c, i);                                                                      \
}                                                                                        \
static void mov_mr##SZ(struct cpu *c, const struct insn *i)                              \
{                                                                                        \
	op_write(c, i, SZ, REG##SZ(c, i->r1));                                           \
	NEXT(c, i);                                                                      \
}                                                                                        \
static void mov_mi##SZ(struct cpu *c, const struct insn *i)                              \
{                                                                                        \
	op_write(c, i, SZ, i->imm);                                                      \
	NEXT(c, i);                                                                      \
}

MOV_SIZED(1)
MOV_SIZED(2)
MOV_SIZED(4)

static insn_fn *const mov_fns[F_OTHER][3] = {
	[F_RR] = { mov_rr1, mov_rr2, mov_rr4 }, [F_RI] = { mov_ri1, mov_ri2, mov_ri4 },
	[F_RM] = { mov_rm1, mov_rm2, mov_rm4 }, [F_MR] = { mov_mr1, mov_mr2, mov_mr4 },
	[F_MI] = { mov_mi1, mov_mi2, mov_mi4 },
};

binder_fn bind_mov_special;	/* ops_seg.c / ops_system.c: Sreg, CRn, DRn */

static bool bind_mov(struct insn *i, const struct dec *d, unsigned arg)
{
	enum form f = dec_form(d);

	if (f == F_OTHER)
		return bind_mov_special(i, d, arg);
	if (f < F_RR)
		return false;
	return bind_sized(i, mov_fns[f], d->size[0]);
}

/* ---- MOVZX, MOVSX ---- */

static void movzx(struct cpu *c, const struct insn *i)
{
	unsigned ssz = i->op;
	uint32_t v = (i->flags & INSN_MEM) ? op_read(c, i, ssz) : reg_get(c, i->r1, ssz);
	reg_set(c, i->r0, i->opsz, v);
	NEXT(c, i);
}

static void movsx(struct cpu *c, const struct insn *i)
{
	unsigned ssz = i->op;
	uint32_t v = (i->flags & INSN_MEM) ? op_read(c, i, ssz) : reg_get(c, i->r1, ssz);
	reg_set(c, i->r0, i->opsz, sext(v, 8 * ssz));
	NEXT(c, i);
}

static bool bind_movx(struct insn *i, const struct dec *d, unsigned sign)
{
	if (d->kind[0] != OK_REG || (d->kind[1] != OK_REG && d->kind[1] != OK_MEM))
		return false;
	i->op = d->size[1];
	i->opsz = d->size[0];
	i->fn = sign ? movsx : movzx;
	return true;
}

/* ---- LEA ---- */

static void lea(struct cpu *c, const struct insn *i)
{
	reg_set(c, i->r0, i->opsz, ea(c, i));
	NEXT(c, i);
}

static void lea32(struct cpu *c, const struct insn *i)
{
	c->r[i->r0] = c->r[i->base] + (c->r[i->index] << i->scale) + i->disp;
	NEXT(c, i);
}

static bool bind_lea(struct insn *i, const struct dec *d, unsigned arg)
{
	if (dec_form(d) != F_RM)
		return false;
	i->fn = i->opsz == 4 && !(i->flags & INSN_A16) ? lea32 : lea;
	return true;
}

/* ---- XCHG ---- */

static void xchg_rr(struct cpu *c, const struct insn *i)
{
	uint32_t a = reg_get(c, i->r0, i->opsz), b = reg_get(c, i->r1, i->opsz);
	reg_set(c, i->r0, i->opsz, b);
	reg_set(c, i->r1, i->opsz, a);
	NEXT(c, i);
}

static void xchg_mr(struct cpu *c, const struct insn *i)
{
	uint32_t lin = seg_lin(c, i->seg, ea(c, i), i->opsz, true);
	uint32_t m = lin_read_w(c, lin, i->opsz);
	lin_write(c, lin, i->opsz, reg_get(c, i->r1, i->opsz));
	reg_set(c, i->r1, i->opsz, m);
	NEXT(c, i);
}

static bool bind_xchg(struct insn *i, const struct dec *d, unsigned arg)
{
	enum form f = dec_form(d);

	i->opsz = d->size[0];
	if (f == F_RR) {
		i->fn = xchg_rr;
		return true;
	}
	if (f == F_RM) {	/* xchg reg, mem is the same as xchg mem, reg */
		i->r1 = i->r0;
		f = F_MR;
	}
	if (f != F_MR)
		return false;
	i->fn = xchg_mr;
	return true;
}

/* ---- PUSH, POP ---- */

static void push_r(struct cpu *c, const struct insn *i)
{
	/* PUSH ESP pushes the value ESP had before the push. */
	push(c, i->opsz, reg_get(c, i->r0, i->opsz));
	NEXT(c, i);
}

static void push_m(struct cpu *c, const struct insn *i)
{
	push(c, i->opsz, op_read(c, i, i->opsz));
	NEXT(c, i);
}

static void push_i(struct cpu *c, const struct insn *i)
{
	push(c, i->opsz, i->imm);
	NEXT(c, i);
}

static void pop_r(struct cpu *c, const struct insn *i)
{
	uint32_t v = stack_peek(c, i->opsz, 0);
	sp_set(c, sp_add(c, sp_get(c), i->opsz));
	reg_set(c, i->r0, i->opsz, v);	/* POP ESP: the popped value wins */
	NEXT(c, i);
}

/* POP m: an ESP-based address is computed after ESP is incremented. */
static void pop_m(struct cpu *c, const struct insn *i)
{
	uint32_t v = stack_peek(c, i->opsz, 0);
	uint32_t nsp = sp_add(c, sp_get(c), i->opsz);
	uint32_t a = (i->base == REG_ESP ? nsp : c->r[i->base]) + (c->r[i->index] << i->scale) +
		     i->disp;
	if (i->flags & INSN_A16)
		a &= 0xffff;
	mwrite(c, i->seg, a, i->opsz, v);
	sp_set(c, nsp);
	NEXT(c, i);
}

binder_fn bind_push_sreg, bind_pop_sreg;	/* ops_seg.c */

static bool bind_push(struct insn *i, const struct dec *d, unsigned arg)
{
	switch (d->kind[0]) {
	case OK_REG: i->fn = push_r; return true;
	case OK_MEM: i->fn = push_m; return true;
	case OK_IMM: i->fn = push_i; return true;
	case OK_SREG: return bind_push_sreg(i, d, arg);
	default: return false;
	}
}

static bool bind_pop(struct insn *i, const struct dec *d, unsigned arg)
{
	switch (d->kind[0]) {
	case OK_REG: i->fn = pop_r; return true;
	case OK_MEM: i->fn = pop_m; return true;
	case OK_SREG: return bind_pop_sreg(i, d, arg);
	default: return false;
	}
}

static void pusha(struct cpu *c, const struct insn *i)
{
	unsigned w = i->opsz;
	uint32_t sp = sp_get(c), esp = c->r[REG_ESP];

	for (unsigned r = 0; r < 8; r++) {
		sp = sp_add(c, sp, -(int32_t)w);
		mwrite(c, SEG_SS, sp, w, r == REG_ESP ? esp : c->r[r]);
	}
	sp_set(c, sp);
	NEXT(c, i);
}

static void popa(struct cpu *c, const struct insn *i)
{
	unsigned w = i->opsz;
	uint32_t v[8];

	for (unsigned r = 0; r < 8; r++)
		v[7 - r] = stack_peek(c, w, r * w);
	for (unsigned r = 0; r < 8; r++)
		if (r != REG_ESP)
			reg_set(c, r, w, v[r]);
	sp_set(c, sp_add(c, sp_get(c), 8 * (int32_t)w));
	NEXT(c, i);
}

static void pushf(struct cpu *c, const struct insn *i)
{
	sensitive_trap(c);
	uint32_t v = cpu_get_eflags(c) & ~(EFLAGS_VM | EFLAGS_RF);
	push(c, i->opsz, v);
	sensitive_seen(c, SENS_PUSHF, v);
	NEXT(c, i);
}

static void popf(struct cpu *c, const struct insn *i)
{
	sensitive_trap(c);

	uint32_t v = stack_peek(c, i->opsz, 0);
	uint32_t cur = cpu_get_eflags(c);
	unsigned iopl = (cur & EFLAGS_IOPL) >> EFLAGS_IOPL_SHIFT;
	uint32_t mask = EFLAGS_ARITH | EFLAGS_TF | EFLAGS_DF | EFLAGS_NT | EFLAGS_IF | EFLAGS_IOPL;

	if (i->opsz == 4)
		mask |= EFLAGS_AC | EFLAGS_ID | EFLAGS_RF;
	if (c->cpl > 0)
		mask &= ~EFLAGS_IOPL;
	if (c->cpl > iopl)
		mask &= ~EFLAGS_IF;
	sp_set(c, sp_add(c, sp_get(c), i->opsz));
	cpu_set_eflags(c, (cur & ~mask) | (v & mask & ~EFLAGS_RF));
	if ((v ^ cur) & (EFLAGS_IF | EFLAGS_IOPL) & ~mask)
		sensitive_seen(c, SENS_POPF, v);
	else if (c->cpl > 0 && c->hooks.sensitive)
		/* Nothing was dropped here, but a monitor that keeps the IF and
		 * IOPL the guest believes in must see what it meant to load. */
		c->hooks.sensitive(c->hooks.monitor, c, SENS_POPF, v);
	NEXT(c, i);
}

/* ---- flags ---- */

static void lahf(struct cpu *c, const struct insn *i)
{
	R8(c, 1) = (uint8_t)(cpu_get_eflags(c) & 0xd7) | 0x02;
	NEXT(c, i);
}

static void sahf(struct cpu *c, const struct insn *i)
{
	uint32_t f = cpu_get_eflags(c);
	lf_from_eflags(c, (f & ~0xd5u) | (R8(c, 1) & 0xd5u));
	NEXT(c, i);
}

static void clc(struct cpu *c, const struct insn *i) { set_cf(c, 0); NEXT(c, i); }
static void stc(struct cpu *c, const struct insn *i) { set_cf(c, 1); NEXT(c, i); }
static void cmc(struct cpu *c, const struct insn *i) { set_cf(c, !get_cf(c)); NEXT(c, i); }
static void cld(struct cpu *c, const struct insn *i) { c->eflags &= ~EFLAGS_DF; NEXT(c, i); }
static void std_(struct cpu *c, const struct insn *i) { c->eflags |= EFLAGS_DF; NEXT(c, i); }

/* ---- conversions ---- */

static void cbw(struct cpu *c, const struct insn *i)
{
	R16(c, REG_EAX) = (uint16_t)(int8_t)R8(c, 0);
	NEXT(c, i);
}

static void cwde(struct cpu *c, const struct insn *i)
{
	c->r[REG_EAX] = (uint32_t)(int16_t)R16(c, REG_EAX);
	NEXT(c, i);
}

static void cwd(struct cpu *c, const struct insn *i)
{
	R16(c, REG_EDX) = (R16(c, REG_EAX) & 0x8000) ? 0xffff : 0;
	NEXT(c, i);
}

static void cdq(struct cpu *c, const struct insn *i)
{
	c->r[REG_EDX] = (c->r[REG_EAX] & 0x80000000u) ? 0xffffffffu : 0;
	NEXT(c, i);
}

/* ---- CMOVcc, SETcc ---- */

static void cmov(struct cpu *c, const struct insn *i)
{
	/* The source is read (and may fault) whether or not the move happens. */
	uint32_t v = (i->flags & INSN_MEM) ? op_read(c, i, i->opsz) : reg_get(c, i->r1, i->opsz);
	if (cond(c, i->op))
		reg_set(c, i->r0, i->opsz, v);
	NEXT(c, i);
}

static bool bind_cmov(struct insn *i, const struct dec *d, unsigned cc)
{
	if (d->kind[0] != OK_REG || d->size[0] == 1)
		return false;
	i->op = (uint8_t)cc;
	i->fn = cmov;
	return true;
}

static void setcc_r(struct cpu *c, const struct insn *i)
{
	R8(c, i->r0) = cond(c, i->op);
	NEXT(c, i);
}

static void setcc_m(struct cpu *c, const struct insn *i)
{
	op_write(c, i, 1, cond(c, i->op));
	NEXT(c, i);
}

static bool bind_setcc(struct insn *i, const struct dec *d, unsigned cc)
{
	i->op = (uint8_t)cc;
	i->fn = d->kind[0] == OK_MEM ? setcc_m : setcc_r;
	return d->kind[0] == OK_MEM || d->kind[0] == OK_REG;
}

/* ---- XLAT, ENTER, LEAVE ---- */

static void xlat(struct cpu *c, const struct insn *i)
{
	uint32_t a = c->r[REG_EBX] + R8(c, 0);
	R8(c, 0) = (uint8_t)mread(c, i->seg, (i->flags & INSN_A16) ? a & 0xffff : a, 1);
	NEXT(c, i);
}

static void enter(struct cpu *c, const struct insn *i)
{
	unsigned w = i->opsz, level = i->imm2 & 31;
	uint32_t sp = sp_get(c), bp = c->r[REG_EBP];

	sp = sp_add(c, sp, -(int32_t)w);
	mwrite(c, SEG_SS, sp, w, bp);
	uint32_t frame = sp;
	for (unsigned k = 1; k < level; k++) {
		bp = ss32(c) ? bp - w : (uint16_t)(bp - w);
		uint32_t v = mread(c, SEG_SS, bp, w);
		sp = sp_add(c, sp, -(int32_t)w);
		mwrite(c, SEG_SS, sp, w, v);
	}
	if (level > 0) {
		sp = sp_add(c, sp, -(int32_t)w);
		mwrite(c, SEG_SS, sp, w, frame);
	}
	sp = sp_add(c, sp, -(int32_t)(i->imm & 0xffff));
	/* The final frame must be writable at its lowest byte (SDM ENTER). */
	seg_lin(c, SEG_SS, sp, 1, true);
	reg_set(c, REG_EBP, w, frame);
	sp_set(c, sp);
	NEXT(c, i);
}

static void leave(struct cpu *c, const struct insn *i)
{
	uint32_t sp = ss32(c) ? c->r[REG_EBP] : (uint16_t)c->r[REG_EBP];
	uint32_t v = mread(c, SEG_SS, sp, i->opsz);
	sp_set(c, sp_add(c, sp, i->opsz));
	reg_set(c, REG_EBP, i->opsz, v);
	NEXT(c, i);
}

enum { PUSHA, POPA, PUSHF, POPF, LAHF, SAHF, CLC, STC, CMC, CLD, STD, CBW, CWDE, CWD, CDQ,
       XLAT, ENTER, LEAVE, NOP };

static bool bind_fixed(struct insn *i, const struct dec *d, unsigned which)
{
	static insn_fn *const fns[] = {
		[PUSHA] = pusha, [POPA] = popa, [PUSHF] = pushf, [POPF] = popf, [LAHF] = lahf,
		[SAHF] = sahf, [CLC] = clc, [STC] = stc, [CMC] = cmc, [CLD] = cld, [STD] = std_,
		[CBW] = cbw, [CWDE] = cwde, [CWD] = cwd, [CDQ] = cdq, [XLAT] = xlat,
		[ENTER] = enter, [LEAVE] = leave, [NOP] = op_nop,
	};
	(void)d;
	i->fn = fns[which];
	return true;
}

#define CC(m, n) { ZYDIS_MNEMONIC_CMOV##m, bind_cmov, n }, { ZYDIS_MNEMONIC_SET##m, bind_setcc, n }

const struct binder ops_data_binders[] = {
	{ ZYDIS_MNEMONIC_MOV, bind_mov, 0 },
	{ ZYDIS_MNEMONIC_MOVZX, bind_movx, 0 },
	{ ZYDIS_MNEMONIC_MOVSX, bind_movx, 1 },
	{ ZYDIS_MNEMONIC_LEA, bind_lea, 0 },
	{ ZYDIS_MNEMONIC_XCHG, bind_xchg, 0 },
	{ ZYDIS_MNEMONIC_PUSH, bind_push, 0 },
	{ ZYDIS_MNEMONIC_POP, bind_pop, 0 },
	{ ZYDIS_MNEMONIC_PUSHA, bind_fixed, PUSHA }, { ZYDIS_MNEMONIC_PUSHAD, bind_fixed, PUSHA },
	{ ZYDIS_MNEMONIC_POPA, bind_fixed, POPA }, { ZYDIS_MNEMONIC_POPAD, bind_fixed, POPA },
	{ ZYDIS_MNEMONIC_PUSHF, bind_fixed, PUSHF }, { ZYDIS_MNEMONIC_PUSHFD, bind_fixed, PUSHF },
	{ ZYDIS_MNEMONIC_POPF, bind_fixed, POPF }, { ZYDIS_MNEMONIC_POPFD, bind_fixed, POPF },
	{ ZYDIS_MNEMONIC_LAHF, bind_fixed, LAHF }, { ZYDIS_MNEMONIC_SAHF, bind_fixed, SAHF },
	{ ZYDIS_MNEMONIC_CLC, bind_fixed, CLC }, { ZYDIS_MNEMONIC_STC, bind_fixed, STC },
	{ ZYDIS_MNEMONIC_CMC, bind_fixed, CMC }, { ZYDIS_MNEMONIC_CLD, bind_fixed, CLD },
	{ ZYDIS_MNEMONIC_STD, bind_fixed, STD },
	{ ZYDIS_MNEMONIC_CBW, bind_fixed, CBW }, { ZYDIS_MNEMONIC_CWDE, bind_fixed, CWDE },
	{ ZYDIS_MNEMONIC_CWD, bind_fixed, CWD }, { ZYDIS_MNEMONIC_CDQ, bind_fixed, CDQ },
	{ ZYDIS_MNEMONIC_XLAT, bind_fixed, XLAT },
	{ ZYDIS_MNEMONIC_ENTER, bind_fixed, ENTER }, { ZYDIS_MNEMONIC_LEAVE, bind_fixed, LEAVE },
	{ ZYDIS_MNEMONIC_NOP, bind_fixed, NOP }, { ZYDIS_MNEMONIC_PAUSE, bind_fixed, NOP },
	CC(O, 0), CC(NO, 1), CC(B, 2), CC(NB, 3), CC(Z, 4), CC(NZ, 5), CC(BE, 6), CC(NBE, 7),
	CC(S, 8), CC(NS, 9), CC(P, 10), CC(NP, 11), CC(L, 12), CC(NL, 13), CC(LE, 14), CC(NLE, 15),
	{ 0, NULL, 0 },
};
