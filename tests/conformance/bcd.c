/*
 * bcd: the decimal-adjust instructions DAA, DAS, AAA, AAS, AAM and AAD.
 *
 * Follows the SDM vol. 2 pseudo-code of each instruction, transcribed in the
 * model below:
 *  - DAA/DAS adjust AL after a packed-BCD add/subtract; CF and AF as the
 *    pseudo-code computes them, SF/ZF/PF from AL, OF undefined;
 *  - AAA/AAS adjust AX after an unpacked add/subtract; only CF and AF are
 *    defined; AL keeps its low nibble;
 *  - AAM imm8 splits AL into AH = AL / imm8, AL = AL mod imm8 (imm8 = 0
 *    raises #DE); AAD imm8 folds AH into AL; both set SF/ZF/PF from AL.
 * AL is tried around every nibble and byte edge, with every AF/CF input;
 * AAA with AL >= 0xfa and AAS with AL < 6 show that the adjustment is done
 * on AX ("AX <- AX + 106H", "AX <- AX - 6"), carrying into or borrowing
 * from AH.
 */
#include "rt.h"

RT_KERNEL("bcd");

enum bop { DAA, DAS, AAA, AAS };

static const char *const bop_name[] = { "daa", "das", "aaa", "aas" };

#define DEF_BCD(fn, text)						\
static u32 fn(u32 ax, u32 fin, u32 *fout)				\
{									\
	u32 fo;								\
	asm volatile("pushl %[fi]\n\tpopfl\n\t" text "\n\t"		\
		     "pushfl\n\tpopl %[fo]"				\
		     : "+a"(ax), [fo] "=&r"(fo) : [fi] "r"(fin) : "cc");	\
	*fout = fo;							\
	return ax;							\
}

DEF_BCD(do_daa, "daa")
DEF_BCD(do_das, "das")
DEF_BCD(do_aaa, "aaa")
DEF_BCD(do_aas, "aas")
DEF_BCD(do_aam10, "aam")
DEF_BCD(do_aam16, "aam $16")
DEF_BCD(do_aam7, "aam $7")
DEF_BCD(do_aad10, "aad")
DEF_BCD(do_aad16, "aad $16")

static u32 (*const bcd_fns[])(u32, u32, u32 *) = {
	do_daa, do_das, do_aaa, do_aas,
};

static u32 szp8(u32 al)
{
	u32 bits = 0, i;

	for (i = 0; i < 8; i++)
		bits += (al >> i) & 1;
	return (al & 0xff ? 0 : EFLAGS_ZF) | (al & 0x80 ? EFLAGS_SF : 0) |
	       (bits & 1 ? 0 : EFLAGS_PF);
}

static u32 model(enum bop op, u32 ax, u32 fin, u32 *flags, u32 *mask)
{
	u32 al = ax & 0xff, ah = (ax >> 8) & 0xff, old_al = al;
	u32 old_cf = fin & EFLAGS_CF, af = fin & EFLAGS_AF, cf = 0;
	u32 adjust = (al & 0x0f) > 9 || af;

	switch (op) {
	case DAA:
		if (adjust) {
			cf = old_cf || al + 6 > 0xff;
			al = (al + 6) & 0xff;
		}
		if (old_al > 0x99 || old_cf) {
			al = (al + 0x60) & 0xff;
			cf = 1;
		} else {
			cf = 0;
		}
		*mask = EFLAGS_STATUS & ~EFLAGS_OF;
		*flags = szp8(al) | (cf ? EFLAGS_CF : 0) |
			 (adjust ? EFLAGS_AF : 0);
		break;
	case DAS:
		if (adjust) {
			cf = old_cf || al < 6;
			al = (al - 6) & 0xff;
		}
		if (old_al > 0x99 || old_cf) {
			al = (al - 0x60) & 0xff;
			cf = 1;
		}
		*mask = EFLAGS_STATUS & ~EFLAGS_OF;
		*flags = szp8(al) | (cf ? EFLAGS_CF : 0) |
			 (adjust ? EFLAGS_AF : 0);
		break;
	case AAA:
	case AAS:
		if (adjust) {
			ax = op == AAA ? ax + 0x106 : ((ax - 6) & 0xffff) - 0x100;
			al = ax & 0x0f;
			ah = (ax >> 8) & 0xff;
		}
		al &= 0x0f;
		*mask = EFLAGS_CF | EFLAGS_AF;
		*flags = adjust ? EFLAGS_CF | EFLAGS_AF : 0;
		break;
	}
	return (ah << 8) | al;
}

static const u8 al_vals[] = {
	0x00, 0x05, 0x06, 0x09, 0x0a, 0x0f, 0x10, 0x19, 0x1a, 0x5f,
	0x90, 0x99, 0x9a, 0x9f, 0xa0, 0xf9, 0xfa, 0xff,
};

