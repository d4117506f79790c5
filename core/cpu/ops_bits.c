/*
 * Bit instructions and atomics (SDM vol. 2): BT, BTS, BTR, BTC; BSF, BSR;
 * BSWAP; XADD, CMPXCHG, CMPXCHG8B. One handler per operation, size and form.
 *
 * BT* with a register bit offset and a memory operand address a bit
 * string: the offset is signed (16 or 32 bits) and selects the operand-size
 * word at EA + size * (offset >> log2(bits)), which may lie below EA; an
 * immediate offset is taken modulo the operand size (SDM vol. 2, BT).
 * CF is the selected bit; the other flags are left as they were (ZF is
 * unaffected by the SDM; OF, SF, AF, PF undefined and kept, as the host
 * does).
 *
 * BSF/BSR set ZF when the source is 0 and then leave the destination
 * unchanged (the P6 family and this host both do; the SDM says undefined).
 * Their other flags are undefined; we give the host's: CF = OF = SF = AF = 0
 * and PF from the bit index (from 0 when the source is 0).
 *
 * BSWAP of a 16-bit register is undefined; it clears the register's low
 * 16 bits, as the host does. CMPXCHG and CMPXCHG8B always write their
 * memory destination (the old value when the comparison fails), so a
 * read-only destination faults either way; CMPXCHG8B sets only ZF.
 *
 * LOCK: decode.c already refuses LOCK without a memory destination and for
 * mnemonics that never take it; BT (which does not write) is refused here
 * too, since the SDM makes LOCK BT #UD.
 */
#include "core/cpu/decode.h"
#include "core/cpu/exec.h"

#define REG1(c, n) R8(c, n)
#define REG2(c, n) R16(c, n)
#define REG4(c, n) ((c)->r[n])

enum { BT, BTS, BTR, BTC };

static inline uint32_t bit_op(unsigned op, uint32_t v, unsigned bit)
{
	switch (op) {
	case BTS: return v | (1u << bit);
	case BTR: return v & ~(1u << bit);
	case BTC: return v ^ (1u << bit);
	default: return v;
	}
}

/* The word a register bit offset selects in a memory bit string. */
static inline uint32_t bit_word(const struct cpu *c, const struct insn *i, int32_t off,
				unsigned sz)
{
	/* Arithmetic shift: a negative offset selects words below EA. */
	uint32_t a = ea(c, i) + (uint32_t)((off >> (sz == 4 ? 5 : 4)) * (int32_t)sz);
	return (i->flags & INSN_A16) ? a & 0xffff : a;
}

