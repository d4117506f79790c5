/*
 * Multiply, divide and decimal adjustments (ops_muldiv.c).
 *
 * MUL, IMUL (one, two and three operands), DIV and IDIV run against the
 * host CPU (oracle.h): results, CF/OF after multiplies, and #DE with
 * nothing committed, over edge and random operands in every size.
 *
 * DAA, DAS, AAA, AAS, AAM and AAD are invalid in 64-bit mode, and this
 * host cannot run 32-bit code, so they are checked three other ways:
 * decimal arithmetic itself (ADD/ADC then DAA must give the decimal sum of
 * any two packed-BCD bytes, and so on), the SDM's worked examples, and an
 * independent transcription of the SDM pseudo-code over every input.
 */
#include "tests/unit/oracle.h"

TestSuite(cpu_muldiv);

static void add_rm_src(struct oset *s, const uint8_t *op, unsigned oplen, unsigned sz,
		       unsigned reg, bool mem, uint32_t eax, uint32_t edx, uint32_t src,
		       uint32_t fin, uint32_t defined)
{
	uint8_t code[8];
	unsigned len = 0;

	if (sz == 2)
		code[len++] = 0x66;
	memcpy(code + len, op, oplen);
	len += oplen;
	/* [esi], BH or EBX */
	code[len++] = mem ? modrm(0, reg, 6) : modrm(3, reg, sz == 1 ? 7 : 3);
	struct oracle_in *c = oset_code(s, code, len, fin, defined);
	c->r[REG_EAX] = eax;
	c->r[REG_EDX] = edx;
	c->r[REG_EBX] = sz == 1 ? src << 8 | 0x5a : src;
	c->r[REG_ESI] = ORACLE_MEM;
	if (mem) {
		memcpy(c->mem, &src, 4);
		c->r[REG_EBX] = 0xdeadbeef;
	}
}

/* MUL and IMUL r/m: AX, DX:AX, EDX:EAX and CF = OF, every size and form. */
Test(cpu_muldiv, mul_imul_one_operand)
{
	struct oset s = { 0 };
	uint64_t rnd = 11;

	for (unsigned reg = 4; reg <= 5; reg++)
		for (unsigned sz = 1; sz <= 4; sz *= 2) {
			uint8_t op = sz == 1 ? 0xf6 : 0xf7;
			for (unsigned a = 0; a < ORACLE_NEDGES + 8; a++)
				for (unsigned b = 0; b < ORACLE_NEDGES + 8; b++) {
					uint32_t x = oedge(a, &rnd), y = oedge(b, &rnd);
					add_rm_src(&s, &op, 1, sz, reg, (a + b) % 7 == 0, x,
						   orand(&rnd), y, orand(&rnd) & OF_ALL,
						   EFLAGS_CF | EFLAGS_OF);
				}
		}
	oracle_check(&s);
	oset_free(&s);
}

/* IMUL r, r/m and IMUL r, r/m, imm8/imm16/imm32: truncated product, CF/OF. */
Test(cpu_muldiv, imul_two_and_three_operands)
{
	struct oset s = { 0 };
	uint64_t rnd = 12;

	for (unsigned sz = 2; sz <= 4; sz *= 2)
		for (unsigned a = 0; a < ORACLE_NEDGES + 8; a++)
			for (unsigned b = 0; b < ORACLE_NEDGES + 8; b++) {
				uint32_t x = oedge(a, &rnd), y = oedge(b, &rnd);
				uint32_t f = orand(&rnd) & OF_ALL, d = EFLAGS_CF | EFLAGS_OF;
				bool mem = (a ^ b) & 1;
				static const uint8_t two[] = { 0x0f, 0xaf };

				/* imul eax|ax, ebx|[esi] */
				add_rm_src(&s, two, 2, sz, 0, mem, x, 0, y, f, d);

				/* imul edx, ebx|[esi], imm8 and imm16/32 */
				uint8_t code[12];
				unsigned len = 0;
				if (sz == 2)
					code[len++] = 0x66;
				bool imm8 = b & 1;
				code[len++] = imm8 ? 0x6b : 0x69;
				code[len++] = mem ? modrm(0, 2, 6) : modrm(3, 2, 3);
				memcpy(code + len, &x, imm8 ? 1 : sz);
				len += imm8 ? 1 : sz;
				struct oracle_in *c = oset_code(&s, code, len, f, d);
				c->r[REG_EBX] = y;
				c->r[REG_EDX] = orand(&rnd);
				c->r[REG_ESI] = ORACLE_MEM;
				memcpy(c->mem, &y, 4);
			}
	oracle_check(&s);
	oset_free(&s);
}

