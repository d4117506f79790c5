/*
 * shift: SHL/SHR/SAR, ROL/ROR, RCL/RCR and SHLD/SHRD in 8-, 16- and 32-bit
 * forms, with counts 0, 1, n, the operand width and above, and counts that
 * only the 5-bit count mask brings back into range (32, 33, 63).
 *
 * Follows the SDM vol. 2 pages SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR and
 * SHLD/SHRD, whose pseudo-code the model below transcribes:
 *  - the count is masked to 5 bits; a masked count of 0 changes nothing,
 *    flags included;
 *  - shifts: CF is the last bit shifted out (undefined for SHL/SHR when the
 *    count reaches the width), OF only for 1-bit shifts, SF/ZF/PF from the
 *    result, AF undefined;
 *  - ROL/ROR rotate by (count & 31) mod width yet still set CF from the
 *    result when the masked count is non-zero; only CF and OF change;
 *  - RCL/RCR rotate through CF by (count & 31) mod 9 (8-bit) or mod 17
 *    (16-bit);
 *  - SHLD/SHRD: CF is the last bit out, OF only for 1-bit shifts; counts
 *    above the operand size are undefined and are not tried.
 * Undefined flags are masked out of the comparison.
 */
#include "rt.h"

RT_KERNEL("shift");

enum sop { SHL, SHR, SAR, ROL, ROR, RCL, RCR, SHLD, SHRD };

static const char *const sop_name[] = {
	"shl", "shr", "sar", "rol", "ror", "rcl", "rcr", "shld", "shrd",
};

#define DEF_SH(fn, text)						\
static u32 fn(u32 a, u32 b, u32 c, u32 fin, u32 *fout)			\
{									\
	u32 fo;								\
	asm volatile("pushl %[fi]\n\tpopfl\n\t" text "\n\t"		\
		     "pushfl\n\tpopl %[fo]"				\
		     : [a] "+q"(a), [fo] "=&r"(fo)			\
		     : [b] "q"(b), [c] "c"(c), [fi] "r"(fin) : "cc");	\
	*fout = fo;							\
	return a;							\
}

