/*
 * muldiv: MUL, IMUL (one-, two- and three-operand forms), DIV and IDIV in
 * 8-, 16- and 32-bit forms, including the divide errors.
 *
 * Follows the SDM vol. 2 pages MUL, IMUL, DIV, IDIV and vol. 3, 6.15
 * (interrupt 0, #DE):
 *  - MUL sets CF = OF = 1 when the upper half of the product is non-zero;
 *  - IMUL sets CF = OF = 1 when the product does not fit, sign-extended, in
 *    the destination (one operand: the lower half; two/three: the
 *    destination register); SF, ZF, AF, PF are undefined and masked;
 *  - DIV/IDIV leave quotient and remainder in AL/AH, AX/DX, EAX/EDX; IDIV
 *    truncates toward zero, the remainder takes the dividend's sign; all
 *    flags are undefined;
 *  - a zero divisor or a quotient that does not fit (INT_MIN / -1 included)
 *    raises #DE, a fault: the saved EIP is the DIV/IDIV and no register
 *    changes.
 */
#include "rt.h"

RT_KERNEL("muldiv");

#define DEF_MD(fn, text)						\
static u32 fn(u32 *eax, u32 *edx, u32 src)				\
{									\
	u32 fo, a = *eax, d = *edx;					\
	asm volatile("movl $.Lmd_end%=, rt_resume\n\t"			\
		     "pushl $2\n\tpopfl\n\t" text "\n"			\
		     ".Lmd_end%=:\n\tpushfl\n\tpopl %[fo]\n\t"		\
		     "movl $0, rt_resume"				\
		     : "+a"(a), "+d"(d), [fo] "=&r"(fo)			\
		     : [s] "b"(src) : "cc", "memory");			\
	*eax = a;							\
	*edx = d;							\
	return fo;							\
}

DEF_MD(mul8, "mulb %b[s]")
DEF_MD(mul16, "mulw %w[s]")
DEF_MD(mul32, "mull %[s]")
DEF_MD(imul8, "imulb %b[s]")
DEF_MD(imul16, "imulw %w[s]")
DEF_MD(imul32, "imull %[s]")
DEF_MD(imul2_16, "imulw %w[s], %%ax")
DEF_MD(imul2_32, "imull %[s], %%eax")
DEF_MD(div8, "divb %b[s]")
DEF_MD(div16, "divw %w[s]")
DEF_MD(div32, "divl %[s]")
DEF_MD(idiv8, "idivb %b[s]")
DEF_MD(idiv16, "idivw %w[s]")
DEF_MD(idiv32, "idivl %[s]")

static u32 mask_of(int w)
{
	return w == 32 ? ~0u : (1u << w) - 1;
}

static s64 sext(u64 v, int bits)
{
	if (bits == 64)
		return v;
	v &= (1ull << bits) - 1;
	return v & (1ull << (bits - 1)) ? (s64)(v - (1ull << bits)) : (s64)v;
}

/* Bitwise long division: a freestanding kernel has no libgcc divide. */
static u64 udiv64(u64 n, u64 d, u64 *rem)
{
	u64 q = 0, r = 0;
	int i;

	for (i = 63; i >= 0; i--) {
		r = (r << 1) | ((n >> i) & 1);
		if (r >= d) {
			r -= d;
			q |= 1ull << i;
		}
	}
	*rem = r;
	return q;
}

static const u32 mul_vals[] = {
	0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
	0x7fffffff, 0x80000000, 0xffffffff, 0x12345678,
};

static void run_mul(int w, int sgn, u32 a, u32 b)
{
	static u32 (*const fns[2][3])(u32 *, u32 *, u32) = {
		{ mul8, mul16, mul32 }, { imul8, imul16, imul32 },
	};
	u32 m = mask_of(w), eax = (0x77770000 & ~m) | (a & m), edx = 0x5555aaaa;
	u32 f, lo, hi;
	u32 ehi, elo, ef;
	u64 p;

	a &= m, b &= m;
	f = fns[sgn][w == 8 ? 0 : w == 16 ? 1 : 2](&eax, &edx, b);
	if (sgn)
		p = (u64)(sext(a, w) * sext(b, w));
	else
		p = (u64)a * b;
	elo = p & m;
	ehi = (p >> w) & m;
	if (sgn)
		ef = (s64)sext(p, 2 * w) != sext(elo, w) ? EFLAGS_CF | EFLAGS_OF : 0;
	else
		ef = ehi ? EFLAGS_CF | EFLAGS_OF : 0;
	/* Narrow forms keep the register bits above the product. */
	lo = eax;
	hi = edx;
	if (w == 8) {
		elo |= (ehi << 8) | 0x77770000;
		ehi = 0x5555aaaa;
	} else if (w == 16) {
		elo |= 0x77770000;
		ehi |= 0x55550000;
	}
	rt_check_rf(lo, f & (EFLAGS_CF | EFLAGS_OF), elo, ef,
		    "%s%d 0x%x*0x%x low half", sgn ? "imul" : "mul", w, a, b);
	rt_check(hi, ehi, "%s%d 0x%x*0x%x high half", sgn ? "imul" : "mul",
		 w, a, b);
}