/* DIV and IDIV: quotient and remainder, and #DE (zero divisor, quotient
 * overflow, INT_MIN / -1) with every register and flag untouched. */
Test(cpu_muldiv, div_idiv)
{
	struct oset s = { 0 };
	uint64_t rnd = 13;
	static const uint32_t divisors[] = {
		0, 1, 2, 3, 7, 10, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x10000,
		0x7fffffff, 0x80000000u, 0xfffffffeu, 0xffffffffu, 0x12345, 0xfffffff9u,
	};

	for (unsigned reg = 6; reg <= 7; reg++)
		for (unsigned sz = 1; sz <= 4; sz *= 2) {
			uint8_t op = sz == 1 ? 0xf6 : 0xf7;
			for (unsigned d = 0; d < sizeof(divisors) / sizeof(divisors[0]); d++)
				for (unsigned k = 0; k < ORACLE_NEDGES + 12; k++) {
					uint32_t lo = oedge(k, &rnd);
					/* A high half of 0, -1 or small makes most cases fit. */
					uint32_t hi = orand(&rnd) & (k % 4 == 2 ? 0xff : ~0u);
					hi = k % 4 == 0 ? 0 : k % 4 == 1 ? ~0u : hi;
					add_rm_src(&s, &op, 1, sz, reg, k % 5 == 0, lo, hi,
						   divisors[d], orand(&rnd) & OF_ALL, 0);
				}
			/* INT_MIN / -1 in each size, and the 64-bit INT64_MIN / -1. */
			add_rm_src(&s, &op, 1, sz, reg, false, 0xffffff80u, 0, 0xff, 0, 0);
			add_rm_src(&s, &op, 1, sz, reg, false, 0x8000, 0xffff, 0xffff, 0, 0);
			add_rm_src(&s, &op, 1, sz, reg, false, 0x80000000u, ~0u, ~0u, 0, 0);
			add_rm_src(&s, &op, 1, sz, reg, false, 0, 0x80000000u, ~0u, 0, 0);
			add_rm_src(&s, &op, 1, sz, reg, true, 0, 0x80000000u, ~0u, 0, 0);
		}
	oracle_check(&s);
	oset_free(&s);
}

/* #DE is a fault: delivered with EIP at the DIV, EDX:EAX unchanged. */
Test(cpu_muldiv, divide_error_is_precise)
{
	struct tm *m = tm_new();
	static const uint8_t code[] = {
		0x40,			/* inc eax */
		0xf7, 0x36,		/* div dword [esi] */
		0xf4,
	};

	m->cpu->r[REG_EAX] = 5;
	m->cpu->r[REG_EDX] = 7;
	m->cpu->r[REG_ESI] = TM_DATA;
	tm_wr32(m, TM_DATA, 7);		/* quotient 7*2^32/7 does not fit */
	cr_assert_eq(tm_run(m, code, sizeof(code), 10), CPU_STOP_REQUESTED);
	cr_assert_eq(m->ev.vector, X86_EXC_DE);
	cr_assert_eq(m->ev.eip, TM_CODE + 1);
	cr_assert_eq(m->cpu->r[REG_EAX], 6);
	cr_assert_eq(m->cpu->r[REG_EDX], 7);
	cr_assert_eq(m->cpu->insns, 1);
	tm_free(m);
}

/* ---- BCD: the simulator alone, against arithmetic and the SDM ---- */