#define BT_SIZED(name, OP, SZ)                                                           \
static void name##_rr##SZ(struct cpu *c, const struct insn *i)                           \
{                                                                                        \
	unsigned bit = REG##SZ(c, i->r1) & (8 * SZ - 1);                                 \
	uint32_t v = REG##SZ(c, i->r0);                                                  \
	set_cf(c, (v >> bit) & 1);                                                       \
	if (OP != BT)                                                                    \
		REG##SZ(c, i->r0) = bit_op(OP, v, bit);                                  \
	NEXT(c, i);                                                                      \
}                                                                                        \
static void name##_ri##SZ(struct cpu *c, const struct insn *i)                           \
{                                                                                        \
	uint32_t v = REG##SZ(c, i->r0);                                                  \
	set_cf(c, (v >> i->imm) & 1);                                                    \
	if (OP != BT)                                                                    \
		REG##SZ(c, i->r0) = bit_op(OP, v, i->imm);                               \
	NEXT(c, i);                                                                      \
}                                                                                        \
static inline void name##_mem##SZ(struct cpu *c, const struct insn *i, uint32_t off,      \
				  unsigned bit)                                          \
{                                                                                        \
	uint32_t v;                                                                      \
	if (OP == BT) {                                                                  \
		v = mread(c, i->seg, off, SZ);                                           \
	} else {                                                                         \
		uint32_t lin = seg_lin(c, i->seg, off, SZ, true);                        \
		v = lin_read_w(c, lin, SZ);                                              \
		lin_write(c, lin, SZ, bit_op(OP, v, bit));                               \
	}                                                                                \
	set_cf(c, (v >> bit) & 1);                                                       \
	NEXT(c, i);                                                                      \
}                                                                                        \
static void name##_mr##SZ(struct cpu *c, const struct insn *i)                           \
{                                                                                        \
	int32_t off = (int32_t)sext(REG##SZ(c, i->r1), 8 * SZ);                          \
	name##_mem##SZ(c, i, bit_word(c, i, off, SZ), (uint32_t)off & (8 * SZ - 1));     \
}                                                                                        \
static void name##_mi##SZ(struct cpu *c, const struct insn *i)                           \
{                                                                                        \
	name##_mem##SZ(c, i, ea(c, i), i->imm);                                          \
}

#define BT_OP(name, OP)                                                                  \
	BT_SIZED(name, OP, 2)                                                            \
	BT_SIZED(name, OP, 4)                                                            \
	static insn_fn *const name##_fns[F_OTHER][3] = {                                 \
		[F_RR] = { NULL, name##_rr2, name##_rr4 },                               \
		[F_RI] = { NULL, name##_ri2, name##_ri4 },                               \
		[F_MR] = { NULL, name##_mr2, name##_mr4 },                               \
		[F_MI] = { NULL, name##_mi2, name##_mi4 },                               \
	};

BT_OP(bt, BT)
BT_OP(bts, BTS)
BT_OP(btr, BTR)
BT_OP(btc, BTC)

static insn_fn *const (*const bt_tables[])[3] = {
	[BT] = bt_fns, [BTS] = bts_fns, [BTR] = btr_fns, [BTC] = btc_fns,
};

static bool bind_bt(struct insn *i, const struct dec *d, unsigned op)
{
	enum form f = dec_form(d);

	if (op == BT && (i->flags & INSN_LOCK))
		return false;
	if (f != F_RR && f != F_RI && f != F_MR && f != F_MI)
		return false;
	if (f == F_RI || f == F_MI)
		i->imm &= 8u * d->size[0] - 1;
	return bind_sized(i, bt_tables[op][f], d->size[0]);
}

/* ---- BSF, BSR ---- */

/* ZF from the source; PF from the index (bit 8 keeps lf_res non-zero
 * without touching the low byte PF is computed from, or SF). */
static inline void lf_bsf(struct cpu *c, uint32_t src, unsigned idx)
{
	c->lf_res = src ? idx | 0x100 : 0;
	c->lf_aux = 0;
}

#define BSX_SIZED(SZ)                                                                    \
static inline void bsf##SZ(struct cpu *c, const struct insn *i, uint32_t s)              \
{                                                                                        \
	unsigned idx = s ? (unsigned)__builtin_ctz(s) : 0;                               \
	if (s)                                                                           \
		REG##SZ(c, i->r0) = idx;                                                 \
	lf_bsf(c, s, idx);                                                               \
	NEXT(c, i);                                                                      \
}                                                                                        \
static inline void bsr##SZ(struct cpu *c, const struct insn *i, uint32_t s)              \
{                                                                                        \
	unsigned idx = s ? 31u - (unsigned)__builtin_clz(s) : 0;                         \
	if (s)                                                                           \
		REG##SZ(c, i->r0) = idx;                                                 \
	lf_bsf(c, s, idx);                                                               \
	NEXT(c, i);                                                                      \
}                                                                                        \
static void bsf_rr##SZ(struct cpu *c, const struct insn *i)                              \
{                                                                                        \
	bsf##SZ(c, i, REG##SZ(c, i->r1));                                                \
}                                                                                        \
static void bsf_rm##SZ(struct cpu *c, const struct insn *i)                              \
{                                                                                        \
	bsf##SZ(c, i, op_read(c, i, SZ));                                                \
}                                                                                        \
static void bsr_rr##SZ(struct cpu *c, const struct insn *i)                              \
{                                                                                        \
	bsr##SZ(c, i, REG##SZ(c, i->r1));                                                \
}                                                                                        \
static void bsr_rm##SZ(struct cpu *c, const struct insn *i)                              \
{                                                                                        \
	bsr##SZ(c, i, op_read(c, i, SZ));                                                \
}

BSX_SIZED(2)
BSX_SIZED(4)

/* [BSR][source in memory][size] */
static insn_fn *const bsx_fns[2][2][3] = {
	{ { NULL, bsf_rr2, bsf_rr4 }, { NULL, bsf_rm2, bsf_rm4 } },
	{ { NULL, bsr_rr2, bsr_rr4 }, { NULL, bsr_rm2, bsr_rm4 } },
};

static bool bind_bsx(struct insn *i, const struct dec *d, unsigned is_bsr)
{
	enum form f = dec_form(d);

	if (f != F_RR && f != F_RM)
		return false;
	return bind_sized(i, bsx_fns[is_bsr][f == F_RM], d->size[0]);
}

/* ---- BSWAP ---- */

static void bswap_r4(struct cpu *c, const struct insn *i)
{
	c->r[i->r0] = __builtin_bswap32(c->r[i->r0]);
	NEXT(c, i);
}

static void bswap_r2(struct cpu *c, const struct insn *i)
{
	R16(c, i->r0) = 0;
	NEXT(c, i);
}

static bool bind_bswap(struct insn *i, const struct dec *d, unsigned arg)
{
	if (dec_form(d) != F_R)
		return false;
	i->fn = d->size[0] == 4 ? bswap_r4 : bswap_r2;
	return d->size[0] != 1;
}

/* ---- XADD, CMPXCHG ---- */

#define XCHG_SIZED(SZ)                                                                   \
static void xadd_rr##SZ(struct cpu *c, const struct insn *i)                             \
{                                                                                        \
	uint32_t d = REG##SZ(c, i->r0), s = REG##SZ(c, i->r1), r = d + s;                \
	lf_add(c, d, s, r, 8 * SZ);                                                      \
	REG##SZ(c, i->r1) = d;                                                           \
	REG##SZ(c, i->r0) = r;	/* the sum wins when both name one register */          \
	NEXT(c, i);                                                                      \
}                                                                                        \
static void xadd_mr##SZ(struct cpu *c, const struct insn *i)                             \
{                                                                                        \
	uint32_t lin = seg_lin(c, i->seg, ea(c, i), SZ, true);                           \
	uint32_t d = lin_read_w(c, lin, SZ), s = REG##SZ(c, i->r1), r = d + s;           \
	lin_write(c, lin, SZ, r);                                                        \
	lf_add(c, d, s, r, 8 * SZ);                                                      \
	REG##SZ(c, i->r1) = d;                                                           \
	NEXT(c, i);                                                                      \
}                                                                                        \
static void cmpxchg_rr##SZ(struct cpu *c, const struct insn *i)                          \
{                                                                                        \
	uint32_t a = REG##SZ(c, REG_EAX), d = REG##SZ(c, i->r0);                         \
	lf_sub(c, a, d, a - d, 8 * SZ);                                                  \
	if (a == d)                                                                      \
		REG##SZ(c, i->r0) = REG##SZ(c, i->r1);                                   \
	else                                                                             \
		REG##SZ(c, REG_EAX) = d;                                                 \
	NEXT(c, i);                                                                      \
}                                                                                        \
static void cmpxchg_mr##SZ(struct cpu *c, const struct insn *i)                          \
{                                                                                        \
	uint32_t lin = seg_lin(c, i->seg, ea(c, i), SZ, true);                           \
	uint32_t a = REG##SZ(c, REG_EAX), d = lin_read_w(c, lin, SZ);                    \
	lin_write(c, lin, SZ, a == d ? REG##SZ(c, i->r1) : d);                           \
	lf_sub(c, a, d, a - d, 8 * SZ);                                                  \
	if (a != d)                                                                      \
		REG##SZ(c, REG_EAX) = d;                                                 \
	NEXT(c, i);                                                                      \
}

XCHG_SIZED(1)
XCHG_SIZED(2)
XCHG_SIZED(4)

/* [CMPXCHG][memory destination][size] */
static insn_fn *const xchg_fns[2][2][3] = {
	{ { xadd_rr1, xadd_rr2, xadd_rr4 }, { xadd_mr1, xadd_mr2, xadd_mr4 } },
	{ { cmpxchg_rr1, cmpxchg_rr2, cmpxchg_rr4 },
	  { cmpxchg_mr1, cmpxchg_mr2, cmpxchg_mr4 } },
};

static bool bind_xchg_op(struct insn *i, const struct dec *d, unsigned is_cmpxchg)
{
	enum form f = dec_form(d);

	if (f != F_RR && f != F_MR)
		return false;
	return bind_sized(i, xchg_fns[is_cmpxchg][f == F_MR], d->size[0]);
}

/* ---- CMPXCHG8B m64 ---- */

static void cmpxchg8b(struct cpu *c, const struct insn *i)
{
	uint32_t lin = seg_lin(c, i->seg, ea(c, i), 8, true);
	/* Both halves are checked for writing before either is written. */
	uint32_t lo = lin_read_w(c, lin, 4), hi = lin_read_w(c, lin + 4, 4);
	bool eq = lo == c->r[REG_EAX] && hi == c->r[REG_EDX];

	lin_write(c, lin, 4, eq ? c->r[REG_EBX] : lo);
	lin_write(c, lin + 4, 4, eq ? c->r[REG_ECX] : hi);
	if (!eq) {
		c->r[REG_EAX] = lo;
		c->r[REG_EDX] = hi;
	}
	lf_from_eflags(c, (lf_to_eflags(c) & ~EFLAGS_ZF) | (eq ? EFLAGS_ZF : 0));
	NEXT(c, i);
}

static bool bind_cmpxchg8b(struct insn *i, const struct dec *d, unsigned arg)
{
	i->fn = cmpxchg8b;
	return d->n == 1 && d->kind[0] == OK_MEM;
}

const struct binder ops_bits_binders[] = {
	{ ZYDIS_MNEMONIC_BT, bind_bt, BT },
	{ ZYDIS_MNEMONIC_BTS, bind_bt, BTS },
	{ ZYDIS_MNEMONIC_BTR, bind_bt, BTR },
	{ ZYDIS_MNEMONIC_BTC, bind_bt, BTC },
	{ ZYDIS_MNEMONIC_BSF, bind_bsx, 0 },
	{ ZYDIS_MNEMONIC_BSR, bind_bsx, 1 },
	{ ZYDIS_MNEMONIC_BSWAP, bind_bswap, 0 },
	{ ZYDIS_MNEMONIC_XADD, bind_xchg_op, 0 },
	{ ZYDIS_MNEMONIC_CMPXCHG, bind_xchg_op, 1 },
	{ ZYDIS_MNEMONIC_CMPXCHG8B, bind_cmpxchg8b, 0 },
	{ 0, NULL, 0 },
};