static void run_adjust(void)
{
	static const u32 fins[] = {
		0, EFLAGS_AF, EFLAGS_CF, EFLAGS_AF | EFLAGS_CF | EFLAGS_OF,
	};
	u32 op, i, j, ax, exp, ef, mask, got, gf;

	for (op = DAA; op <= AAS; op++) {
		for (i = 0; i < ARRAY_SIZE(al_vals); i++) {
			for (j = 0; j < ARRAY_SIZE(fins); j++) {
				ax = 0x12340500 | al_vals[i];
				exp = model(op, ax, fins[j], &ef, &mask);
				exp |= ax & 0xffff0000;
				got = bcd_fns[op](ax, fins[j] | EFLAGS_FIXED, &gf);
				rt_check_rf(got, gf & mask, exp, ef,
					    "%s AL=0x%x flags-in 0x%x",
					    bop_name[op], al_vals[i], fins[j]);
			}
		}
	}
}

/* A decimal add and subtract end to end, as compilers of COBOL used them. */
static void run_sequences(void)
{
	u32 ax, f;

	ax = 0x38;
	asm volatile("addb $0x45, %%al\n\tdaa\n\tpushfl\n\tpopl %1"
		     : "+a"(ax), "=r"(f) : : "cc");
	rt_check_rf(ax & 0xff, f & EFLAGS_CF, 0x83, 0, "38 + 45 = 83 (daa)");
	ax = 0x79;
	asm volatile("addb $0x35, %%al\n\tdaa\n\tpushfl\n\tpopl %1"
		     : "+a"(ax), "=r"(f) : : "cc");
	rt_check_rf(ax & 0xff, f & EFLAGS_CF, 0x14, EFLAGS_CF,
		    "79 + 35 = 114 (daa carries)");
	ax = 0x35;
	asm volatile("subb $0x47, %%al\n\tdas\n\tpushfl\n\tpopl %1"
		     : "+a"(ax), "=r"(f) : : "cc");
	rt_check_rf(ax & 0xff, f & EFLAGS_CF, 0x88, EFLAGS_CF,
		    "35 - 47 = -12 -> 88 borrow (das)");
	ax = 0x0108;
	asm volatile("addb $7, %%al\n\taaa\n\tpushfl\n\tpopl %1"
		     : "+a"(ax), "=r"(f) : : "cc");
	rt_check_rf(ax & 0xffff, f & EFLAGS_CF, 0x0205, EFLAGS_CF,
		    "unpacked 8 + 7 = 15 (aaa)");
	ax = 0x0206;
	asm volatile("subb $8, %%al\n\taas\n\tpushfl\n\tpopl %1"
		     : "+a"(ax), "=r"(f) : : "cc");
	rt_check_rf(ax & 0xffff, f & EFLAGS_CF, 0x0108, EFLAGS_CF,
		    "unpacked 26 - 8 = 18 (aas)");
}

static void run_aam_aad(void)
{
	u32 got, f, at;

	got = do_aam10(0xabcd003f, EFLAGS_FIXED, &f);
	rt_check_rf(got, f & (EFLAGS_SF | EFLAGS_ZF | EFLAGS_PF), 0xabcd0603,
		    EFLAGS_PF, "aam: 63 -> AH=6 AL=3");
	got = do_aam16(0x000000ff, EFLAGS_FIXED, &f);
	rt_check_rf(got, f & (EFLAGS_SF | EFLAGS_ZF | EFLAGS_PF), 0x00000f0f,
		    EFLAGS_PF, "aam 16: base 16 split of 0xff");
	got = do_aam7(0x00000070, EFLAGS_FIXED, &f);
	rt_check_rf(got, f & (EFLAGS_SF | EFLAGS_ZF | EFLAGS_PF), 0x00001000,
		    EFLAGS_ZF | EFLAGS_PF, "aam 7: 112 -> AH=16 AL=0, ZF");
	got = do_aad10(0xabcd0907, EFLAGS_FIXED, &f);
	rt_check_rf(got, f & (EFLAGS_SF | EFLAGS_ZF | EFLAGS_PF), 0xabcd0061,
		    0, "aad: AH=9 AL=7 -> AL=97 AH=0");
	got = do_aad16(0x00000f0f, EFLAGS_FIXED, &f);
	rt_check_rf(got, f & (EFLAGS_SF | EFLAGS_ZF | EFLAGS_PF), 0x000000ff,
		    EFLAGS_SF | EFLAGS_PF, "aad 16: AL = AL + AH*16 = 0xff");
	got = do_aad10(0x00001a0a, EFLAGS_FIXED, &f);
	rt_check_rf(got, f & (EFLAGS_SF | EFLAGS_ZF | EFLAGS_PF), 0x0000000e,
		    0, "aad: AL = (10 + 26*10) mod 256 = 14");

	rt_trap_reset();
	got = 0x1234;
	RT_TRY(at, ".byte 0xd4, 0x00");
	rt_check_trap("aam 0 raises #DE at the aam", X86_EXC_DE, 0, at);
}

void kmain(void)
{
	run_sequences();
	run_aam_aad();
	run_adjust();
}