struct run {
	uint32_t eax, fl;
	int fault;
};

static struct run run_code(struct tm *m, const uint8_t *code, unsigned len, uint32_t eax,
			   uint32_t ebx, uint32_t fl)
{
	struct oracle_in in = { .len = len, .eflags = fl };
	struct oracle_out out;

	memcpy(in.code, code, len);
	in.r[REG_EAX] = eax;
	in.r[REG_EBX] = ebx;
	oracle_sim(m, &in, &out);
	return (struct run){ out.r[REG_EAX], out.eflags, out.fault };
}

static uint32_t bcd(unsigned v)
{
	return (v / 10) << 4 | v % 10;
}

static uint32_t szp8(uint32_t r)
{
	r &= 0xff;
	return (r == 0 ? EFLAGS_ZF : 0) | (r & 0x80 ? EFLAGS_SF : 0) |
	       (__builtin_parity(r) ? 0 : EFLAGS_PF);
}

/* ADC AL, BL; DAA gives the decimal sum of any two packed-BCD bytes and a
 * carry; SBB AL, BL; DAS the decimal difference and a borrow. */
Test(cpu_muldiv, daa_das_do_decimal_arithmetic)
{
	struct tm *m = tm_new();
	static const uint8_t add[] = { 0x12, 0xc3, 0x27 };	/* adc al, bl; daa */
	static const uint8_t sub[] = { 0x1a, 0xc3, 0x2f };	/* sbb al, bl; das */

	for (unsigned a = 0; a < 100; a++)
		for (unsigned b = 0; b < 100; b++)
			for (unsigned cin = 0; cin <= 1; cin++) {
				unsigned sum = a + b + cin;
				int diff = (int)a - (int)b - (int)cin;
				uint32_t ax = 0x1200 | bcd(a);
				struct run r = run_code(m, add, sizeof(add), ax, bcd(b), cin);
				cr_assert_eq(r.eax, 0x1200 | bcd(sum % 100), "%u+%u+%u", a, b, cin);
				cr_assert_eq(r.fl & EFLAGS_CF, sum >= 100, "%u+%u+%u", a, b, cin);
				cr_assert_eq(r.fl & (EFLAGS_ZF | EFLAGS_SF | EFLAGS_PF),
					     szp8(bcd(sum % 100)));
				r = run_code(m, sub, sizeof(sub), 0x3400 | bcd(a), bcd(b), cin);
				cr_assert_eq(r.eax, 0x3400 | bcd((unsigned)(diff + 100) % 100),
					     "%u-%u-%u", a, b, cin);
				cr_assert_eq(r.fl & EFLAGS_CF, diff < 0, "%u-%u-%u", a, b, cin);
			}
	tm_free(m);
}

/* ADD AL, BL; AAA on unpacked digits carries into AH; SUB; AAS borrows. */
Test(cpu_muldiv, aaa_aas_do_unpacked_arithmetic)
{
	struct tm *m = tm_new();
	static const uint8_t add[] = { 0x02, 0xc3, 0x37 };	/* add al, bl; aaa */
	static const uint8_t sub[] = { 0x2a, 0xc3, 0x3f };	/* sub al, bl; aas */

	for (unsigned ah = 0; ah < 10; ah++)
		for (unsigned a = 0; a < 10; a++)
			for (unsigned b = 0; b < 10; b++) {
				/* ASCII digits: the high nibble 3 is ignored by both. */
				uint32_t ax = ah << 8 | (0x30 + a);
				struct run r = run_code(m, add, sizeof(add), ax, 0x30 + b, 0);
				unsigned v = ah * 10 + a + b;
				uint32_t want = (v / 10) << 8 | v % 10;
				cr_assert_eq(r.eax & 0xffff, want, "%u%u+%u", ah, a, b);
				cr_assert_eq(!!(r.fl & EFLAGS_CF), a + b > 9);
				cr_assert_eq(!!(r.fl & EFLAGS_AF), a + b > 9);
				ax = (ah + 1) << 8 | (0x30 + a);
				r = run_code(m, sub, sizeof(sub), ax, 0x30 + b, 0);
				v = (ah + 1) * 10 + a - b;
				want = (v / 10) << 8 | v % 10;
				cr_assert_eq(r.eax & 0xffff, want, "%u%u-%u", ah + 1, a, b);
				cr_assert_eq(!!(r.fl & EFLAGS_CF), a < b);
			}
	tm_free(m);
}

