/*
 * The run loop. The fast loop executes cached blocks back to back until the
 * instruction count reaches insn_limit: the next timer deadline, the end of
 * the budget, or 0 when a handler asked for attention (cpu_kick). A block
 * that would run past the limit is cut, so events happen at exact
 * instruction counts whatever the block boundaries are. Between blocks the
 * slow loop runs due timers, takes interrupts (IF, the STI/MOV SS shadow),
 * single-steps under EFLAGS.TF, and sleeps through HLT by skipping modeled
 * time to the next deadline.
 */
#include "core/cpu/code.h"
#include "core/cpu/exec.h"

void exception_resume(struct cpu *c);	/* exception.c */
void deliver_interrupt(struct cpu *c, unsigned vec);
void deliver_debug_trap(struct cpu *c);

/* Modeled time a halted CPU may wait for an interrupt before the run is
 * declared stuck (no guest sleeps this long with a timer it listens to). */
#define HALT_LIMIT_NS 100000000000ull

/* Instruction count at which the next timer is due. */
static uint64_t deadline_insns(const struct cpu *c)
{
	const struct clock *k = c->clock;

	if (k->next_deadline == CLOCK_NEVER)
		return UINT64_MAX;
	return k->next_deadline <= k->skipped_ns ? 0 : k->next_deadline - k->skipped_ns;
}

static bool intr_deliverable(const struct cpu *c)
{
	return c->intr_line && (c->eflags & EFLAGS_IF) && c->insns >= c->shadow_until;
}

static struct block *fetch_block(struct cpu *c)
{
	const struct seg *cs = &c->seg[SEG_CS];
	uint32_t lin, pa;
	const struct stlb_entry *e;

	if (unlikely(c->eip > cs->limit))
		cpu_fault_gp0(c);
	lin = cs->base + c->eip;
	e = stlb_slot(c->stlb, lin);
	c->ctr.itlb_lookups++;
	if (likely(e->tag_x == (lin & PAGE_MASK)))
		pa = (e->ppage << PAGE_SHIFT) | (lin & 0xfff);
	else
		pa = mmu_translate(c, lin, ACC_X | acc_user(c));
	return code_lookup(c, lin, pa, (cs->attr & DESC_DB) ? 1 : 0);
}

/* Remembers that b follows prev at linear address lin (same page). */
static void link_blocks(struct cpu *c, struct block *prev, struct block *b, uint32_t lin)
{
	unsigned k = 0;

	if (prev->link[0] && prev->link_epoch[0] == c->chain_epoch && prev->link[0]->valid)
		k = 1;
	prev->link[k] = b;
	prev->link_lin[k] = lin;
	prev->link_epoch[k] = c->chain_epoch;
}

/* A successor of prev already linked for lin, if still good. */
static struct block *linked(const struct cpu *c, const struct block *prev, uint32_t lin,
			    uint8_t mode)
{
	for (unsigned k = 0; k < 2; k++) {
		struct block *b = prev->link[k];
		if (b && prev->link_lin[k] == lin && prev->link_epoch[k] == c->chain_epoch &&
		    b->valid && b->mode == mode)
			return b;
	}
	return NULL;
}

/*
 * Blocks on the same linear and physical page are chained: the successor
 * is found without a lookup. That is exactly an instruction-TLB hit (the
 * page's entry was just used and FIFO replacement never evicts on a hit),
 * so it is counted as one; anything that may evict or change a
 * translation, or change the CPL, bumps chain_epoch and breaks the links.
 * Never inlined into cpu_run: a function that calls setjmp keeps its
 * variables in memory, which would cost every instruction a reload.
 */
static __attribute__((noinline)) void run_fast(struct cpu *c)
{
	struct block *prev = NULL;
	uint32_t prev_page = 0;

	while (c->insns < c->insn_limit) {
		const struct seg *cs = &c->seg[SEG_CS];
		uint32_t lin = cs->base + c->eip;
		uint8_t mode = (cs->attr & DESC_DB) ? 1 : 0;
		struct block *b = prev ? linked(c, prev, lin, mode) : NULL;

		if (b) {
			c->ctr.itlb_lookups++;
			if (unlikely(c->eip > cs->limit))
				cpu_fault_gp0(c);
		} else {
			uint64_t flushes = c->ctr.code_flushes;
			b = fetch_block(c);
			if (prev && c->ctr.code_flushes == flushes && b->cached &&
			    (lin & PAGE_MASK) == prev_page &&
			    (b->phys & PAGE_MASK) == (prev->phys & PAGE_MASK))
				link_blocks(c, prev, b, lin);
		}

		const struct insn *i = b->insns;
		uint64_t room = c->insn_limit - c->insns;
		c->blk_start = i;
		c->insn_end = room < b->n ? i + room : i + b->n;
		/* The last instruction must stay inside the code segment. */
		if (unlikely(c->eip + b->bytes - 1 > cs->limit))
			c->insn_end = i + 1;
		for (; i < c->insn_end; i++) {
			i->fn(c, i);
			c->insns++;
		}
		prev = b->cached ? b : NULL;
		prev_page = lin & PAGE_MASK;
	}
}

