/*
 * alu: two-operand and one-operand integer arithmetic and logic with every
 * flag the SDM defines for them.
 *
 * Follows the SDM vol. 2 pages of ADD, ADC, SUB, SBB, CMP, AND, OR, XOR,
 * TEST, NEG, INC, DEC, NOT and vol. 1, 3.4.3.1 (status flags):
 *  - arithmetic sets CF, OF, SF, ZF, AF, PF from the result;
 *  - logic clears CF and OF, sets SF, ZF, PF, leaves AF undefined (masked);
 *  - INC and DEC leave CF as it was; NOT changes no flag; NEG sets CF
 *    unless the operand is 0.
 * Each case runs in 8-, 16- (0x66 prefix) and 32-bit forms; the narrow forms
 * must leave the rest of the destination register untouched. Expected
 * values come from a model written from those definitions, plus a table of
 * hand-computed edge cases. Input flags alternate between all-clear and
 * all-set so that a flag an instruction forgets to write shows up.
 */
#include "rt.h"

RT_KERNEL("alu");

enum op { ADD, ADC, SUB, SBB, CMP, AND, OR, XOR, TEST, NEG, INC, DEC, NOT };

static const char *const op_name[] = {
	"add", "adc", "sub", "sbb", "cmp", "and", "or", "xor", "test",
	"neg", "inc", "dec", "not",
};

/* Runs one instruction with EFLAGS = fin; returns the destination register. */
#define DEF_BIN(fn, text)						\
static u32 fn(u32 a, u32 b, u32 fin, u32 *fout)				\
{									\
	u32 fo;								\
	asm volatile("pushl %[fi]\n\tpopfl\n\t" text "\n\t"		\
		     "pushfl\n\tpopl %[fo]"				\
		     : [a] "+q"(a), [fo] "=&r"(fo)			\
		     : [b] "q"(b), [fi] "r"(fin) : "cc");		\
	*fout = fo;							\
	return a;							\
}

