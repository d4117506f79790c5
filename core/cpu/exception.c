/*
 * Exceptions and interrupts (SDM vol. 3A chapter 6): raising a fault
 * unwinds the instruction (longjmp to the run loop), then the event is
 * offered to the monitor hook and, if not taken, delivered through the IDT:
 * interrupt and trap gates, 16- and 32-bit, with the inter-privilege stack
 * switch from the TSS (6.12.1), the EXT bit in error codes (6.13), gate DPL
 * checks for INT n/INT3/INTO (6.12.1.1), and the double-fault table
 * (6.15, table 6-5): a contributory exception during a contributory one, or
 * a contributory or page fault during a page fault, becomes #DF; a fault
 * while delivering #DF is a triple fault, which ends the run. Task gates
 * are not modelled (the run stops with a message).
 */
#include "core/cpu/seg.h"

void tss_stack(struct cpu *c, unsigned n, uint16_t *ss_sel, uint32_t *esp, struct seg *ss);

static const char *const exc_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO", "#TS",
	"#NP", "#SS", "#GP", "#PF", "#15", "#MF", "#AC", "#MC", "#XM",
};

const char *exc_name(unsigned vec)
{
	return vec < 32 && exc_names[vec] ? exc_names[vec] : "vector";
}

static bool has_error_code(unsigned vec)
{
	return vec == X86_EXC_DF || (vec >= X86_EXC_TS && vec <= X86_EXC_PF) ||
	       vec == X86_EXC_AC;
}

static bool contributory(unsigned vec)
{
	return vec == X86_EXC_DE || (vec >= X86_EXC_TS && vec <= X86_EXC_GP);
}

/* Pending event for the unwind: vector, or -1 for "just stop". */
static _Thread_local struct {
	int vec;
	uint32_t err;
} pend;

void cpu_fault(struct cpu *c, unsigned vec, uint32_t err)
{
	pend.vec = (int)vec;
	pend.err = has_error_code(vec) ? err : 0;
	longjmp(c->unwind, 1);
}

void cpu_fault_gp0(struct cpu *c)
{
	cpu_fault(c, X86_EXC_GP, 0);
}

void cpu_fault_ud(struct cpu *c)
{
	cpu_fault(c, X86_EXC_UD, 0);
}

void seg_fault(struct cpu *c, unsigned s)
{
	cpu_fault(c, s == SEG_SS ? X86_EXC_SS : X86_EXC_GP, 0);
}

__attribute__((noreturn)) void cpu_abort(struct cpu *c, enum cpu_stop why, const char *msg)
{
	c->stop = why;
	snprintf(c->stop_msg, sizeof(c->stop_msg), "%s", msg);
	pend.vec = -1;
	longjmp(c->unwind, 1);
}

static void push_to(struct cpu *c, const struct seg *ss, uint32_t *sp, bool ss32, unsigned w,
		    uint32_t v, unsigned cpl, uint32_t ext)
{
	uint32_t nsp = *sp - w;

	if (!ss32)
		nsp &= 0xffff;
	if ((int64_t)(uint32_t)(nsp - ss->lo) + (w - 1) > ss->wspan)
		cpu_fault(c, X86_EXC_SS, (ss->sel & 0xfffc) | ext);
	if (cpl == 3)
		mem_write_slow(c, ss->base + nsp, w, v, ACC_U | ACC_W);
	else
		sys_write(c, ss->base + nsp, w, v);
	*sp = nsp;
}

/* Delivery through the IDT (6.12.1); all checks first, then the commit. */
static void idt_deliver(struct cpu *c, const struct cpu_event *ev)
{
	unsigned vec = ev->vector;
	uint32_t ext = ev->kind == CPU_EV_SOFTINT ? 0 : ERR_EXT;
	uint32_t idt_err = vec * 8 + ERR_IDT + ext;
	struct desc g, d;

	if (vec * 8 + 7 > c->idtr.limit)
		cpu_fault(c, X86_EXC_GP, idt_err);
	g.lo = sys_read(c, c->idtr.base + vec * 8, 4);
	g.hi = sys_read(c, c->idtr.base + vec * 8 + 4, 4);
	unsigned type = gate_type(g), ga = desc_attr(g);
	if (type != SYS_INTGATE32 && type != SYS_TRAPGATE32 && type != SYS_INTGATE16 &&
	    type != SYS_TRAPGATE16 && type != SYS_TASKGATE)
		cpu_fault(c, X86_EXC_GP, idt_err);
	if (ev->kind == CPU_EV_SOFTINT && DESC_DPL(ga) < c->cpl)
		cpu_fault(c, X86_EXC_GP, idt_err);
	if (!(ga & DESC_P))
		cpu_fault(c, X86_EXC_NP, idt_err);
	if (type == SYS_TASKGATE)
		task_target(c, gate_sel(g), ext, "event through a task gate");

	uint16_t sel = gate_sel(g);
	if ((sel & ~3u) == 0)
		cpu_fault(c, X86_EXC_GP, ext);
	if (!desc_fetch(c, sel, &d))
		cpu_fault(c, X86_EXC_GP, (sel & 0xfffc) | ext);
	unsigned a = desc_attr(d), dpl = DESC_DPL(a);
	if (!attr_is_code(a) || dpl > c->cpl)
		cpu_fault(c, X86_EXC_GP, (sel & 0xfffc) | ext);
	if (!(a & DESC_P))
		cpu_fault(c, X86_EXC_NP, (sel & 0xfffc) | ext);

	bool g32 = type == SYS_INTGATE32 || type == SYS_TRAPGATE32;
	unsigned w = g32 ? 4 : 2;
	uint32_t off = g32 ? gate_off(g) : gate_off(g) & 0xffff;
	uint32_t fl = cpu_get_eflags(c);
	unsigned new_cpl = (a & DESC_TYPE_C) ? c->cpl : dpl;
	struct seg ss;
	uint32_t sp;

	if (new_cpl < c->cpl) {
		uint16_t ss_sel;
		tss_stack(c, new_cpl, &ss_sel, &sp, &ss);
		bool n32 = ss.attr & DESC_DB;
		push_to(c, &ss, &sp, n32, w, c->seg[SEG_SS].sel, new_cpl, ext);
		push_to(c, &ss, &sp, n32, w, c->r[REG_ESP], new_cpl, ext);
	} else {
		ss = c->seg[SEG_SS];
		sp = sp_get(c);
	}
	bool n32 = ss.attr & DESC_DB;
	push_to(c, &ss, &sp, n32, w, fl, new_cpl, ext);
	push_to(c, &ss, &sp, n32, w, c->seg[SEG_CS].sel, new_cpl, ext);
	push_to(c, &ss, &sp, n32, w, ev->eip, new_cpl, ext);
	if (ev->has_err)
		push_to(c, &ss, &sp, n32, w, ev->err, new_cpl, ext);
	if (off > desc_limit(d))
		cpu_fault(c, X86_EXC_GP, ext);

	/* Commit. */
	unsigned old_cpl = c->cpl;
	c->seg[SEG_SS] = ss;
	if (n32)
		c->r[REG_ESP] = sp;
	else
		R16(c, REG_ESP) = (uint16_t)sp;
	desc_set_accessed(c, sel, &d);
	cs_commit(c, sel, d, new_cpl, off);
	(void)old_cpl;
	fl &= ~(EFLAGS_TF | EFLAGS_NT | EFLAGS_RF | EFLAGS_VM);
	if (type == SYS_INTGATE32 || type == SYS_INTGATE16)
		fl &= ~EFLAGS_IF;
	cpu_set_eflags(c, fl);
}

