/*
 * Multiply, divide and the decimal adjustments (SDM vol. 2: MUL, IMUL,
 * DIV, IDIV, DAA, DAS, AAA, AAS, AAM, AAD). One handler per operation,
 * size and operand form.
 *
 * MUL and one-operand IMUL write AX, DX:AX or EDX:EAX; two- and
 * three-operand IMUL keep the low half. CF = OF = 1 when the high half is
 * significant (MUL: non-zero; IMUL: not the sign extension of the low half).
 * DIV and IDIV raise #DE for a zero divisor and for a quotient that does
 * not fit (IDIV: -2^(n-1)..2^(n-1)-1, so INT_MIN / -1 faults), before any
 * register is written; the remainder takes the dividend's sign.
 *
 * BCD adjustments follow the current SDM pseudo-code: AAA is AX += 106H
 * (a carry out of AL reaches AH), AAS is AX -= 6 then AH -= 1. AAM with an
 * immediate of 0 raises #DE.
 *
 * Undefined flags. MUL/IMUL: SF, ZF, AF, PF are left unchanged, and
 * DIV/IDIV leave CF and OF, clear SF, ZF, PF and set AF, both as the host
 * we test against (an AMD x86-64) does. The BCD instructions cannot run on
 * that host (they are invalid in 64-bit mode), so their undefined flags are
 * chosen: OF = 0 after DAA/DAS; after AAA/AAS, SF/ZF/PF from AL and OF = 0;
 * after AAM/AAD, CF = OF = AF = 0.
 */
#include "core/cpu/decode.h"
#include "core/cpu/exec.h"

#define REG1(c, n) R8(c, n)
#define REG2(c, n) R16(c, n)
#define REG4(c, n) ((c)->r[n])

#define AL(c) R8(c, 0)
#define AH(c) R8(c, 1)

/* CF = OF = of, SF/ZF/AF/PF kept (lazy encoding: flags.h). */
static inline void lf_mul(struct cpu *c, unsigned of)
{
	c->lf_aux = (c->lf_aux & ~(LF_CF | LF_PO)) | (of ? LF_CF : 0);
}

/* After a divide: CF, OF kept; SF = ZF = PF = 0; AF = 1. */
static inline void lf_div(struct cpu *c)
{
	c->lf_res = 1;
	c->lf_aux = (c->lf_aux & (LF_CF | LF_PO)) | LF_AF;
}

__attribute__((noreturn)) static void divide_error(struct cpu *c)
{
	cpu_fault(c, X86_EXC_DE, 0);
}

/* ---- MUL, IMUL r/m (one operand) ---- */

static inline void mul1(struct cpu *c, uint32_t s)
{
	uint32_t p = AL(c) * (s & 0xff);
	R16(c, REG_EAX) = (uint16_t)p;
	lf_mul(c, p >> 8);
}

static inline void mul2(struct cpu *c, uint32_t s)
{
	uint32_t p = R16(c, REG_EAX) * (s & 0xffff);
	R16(c, REG_EAX) = (uint16_t)p;
	R16(c, REG_EDX) = (uint16_t)(p >> 16);
	lf_mul(c, p >> 16);
}

static inline void mul4(struct cpu *c, uint32_t s)
{
	uint64_t p = (uint64_t)c->r[REG_EAX] * s;
	c->r[REG_EAX] = (uint32_t)p;
	c->r[REG_EDX] = (uint32_t)(p >> 32);
	lf_mul(c, (p >> 32) != 0);
}

static inline void imul1(struct cpu *c, uint32_t s)
{
	int32_t p = (int8_t)AL(c) * (int8_t)s;
	R16(c, REG_EAX) = (uint16_t)p;
	lf_mul(c, p != (int8_t)p);
}

static inline void imul2(struct cpu *c, uint32_t s)
{
	int32_t p = (int16_t)R16(c, REG_EAX) * (int16_t)s;
	R16(c, REG_EAX) = (uint16_t)p;
	R16(c, REG_EDX) = (uint16_t)((uint32_t)p >> 16);
	lf_mul(c, p != (int16_t)p);
}

