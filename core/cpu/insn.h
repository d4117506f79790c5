/*
 * The pre-decoded instruction: what the decoder (decode.c) extracts from
 * Zydis once per physical code address, with its handler bound. Handlers
 * receive (cpu, insn) and must raise every possible fault before they change
 * architectural state; the last thing a handler does is advance EIP (NEXT),
 * or set it (branches).
 *
 * Operand conventions, in Zydis' operand order (destination first):
 *   r0, r1  register numbers of visible operands 0 and 1 when they are
 *           registers; for 8-bit registers the byte offset into cpu.r[]
 *           (AL 0, CL 4, DL 8, BL 12, AH 1, CH 5, DH 9, BH 13)
 *   base, index, scale, disp, seg   the memory operand, wherever it is
 *           (REG_NONE reads as 0; seg is the effective segment)
 *   imm, imm2   the first and second immediate (far pointer: imm2 = selector)
 *   op      a per-family parameter chosen at bind time (ALU operation,
 *           condition code, segment register...)
 */
#ifndef VMM_CPU_INSN_H
#define VMM_CPU_INSN_H

#include <stdint.h>

#include "core/cpu/cpu.h"

#define REG_NONE 8

enum {
	INSN_MEM = 1u << 0,	/* an operand is in memory */
	INSN_A16 = 1u << 1,	/* 16-bit addressing */
	INSN_REP = 1u << 2,	/* F3 */
	INSN_REPNE = 1u << 3,	/* F2 */
	INSN_LOCK = 1u << 4,
	INSN_END = 1u << 5,	/* ends its block: may change mode, IF or EIP */
	INSN_O16 = 1u << 6,	/* operand size 16 (0x66 in 32-bit code) */
};

typedef void insn_fn(struct cpu *c, const struct insn *i);

struct insn {
	insn_fn *fn;
	uint32_t disp, imm, imm2;
	uint8_t len;
	uint8_t base, index, scale, seg;
	uint8_t r0, r1;
	uint8_t opsz;		/* operand size in bytes */
	uint8_t op;
	uint8_t flags;
	uint16_t mnem;		/* ZydisMnemonic, for traces and monitors */
};

/* A run of instructions from one physical page, ending at a branch, an
 * INSN_END instruction, the page end or BLOCK_MAX instructions. */
#define BLOCK_MAX 32

struct block {
	uint32_t phys;		/* physical address of the first byte */
	uint32_t bytes;		/* length of the code it covers */
	uint8_t mode;		/* CS.D at decode */
	bool valid;
	bool cached;		/* in the cache (not a one-off decode) */
	uint16_t n;
	struct block *hash_next, *page_next;
	/* Successors on the same page (taken and fall-through), followed
	 * without a lookup while link_epoch is the CPU's chain_epoch. */
	struct block *link[2];
	uint32_t link_lin[2];
	uint32_t link_epoch[2];
	struct insn insns[];
};

#define NEXT(c, i) ((c)->eip += (i)->len)

#endif
