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

static void run_fast(struct cpu *c)
{
	while (c->insns < c->insn_limit) {
		struct block *b = fetch_block(c);
		const struct insn *i = b->insns;
		uint64_t room = c->insn_limit - c->insns;

		c->insn_end = room < b->n ? i + room : i + b->n;
		/* The last instruction must stay inside the code segment. */
		if (unlikely(c->eip + b->bytes - 1 > c->seg[SEG_CS].limit))
			c->insn_end = i + 1;
		for (; i < c->insn_end; i++) {
			c->cur = i;
			i->fn(c, i);
			c->insns++;
		}
	}
	c->cur = NULL;
}

/* Events between blocks; returns false when the CPU must stop. */
static bool service(struct cpu *c, uint64_t budget_end)
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
		if (c->insns >= budget_end) {
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
		c->ctr.halted_ns += clock_now(c->clock) - before;
		clock_run_due(c->clock);
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

	c->stop = CPU_RUNNING;
	if (setjmp(c->unwind))
		exception_resume(c);
	while (service(c, budget_end)) {
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
	if (c->cur)
		cpu_end_block(c);
}

void cpu_set_intr(void *cpu, int level)
{
	struct cpu *c = cpu;

	c->intr_line = level != 0;
	if (c->intr_line)
		cpu_kick(c);
}