static inline void imul4(struct cpu *c, uint32_t s)
{
	int64_t p = (int64_t)(int32_t)c->r[REG_EAX] * (int32_t)s;
	c->r[REG_EAX] = (uint32_t)p;
	c->r[REG_EDX] = (uint32_t)((uint64_t)p >> 32);
	lf_mul(c, p != (int32_t)p);
}

/* ---- DIV, IDIV ---- */

static inline void div1(struct cpu *c, uint32_t s)
{
	uint32_t n = R16(c, REG_EAX), d = s & 0xff;
	if (d == 0 || n / d > 0xff)
		divide_error(c);
	AL(c) = (uint8_t)(n / d);
	AH(c) = (uint8_t)(n % d);
	lf_div(c);
}

static inline void div2(struct cpu *c, uint32_t s)
{
	uint32_t n = (uint32_t)R16(c, REG_EDX) << 16 | R16(c, REG_EAX), d = s & 0xffff;
	if (d == 0 || n / d > 0xffff)
		divide_error(c);
	R16(c, REG_EAX) = (uint16_t)(n / d);
	R16(c, REG_EDX) = (uint16_t)(n % d);
	lf_div(c);
}

static inline void div4(struct cpu *c, uint32_t d)
{
	uint64_t n = (uint64_t)c->r[REG_EDX] << 32 | c->r[REG_EAX];
	if (d == 0 || n / d > 0xffffffffu)
		divide_error(c);
	c->r[REG_EAX] = (uint32_t)(n / d);
	c->r[REG_EDX] = (uint32_t)(n % d);
	lf_div(c);
}

/* 8- and 16-bit IDIV: the dividend fits an int32 and the quotient cannot
 * overflow in C, so the range check alone decides #DE. */
static inline void idiv1(struct cpu *c, uint32_t s)
{
	int32_t n = (int16_t)R16(c, REG_EAX), d = (int8_t)s;
	if (d == 0 || n / d < INT8_MIN || n / d > INT8_MAX)
		divide_error(c);
	AL(c) = (uint8_t)(n / d);
	AH(c) = (uint8_t)(n % d);
	lf_div(c);
}

static inline void idiv2(struct cpu *c, uint32_t s)
{
	int64_t n = (int32_t)((uint32_t)R16(c, REG_EDX) << 16 | R16(c, REG_EAX));
	int64_t d = (int16_t)s;
	if (d == 0 || n / d < INT16_MIN || n / d > INT16_MAX)
		divide_error(c);
	R16(c, REG_EAX) = (uint16_t)(n / d);
	R16(c, REG_EDX) = (uint16_t)(n % d);
	lf_div(c);
}

/* 32-bit IDIV: INT64_MIN / -1 would trap in the host's own division, and
 * any dividend / -1 is just a negation, so -1 is taken apart. */
static inline void idiv4(struct cpu *c, uint32_t s)
{
	int64_t n = (int64_t)((uint64_t)c->r[REG_EDX] << 32 | c->r[REG_EAX]);
	int32_t d = (int32_t)s;
	int64_t q, r;

	if (d == 0)
		divide_error(c);
	if (d == -1) {
		if (n < -(int64_t)INT32_MAX || n > -(int64_t)INT32_MIN)
			divide_error(c);
		q = -n;
		r = 0;
	} else {
		q = n / d;
		r = n % d;
		if (q < INT32_MIN || q > INT32_MAX)
			divide_error(c);
	}
	c->r[REG_EAX] = (uint32_t)q;
	c->r[REG_EDX] = (uint32_t)r;
	lf_div(c);
}

/* r/m source: one handler per operation, size and form. */
#define ACC_SIZED(name, SZ)                                                              \
static void name##_r##SZ(struct cpu *c, const struct insn *i)                            \
{                                                                                        \
	name##SZ(c, REG##SZ(c, i->r0));                                                  \
	NEXT(c, i);                                                                      \
}                                                                                        \
static void name##_m##SZ(struct cpu *c, const struct insn *i)                            \
{                                                                                        \
	name##SZ(c, op_read(c, i, SZ));                                                  \
	NEXT(c, i);                                                                      \
}