/*
 * Offers an event to the monitor, else delivers it through the IDT. Only an
 * exception being delivered can turn a second one into #DF (6.15, Table
 * 6-5): a fault while delivering INT n or an external interrupt is raised
 * as it is (INT 14 through a DPL-0 gate from ring 3 is #GP(0x72)).
 */
static void deliver(struct cpu *c, const struct cpu_event *ev)
{
	c->delivering = ev->kind == CPU_EV_EXCEPTION ? ev->vector : -1;
	c->halted = false;
	if (!(c->hooks.event && c->hooks.event(c->hooks.monitor, c, ev)))
		idt_deliver(c, ev);
	c->delivering = -1;
	cpu_kick(c);
}

static void deliver_exception(struct cpu *c, unsigned vec, uint32_t err)
{
	struct cpu_event ev = { .kind = CPU_EV_EXCEPTION, .vector = (uint8_t)vec,
				.has_err = has_error_code(vec), .err = err, .eip = c->eip };
	c->ctr.exceptions++;
	if (vec == X86_EXC_DF)
		c->ctr.double_faults++;
	deliver(c, &ev);
}

/* After an unwind: apply the double-fault rules and deliver. */
void exception_resume(struct cpu *c)
{
	int first = c->delivering;
	unsigned vec;
	uint32_t err;

	c->delivering = -1;
	if (pend.vec < 0)
		return;
	vec = (unsigned)pend.vec;
	err = pend.err;
	if (first >= 0) {
		bool second_bad = contributory(vec) || vec == X86_EXC_PF;
		if (first == X86_EXC_DF && second_bad) {
			snprintf(c->stop_msg, sizeof(c->stop_msg),
				 "triple fault: %s (error %#x) while delivering #DF at EIP %#x",
				 exc_name(vec), err, c->eip);
			c->stop = CPU_STOP_TRIPLE_FAULT;
			return;
		}
		if ((contributory((unsigned)first) && contributory(vec)) ||
		    (first == X86_EXC_PF && second_bad)) {
			vec = X86_EXC_DF;
			err = 0;
		}
	}
	deliver_exception(c, vec, err);
}

void deliver_interrupt(struct cpu *c, unsigned vec)
{
	struct cpu_event ev = { .kind = CPU_EV_INTERRUPT, .vector = (uint8_t)vec, .eip = c->eip };

	c->ctr.interrupts++;
	deliver(c, &ev);
}

void cpu_softint(struct cpu *c, unsigned vec, uint32_t next_eip)
{
	struct cpu_event ev = { .kind = CPU_EV_SOFTINT, .vector = (uint8_t)vec, .eip = next_eip };

	c->ctr.soft_ints++;
	deliver(c, &ev);
	cpu_end_block(c);
}

/* A trap raised by an instruction (ICEBP): no gate DPL check, EIP after it. */
void cpu_trap(struct cpu *c, unsigned vec, uint32_t next_eip)
{
	struct cpu_event ev = { .kind = CPU_EV_EXCEPTION, .vector = (uint8_t)vec, .eip = next_eip };

	c->ctr.exceptions++;
	deliver(c, &ev);
	cpu_end_block(c);
}

/* Single-step trap after an instruction executed with EFLAGS.TF (DR6.BS). */
void deliver_debug_trap(struct cpu *c)
{
	struct cpu_event ev = { .kind = CPU_EV_EXCEPTION, .vector = X86_EXC_DB, .eip = c->eip };

	c->dr[6] |= 1u << 14;
	c->ctr.exceptions++;
	deliver(c, &ev);
}