/* The SDM's worked examples for DAA and DAS (their OSZAPC columns). */
Test(cpu_muldiv, sdm_examples)
{
	struct tm *m = tm_new();
	static const uint8_t add_daa[] = { 0x00, 0xd8, 0x27 };	/* add al, bl; daa */
	static const uint8_t sub_das[] = { 0x28, 0xd8, 0x2f };	/* sub al, bl; das */
	const uint32_t cmp = EFLAGS_SF | EFLAGS_ZF | EFLAGS_AF | EFLAGS_PF | EFLAGS_CF;

	struct run r = run_code(m, add_daa, sizeof(add_daa), 0x79, 0x35, 0);
	cr_assert_eq(r.eax, 0x14);
	cr_assert_eq(r.fl & cmp, EFLAGS_AF | EFLAGS_PF | EFLAGS_CF);	/* X00111 */
	r = run_code(m, sub_das, sizeof(sub_das), 0x35, 0x47, 0);
	cr_assert_eq(r.eax, 0x88);
	cr_assert_eq(r.fl & cmp, EFLAGS_SF | EFLAGS_AF | EFLAGS_PF | EFLAGS_CF);	/* X10111 */
	tm_free(m);
}

/* The SDM pseudo-code of DAA/DAS/AAA/AAS, transcribed independently of
 * ops_muldiv.c, for every AL, AF and CF (and AH values for AAA/AAS). */
static void bcd_model(unsigned op, uint32_t ax, uint32_t fin, uint32_t *ax_out, uint32_t *fl)
{
	unsigned al = ax & 0xff, cf = fin & EFLAGS_CF, af = !!(fin & EFLAGS_AF);
	unsigned lo_adj = (al & 15) > 9 || af, hi_adj = al > 0x99 || cf;
	uint32_t f = 0;

	switch (op) {
	case 0x27:	/* DAA */
		if (lo_adj)
			f |= EFLAGS_AF;
		al = (al + (lo_adj ? 6 : 0) + (hi_adj ? 0x60 : 0)) & 0xff;
		f |= hi_adj ? EFLAGS_CF : 0;
		*ax_out = (ax & ~0xffu) | al;
		*fl = f | szp8(al);
		return;
	case 0x2f:	/* DAS */
		if (lo_adj)
			f |= EFLAGS_AF | ((cf || al < 6) ? EFLAGS_CF : 0);
		if (hi_adj)
			f |= EFLAGS_CF;
		al = (al - (lo_adj ? 6 : 0) - (hi_adj ? 0x60 : 0)) & 0xff;
		*ax_out = (ax & ~0xffu) | al;
		*fl = f | szp8(al);
		return;
	case 0x37:	/* AAA */
		ax = lo_adj ? (ax & ~0xffffu) | ((ax + 0x106) & 0xffff) : ax;
		*ax_out = ax & ~0xf0u;
		*fl = lo_adj ? EFLAGS_AF | EFLAGS_CF : 0;
		return;
	default:	/* AAS */
		if (lo_adj) {
			ax = (ax & ~0xffffu) | ((ax - 6) & 0xffff);
			ax = (ax & ~0xff00u) | ((ax - 0x100) & 0xff00);
		}
		*ax_out = ax & ~0xf0u;
		*fl = lo_adj ? EFLAGS_AF | EFLAGS_CF : 0;
	}
}

