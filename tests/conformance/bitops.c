/*
 * bitops: BT/BTS/BTR/BTC, BSF/BSR, BSWAP, the sixteen conditions of SETcc,
 * CMOVcc and Jcc, and LAHF/SAHF.
 *
 * Follows the SDM vol. 2 pages BT, BTS, BTR, BTC, BSF, BSR, BSWAP, SETcc,
 * CMOVcc, Jcc, LAHF, SAHF and the condition table of vol. 1, appendix B:
 *  - BT* with a register bit base take the offset modulo the operand size;
 *    an immediate offset is masked likewise even for a memory base; a
 *    register offset with a memory base addresses a bit string: the signed
 *    offset may reach bytes far before or after the operand. CF receives the
 *    old bit, ZF is unaffected, OF/SF/AF/PF are undefined;
 *  - BSF/BSR set ZF when the source is 0 (destination then undefined and not
 *    checked), otherwise clear ZF and return the lowest/highest set bit;
 *  - the condition codes are checked over all 32 combinations of CF, PF, ZF,
 *    SF and OF, as one bit mask per condition;
 *  - LAHF loads SF:ZF:0:AF:0:PF:1:CF into AH; SAHF stores the same five
 *    flags back and leaves OF alone.
 */
#include "rt.h"

RT_KERNEL("bitops");

#define FLAG5(i)	(((i) & 1 ? EFLAGS_CF : 0) | ((i) & 2 ? EFLAGS_PF : 0) | \
			 ((i) & 4 ? EFLAGS_ZF : 0) | ((i) & 8 ? EFLAGS_SF : 0) | \
			 ((i) & 16 ? EFLAGS_OF : 0))

#define DEF_CC(cc)							\
static u32 set_##cc(u32 fl)						\
{									\
	u32 r;								\
	asm volatile("pushl %1\n\tpopfl\n\tset" #cc " %b0\n\t"		\
		     "movzbl %b0, %0" : "=q"(r) : "r"(fl) : "cc");	\
	return r;							\
}									\
static u32 cmov_##cc(u32 fl)						\
{									\
	u32 r = 0x11111111;						\
	asm volatile("pushl %1\n\tpopfl\n\tcmov" #cc "l %2, %0"		\
		     : "+r"(r) : "r"(fl), "r"(0x22222222) : "cc");	\
	return r == 0x22222222;						\
}									\
static u32 jmp_##cc(u32 fl)						\
{									\
	u32 r;								\
	asm volatile("pushl %1\n\tpopfl\n\tj" #cc " 1f\n\t"		\
		     "movl $0, %0\n\tjmp 2f\n"				\
		     "1:\tmovl $1, %0\n2:" : "=r"(r) : "r"(fl) : "cc");	\
	return r;							\
}

DEF_CC(o) DEF_CC(no) DEF_CC(b) DEF_CC(ae) DEF_CC(e) DEF_CC(ne)
DEF_CC(be) DEF_CC(a) DEF_CC(s) DEF_CC(ns) DEF_CC(p) DEF_CC(np)
DEF_CC(l) DEF_CC(ge) DEF_CC(le) DEF_CC(g)

struct cond {
	const char *name;
	u32 (*set)(u32), (*cmov)(u32), (*jmp)(u32);
};

#define COND(cc)	{ #cc, set_##cc, cmov_##cc, jmp_##cc }
static const struct cond conds[16] = {
	COND(o), COND(no), COND(b), COND(ae), COND(e), COND(ne), COND(be),
	COND(a), COND(s), COND(ns), COND(p), COND(np), COND(l), COND(ge),
	COND(le), COND(g),
};

/* The SDM's definition of condition tttn; odd codes negate even ones. */
static int cond_true(int code, u32 f)
{
	int cf = !!(f & EFLAGS_CF), zf = !!(f & EFLAGS_ZF);
	int sf = !!(f & EFLAGS_SF), of = !!(f & EFLAGS_OF);
	int pf = !!(f & EFLAGS_PF), v = 0;

	switch (code >> 1) {
	case 0: v = of; break;
	case 1: v = cf; break;
	case 2: v = zf; break;
	case 3: v = cf || zf; break;
	case 4: v = sf; break;
	case 5: v = pf; break;
	case 6: v = sf != of; break;
	case 7: v = zf || sf != of; break;
	}
	return code & 1 ? !v : v;
}

