/*
 * What instruction handlers use: operand access, segmented and paged memory
 * with the software-TLB fast path, the stack, faults. Everything on the hot
 * path is inline; misses go to mem.c.
 */
#ifndef VMM_CPU_EXEC_H
#define VMM_CPU_EXEC_H

#include <string.h>

#include "core/cpu/cpu.h"
#include "core/cpu/flags.h"
#include "core/cpu/insn.h"
#include "core/mmu/walk.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* ---- faults (exception.c) ---- */

/* Raises exception vec (error code err where the vector has one) for the
 * instruction at c->eip: unwinds the instruction and delivers. */
__attribute__((noreturn)) void cpu_fault(struct cpu *c, unsigned vec, uint32_t err);
__attribute__((noreturn)) void cpu_fault_gp0(struct cpu *c);
__attribute__((noreturn)) void cpu_fault_ud(struct cpu *c);
/* Segment limit/rights violation on segment s (#GP(0), or #SS(0) for SS). */
__attribute__((noreturn)) void seg_fault(struct cpu *c, unsigned s);

/* Delivers INT n / INT3 / INTO (software interrupt semantics). */
void cpu_softint(struct cpu *c, unsigned vec, uint32_t next_eip);

/* Forces the run loop to look at events after this instruction. */
static inline void cpu_kick(struct cpu *c)
{
	c->insn_limit = 0;
}

/* Ends the current block after this instruction (code or mode changed):
 * the loop stops at its next bound check, whatever instruction it is on. */
static inline void cpu_end_block(struct cpu *c)
{
	c->insn_end = c->blk_start;
}

/* An unfinished instruction that must run again (a REP cut short so the
 * run loop can look at events): EIP stays on it, and the retirement the
 * loop will count for this execution is taken back, so it retires once,
 * when it completes. */
static inline void cpu_restart_insn(struct cpu *c)
{
	c->insns--;
	cpu_kick(c);
	cpu_end_block(c);
}

/* ---- registers ---- */

#define R8(c, off) (((uint8_t *)(c)->r)[off])
#define R16(c, n) (*(uint16_t *)&(c)->r[n])

static inline uint32_t reg_get(const struct cpu *c, unsigned r, unsigned size)
{
	switch (size) {
	case 1: return ((const uint8_t *)c->r)[r];
	case 2: return (uint16_t)c->r[r];
	default: return c->r[r];
	}
}

static inline void reg_set(struct cpu *c, unsigned r, unsigned size, uint32_t v)
{
	switch (size) {
	case 1: R8(c, r) = (uint8_t)v; break;
	case 2: R16(c, r) = (uint16_t)v; break;
	default: c->r[r] = v; break;
	}
}

static inline uint32_t ea(const struct cpu *c, const struct insn *i)
{
	uint32_t a = c->r[i->base] + (c->r[i->index] << i->scale) + i->disp;
	return unlikely(i->flags & INSN_A16) ? (a & 0xffff) : a;
}

/* ---- memory: segmentation ---- */

static inline uint32_t seg_lin(struct cpu *c, unsigned s, uint32_t off, unsigned size,
			       bool write)
{
	const struct seg *sg = &c->seg[s];
	int64_t span = write ? sg->wspan : sg->rspan;

	if (unlikely((int64_t)(uint32_t)(off - sg->lo) + (size - 1) > span))
		seg_fault(c, s);
	return sg->base + off;
}

/* ---- memory: linear (mem.c for the slow paths) ---- */

static inline unsigned acc_user(const struct cpu *c)
{
	return c->cpl == 3 ? ACC_U : 0;
}

uint32_t mem_read_slow(struct cpu *c, uint32_t lin, unsigned size, unsigned acc);
void mem_write_slow(struct cpu *c, uint32_t lin, unsigned size, uint32_t v, unsigned acc);

static inline uint32_t load_host(uintptr_t p, unsigned size)
{
	switch (size) {
	case 1: return *(const uint8_t *)p;
	case 2: { uint16_t v; memcpy(&v, (const void *)p, 2); return v; }
	default: { uint32_t v; memcpy(&v, (const void *)p, 4); return v; }
	}
}

static inline void store_host(uintptr_t p, unsigned size, uint32_t v)
{
	switch (size) {
	case 1: *(uint8_t *)p = (uint8_t)v; break;
	case 2: { uint16_t w = (uint16_t)v; memcpy((void *)p, &w, 2); break; }
	default: memcpy((void *)p, &v, 4); break;
	}
}

static inline struct stlb_entry *stlb_slot(struct stlb_entry *t, uint32_t lin)
{
	return &t[(lin >> PAGE_SHIFT) & (STLB_SIZE - 1)];
}

/* The tag an access must match: its page, with the low bits of a misaligned
 * access left in so that it misses (and takes the slow path, which also
 * handles a page-straddling access). One AND and one compare. */
static inline uint32_t stlb_tag(uint32_t lin, unsigned size)
{
	return lin & (PAGE_MASK | (size - 1));
}

static inline uint32_t lin_read(struct cpu *c, uint32_t lin, unsigned size)
{
	const struct stlb_entry *e = stlb_slot(c->stlb, lin);

	c->ctr.mem_reads++;
	if (likely(e->tag_r == stlb_tag(lin, size)))
		return load_host(e->addend + lin, size);
	return mem_read_slow(c, lin, size, acc_user(c));
}

/* A read that will be followed by a write to the same place (RMW): checked
 * for write so that a read-only page faults before anything happens. */
static inline uint32_t lin_read_w(struct cpu *c, uint32_t lin, unsigned size)
{
	const struct stlb_entry *e = stlb_slot(c->stlb, lin);

	c->ctr.mem_reads++;
	if (likely(e->tag_w == stlb_tag(lin, size)))
		return load_host(e->addend + lin, size);
	return mem_read_slow(c, lin, size, acc_user(c) | ACC_W);
}