/* DAA, DAS, AAA, AAS on every AL with every AF/CF, several AH. */
Test(cpu_muldiv, bcd_adjust_pseudocode_all_inputs)
{
	struct tm *m = tm_new();
	static const uint8_t ops[] = { 0x27, 0x2f, 0x37, 0x3f };
	static const uint32_t ahs[] = { 0x00, 0x01, 0x7f, 0x80, 0xff };

	for (unsigned o = 0; o < 4; o++)
		for (unsigned h = 0; h < 5; h++)
			for (unsigned al = 0; al < 256; al++)
				for (unsigned f = 0; f < 4; f++) {
					uint32_t fin = (f & 1) * EFLAGS_CF | (f >> 1) * EFLAGS_AF;
					uint32_t ax = 0xabcd0000u | ahs[h] << 8 | al, eax, fl;
					bcd_model(ops[o], ax, fin, &eax, &fl);
					/* AAA/AAS leave SF, ZF, PF undefined; DAA/DAS only OF. */
					uint32_t cmp = EFLAGS_AF | EFLAGS_CF;
					if (o < 2)
						cmp = OF_ALL & ~EFLAGS_OF;
					struct run r = run_code(m, &ops[o], 1, ax, 0, fin);
					cr_assert_eq(r.eax, eax, "%02x AX=%04x fl=%x: %08x", ops[o],
						     ax & 0xffff, fin, r.eax);
					cr_assert_eq(r.fl & cmp, fl & cmp, "%02x AX=%04x fl=%x",
						     ops[o], ax & 0xffff, fin);
				}
	tm_free(m);
}

/* AAM imm8 divides AL, AAD imm8 folds AH in, for every AL/AH and several
 * bases; SF/ZF/PF from AL. AAM 0 is #DE with AX and flags untouched. */
Test(cpu_muldiv, aam_aad)
{
	struct tm *m = tm_new();
	static const uint8_t bases[] = { 10, 16, 7, 1, 255, 2 };

	for (unsigned b = 0; b < sizeof(bases); b++)
		for (unsigned ax = 0; ax < 0x10000; ax += (b ? 0x101 : 1)) {
			uint8_t aam[] = { 0xd4, bases[b] }, aad[] = { 0xd5, bases[b] };
			unsigned al = ax & 0xff, ah = ax >> 8;
			struct run r = run_code(m, aam, 2, 0x55550000u | ax, 0, 0);
			uint32_t want = (al / bases[b]) << 8 | al % bases[b];
			cr_assert_eq(r.eax, 0x55550000u | want, "aam %u AX=%04x", bases[b], ax);
			cr_assert_eq(r.fl & (EFLAGS_SF | EFLAGS_ZF | EFLAGS_PF), szp8(want));
			r = run_code(m, aad, 2, 0x55550000u | ax, 0, 0);
			want = (al + ah * bases[b]) & 0xff;
			cr_assert_eq(r.eax, 0x55550000u | want, "aad %u AX=%04x", bases[b], ax);
			cr_assert_eq(r.fl & (EFLAGS_SF | EFLAGS_ZF | EFLAGS_PF), szp8(want));
		}
	static const uint8_t aam0[] = { 0xd4, 0x00 };
	struct run r = run_code(m, aam0, 2, 0x1234, 0, EFLAGS_CF | EFLAGS_ZF);
	cr_assert_eq(r.fault, X86_EXC_DE);
	cr_assert_eq(r.eax, 0x1234);
	cr_assert_eq(r.fl & OF_ALL, EFLAGS_CF | EFLAGS_ZF);
	tm_free(m);
}

/* The BCD instructions, MUL and DIV refuse LOCK (#UD). */
Test(cpu_muldiv, lock_is_ud)
{
	static const uint8_t codes[][4] = {
		{ 0xf0, 0x27 }, { 0xf0, 0xd4, 0x0a }, { 0xf0, 0xf7, 0x26 }, { 0xf0, 0xf7, 0x36 },
	};
	struct tm *m = tm_new();

	for (unsigned k = 0; k < sizeof(codes) / sizeof(codes[0]); k++) {
		struct run r = run_code(m, codes[k], k == 0 ? 2 : 3, 1, 0, 0);
		cr_assert_eq(r.fault, X86_EXC_UD, "case %u", k);
	}
	tm_free(m);
}
