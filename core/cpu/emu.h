/*
 * What monitors need from the CPU model to emulate: a decoded view of one
 * instruction in plain operand terms (no handler conventions), and the
 * operations a ring-0 monitor performs on the physical CPU (load a segment
 * register from a descriptor, switch page tables, invalidate TLB entries).
 * Monitors read guest memory through their own MMU code, never through the
 * CPU's fault path.
 */
#ifndef VMM_CPU_EMU_H
#define VMM_CPU_EMU_H

#include <stdbool.h>
#include <stdint.h>

#include "core/cpu/cpu.h"

enum emu_kind { EK_NONE, EK_REG, EK_MEM, EK_IMM, EK_SREG, EK_CR, EK_DR, EK_PTR };

struct emu_insn {
	uint16_t mnem;		/* ZydisMnemonic */
	uint8_t len, opsz;	/* bytes */
	bool a16, rep, repne, far;
	unsigned n;		/* visible operands */
	enum emu_kind kind[4];
	uint8_t size[4];	/* bytes */
	uint8_t reg[4];		/* EK_REG: number, or byte offset for 8-bit; EK_SREG: SEG_*;
				   EK_CR/EK_DR: index */
	/* The memory operand (EK_MEM), with 8 meaning no base/index. */
	uint8_t base, index, scale, seg;
	uint32_t disp;
	uint32_t imm, imm2;	/* immediates; EK_PTR: imm = offset, imm2 = selector */
};

/* Decodes one instruction from buf; false if it is not a valid one. */
bool emu_decode(const uint8_t *buf, unsigned avail, bool code32, struct emu_insn *out);

/* The effective address of the memory operand with the current registers. */
uint32_t emu_ea(const struct cpu *c, const struct emu_insn *e);

/* Loads a segment register's selector and descriptor cache directly (the
 * descriptor as two dwords), without checks. */
void cpu_load_seg(struct cpu *c, unsigned sreg, uint16_t sel, uint32_t lo, uint32_t hi);
void cpu_set_privilege(struct cpu *c, unsigned cpl);

/* Physical paging operations: MOV CR3 (flush non-global), INVLPG, a full
 * flush; CR0/CR4 writes with their TLB side effects. */
void cpu_write_cr3(struct cpu *c, uint32_t v);
void cpu_write_cr0(struct cpu *c, uint32_t v);
void cpu_write_cr4(struct cpu *c, uint32_t v);
void cpu_invlpg(struct cpu *c, uint32_t lin);
/* Nested paging on (the table at machine address ncr3; machine addresses
 * from ram_limit up are device space) or off; flushes every TLB. */
void cpu_set_nested(struct cpu *c, bool on, uint32_t ncr3, uint32_t ram_limit);

/* Physical MSRs (TSC, APIC base); false for an unimplemented one. */
bool msr_read(struct cpu *c, uint32_t msr, uint64_t *v);
bool msr_write(struct cpu *c, uint32_t msr, uint64_t v);
void cpuid_leaf(const struct cpu *c, uint32_t leaf, uint32_t out[4]);

#endif