static inline void lin_write(struct cpu *c, uint32_t lin, unsigned size, uint32_t v)
{
	const struct stlb_entry *e = stlb_slot(c->stlb, lin);

	c->ctr.mem_writes++;
	if (likely(e->tag_w == stlb_tag(lin, size))) {
		store_host(e->addend + lin, size, v);
		return;
	}
	mem_write_slow(c, lin, size, v, acc_user(c) | ACC_W);
}

/* Implicit supervisor accesses (descriptor tables, TSS, IDT): CPL-blind. */
uint32_t sys_read(struct cpu *c, uint32_t lin, unsigned size);
void sys_write(struct cpu *c, uint32_t lin, unsigned size, uint32_t v);

/* ---- memory: segmented, what most handlers use ---- */

static inline uint32_t mread(struct cpu *c, unsigned s, uint32_t off, unsigned size)
{
	return lin_read(c, seg_lin(c, s, off, size, false), size);
}

static inline void mwrite(struct cpu *c, unsigned s, uint32_t off, unsigned size, uint32_t v)
{
	lin_write(c, seg_lin(c, s, off, size, true), size, v);
}

/* The memory operand of i. */
static inline uint32_t op_read(struct cpu *c, const struct insn *i, unsigned size)
{
	return mread(c, i->seg, ea(c, i), size);
}

static inline void op_write(struct cpu *c, const struct insn *i, unsigned size, uint32_t v)
{
	mwrite(c, i->seg, ea(c, i), size, v);
}

/* A memory far pointer (m16:16 or m16:32: offset, then selector), as far
 * JMP/CALL and LDS/LES/LFS/LGS/LSS read it. */
static inline uint16_t far_pointer(struct cpu *c, const struct insn *i, uint32_t *off)
{
	uint32_t a = ea(c, i);

	*off = mread(c, i->seg, a, i->opsz);
	return (uint16_t)mread(c, i->seg, a + i->opsz, 2);
}

/* ---- stack ---- */

static inline bool ss32(const struct cpu *c)
{
	return c->seg[SEG_SS].attr & DESC_DB;
}

static inline uint32_t sp_get(const struct cpu *c)
{
	return ss32(c) ? c->r[REG_ESP] : (uint16_t)c->r[REG_ESP];
}

static inline void sp_set(struct cpu *c, uint32_t sp)
{
	if (ss32(c))
		c->r[REG_ESP] = sp;
	else
		R16(c, REG_ESP) = (uint16_t)sp;
}

static inline uint32_t sp_add(const struct cpu *c, uint32_t sp, int32_t d)
{
	return ss32(c) ? sp + (uint32_t)d : (uint16_t)(sp + (uint32_t)d);
}

static inline void push(struct cpu *c, unsigned size, uint32_t v)
{
	uint32_t sp = sp_add(c, sp_get(c), -(int32_t)size);
	mwrite(c, SEG_SS, sp, size, v);
	sp_set(c, sp);
}

/* Reads the value on top of the stack without popping (commit with sp_set). */
static inline uint32_t stack_peek(struct cpu *c, unsigned size, unsigned depth)
{
	return mread(c, SEG_SS, sp_add(c, sp_get(c), (int32_t)depth), size);
}

static inline uint32_t pop(struct cpu *c, unsigned size)
{
	uint32_t sp = sp_get(c);
	uint32_t v = mread(c, SEG_SS, sp, size);
	sp_set(c, sp_add(c, sp, (int32_t)size));
	return v;
}

/* ---- port I/O (ops_system.c) ---- */

/* IOPL and TSS I/O-bitmap check for an access of size bytes (#GP(0)). */
void io_check(struct cpu *c, uint16_t port, unsigned size);
uint32_t io_in(struct cpu *c, uint16_t port, unsigned size);
void io_out(struct cpu *c, uint16_t port, unsigned size, uint32_t v);

/* ---- CPL-dependent state ---- */

void cpu_set_cpl(struct cpu *c, unsigned cpl);

/*
 * Sensitive unprivileged instructions (Robin & Irvine's list, plus IRET).
 * sensitive_trap: at the CPLs in sens_fault_cpls they raise #GP(0) before
 * doing anything: at every CPL > 0 on the virtualizable ISA variant, where
 * they are privileged; at the CPLs a monitor asks for (a binary translator
 * catching them in the kernel code it translates). sensitive_seen: one
 * executed at CPL > 0 with its x86 effect (a dropped IF change, a revealed
 * RPL or table base): counted and reported to a monitor, with the EFLAGS
 * value POPF/IRET tried to load or PUSHF pushed, the selector LAR, LSL,
 * VERR or VERW examined (0 for the others).
 */
static inline void sensitive_trap(struct cpu *c)
{
	if (unlikely(c->sens_fault_cpls & (1u << c->cpl)))
		cpu_fault_gp0(c);
}

static inline void sensitive_seen(struct cpu *c, enum cpu_sensitive s, uint32_t value)
{
	if (c->cpl == 0)
		return;
	c->ctr.sensitive++;
	if (c->hooks.sensitive)
		c->hooks.sensitive(c->hooks.monitor, c, s, value);
}

/* An intercepted instruction class: hands the instruction to the monitor,
 * which emulates it (true) or lets it run on (false, its effect being the
 * one the monitor would emulate). */
static inline bool intercepted(struct cpu *c, enum cpu_intercept k, const struct insn *i)
{
	if (likely(!(c->intercepts & k)))
		return false;
	return c->hooks.intercept(c->hooks.monitor, c, k, i);
}

#endif