static void run_imul2(int w, u32 a, u32 b)
{
	u32 m = mask_of(w), eax = a, edx = 0, f, exp, ef;
	s64 p = sext(a, w) * sext(b, w);

	f = (w == 16 ? imul2_16 : imul2_32)(&eax, &edx, b);
	exp = (u32)p & m;
	ef = p != sext(exp, w) ? EFLAGS_CF | EFLAGS_OF : 0;
	if (w == 16)
		exp |= a & ~m;
	rt_check_rf(eax, f & (EFLAGS_CF | EFLAGS_OF), exp, ef,
		    "imul r%d, r%d 0x%x*0x%x", w, w, a & m, b & m);
}

/* Three-operand forms: imm8 is sign-extended, imm32 taken whole. */
static void run_imul3(void)
{
	u32 r, f;

	asm volatile("imull $-3, %2, %0\n\tpushfl\n\tpopl %1"
		     : "=r"(r), "=r"(f) : "r"(0x40000000) : "cc");
	rt_check_rf(r, f & (EFLAGS_CF | EFLAGS_OF), 0x40000000, EFLAGS_CF | EFLAGS_OF,
		    "imul r32, r32, imm8 -3 (6B): overflow, truncated product");
	asm volatile("imull $0x10000, %2, %0\n\tpushfl\n\tpopl %1"
		     : "=r"(r), "=r"(f) : "r"(0xffff8000) : "cc");
	rt_check_rf(r, f & (EFLAGS_CF | EFLAGS_OF), 0x80000000, 0,
		    "imul r32, r32, imm32 (69): -2^31 fits");
	r = 0xdead0000;
	asm volatile("imulw $-1, %w2, %w0\n\tpushfl\n\tpopl %1"
		     : "+r"(r), "=r"(f) : "r"(0x8000) : "cc");
	rt_check_rf(r, f & (EFLAGS_CF | EFLAGS_OF), 0xdead8000, EFLAGS_CF | EFLAGS_OF,
		    "imul r16, r16, imm8 -1: -(-32768) overflows 16 bits");
}

struct div_case {
	int w, sgn;
	u32 hi, lo, d;
};

/* Dividend halves as the instruction sees them: AX for 8-bit, else DX:AX /
 * EDX:EAX. */
static const struct div_case div_cases[] = {
	{ 8, 0, 0, 0x0064, 0x07 }, { 8, 0, 0, 0xffff, 0xff },
	{ 8, 0, 0, 0x0100, 0x01 }, { 8, 0, 0, 0x1234, 0x00 },
	{ 8, 1, 0, 0xff9c, 0x07 }, { 8, 1, 0, 0x0064, 0xf9 },
	{ 8, 1, 0, 0xff80, 0x01 }, { 8, 1, 0, 0xff80, 0xff },
	{ 8, 1, 0, 0xff00, 0x02 }, { 8, 1, 0, 0x0080, 0x01 },
	{ 16, 0, 0x0001, 0x0000, 0x0002 }, { 16, 0, 0xfffe, 0xffff, 0xffff },
	{ 16, 0, 0x0001, 0x0000, 0x0001 }, { 16, 1, 0xffff, 0x8000, 0xffff },
	{ 16, 1, 0xffff, 0xfff9, 0x0002 }, { 16, 1, 0x0000, 0x7fff, 0xffff },
	{ 32, 0, 0x00000001, 0x00000000, 0x00000003 },
	{ 32, 0, 0xfffffffe, 0xffffffff, 0xffffffff },
	{ 32, 0, 0xffffffff, 0xffffffff, 0xffffffff },
	{ 32, 0, 0x00000000, 0x00000000, 0x00000000 },
	{ 32, 1, 0xffffffff, 0x80000000, 0xffffffff },
	{ 32, 1, 0xffffffff, 0x80000000, 0x00000001 },
	{ 32, 1, 0xffffffff, 0xfffffff9, 0x00000002 },
	{ 32, 1, 0x00000000, 0x00000007, 0xfffffffe },
	{ 32, 1, 0xc0000000, 0x00000000, 0x80000000 },
	{ 32, 1, 0x3fffffff, 0xffffffff, 0x7fffffff },
	{ 32, 1, 0x00000000, 0x00000000, 0x00000000 },
};

