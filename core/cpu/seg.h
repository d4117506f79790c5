/*
 * Segment descriptors and segment-register loads (SDM vol. 3A 3.4-3.5 and
 * 5.5-5.10; the Operation sections of MOV, POP, LDS/LES/LFS/LGS/LSS, JMP,
 * CALL, RET and IRET in vol. 2). Used by instruction handlers, by event
 * delivery, and by monitors that emulate segment loads.
 */
#ifndef VMM_CPU_SEG_H
#define VMM_CPU_SEG_H

#include "core/cpu/exec.h"

struct desc {
	uint32_t lo, hi;
};

static inline unsigned desc_attr(struct desc d)
{
	return ((d.hi >> 8) & 0xff) | ((d.hi >> 8) & 0xf000);
}

static inline uint32_t desc_base(struct desc d)
{
	return (d.lo >> 16) | ((d.hi & 0xff) << 16) | (d.hi & 0xff000000u);
}

static inline uint32_t desc_limit(struct desc d)
{
	uint32_t l = (d.lo & 0xffff) | (d.hi & 0xf0000);
	return (d.hi & (1u << 23)) ? (l << 12) | 0xfff : l;
}

static inline bool attr_is_code(unsigned a)
{
	return (a & DESC_S) && (a & DESC_TYPE_CODE);
}

static inline bool attr_is_data(unsigned a)
{
	return (a & DESC_S) && !(a & DESC_TYPE_CODE);
}

/* Gate fields */
static inline uint16_t gate_sel(struct desc d) { return (uint16_t)(d.lo >> 16); }
static inline uint32_t gate_off(struct desc d) { return (d.lo & 0xffff) | (d.hi & 0xffff0000u); }
static inline unsigned gate_type(struct desc d) { return (d.hi >> 8) & 0x1f; }

/* Reads the descriptor for sel from the GDT or LDT; false if the index is
 * outside the table (the caller raises the fault it needs). */
bool desc_fetch(struct cpu *c, uint16_t sel, struct desc *d);
/* Sets the accessed bit of a code/data descriptor in its table. */
void desc_set_accessed(struct cpu *c, uint16_t sel, struct desc *d);

/* Fills a segment register's cache from a descriptor (no checks). */
void seg_fill(struct seg *s, uint16_t sel, struct desc d);
/* A null selector in a data segment register (any access faults). */
void seg_fill_null(struct seg *s, uint16_t sel);
/* Recomputes the fast-check fields from attr, limit. */
void seg_derive(struct seg *s);

/* MOV/POP/Lxx into a data or stack segment register, with every check;
 * faults #GP/#SS/#NP with the selector as error code as the SDM says. */
void seg_load(struct cpu *c, unsigned sreg, uint16_t sel);

/* Far transfers. Each validates, then commits; EIP/CS change on success.
 * ret_eip is the address of the next instruction. */
void far_jmp(struct cpu *c, uint16_t sel, uint32_t off, unsigned opsz, uint32_t ret_eip);
void far_call(struct cpu *c, uint16_t sel, uint32_t off, unsigned opsz, uint32_t ret_eip);
void far_ret(struct cpu *c, unsigned opsz, uint16_t extra);
void iret(struct cpu *c, unsigned opsz);

/* Loads CS for a transfer at privilege cpl (RPL forced to cpl). */
void cs_commit(struct cpu *c, uint16_t sel, struct desc d, unsigned cpl, uint32_t eip);

/* After a return to an outer ring: data segment registers whose DPL is
 * below the new CPL (and that are not conforming code) become null. */
void seg_null_outer(struct cpu *c);

/* Task switches (task gates, TSS selectors, IRET with NT) are not
 * modelled: stops the CPU with a message. */
__attribute__((noreturn)) void task_switch_unsupported(struct cpu *c, const char *what);
/* Checks the TSS a task switch would go to (#GP/#NP with ext in the error
 * code), then stops the run: task switching is not modelled. */
__attribute__((noreturn)) void task_target(struct cpu *c, uint16_t tss_sel, uint32_t ext,
					   const char *what);

#endif