/* Events between blocks; returns false when the CPU must stop. The budget
 * counts retired instructions and the iterations of unfinished REP parts
 * (iters0: rep_iters when the run began). */
static bool service(struct cpu *c, uint64_t budget_end, uint64_t iters0)
{
	for (;;) {
		if (c->stop != CPU_RUNNING)
			return false;
		if (clock_now(c->clock) >= c->clock->next_deadline)
			clock_run_due(c->clock);
		if (c->stop != CPU_RUNNING)
			return false;
		if (intr_deliverable(c)) {
			int vec = c->hooks.intr_ack ? c->hooks.intr_ack(c->hooks.platform) : -1;
			c->halted = false;
			if (vec >= 0)
				deliver_interrupt(c, (unsigned)vec);
			continue;
		}
		if (c->insns >= budget_end || c->rep_iters - iters0 >= budget_end - c->insns) {
			c->stop = CPU_STOP_BUDGET;
			return false;
		}
		if (!c->halted)
			break;
		/* HLT: nothing but an interrupt wakes the CPU. */
		uint64_t before = clock_now(c->clock);
		if (!(c->eflags & EFLAGS_IF) || c->clock->next_deadline == CLOCK_NEVER) {
			snprintf(c->stop_msg, sizeof(c->stop_msg),
				 "HLT with %s at EIP %#x", (c->eflags & EFLAGS_IF) ?
				 "no interrupt source left" : "interrupts disabled", c->eip);
			c->stop = CPU_STOP_HALTED;
			return false;
		}
		clock_skip_to_next(c->clock);
		c->halt_ns += clock_now(c->clock) - before;
		c->ctr.halted_ns += clock_now(c->clock) - before;
		clock_run_due(c->clock);
		/* Timers keep firing but none of them reaches the CPU (all
		 * masked): nothing will ever wake it. */
		if (c->halt_ns > HALT_LIMIT_NS && c->halted) {
			snprintf(c->stop_msg, sizeof(c->stop_msg),
				 "HLT at EIP %#x: no interrupt in %llu s of modeled time", c->eip,
				 (unsigned long long)(HALT_LIMIT_NS / 1000000000ull));
			c->stop = CPU_STOP_BUDGET;
			return false;
		}
	}

	uint64_t limit = deadline_insns(c);
	if (budget_end < limit)
		limit = budget_end;
	/* An interrupt held off by the shadow: stop right where it ends. */
	if (c->intr_line && (c->eflags & EFLAGS_IF) && c->shadow_until < limit)
		limit = c->shadow_until;
	if (c->eflags & EFLAGS_TF)
		limit = c->insns + 1;
	c->insn_limit = limit;
	return true;
}

enum cpu_stop cpu_run(struct cpu *c, uint64_t budget)
{
	uint64_t budget_end = budget > UINT64_MAX - c->insns ? UINT64_MAX : c->insns + budget;
	uint64_t iters0 = c->rep_iters;

	c->stop = CPU_RUNNING;
	c->stop_msg[0] = 0;
	if (setjmp(c->unwind))
		exception_resume(c);
	while (service(c, budget_end, iters0)) {
		bool stepping = c->eflags & EFLAGS_TF;
		run_fast(c);
		if (stepping && c->stop == CPU_RUNNING && c->insns >= c->db_shadow_until)
			deliver_debug_trap(c);
	}
	cpu_sync_counters(c);
	return c->stop;
}

void cpu_request_stop(struct cpu *c, enum cpu_stop why, const char *msg)
{
	c->stop = why;
	if (msg)
		snprintf(c->stop_msg, sizeof(c->stop_msg), "%s", msg);
	cpu_kick(c);
	cpu_end_block(c);
}

void cpu_set_intr(void *cpu, int level)
{
	struct cpu *c = cpu;

	c->intr_line = level != 0;
	if (c->intr_line)
		cpu_kick(c);
}