static void run_conditions(void)
{
	u32 c, i, exp, s, m, j, f;

	for (c = 0; c < 16; c++) {
		exp = s = m = j = 0;
		for (i = 0; i < 32; i++) {
			f = FLAG5(i) | EFLAGS_FIXED;
			exp |= (u32)cond_true(c, f) << i;
			s |= conds[c].set(f) << i;
			m |= conds[c].cmov(f) << i;
			j |= conds[c].jmp(f) << i;
		}
		rt_check(s, exp, "set%s over all CF/PF/ZF/SF/OF", conds[c].name);
		rt_check(m, exp, "cmov%s over all CF/PF/ZF/SF/OF", conds[c].name);
		rt_check(j, exp, "j%s over all CF/PF/ZF/SF/OF", conds[c].name);
	}
}

static void run_bt_reg(void)
{
	static const u32 offs[] = { 0, 5, 31, 32, 37, 63, 0xffffffff };
	u32 i, v, r, f, bit;

	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		bit = offs[i] & 31;
		v = 0x80000021;
		asm volatile("pushl $0x8d7\n\tpopfl\n\tbtsl %2, %0\n\t"
			     "pushfl\n\tpopl %1"
			     : "+r"(v), "=r"(f) : "r"(offs[i]) : "cc");
		r = 0x80000021 | (1u << bit);
		rt_check_rf(v, f & (EFLAGS_CF | EFLAGS_ZF), r,
			    ((0x80000021 >> bit) & 1 ? EFLAGS_CF : 0) | EFLAGS_ZF,
			    "bts r32, r32 offset %u (mod 32), ZF kept", offs[i]);
		v = 0x80000021;
		asm volatile("pushl $2\n\tpopfl\n\tbtrl %2, %0\n\t"
			     "pushfl\n\tpopl %1"
			     : "+r"(v), "=r"(f) : "r"(offs[i]) : "cc");
		rt_check_rf(v, f & (EFLAGS_CF | EFLAGS_ZF),
			    0x80000021 & ~(1u << bit),
			    (0x80000021 >> bit) & 1 ? EFLAGS_CF : 0,
			    "btr r32, r32 offset %u (mod 32)", offs[i]);
		v = 0x8021;
		asm volatile("pushl $2\n\tpopfl\n\tbtcw %w2, %w0\n\t"
			     "pushfl\n\tpopl %1"
			     : "+r"(v), "=r"(f) : "r"(offs[i]) : "cc");
		rt_check_rf(v, f & EFLAGS_CF, 0x8021 ^ (1u << (offs[i] & 15)),
			    (0x8021 >> (offs[i] & 15)) & 1 ? EFLAGS_CF : 0,
			    "btc r16, r16 offset %u (mod 16)", offs[i]);
	}
	v = 0x00010000;
	asm volatile("btl $48, %1\n\tsetc %b0\n\tmovzbl %b0, %0"
		     : "=q"(r) : "r"(v) : "cc");
	rt_check(r, 1, "bt r32, imm8 48 tests bit 16");
}

/*
 * A bit string around `base`: the register offset is signed and selects
 * base + 4 * (offset SAR 5), bit offset & 31 (or 2 * (offset SAR 4) for
 * 16-bit operands).
 */
static u8 bits[64] __attribute__((aligned(4)));

static void run_bt_mem(void)
{
	static const s32 offs[] = { 0, 7, 37, 255, -1, -8, -33, -256 };
	u8 *base = bits + 32;
	u32 i, j, cf, idx, changed, n;
	s32 o;

	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		o = offs[i];
		rt_memset(bits, 0x5a, sizeof(bits));
		asm volatile("btsl %2, (%1)\n\tsetc %b0\n\tmovzbl %b0, %0"
			     : "=q"(cf) : "r"(base), "r"(o) : "cc", "memory");
		idx = (u32)(o + 256);
		changed = n = 0;
		for (j = 0; j < sizeof(bits); j++)
			if (bits[j] != 0x5a)
				changed = j, n++;
		rt_check(n == 1 && changed == idx / 8 &&
			 bits[changed] == (0x5a | (1 << (idx % 8))), 1,
			 "bts m32, r32 offset %d sets byte %d bit %d",
			 o, (s32)(idx / 8) - 32, (s32)(idx % 8));
		rt_check(cf, (0x5a >> (idx % 8)) & 1,
			 "bts m32, r32 offset %d old bit in CF", o);
		asm volatile("btrw %w2, (%1)\n\tsetc %b0\n\tmovzbl %b0, %0"
			     : "=q"(cf) : "r"(base), "r"(o) : "cc", "memory");
		rt_check(cf == 1 && bits[idx / 8] == 0x5a, 1,
			 "btr m16, r16 offset %d finds and clears it", o);
	}
	rt_memset(bits, 0, sizeof(bits));
	asm volatile("btsl $35, (%0)" : : "r"(base) : "cc", "memory");
	rt_check(base[0], 0x08, "bts m32, imm8 35: immediate masked to bit 3");
}

