/*
 * Two-operand ALU instructions (ADD, OR, ADC, SBB, AND, SUB, XOR, CMP, TEST)
 * and the one-operand INC, DEC, NEG, NOT (SDM vol. 2 instruction pages;
 * flags per vol. 1 appendix A). One handler per operation, form and size,
 * generated below, so the operation is a compile-time constant in each.
 * Memory destinations are read-modify-write: checked for write before the
 * read, so a read-only page faults with a write error code and nothing is
 * read from MMIO twice.
 */
#include "core/cpu/decode.h"
#include "core/cpu/exec.h"

enum { ADD, OR, ADC, SBB, AND, SUB, XOR, CMP, TEST };

static inline uint32_t alu(struct cpu *c, unsigned op, uint32_t a, uint32_t b, unsigned bits)
{
	uint32_t r, cf;

	switch (op) {
	case ADD: r = a + b; lf_add(c, a, b, r, bits); break;
	case ADC: cf = get_cf(c); r = a + b + cf; lf_add(c, a, b, r, bits); break;
	case SUB:
	case CMP: r = a - b; lf_sub(c, a, b, r, bits); break;
	case SBB: cf = get_cf(c); r = a - b - cf; lf_sub(c, a, b, r, bits); break;
	case OR: r = a | b; lf_logic(c, r, bits); break;
	case XOR: r = a ^ b; lf_logic(c, r, bits); break;
	default: r = a & b; lf_logic(c, r, bits); break;
	}
	return r;
}

#define WRITES(op) ((op) != CMP && (op) != TEST)

#define REG1(c, n) R8(c, n)
#define REG2(c, n) R16(c, n)
#define REG4(c, n) ((c)->r[n])