#define DEF_SH3(op)							\
	DEF_SH(op##8, #op "b %%cl, %b[a]")				\
	DEF_SH(op##16, #op "w %%cl, %w[a]")				\
	DEF_SH(op##32, #op "l %%cl, %[a]")

DEF_SH3(shl)
DEF_SH3(shr)
DEF_SH3(sar)
DEF_SH3(rol)
DEF_SH3(ror)
DEF_SH3(rcl)
DEF_SH3(rcr)
DEF_SH(shld16, "shldw %%cl, %w[b], %w[a]")
DEF_SH(shld32, "shldl %%cl, %[b], %[a]")
DEF_SH(shrd16, "shrdw %%cl, %w[b], %w[a]")
DEF_SH(shrd32, "shrdl %%cl, %[b], %[a]")

typedef u32 (*sh_fn)(u32, u32, u32, u32, u32 *);

static const sh_fn sh_fns[][3] = {
	{ shl8, shl16, shl32 }, { shr8, shr16, shr32 },
	{ sar8, sar16, sar32 }, { rol8, rol16, rol32 },
	{ ror8, ror16, ror32 }, { rcl8, rcl16, rcl32 },
	{ rcr8, rcr16, rcr32 }, { 0, shld16, shld32 },
	{ 0, shrd16, shrd32 },
};

static u32 szp(u32 r, u32 sign)
{
	u32 bits = 0, i;

	for (i = 0; i < 8; i++)
		bits += (r >> i) & 1;
	return (r ? 0 : EFLAGS_ZF) | (r & sign ? EFLAGS_SF : 0) |
	       (bits & 1 ? 0 : EFLAGS_PF);
}

/* Transcribes the SDM pseudo-code; returns the destination, sets flags/mask. */
static u32 model(enum sop op, int w, u32 v, u32 src, u32 count, u32 fin,
		 u32 *flags, u32 *mask)
{
	u32 m = w == 32 ? ~0u : (1u << w) - 1;
	u32 sign = 1u << (w - 1);
	u32 c = count & 0x1f, t, cf = fin & EFLAGS_CF, of = 0, orig = v;
	u32 f = fin & EFLAGS_STATUS;
	u64 cat;

	*mask = EFLAGS_STATUS;
	*flags = f;
	if (!c)
		return v;
	switch (op) {
	case SHL:
	case SHR:
	case SAR:
		for (t = c; t; t--) {
			if (op == SHL) {
				cf = v & sign ? 1 : 0;
				v = (v << 1) & m;
			} else {
				cf = v & 1;
				v = (v >> 1) | (op == SAR ? v & sign : 0);
			}
		}
		if (op == SHL)
			of = !!(v & sign) ^ cf;
		else if (op == SHR)
			of = !!(orig & sign);
		f = szp(v, sign) | (cf ? EFLAGS_CF : 0) | (of ? EFLAGS_OF : 0);
		*mask &= ~EFLAGS_AF;
		if (c != 1)
			*mask &= ~EFLAGS_OF;
		if (c >= (u32)w && op != SAR)
			*mask &= ~EFLAGS_CF;
		break;
	case ROL:
	case ROR:
		for (t = c % w; t; t--) {
			if (op == ROL)
				v = ((v << 1) | (v & sign ? 1 : 0)) & m;
			else
				v = (v >> 1) | (v & 1 ? sign : 0);
		}
		cf = op == ROL ? v & 1 : !!(v & sign);
		if (op == ROL)
			of = !!(v & sign) ^ cf;
		else
			of = !!(v & sign) ^ !!(v & (sign >> 1));
		f = (f & ~(EFLAGS_CF | EFLAGS_OF)) | (cf ? EFLAGS_CF : 0) |
		    (of ? EFLAGS_OF : 0);
		if (c != 1)
			*mask &= ~EFLAGS_OF;
		break;
	case RCL:
	case RCR:
		if (op == RCR)
			of = !!(v & sign) ^ cf;
		t = w == 8 ? c % 9 : w == 16 ? c % 17 : c;
		for (; t; t--) {
			u32 out = op == RCL ? !!(v & sign) : v & 1;

			if (op == RCL)
				v = ((v << 1) | cf) & m;
			else
				v = (v >> 1) | (cf ? sign : 0);
			cf = out;
		}
		if (op == RCL)
			of = !!(v & sign) ^ cf;
		f = (f & ~(EFLAGS_CF | EFLAGS_OF)) | (cf ? EFLAGS_CF : 0) |
		    (of ? EFLAGS_OF : 0);
		if (c != 1)
			*mask &= ~EFLAGS_OF;
		break;
	case SHLD:
	case SHRD:
		if (op == SHLD) {
			cat = ((u64)v << w | (src & m)) << c;
			v = (cat >> w) & m;
			cf = (orig >> (w - c)) & 1;
		} else {
			cat = ((u64)(src & m) << w | v) >> c;
			v = cat & m;
			cf = (orig >> (c - 1)) & 1;
		}
		of = !!((v ^ orig) & sign);
		f = szp(v, sign) | (cf ? EFLAGS_CF : 0) | (of ? EFLAGS_OF : 0);
		*mask &= ~EFLAGS_AF;
		if (c != 1)
			*mask &= ~EFLAGS_OF;
		break;
	}
	*flags = f & *mask;
	return v;
}

#define UPPER_JUNK	0x3c5a0000

static void run(enum sop op, int w, u32 v, u32 count, u32 fin)
{
	u32 m = w == 32 ? ~0u : (1u << w) - 1;
	u32 reg = (v & m) | (w == 32 ? 0 : UPPER_JUNK & ~m);
	u32 src = 0x96e1c3a5, exp, ef, mask, got, gf;
	int wi = w == 8 ? 0 : w == 16 ? 1 : 2;

	exp = model(op, w, v & m, src, count, fin, &ef, &mask) | (reg & ~m);
	got = sh_fns[op][wi](reg, src, count, fin | EFLAGS_FIXED, &gf);
	rt_check_rf(got, gf & mask, exp, ef, "%s%d 0x%x by %u flags-in 0x%x",
		    sop_name[op], w, v & m, count, fin);
}

static const u32 counts8[] = { 0, 1, 3, 7, 8, 9, 16, 17, 31, 32, 33 };
static const u32 counts32[] = { 0, 1, 3, 16, 31, 32, 33, 63 };

static void run_all(void)
{
	static const int widths[] = { 8, 16, 32 };
	u32 op, wi, i, j, w, m, vals[3];
	const u32 *counts;
	u32 ncounts;

	for (op = SHL; op <= SHRD; op++) {
		for (wi = 0; wi < 3; wi++) {
			w = widths[wi];
			if (!sh_fns[op][wi])
				continue;
			m = w == 32 ? ~0u : (1u << w) - 1;
			/* Sign and low bit set; alternating; bit w-2 set for OF. */
			vals[0] = ((m >> 1) + 1) | 1;
			vals[1] = 0x5a5a5a5a & m;
			vals[2] = (m >> 2) + 1;
			counts = w == 32 ? counts32 : counts8;
			ncounts = w == 32 ? ARRAY_SIZE(counts32) :
					    ARRAY_SIZE(counts8);
			for (i = 0; i < ncounts; i++) {
				/* Beyond the operand size SHLD/SHRD are undefined. */
				if (op >= SHLD && (counts[i] & 0x1f) > w)
					continue;
				for (j = 0; j < 3; j++)
					run(op, w, vals[j], counts[i],
					    (i + j) & 1 ? EFLAGS_STATUS : 0);
			}
		}
	}
}

/* Immediate and implicit-1 encodings reach the same masked-count logic. */
static void run_encodings(void)
{
	u32 v, f;

	v = 0x40000001;
	asm volatile("pushl $2\n\tpopfl\n\t.byte 0xd1, 0xe0\n\t"
		     "pushfl\n\tpopl %1" : "+a"(v), "=r"(f) : : "cc");
	rt_check_rf(v, f & (EFLAGS_CF | EFLAGS_OF | EFLAGS_SF | EFLAGS_ZF),
		    0x80000002, EFLAGS_OF | EFLAGS_SF,
		    "shl r32, 1 (D1 /4): sign change sets OF");
	v = 0x40000001;
	asm volatile("pushl $2\n\tpopfl\n\t.byte 0xc1, 0xe0, 33\n\t"
		     "pushfl\n\tpopl %1" : "+a"(v), "=r"(f) : : "cc");
	rt_check_rf(v, f & (EFLAGS_CF | EFLAGS_OF | EFLAGS_SF | EFLAGS_ZF),
		    0x80000002, EFLAGS_OF | EFLAGS_SF,
		    "shl r32, imm8 33 (C1 /4): count masked to 1");
	v = 0x80000001;
	asm volatile("pushl $0x8d7\n\tpopfl\n\t.byte 0xc1, 0xe8, 32\n\t"
		     "pushfl\n\tpopl %1" : "+a"(v), "=r"(f) : : "cc");
	rt_check_rf(v, f & EFLAGS_STATUS, 0x80000001, EFLAGS_STATUS,
		    "shr r32, imm8 32 (C1 /5): masked count 0 keeps flags");
	v = 0x81;
	asm volatile("pushl $2\n\tpopfl\n\t.byte 0xc0, 0xc0, 8\n\t"
		     "pushfl\n\tpopl %1" : "+a"(v), "=r"(f) : : "cc");
	rt_check_rf(v, f & EFLAGS_CF, 0x81, EFLAGS_CF,
		    "rol r8, imm8 8: no rotation, CF = LSB of the result");
	v = 0x01;
	asm volatile("pushl $3\n\tpopfl\n\t.byte 0xd0, 0xd8\n\t"
		     "pushfl\n\tpopl %1" : "+a"(v), "=r"(f) : : "cc");
	rt_check_rf(v, f & (EFLAGS_CF | EFLAGS_OF), 0x80, EFLAGS_CF | EFLAGS_OF,
		    "rcr r8, 1 (D0 /3): CF into bit 7, bit 0 into CF");
	v = 0xffff8000;
	asm volatile("pushl $2\n\tpopfl\n\tsarl $31, %0\n\t"
		     "pushfl\n\tpopl %1" : "+r"(v), "=r"(f) : : "cc");
	rt_check_rf(v, f & (EFLAGS_CF | EFLAGS_ZF | EFLAGS_SF), 0xffffffff,
		    EFLAGS_CF | EFLAGS_SF, "sar r32, 31: sign fills the register");
}

/* Shifts of a memory operand use the same rules as register forms. */
static void run_memory(void)
{
	static u32 word = 0x80000001;
	u32 f;

	asm volatile("pushl $2\n\tpopfl\n\troll $4, %0\n\tpushfl\n\tpopl %1"
		     : "+m"(word), "=r"(f) : : "cc");
	rt_check_rf(word, f & EFLAGS_CF, 0x00000018, 0,
		    "rol m32, 4: memory destination");
	asm volatile("pushl $2\n\tpopfl\n\tshrdl $8, %2, %0\n\t"
		     "pushfl\n\tpopl %1"
		     : "+m"(word), "=r"(f) : "r"(0xabcdef12) : "cc");
	rt_check_rf(word, f & (EFLAGS_CF | EFLAGS_SF | EFLAGS_ZF), 0x12000000,
		    0, "shrd m32, r32, 8: bits enter from the source");
}

void kmain(void)
{
	run_encodings();
	run_memory();
	run_all();
}