static void run_bsf_bsr(void)
{
	static const u32 vals[] = { 1, 0x80000000, 0x00f00f00, 0xffffffff, 0x10 };
	u32 i, r, f, lo, hi;

	for (i = 0; i < ARRAY_SIZE(vals); i++) {
		for (lo = 0; !(vals[i] >> lo & 1); lo++)
			;
		for (hi = 31; !(vals[i] >> hi & 1); hi--)
			;
		asm volatile("pushl $0x8d7\n\tpopfl\n\tbsfl %2, %0\n\t"
			     "pushfl\n\tpopl %1" : "=r"(r), "=r"(f)
			     : "r"(vals[i]) : "cc");
		rt_check_rf(r, f & EFLAGS_ZF, lo, 0, "bsf 0x%x", vals[i]);
		asm volatile("pushl $0x8d7\n\tpopfl\n\tbsrl %2, %0\n\t"
			     "pushfl\n\tpopl %1" : "=r"(r), "=r"(f)
			     : "r"(vals[i]) : "cc");
		rt_check_rf(r, f & EFLAGS_ZF, hi, 0, "bsr 0x%x", vals[i]);
	}
	asm volatile("pushl $2\n\tpopfl\n\tbsfl %1, %0\n\tpushfl\n\tpopl %0"
		     : "=&r"(f) : "r"(0) : "cc");
	rt_check(f & EFLAGS_ZF, EFLAGS_ZF, "bsf of 0 sets ZF");
	asm volatile("pushl $2\n\tpopfl\n\tbsrl %1, %0\n\tpushfl\n\tpopl %0"
		     : "=&r"(f) : "r"(0) : "cc");
	rt_check(f & EFLAGS_ZF, EFLAGS_ZF, "bsr of 0 sets ZF");
	r = 0xabcd0000;
	asm volatile("bsrw %w1, %w0" : "+r"(r) : "r"(0x0300) : "cc");
	rt_check(r, 0xabcd0009, "bsr r16 writes only the low word");
}

static void run_bswap_lahf(void)
{
	u32 v = 0x12345678, a, f;

	asm volatile("bswap %0" : "+r"(v));
	rt_check(v, 0x78563412, "bswap r32");
	asm volatile("pushl $0x8d7\n\tpopfl\n\tmovl $0xaaaa55aa, %0\n\tlahf"
		     : "=a"(a) : : "cc");
	rt_check(a, 0xaaaad7aa, "lahf with all status flags set: AH = 0xd7");
	asm volatile("pushl $2\n\tpopfl\n\tlahf" : "=a"(a) : "a"(0) : "cc");
	rt_check((a >> 8) & 0xff, 0x02, "lahf with flags clear: AH = 0x02");
	asm volatile("pushl $0x802\n\tpopfl\n\tsahf\n\tpushfl\n\tpopl %0"
		     : "=r"(f) : "a"(0xd500) : "cc");
	rt_check(f & (EFLAGS_STATUS | 0x28), 0xd5 | EFLAGS_OF,
		 "sahf 0xd5 sets SF ZF AF PF CF, keeps OF, ignores bits 3/5");
	asm volatile("pushl $0x8d7\n\tpopfl\n\tsahf\n\tpushfl\n\tpopl %0"
		     : "=r"(f) : "a"(0x0200) : "cc");
	rt_check(f & EFLAGS_STATUS, EFLAGS_OF, "sahf 0x02 clears all but OF");
}

void kmain(void)
{
	run_conditions();
	run_bt_reg();
	run_bt_mem();
	run_bsf_bsr();
	run_bswap_lahf();
}
