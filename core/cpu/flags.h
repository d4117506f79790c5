/*
 * Lazy arithmetic flags (SDM vol. 1 3.4.3, appendix A). An instruction that
 * sets flags stores two words; every read goes through the accessors here.
 *
 *   lf_res  the result, sign-extended to 32 bits (ZF, SF, PF come from it)
 *   lf_aux  bit 31  CF
 *           bit 30  CF ^ OF (so OF = bit 31 ^ bit 30)
 *           bit 3   AF (carry out of bit 3)
 *           8..15   parity delta: PF = even parity of low8(res ^ delta)
 *           bit 16  sign delta:   SF = bit 31 of res ^ this bit
 *
 * Add/subtract store their carry (borrow) vector: the carry out of every bit
 * position, from which CF, OF and AF follow without remembering the
 * operands. The deltas are zero except when flags are loaded explicitly
 * (POPF, SAHF, IRET), where ZF and SF may not agree with any single result.
 */
#ifndef VMM_CPU_FLAGS_H
#define VMM_CPU_FLAGS_H

#include "core/cpu/cpu.h"

#define LF_CF 0x80000000u
#define LF_PO 0x40000000u
#define LF_AF 0x00000008u

extern const uint8_t parity_even[256];

static inline uint32_t sext(uint32_t v, unsigned bits)
{
	return (uint32_t)((int32_t)(v << (32 - bits)) >> (32 - bits));
}

/* Carry vector of a sized operation -> CF/PO/AF bits. */
static inline uint32_t lf_from_cv(uint32_t cv, unsigned bits)
{
	return ((cv << (32 - bits)) & (LF_CF | LF_PO)) | (cv & LF_AF);
}

static inline void lf_add(struct cpu *c, uint32_t a, uint32_t b, uint32_t r, unsigned bits)
{
	c->lf_res = sext(r, bits);
	c->lf_aux = lf_from_cv((a & b) | ((a | b) & ~r), bits);
}

static inline void lf_sub(struct cpu *c, uint32_t a, uint32_t b, uint32_t r, unsigned bits)
{
	c->lf_res = sext(r, bits);
	c->lf_aux = lf_from_cv((~a & b) | ((~a | b) & r), bits);
}

/* AND, OR, XOR, TEST: CF = OF = 0, AF left 0 (undefined in the SDM). */
static inline void lf_logic(struct cpu *c, uint32_t r, unsigned bits)
{
	c->lf_res = sext(r, bits);
	c->lf_aux = 0;
}

/* A result with explicitly given CF and OF (shifts, multiplies). */
static inline void lf_res_cf_of(struct cpu *c, uint32_t r, unsigned bits, unsigned cf,
				unsigned of)
{
	c->lf_res = sext(r, bits);
	c->lf_aux = (cf ? LF_CF : 0) | ((cf ^ of) ? LF_PO : 0);
}

static inline unsigned get_cf(const struct cpu *c) { return c->lf_aux >> 31; }
static inline unsigned get_of(const struct cpu *c) { return ((c->lf_aux >> 31) ^ (c->lf_aux >> 30)) & 1; }
static inline unsigned get_af(const struct cpu *c) { return (c->lf_aux >> 3) & 1; }
static inline unsigned get_zf(const struct cpu *c) { return c->lf_res == 0; }
static inline unsigned get_sf(const struct cpu *c) { return ((c->lf_res >> 31) ^ (c->lf_aux >> 16)) & 1; }
static inline unsigned get_pf(const struct cpu *c)
{
	return parity_even[(c->lf_res ^ (c->lf_aux >> 8)) & 0xff];
}

/* INC and DEC: the new flags, but CF kept (OF unchanged by the swap). */
static inline void lf_keep_cf(struct cpu *c, unsigned old_cf)
{
	unsigned of = get_of(c);
	c->lf_aux = (c->lf_aux & ~(LF_CF | LF_PO)) | (old_cf ? LF_CF : 0) |
		    ((old_cf ^ of) ? LF_PO : 0);
}

/* Sets CF alone, keeping OF (CLC, STC, CMC, BT*). */
static inline void set_cf(struct cpu *c, unsigned cf)
{
	if (get_cf(c) != cf)
		c->lf_aux ^= LF_CF | LF_PO;
}

/* Condition codes 0-15 as encoded in Jcc/SETcc/CMOVcc (SDM vol. 1 B.1). */
static inline bool cond(const struct cpu *c, unsigned cc)
{
	bool r;

	switch (cc >> 1) {
	case 0: r = get_of(c); break;
	case 1: r = get_cf(c); break;
	case 2: r = get_zf(c); break;
	case 3: r = get_cf(c) | get_zf(c); break;
	case 4: r = get_sf(c); break;
	case 5: r = get_pf(c); break;
	case 6: r = get_sf(c) ^ get_of(c); break;
	default: r = get_zf(c) | (get_sf(c) ^ get_of(c)); break;
	}
	return r ^ (cc & 1);
}

/* The six arithmetic flags as EFLAGS bits, and loading them from EFLAGS. */
uint32_t lf_to_eflags(const struct cpu *c);
void lf_from_eflags(struct cpu *c, uint32_t f);

#endif