#define ACC_OP(name)                                                                     \
	ACC_SIZED(name, 1)                                                               \
	ACC_SIZED(name, 2)                                                               \
	ACC_SIZED(name, 4)                                                               \
	static insn_fn *const name##_fns[2][3] = {                                       \
		{ name##_r1, name##_r2, name##_r4 }, { name##_m1, name##_m2, name##_m4 }, \
	};

ACC_OP(mul)
ACC_OP(imul)
ACC_OP(div)
ACC_OP(idiv)

enum { MUL, IMUL, DIV, IDIV };

static insn_fn *const (*const acc_tables[])[3] = {
	[MUL] = mul_fns, [IMUL] = imul_fns, [DIV] = div_fns, [IDIV] = idiv_fns,
};

/* ---- IMUL r, r/m and IMUL r, r/m, imm ---- */

static inline uint32_t imul_trunc(struct cpu *c, uint32_t a, uint32_t b, unsigned bits)
{
	int64_t p = (int64_t)(int32_t)sext(a, bits) * (int32_t)sext(b, bits);
	lf_mul(c, p != (int32_t)sext((uint32_t)p, bits));
	return (uint32_t)p;
}

#define IMUL_SIZED(SZ)                                                                   \
static void imul_rr##SZ(struct cpu *c, const struct insn *i)                             \
{                                                                                        \
	REG##SZ(c, i->r0) = imul_trunc(c, REG##SZ(c, i->r0), REG##SZ(c, i->r1), 8 * SZ);  \
	NEXT(c, i);                                                                      \
}                                                                                        \
static void imul_rm##SZ(struct cpu *c, const struct insn *i)                             \
{                                                                                        \
	REG##SZ(c, i->r0) = imul_trunc(c, REG##SZ(c, i->r0), op_read(c, i, SZ), 8 * SZ);  \
	NEXT(c, i);                                                                      \
}                                                                                        \
static void imul_rri##SZ(struct cpu *c, const struct insn *i)                            \
{                                                                                        \
	REG##SZ(c, i->r0) = imul_trunc(c, REG##SZ(c, i->r1), i->imm, 8 * SZ);            \
	NEXT(c, i);                                                                      \
}                                                                                        \
static void imul_rmi##SZ(struct cpu *c, const struct insn *i)                            \
{                                                                                        \
	REG##SZ(c, i->r0) = imul_trunc(c, op_read(c, i, SZ), i->imm, 8 * SZ);            \
	NEXT(c, i);                                                                      \
}

IMUL_SIZED(2)
IMUL_SIZED(4)

/* [three operands][source in memory][size] */
static insn_fn *const imul_n_fns[2][2][3] = {
	{ { NULL, imul_rr2, imul_rr4 }, { NULL, imul_rm2, imul_rm4 } },
	{ { NULL, imul_rri2, imul_rri4 }, { NULL, imul_rmi2, imul_rmi4 } },
};

static bool bind_acc(struct insn *i, const struct dec *d, unsigned op)
{
	if (op == IMUL && d->n > 1) {
		bool three = d->n == 3;
		if (d->kind[0] != OK_REG || (d->kind[1] != OK_REG && d->kind[1] != OK_MEM) ||
		    (three && d->kind[2] != OK_IMM) || d->n > 3)
			return false;
		return bind_sized(i, imul_n_fns[three][d->kind[1] == OK_MEM], d->size[0]);
	}
	if (d->n != 1 || (d->kind[0] != OK_REG && d->kind[0] != OK_MEM))
		return false;
	return bind_sized(i, acc_tables[op][d->kind[0] == OK_MEM], d->size[0]);
}

/* ---- BCD adjustments ---- */

/* SF/ZF/PF from the 8-bit r, CF, OF, AF as given. */
static inline void lf_bcd(struct cpu *c, uint32_t r, unsigned cf, unsigned of, unsigned af)
{
	lf_res_cf_of(c, r, 8, cf, of);
	if (af)
		c->lf_aux |= LF_AF;
}

