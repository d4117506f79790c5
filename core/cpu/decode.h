/*
 * Binding decoded instructions to handlers. decode.c turns Zydis' output
 * into the operand summary below and calls the binder registered for the
 * mnemonic in one of the family tables (ops_*.c); a binder picks the
 * handler for the operand form and size and fills what the handler needs.
 * A mnemonic with no binder, or a binder that refuses the form, is #UD.
 */
#ifndef VMM_CPU_DECODE_H
#define VMM_CPU_DECODE_H

#include <Zydis/Zydis.h>

#include "core/cpu/insn.h"

enum op_kind { OK_NONE, OK_REG, OK_MEM, OK_IMM, OK_SREG, OK_CR, OK_DR, OK_PTR };

struct dec {
	const ZydisDecodedInstruction *zi;
	const ZydisDecodedOperand *ops;	/* visible operands first */
	unsigned n;			/* visible operands */
	enum op_kind kind[4];
	uint8_t size[4];		/* bytes */
	uint8_t reg[4];			/* OK_REG: number or byte offset; OK_SREG: SEG_*;
					   OK_CR/OK_DR: index */
};

/* Operand forms, from the kinds of the first two visible operands. */
enum form { F_NONE, F_R, F_M, F_I, F_RR, F_RM, F_MR, F_RI, F_MI, F_OTHER };
enum form dec_form(const struct dec *d);

/* Index of an operand size in handler tables: 1 -> 0, 2 -> 1, 4 -> 2. */
static inline unsigned size_idx(unsigned bytes)
{
	return bytes == 4 ? 2 : bytes == 2 ? 1 : 0;
}

typedef bool binder_fn(struct insn *i, const struct dec *d, unsigned arg);

struct binder {
	uint16_t mnem;		/* ZydisMnemonic */
	binder_fn *bind;
	uint8_t arg;
};

/* Family tables, each ended by a zero entry; decode.c lists them all. */
extern const struct binder ops_arith_binders[];
extern const struct binder ops_data_binders[];
extern const struct binder ops_ctrl_binders[];
extern const struct binder ops_system_binders[];
extern const struct binder ops_seg_binders[];
extern const struct binder ops_shift_binders[];
extern const struct binder ops_muldiv_binders[];
extern const struct binder ops_bits_binders[];
extern const struct binder ops_string_binders[];

/* Handlers shared across families. */
insn_fn op_ud;		/* raises #UD */
insn_fn op_gp0;		/* raises #GP(0) (over-long instruction) */
insn_fn op_nop;

/* Binds a handler by form and size from a [form][size] table; false if the
 * slot is empty. Fills nothing else. */
static inline bool bind_sized(struct insn *i, insn_fn *const *by_size, unsigned bytes)
{
	insn_fn *fn = by_size[size_idx(bytes)];
	if (!fn)
		return false;
	i->fn = fn;
	return true;
}

#endif