#define DEF_BIN3(op)							\
	DEF_BIN(op##8, #op "b %b[b], %b[a]")				\
	DEF_BIN(op##16, #op "w %w[b], %w[a]")				\
	DEF_BIN(op##32, #op "l %[b], %[a]")

#define DEF_UN3(op)							\
	DEF_BIN(op##8, #op "b %b[a]")					\
	DEF_BIN(op##16, #op "w %w[a]")					\
	DEF_BIN(op##32, #op "l %[a]")

DEF_BIN3(add)
DEF_BIN3(adc)
DEF_BIN3(sub)
DEF_BIN3(sbb)
DEF_BIN3(cmp)
DEF_BIN3(and)
DEF_BIN3(or)
DEF_BIN3(xor)
DEF_BIN3(test)
DEF_UN3(neg)
DEF_UN3(inc)
DEF_UN3(dec)
DEF_UN3(not)

typedef u32 (*op_fn)(u32, u32, u32, u32 *);

static const op_fn op_fns[][3] = {
	{ add8, add16, add32 }, { adc8, adc16, adc32 },
	{ sub8, sub16, sub32 }, { sbb8, sbb16, sbb32 },
	{ cmp8, cmp16, cmp32 }, { and8, and16, and32 },
	{ or8, or16, or32 }, { xor8, xor16, xor32 },
	{ test8, test16, test32 }, { neg8, neg16, neg32 },
	{ inc8, inc16, inc32 }, { dec8, dec16, dec32 },
	{ not8, not16, not32 },
};

static int width_idx(int w)
{
	return w == 8 ? 0 : w == 16 ? 1 : 2;
}

static u32 parity_flag(u32 r)
{
	u32 bits = 0, i;

	for (i = 0; i < 8; i++)
		bits += (r >> i) & 1;
	return bits & 1 ? 0 : EFLAGS_PF;
}

static u32 szp(u32 r, u32 sign)
{
	return (r ? 0 : EFLAGS_ZF) | (r & sign ? EFLAGS_SF : 0) | parity_flag(r);
}

/*
 * The SDM's flag definitions. Returns the expected destination value and
 * stores the expected flags (restricted to *mask, the defined ones).
 */
static u32 model(enum op op, int w, u32 a, u32 b, u32 fin, u32 *flags,
		 u32 *mask)
{
	u32 m = w == 32 ? 0xffffffff : (1u << w) - 1;
	u32 sign = 1u << (w - 1);
	u32 cin = fin & EFLAGS_CF, r = 0, f = 0;
	u64 wide;

	a &= m;
	b &= m;
	*mask = EFLAGS_STATUS;
	switch (op) {
	case NEG:
		b = a;
		a = 0;
		cin = 0;
		/* fall through */
	case SUB:
	case SBB:
	case CMP:
	case DEC:
		if (op == SUB || op == CMP)
			cin = 0;
		if (op == DEC)
			b = 1, cin = 0;
		r = (a - b - cin) & m;
		if ((u64)b + cin > a)
			f |= EFLAGS_CF;
		if ((a ^ b) & (a ^ r) & sign)
			f |= EFLAGS_OF;
		if ((a ^ b ^ r) & 0x10)
			f |= EFLAGS_AF;
		break;
	case ADD:
	case ADC:
	case INC:
		if (op != ADC)
			cin = 0;
		if (op == INC)
			b = 1;
		wide = (u64)a + b + cin;
		r = wide & m;
		if (wide > m)
			f |= EFLAGS_CF;
		if (~(a ^ b) & (a ^ r) & sign)
			f |= EFLAGS_OF;
		if ((a ^ b ^ r) & 0x10)
			f |= EFLAGS_AF;
		break;
	case AND:
	case TEST:
		r = a & b;
		*mask &= ~EFLAGS_AF;
		break;
	case OR:
		r = a | b;
		*mask &= ~EFLAGS_AF;
		break;
	case XOR:
		r = a ^ b;
		*mask &= ~EFLAGS_AF;
		break;
	case NOT:
		r = ~a & m;
		break;
	}
	f |= szp(r, sign);
	if (op == INC || op == DEC)
		f = (f & ~EFLAGS_CF) | (fin & EFLAGS_CF);
	if (op == NOT)
		f = fin & EFLAGS_STATUS;
	*flags = f & *mask;
	if (op == CMP || op == TEST)
		return a;
	return r;
}

/* The upper bits of narrow destinations must survive; see DEF_BIN. */
#define UPPER_JUNK	0xa5c30000

static void run(enum op op, int w, u32 a, u32 b, u32 fin)
{
	u32 m = w == 32 ? 0xffffffff : (1u << w) - 1;
	u32 reg = (a & m) | (w == 32 ? 0 : UPPER_JUNK & ~m);
	u32 ef, mask, gf, got, exp;

	exp = model(op, w, a, b, fin, &ef, &mask);
	exp |= reg & ~m;
	got = op_fns[op][width_idx(w)](reg, b, fin | EFLAGS_FIXED, &gf);
	if (op >= NEG)
		rt_check_rf(got, gf & mask, exp, ef, "%s%d 0x%x flags-in 0x%x",
			    op_name[op], w, a & m, fin);
	else
		rt_check_rf(got, gf & mask, exp, ef,
			    "%s%d 0x%x,0x%x flags-in 0x%x", op_name[op], w,
			    a & m, b & m, fin);
}

struct pair {
	u32 a, b;
};

static const struct pair pairs8[] = {
	{ 0x7f, 0x01 }, { 0x80, 0x80 }, { 0xff, 0x01 }, { 0x0f, 0x01 },
	{ 0x80, 0x01 }, { 0x00, 0x01 }, { 0x5a, 0xa5 }, { 0x33, 0x33 },
};
static const struct pair pairs16[] = {
	{ 0x7fff, 0x0001 }, { 0x8000, 0x8000 }, { 0xffff, 0x0001 },
	{ 0x00ff, 0x0001 }, { 0x8000, 0x0001 }, { 0x0000, 0x0001 },
	{ 0x1234, 0xedcc }, { 0x0f0f, 0x0f0f },
};
static const struct pair pairs32[] = {
	{ 0x7fffffff, 0x00000001 }, { 0x80000000, 0x80000000 },
	{ 0xffffffff, 0x00000001 }, { 0x0000000f, 0x00000001 },
	{ 0x80000000, 0x00000001 }, { 0x00000000, 0x00000001 },
	{ 0x12345678, 0xedcba988 }, { 0xdeadbeef, 0xdeadbeef },
};
static void run_width(int w, const struct pair *p, u32 n)
{
	u32 i, op, fin;

	for (op = ADD; op <= TEST; op++) {
		for (i = 0; i < n; i++) {
			fin = i & 1 ? EFLAGS_STATUS : 0;
			run(op, w, p[i].a, p[i].b, fin);
			if (op == ADC || op == SBB)
				run(op, w, p[i].a, p[i].b, fin ^ EFLAGS_STATUS);
		}
	}
}

static void run_unary(void)
{
	static const int widths[] = { 8, 16, 32 };
	u32 i, op, w, m, v[7];

	for (op = NEG; op <= NOT; op++) {
		for (w = 0; w < 3; w++) {
			m = widths[w] == 32 ? ~0u : (1u << widths[w]) - 1;
			/* Zero, one, the signed extremes, all ones, a nibble edge. */
			v[0] = 0, v[1] = 1, v[2] = m >> 1, v[3] = (m >> 1) + 1;
			v[4] = m, v[5] = 0x0f, v[6] = 0x10;
			for (i = 0; i < ARRAY_SIZE(v); i++)
				run(op, widths[w], v[i], 0,
				    i & 1 ? EFLAGS_STATUS : 0);
		}
	}
}

/* Hand-computed from the SDM definitions, independent of the model. */
struct literal {
	enum op op;
	int w;
	u32 a, b, fin, res, flags;
};

static const struct literal literals[] = {
	{ ADD, 32, 0x7fffffff, 1, 0, 0x80000000,
	  EFLAGS_OF | EFLAGS_SF | EFLAGS_AF | EFLAGS_PF },
	{ ADD, 8, 0xff, 0x01, 0, 0x00,
	  EFLAGS_CF | EFLAGS_ZF | EFLAGS_AF | EFLAGS_PF },
	{ ADC, 16, 0xffff, 0x0000, EFLAGS_CF, 0x0000,
	  EFLAGS_CF | EFLAGS_ZF | EFLAGS_AF | EFLAGS_PF },
	{ SUB, 8, 0x80, 0x01, 0, 0x7f, EFLAGS_OF | EFLAGS_AF },
	{ SBB, 32, 0, 0, EFLAGS_CF, 0xffffffff,
	  EFLAGS_CF | EFLAGS_SF | EFLAGS_AF | EFLAGS_PF },
	{ CMP, 32, 1, 2, 0, 1, EFLAGS_CF | EFLAGS_SF | EFLAGS_AF | EFLAGS_PF },
	{ XOR, 32, 0x0f, 0x0f, EFLAGS_STATUS, 0, EFLAGS_ZF | EFLAGS_PF },
	{ NEG, 8, 0x80, 0, 0, 0x80, EFLAGS_CF | EFLAGS_OF | EFLAGS_SF },
	{ NEG, 32, 0, 0, EFLAGS_STATUS, 0, EFLAGS_ZF | EFLAGS_PF },
	{ INC, 16, 0x7fff, 0, EFLAGS_CF, 0x8000,
	  EFLAGS_CF | EFLAGS_OF | EFLAGS_SF | EFLAGS_AF | EFLAGS_PF },
	{ DEC, 32, 0, 0, 0, 0xffffffff, EFLAGS_SF | EFLAGS_AF | EFLAGS_PF },
};

static void run_literals(void)
{
	const struct literal *l;
	u32 i, gf, got, mask;

	for (i = 0; i < ARRAY_SIZE(literals); i++) {
		l = &literals[i];
		mask = l->op >= AND && l->op <= TEST ?
			EFLAGS_STATUS & ~EFLAGS_AF : EFLAGS_STATUS;
		got = op_fns[l->op][width_idx(l->w)](l->a, l->b,
				l->fin | EFLAGS_FIXED, &gf);
		rt_check_rf(got, gf & mask, l->res, l->flags,
			    "literal %s%d 0x%x,0x%x flags-in 0x%x",
			    op_name[l->op], l->w, l->a, l->b, l->fin);
	}
}

/* Multi-word arithmetic: the carry/borrow must ripple through ADC/SBB. */
static void run_chains(void)
{
	u32 w[3], cf;

	w[0] = 0xffffffff, w[1] = 0xffffffff, w[2] = 0x7fffffff;
	asm volatile("addl $1, %0\n\tadcl $0, %1\n\tadcl $0, %2\n\t"
		     "setc %b3\n\tmovzbl %b3, %3"
		     : "+r"(w[0]), "+r"(w[1]), "+r"(w[2]), "=q"(cf) : : "cc");
	rt_check(w[0] | w[1], 0, "adc chain: low words wrap to 0");
	rt_check(w[2], 0x80000000, "adc chain: carry reaches the top word");
	rt_check(cf, 0, "adc chain: no carry out of 96 bits");

	w[0] = 0, w[1] = 0, w[2] = 0;
	asm volatile("subl $1, %0\n\tsbbl $0, %1\n\tsbbl $0, %2\n\t"
		     "setc %b3\n\tmovzbl %b3, %3"
		     : "+r"(w[0]), "+r"(w[1]), "+r"(w[2]), "=q"(cf) : : "cc");
	rt_check(w[0] & w[1] & w[2], 0xffffffff, "sbb chain: borrow ripples");
	rt_check(cf, 1, "sbb chain: borrow out of 96 bits");

	w[0] = 0x89abcdef, w[1] = 0x01234567;
	asm volatile("addl $0x76543211, %0\n\tadcl $0xfedcba98, %1\n\t"
		     "setc %b2\n\tmovzbl %b2, %2"
		     : "+r"(w[0]), "+r"(w[1]), "=q"(cf) : : "cc");
	rt_check64(((u64)w[1] << 32) | w[0], 0x0000000000000000ull,
		   "adc chain: 64-bit sum of complements wraps to 0");
	rt_check(cf, 1, "adc chain: carry out of 64 bits");
}

void kmain(void)
{
	run_literals();
	run_width(8, pairs8, ARRAY_SIZE(pairs8));
	run_width(16, pairs16, ARRAY_SIZE(pairs16));
	run_width(32, pairs32, ARRAY_SIZE(pairs32));
	run_unary();
	run_chains();
}