static void daa(struct cpu *c, const struct insn *i)
{
	unsigned al = AL(c), cf = get_cf(c), af = get_af(c);

	if ((al & 0x0f) > 9 || af) {
		AL(c) = (uint8_t)(AL(c) + 6);
		af = 1;
	}
	/* The carry of the +6 step is overwritten by this one either way. */
	cf = al > 0x99 || cf;
	if (cf)
		AL(c) = (uint8_t)(AL(c) + 0x60);
	lf_bcd(c, AL(c), cf, 0, af);
	NEXT(c, i);
}

static void das(struct cpu *c, const struct insn *i)
{
	unsigned al = AL(c), cf = get_cf(c), af = get_af(c), ncf = 0;

	if ((al & 0x0f) > 9 || af) {
		ncf = cf | (al < 6);
		AL(c) = (uint8_t)(AL(c) - 6);
		af = 1;
	}
	if (al > 0x99 || cf) {
		AL(c) = (uint8_t)(AL(c) - 0x60);
		ncf = 1;
	}
	lf_bcd(c, AL(c), ncf, 0, af);
	NEXT(c, i);
}

static void aaa(struct cpu *c, const struct insn *i)
{
	unsigned adj = (AL(c) & 0x0f) > 9 || get_af(c);

	if (adj)
		R16(c, REG_EAX) = (uint16_t)(R16(c, REG_EAX) + 0x106);
	AL(c) &= 0x0f;
	lf_bcd(c, AL(c), adj, 0, adj);
	NEXT(c, i);
}

static void aas(struct cpu *c, const struct insn *i)
{
	unsigned adj = (AL(c) & 0x0f) > 9 || get_af(c);

	if (adj) {
		R16(c, REG_EAX) = (uint16_t)(R16(c, REG_EAX) - 6);
		AH(c) = (uint8_t)(AH(c) - 1);
	}
	AL(c) &= 0x0f;
	lf_bcd(c, AL(c), adj, 0, adj);
	NEXT(c, i);
}

static void aam(struct cpu *c, const struct insn *i)
{
	unsigned base = i->imm & 0xff, al = AL(c);

	if (base == 0)
		divide_error(c);
	AH(c) = (uint8_t)(al / base);
	AL(c) = (uint8_t)(al % base);
	lf_bcd(c, AL(c), 0, 0, 0);
	NEXT(c, i);
}

static void aad(struct cpu *c, const struct insn *i)
{
	uint32_t al = (AL(c) + AH(c) * (i->imm & 0xff)) & 0xff;

	R16(c, REG_EAX) = (uint16_t)al;
	lf_bcd(c, al, 0, 0, 0);
	NEXT(c, i);
}

enum { DAA, DAS, AAA, AAS, AAM, AAD };

static bool bind_bcd(struct insn *i, const struct dec *d, unsigned which)
{
	static insn_fn *const fns[] = {
		[DAA] = daa, [DAS] = das, [AAA] = aaa, [AAS] = aas, [AAM] = aam, [AAD] = aad,
	};
	if ((which == AAM || which == AAD) && (d->n != 1 || d->kind[0] != OK_IMM))
		return false;
	i->fn = fns[which];
	return true;
}

const struct binder ops_muldiv_binders[] = {
	{ ZYDIS_MNEMONIC_MUL, bind_acc, MUL },
	{ ZYDIS_MNEMONIC_IMUL, bind_acc, IMUL },
	{ ZYDIS_MNEMONIC_DIV, bind_acc, DIV },
	{ ZYDIS_MNEMONIC_IDIV, bind_acc, IDIV },
	{ ZYDIS_MNEMONIC_DAA, bind_bcd, DAA },
	{ ZYDIS_MNEMONIC_DAS, bind_bcd, DAS },
	{ ZYDIS_MNEMONIC_AAA, bind_bcd, AAA },
	{ ZYDIS_MNEMONIC_AAS, bind_bcd, AAS },
	{ ZYDIS_MNEMONIC_AAM, bind_bcd, AAM },
	{ ZYDIS_MNEMONIC_AAD, bind_bcd, AAD },
	{ 0, NULL, 0 },
};