#define ALU_SIZED(name, OP, SZ)                                                          \
static void name##_rr##SZ(struct cpu *c, const struct insn *i)                           \
{                                                                                        \
	uint32_t r = alu(c, OP, REG##SZ(c, i->r0), REG##SZ(c, i->r1), 8 * SZ);            \
	if (WRITES(OP))                                                                  \
		REG##SZ(c, i->r0) = r;                                                   \
	NEXT(c, i);                                                                      \
}                                                                                        \
static void name##_ri##SZ(struct cpu *c, const struct insn *i)                           \
{                                                                                        \
	uint32_t r = alu(c, OP, REG##SZ(c, i->r0), i->imm, 8 * SZ);                       \
	if (WRITES(OP))                                                                  \
		REG##SZ(c, i->r0) = r;                                                   \
	NEXT(c, i);                                                                      \
}                                                                                        \
static void name##_rm##SZ(struct cpu *c, const struct insn *i)                           \
{                                                                                        \
	uint32_t r = alu(c, OP, REG##SZ(c, i->r0), op_read(c, i, SZ), 8 * SZ);           \
	if (WRITES(OP))                                                                  \
		REG##SZ(c, i->r0) = r;                                                   \
	NEXT(c, i);                                                                      \
}                                                                                        \
static inline void name##_mem##SZ(struct cpu *c, const struct insn *i, uint32_t b)        \
{                                                                                        \
	if (WRITES(OP)) {                                                                \
		uint32_t lin = seg_lin(c, i->seg, ea(c, i), SZ, true);                   \
		uint32_t r = alu(c, OP, lin_read_w(c, lin, SZ), b, 8 * SZ);              \
		lin_write(c, lin, SZ, r);                                                \
	} else {                                                                         \
		alu(c, OP, op_read(c, i, SZ), b, 8 * SZ);                                \
	}                                                                                \
	NEXT(c, i);                                                                      \
}                                                                                        \
static void name##_mr##SZ(struct cpu *c, const struct insn *i)                           \
{                                                                                        \
	name##_mem##SZ(c, i, REG##SZ(c, i->r1));                                         \
}                                                                                        \
static void name##_mi##SZ(struct cpu *c, const struct insn *i)                           \
{                                                                                        \
	name##_mem##SZ(c, i, i->imm);                                                    \
}

#define ALU_OP(name, OP)                                                                 \
	ALU_SIZED(name, OP, 1)                                                           \
	ALU_SIZED(name, OP, 2)                                                           \
	ALU_SIZED(name, OP, 4)                                                           \
	static insn_fn *const name##_fns[F_OTHER][3] = {                                 \
		[F_RR] = { name##_rr1, name##_rr2, name##_rr4 },                         \
		[F_RI] = { name##_ri1, name##_ri2, name##_ri4 },                         \
		[F_RM] = { name##_rm1, name##_rm2, name##_rm4 },                         \
		[F_MR] = { name##_mr1, name##_mr2, name##_mr4 },                         \
		[F_MI] = { name##_mi1, name##_mi2, name##_mi4 },                         \
	};

ALU_OP(add, ADD)
ALU_OP(or, OR)
ALU_OP(adc, ADC)
ALU_OP(sbb, SBB)
ALU_OP(and, AND)
ALU_OP(sub, SUB)
ALU_OP(xor, XOR)
ALU_OP(cmp, CMP)
ALU_OP(test, TEST)

static insn_fn *const (*const alu_tables[])[3] = {
	add_fns, or_fns, adc_fns, sbb_fns, and_fns, sub_fns, xor_fns, cmp_fns, test_fns,
};

static bool bind_alu(struct insn *i, const struct dec *d, unsigned op)
{
	enum form f = dec_form(d);

	if (f >= F_OTHER || f < F_RR)
		return false;
	return bind_sized(i, alu_tables[op][f], d->size[0]);
}

/* ---- INC, DEC, NEG, NOT ---- */

enum { INC, DEC, NEG, NOT };

static inline uint32_t unary(struct cpu *c, unsigned op, uint32_t a, unsigned bits)
{
	uint32_t r;
	unsigned cf;

	switch (op) {
	case INC:
		cf = get_cf(c);
		r = a + 1;
		lf_add(c, a, 1, r, bits);
		lf_keep_cf(c, cf);
		return r;
	case DEC:
		cf = get_cf(c);
		r = a - 1;
		lf_sub(c, a, 1, r, bits);
		lf_keep_cf(c, cf);
		return r;
	case NEG:
		r = 0 - a;
		lf_sub(c, 0, a, r, bits);
		return r;
	default:
		return ~a;
	}
}

#define UNARY_SIZED(name, OP, SZ)                                                        \
static void name##_r##SZ(struct cpu *c, const struct insn *i)                            \
{                                                                                        \
	REG##SZ(c, i->r0) = unary(c, OP, REG##SZ(c, i->r0), 8 * SZ);                     \
	NEXT(c, i);                                                                      \
}                                                                                        \
static void name##_m##SZ(struct cpu *c, const struct insn *i)                            \
{                                                                                        \
	uint32_t lin = seg_lin(c, i->seg, ea(c, i), SZ, true);                           \
	lin_write(c, lin, SZ, unary(c, OP, lin_read_w(c, lin, SZ), 8 * SZ));             \
	NEXT(c, i);                                                                      \
}

#define UNARY_OP(name, OP)                                                               \
	UNARY_SIZED(name, OP, 1)                                                         \
	UNARY_SIZED(name, OP, 2)                                                         \
	UNARY_SIZED(name, OP, 4)                                                         \
	static insn_fn *const name##_fns[2][3] = {                                       \
		{ name##_r1, name##_r2, name##_r4 },                                     \
		{ name##_m1, name##_m2, name##_m4 },                                     \
	};

UNARY_OP(inc, INC)
UNARY_OP(dec, DEC)
UNARY_OP(neg, NEG)
UNARY_OP(not, NOT)

static insn_fn *const (*const unary_tables[])[3] = { inc_fns, dec_fns, neg_fns, not_fns };

static bool bind_unary(struct insn *i, const struct dec *d, unsigned op)
{
	enum form f = dec_form(d);

	if (f != F_R && f != F_M)
		return false;
	return bind_sized(i, unary_tables[op][f == F_M], d->size[0]);
}

const struct binder ops_arith_binders[] = {
	{ ZYDIS_MNEMONIC_ADD, bind_alu, ADD },
	{ ZYDIS_MNEMONIC_OR, bind_alu, OR },
	{ ZYDIS_MNEMONIC_ADC, bind_alu, ADC },
	{ ZYDIS_MNEMONIC_SBB, bind_alu, SBB },
	{ ZYDIS_MNEMONIC_AND, bind_alu, AND },
	{ ZYDIS_MNEMONIC_SUB, bind_alu, SUB },
	{ ZYDIS_MNEMONIC_XOR, bind_alu, XOR },
	{ ZYDIS_MNEMONIC_CMP, bind_alu, CMP },
	{ ZYDIS_MNEMONIC_TEST, bind_alu, TEST },
	{ ZYDIS_MNEMONIC_INC, bind_unary, INC },
	{ ZYDIS_MNEMONIC_DEC, bind_unary, DEC },
	{ ZYDIS_MNEMONIC_NEG, bind_unary, NEG },
	{ ZYDIS_MNEMONIC_NOT, bind_unary, NOT },
	{ 0, NULL, 0 },
};