static void run_div(const struct div_case *c)
{
	static u32 (*const fns[2][3])(u32 *, u32 *, u32) = {
		{ div8, div16, div32 }, { idiv8, idiv16, idiv32 },
	};
	u32 m = mask_of(c->w), eax, edx, eax0, edx0, q32, r32, at;
	u64 n, q, r, nd, dd;
	int de = 0, qneg, rneg;
	const char *name = c->sgn ? "idiv" : "div";

	if (c->w == 8) {
		eax0 = 0xbeef0000 | c->lo;
		edx0 = 0x13572468;
		n = c->lo;
	} else {
		eax0 = (c->w == 16 ? 0xbeef0000 : 0) | c->lo;
		edx0 = (c->w == 16 ? 0x13570000 : 0) | c->hi;
		n = ((u64)c->hi << c->w) | c->lo;
	}
	if (!c->d) {
		de = 1;
	} else if (!c->sgn) {
		q = udiv64(n, c->d, &r);
		de = q > m;
	} else {
		s64 sn = sext(n, 2 * c->w), sd = sext(c->d, c->w);

		nd = sn < 0 ? -sn : sn;
		dd = sd < 0 ? -sd : sd;
		q = udiv64(nd, dd, &r);
		qneg = (sn < 0) != (sd < 0);
		rneg = sn < 0;
		/* The quotient's range is [-2^(w-1), 2^(w-1) - 1]. */
		de = qneg ? q > (u64)(m >> 1) + 1 : q > (m >> 1);
		if (qneg)
			q = -q;
		if (rneg)
			r = -r;
	}
	eax = eax0, edx = edx0;
	rt_trap_reset();
	fns[c->sgn][c->w == 8 ? 0 : c->w == 16 ? 1 : 2](&eax, &edx, c->d);
	if (de) {
		at = rt_trap.eip;
		rt_check(rt_trap.count == 1 && rt_trap.vector == X86_EXC_DE, 1,
			 "%s%d 0x%x:0x%x/0x%x raises #DE", name, c->w, c->hi,
			 c->lo, c->d);
		rt_check(*(u8 *)at == (c->w == 8 ? 0xf6 : 0xf7) ||
			 (*(u8 *)at == 0x66 && ((u8 *)at)[1] == 0xf7), 1,
			 "%s%d 0x%x:0x%x/0x%x #DE saved EIP is the divide",
			 name, c->w, c->hi, c->lo, c->d);
		rt_check(eax == eax0 && edx == edx0, 1,
			 "%s%d 0x%x:0x%x/0x%x #DE leaves EAX and EDX unchanged",
			 name, c->w, c->hi, c->lo, c->d);
		return;
	}
	rt_check(rt_trap.count, 0, "%s%d 0x%x:0x%x/0x%x no exception", name,
		 c->w, c->hi, c->lo, c->d);
	q32 = q & m;
	r32 = r & m;
	if (c->w == 8) {
		rt_check(eax, (eax0 & 0xffff0000) | (r32 << 8) | q32,
			 "%s8 0x%x/0x%x AL=quotient AH=remainder", name, c->lo,
			 c->d);
		rt_check(edx, edx0, "%s8 leaves EDX alone", name);
	} else {
		rt_check(eax, (eax0 & ~m) | q32, "%s%d 0x%x:0x%x/0x%x quotient",
			 name, c->w, c->hi, c->lo, c->d);
		rt_check(edx, (edx0 & ~m) | r32, "%s%d 0x%x:0x%x/0x%x remainder",
			 name, c->w, c->hi, c->lo, c->d);
	}
}

void kmain(void)
{
	static const int widths[] = { 8, 16, 32 };
	u32 i, j, w, sgn;

	for (w = 0; w < 3; w++)
		for (sgn = 0; sgn < 2; sgn++)
			for (i = 0; i < ARRAY_SIZE(mul_vals); i += 2)
				for (j = 1; j < ARRAY_SIZE(mul_vals); j += 3)
					run_mul(widths[w], sgn, mul_vals[i],
						mul_vals[j]);
	for (i = 0; i < ARRAY_SIZE(mul_vals); i += 3)
		for (j = 0; j < ARRAY_SIZE(mul_vals); j += 2) {
			run_imul2(16, mul_vals[i] | 0xabcd0000, mul_vals[j]);
			run_imul2(32, mul_vals[i], mul_vals[j]);
		}
	run_imul3();
	for (i = 0; i < ARRAY_SIZE(div_cases); i++)
		run_div(&div_cases[i]);
}
