/*
 * Segment-register loads and far transfers in protected mode, following the
 * Operation sections of MOV/POP Sreg, JMP, CALL, RET and IRET (SDM vol. 2)
 * and the privilege rules of vol. 3A 5.5-5.10. Every check comes before
 * the first change of state, so a fault leaves the CPU as it was.
 *
 * Not modelled: task switches (JMP/CALL to a TSS or task gate, IRET with
 * NT = 1), virtual-8086 mode (IRET to VM = 1), 16-bit call gates with a
 * privilege change from a 32-bit TSS mix: these stop the run with a
 * message rather than approximate.
 */
#include "core/cpu/seg.h"

static inline uint32_t sel_err(uint16_t sel)
{
	return sel & 0xfffc;
}

bool desc_fetch(struct cpu *c, uint16_t sel, struct desc *d)
{
	uint32_t base, limit, off = sel & ~7u;

	if (sel & SEL_TI) {
		const struct seg *ldt = &c->seg[SEG_LDTR];
		if (!(ldt->attr & DESC_P))
			return false;
		base = ldt->base;
		limit = ldt->limit;
	} else {
		base = c->gdtr.base;
		limit = c->gdtr.limit;
	}
	if (off + 7 > limit)
		return false;
	d->lo = sys_read(c, base + off, 4);
	d->hi = sys_read(c, base + off + 4, 4);
	return true;
}

void desc_set_accessed(struct cpu *c, uint16_t sel, struct desc *d)
{
	if (d->hi & (DESC_TYPE_A << 8))
		return;
	d->hi |= DESC_TYPE_A << 8;
	uint32_t base = (sel & SEL_TI) ? c->seg[SEG_LDTR].base : c->gdtr.base;
	sys_write(c, base + (sel & ~7u) + 4, 4, d->hi);
}

void seg_derive(struct seg *s)
{
	unsigned a = s->attr;

	s->lo = 0;
	s->rspan = s->wspan = -1;
	if (!(a & DESC_P) || !(a & DESC_S))
		return;
	if (a & DESC_TYPE_CODE) {
		if (a & DESC_TYPE_R)
			s->rspan = s->limit;
		return;
	}
	if (a & DESC_TYPE_E) {
		/* Expand-down: valid offsets are limit+1 .. 0xffff or 0xffffffff. */
		uint32_t top = (a & DESC_DB) ? 0xffffffffu : 0xffffu;
		if (s->limit >= top)
			return;
		s->lo = s->limit + 1;
		s->rspan = top - s->lo;
	} else {
		s->rspan = s->limit;
	}
	if (a & DESC_TYPE_W)
		s->wspan = s->rspan;
}

void seg_fill(struct seg *s, uint16_t sel, struct desc d)
{
	s->sel = sel;
	s->attr = (uint16_t)desc_attr(d);
	s->base = desc_base(d);
	s->limit = desc_limit(d);
	seg_derive(s);
}

void seg_fill_null(struct seg *s, uint16_t sel)
{
	s->sel = sel;
	s->attr = 0;
	s->base = 0;
	s->limit = 0;
	seg_derive(s);
}

void seg_load(struct cpu *c, unsigned sreg, uint16_t sel)
{
	struct desc d;
	unsigned a, dpl, rpl = sel & SEL_RPL;

	if ((sel & ~3u) == 0) {
		if (sreg == SEG_SS)
			cpu_fault(c, X86_EXC_GP, 0);
		seg_fill_null(&c->seg[sreg], sel);
		return;
	}
	if (!desc_fetch(c, sel, &d))
		cpu_fault(c, X86_EXC_GP, sel_err(sel));
	a = desc_attr(d);
	dpl = DESC_DPL(a);
	if (sreg == SEG_SS) {
		if (rpl != c->cpl || dpl != c->cpl || !attr_is_data(a) || !(a & DESC_TYPE_W))
			cpu_fault(c, X86_EXC_GP, sel_err(sel));
		if (!(a & DESC_P))
			cpu_fault(c, X86_EXC_SS, sel_err(sel));
	} else {
		if (!(a & DESC_S) || (attr_is_code(a) && !(a & DESC_TYPE_R)))
			cpu_fault(c, X86_EXC_GP, sel_err(sel));
		bool conforming = attr_is_code(a) && (a & DESC_TYPE_C);
		if (!conforming && (rpl > dpl || c->cpl > dpl))
			cpu_fault(c, X86_EXC_GP, sel_err(sel));
		if (!(a & DESC_P))
			cpu_fault(c, X86_EXC_NP, sel_err(sel));
	}
	desc_set_accessed(c, sel, &d);
	seg_fill(&c->seg[sreg], sel, d);
}

void cs_commit(struct cpu *c, uint16_t sel, struct desc d, unsigned cpl, uint32_t eip)
{
	seg_fill(&c->seg[SEG_CS], (uint16_t)((sel & ~3u) | cpl), d);
	c->eip = eip;
	cpu_set_cpl(c, cpl);
}

void seg_null_outer(struct cpu *c)
{
	static const unsigned regs[] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };

	for (unsigned k = 0; k < 4; k++) {
		struct seg *s = &c->seg[regs[k]];
		bool conforming = attr_is_code(s->attr) && (s->attr & DESC_TYPE_C);
		if ((s->attr & DESC_P) && !conforming && DESC_DPL(s->attr) < c->cpl)
			seg_fill_null(s, 0);
	}
}

__attribute__((noreturn)) void cpu_abort(struct cpu *c, enum cpu_stop why, const char *msg);

void task_switch_unsupported(struct cpu *c, const char *what)
{
	char msg[120];

	snprintf(msg, sizeof(msg), "%s at EIP %#x: task switching is not modelled", what, c->eip);
	cpu_abort(c, CPU_STOP_UNSUPPORTED, msg);
}

/* The TSS a task switch would go to: the faults it raises before switching
 * (SDM vol. 2 JMP, CALL and INT n; vol. 3 7.3) are raised; a switch that
 * would happen stops the run (not modelled). */
void task_target(struct cpu *c, uint16_t tss_sel, uint32_t ext, const char *what)
{
	struct desc t;
	uint32_t err = (tss_sel & 0xfffc) | ext;

	if ((tss_sel & SEL_TI) || !desc_fetch(c, tss_sel, &t))
		cpu_fault(c, X86_EXC_GP, err);
	if (gate_type(t) != SYS_TSS32_AVAIL && gate_type(t) != SYS_TSS16_AVAIL)
		cpu_fault(c, X86_EXC_GP, err);
	if (!(desc_attr(t) & DESC_P))
		cpu_fault(c, X86_EXC_NP, err);
	task_switch_unsupported(c, what);
}

/* A target code segment of a far JMP/CALL/RET/IRET or gate: fetched and
 * checked for being present code; privilege checks are the caller's. */
static struct desc code_target(struct cpu *c, uint16_t sel, unsigned *attr)
{
	struct desc d;

	if ((sel & ~3u) == 0)
		cpu_fault(c, X86_EXC_GP, 0);
	if (!desc_fetch(c, sel, &d))
		cpu_fault(c, X86_EXC_GP, sel_err(sel));
	*attr = desc_attr(d);
	if (!attr_is_code(*attr))
		cpu_fault(c, X86_EXC_GP, sel_err(sel));
	return d;
}

static void require_present(struct cpu *c, unsigned attr, uint16_t sel)
{
	if (!(attr & DESC_P))
		cpu_fault(c, X86_EXC_NP, sel_err(sel));
}

/* Pushes to a stack given by a descriptor not loaded yet (#SS(sel)). */
static void stack_put(struct cpu *c, const struct seg *ss, uint32_t sp, unsigned size,
		      uint32_t v, unsigned cpl)
{
	if ((int64_t)(uint32_t)(sp - ss->lo) + (size - 1) > ss->wspan)
		cpu_fault(c, X86_EXC_SS, sel_err(ss->sel));
	uint32_t lin = ss->base + sp;
	if (cpl == 3)
		mem_write_slow(c, lin, size, v, ACC_U | ACC_W);
	else
		sys_write(c, lin, size, v);
}

/* The inner stack for privilege level n from the current TSS (#TS). */
void tss_stack(struct cpu *c, unsigned n, uint16_t *ss_sel, uint32_t *esp, struct seg *ss)
{
	const struct seg *tr = &c->seg[SEG_TR];
	bool tss32 = (tr->attr & DESC_TYPE_MASK) == SYS_TSS32_BUSY;
	uint32_t at = tss32 ? 4 + 8 * n : 2 + 4 * n;
	unsigned w = tss32 ? 4 : 2;
	struct desc d;

	if (at + 2 * w - 1 > tr->limit)
		cpu_fault(c, X86_EXC_TS, sel_err(tr->sel));
	*esp = sys_read(c, tr->base + at, w);
	*ss_sel = (uint16_t)sys_read(c, tr->base + at + w, 2);
	if ((*ss_sel & ~3u) == 0 || !desc_fetch(c, *ss_sel, &d))
		cpu_fault(c, X86_EXC_TS, sel_err(*ss_sel));
	unsigned a = desc_attr(d);
	if ((*ss_sel & 3) != n || DESC_DPL(a) != n || !attr_is_data(a) || !(a & DESC_TYPE_W))
		cpu_fault(c, X86_EXC_TS, sel_err(*ss_sel));
	if (!(a & DESC_P))
		cpu_fault(c, X86_EXC_SS, sel_err(*ss_sel));
	seg_fill(ss, *ss_sel, d);
	if (!(a & DESC_DB))
		*esp &= 0xffff;
}

static void call_gate(struct cpu *c, uint16_t gsel, struct desc g, bool is_call,
		      uint32_t ret_eip, unsigned opsz)
{
	unsigned ga = desc_attr(g), a;
	unsigned gdpl = DESC_DPL(ga);
	bool g32 = gate_type(g) == SYS_CALLGATE32;

	if (gdpl < c->cpl || gdpl < (gsel & 3u))
		cpu_fault(c, X86_EXC_GP, sel_err(gsel));
	require_present(c, ga, gsel);
	uint16_t tsel = gate_sel(g);
	struct desc d = code_target(c, tsel, &a);
	unsigned dpl = DESC_DPL(a);
	bool conforming = a & DESC_TYPE_C;
	uint32_t off = g32 ? gate_off(g) : gate_off(g) & 0xffff;

	if (dpl > c->cpl || (!is_call && !conforming && dpl != c->cpl))
		cpu_fault(c, X86_EXC_GP, sel_err(tsel));
	require_present(c, a, tsel);
	if (off > desc_limit(d))
		cpu_fault(c, X86_EXC_GP, 0);
	if (!is_call) {
		cs_commit(c, tsel, d, c->cpl, off);
		return;
	}
	unsigned w = g32 ? 4 : 2;
	if (conforming || dpl == c->cpl) {
		uint32_t sp = sp_get(c);
		uint32_t sp1 = sp_add(c, sp, -(int32_t)w), sp2 = sp_add(c, sp, -2 * (int32_t)w);
		mwrite(c, SEG_SS, sp1, w, c->seg[SEG_CS].sel);
		mwrite(c, SEG_SS, sp2, w, ret_eip);
		sp_set(c, sp2);
		sensitive_seen(c, SENS_PUSH_SEG, c->seg[SEG_CS].sel);
		cs_commit(c, tsel, d, c->cpl, off);
		return;
	}

	/* More privilege: switch to the TSS stack and copy the parameters. */
	uint16_t nss_sel;
	uint32_t nsp;
	struct seg nss;
	unsigned count = g.hi & 0x1f;
	tss_stack(c, dpl, &nss_sel, &nsp, &nss);
	bool n32 = nss.attr & DESC_DB;
	uint32_t mask = n32 ? 0xffffffffu : 0xffffu, osp = sp_get(c);

	uint32_t sp = nsp;
	sp = (sp - w) & mask;
	stack_put(c, &nss, sp, w, c->seg[SEG_SS].sel, dpl);
	sp = (sp - w) & mask;
	stack_put(c, &nss, sp, w, c->r[REG_ESP], dpl);
	for (unsigned k = count; k-- > 0;) {
		uint32_t v = mread(c, SEG_SS, sp_add(c, osp, (int32_t)(k * w)), w);
		sp = (sp - w) & mask;
		stack_put(c, &nss, sp, w, v, dpl);
	}
	sp = (sp - w) & mask;
	stack_put(c, &nss, sp, w, c->seg[SEG_CS].sel, dpl);
	sp = (sp - w) & mask;
	stack_put(c, &nss, sp, w, ret_eip, dpl);
	(void)opsz;

	c->seg[SEG_SS] = nss;
	if (n32)
		c->r[REG_ESP] = sp;
	else
		R16(c, REG_ESP) = (uint16_t)sp;
	cs_commit(c, tsel, d, dpl, off);
}

static void far_transfer(struct cpu *c, uint16_t sel, uint32_t off, bool is_call,
			 unsigned opsz, uint32_t ret_eip)
{
	struct desc d;
	unsigned a;

	/* A far CALL pushes CS, whose RPL is the CPL: sensitive (Robin and
	 * Irvine list CALL). */
	if (is_call)
		sensitive_trap(c);
	if ((sel & ~3u) == 0)
		cpu_fault(c, X86_EXC_GP, 0);
	if (!desc_fetch(c, sel, &d))
		cpu_fault(c, X86_EXC_GP, sel_err(sel));
	a = desc_attr(d);
	if (attr_is_code(a)) {
		unsigned dpl = DESC_DPL(a);
		if (a & DESC_TYPE_C) {
			if (dpl > c->cpl)
				cpu_fault(c, X86_EXC_GP, sel_err(sel));
		} else if ((sel & 3u) > c->cpl || dpl != c->cpl) {
			cpu_fault(c, X86_EXC_GP, sel_err(sel));
		}
		require_present(c, a, sel);
		if (opsz == 2)
			off &= 0xffff;
		if (off > desc_limit(d))
			cpu_fault(c, X86_EXC_GP, 0);
		if (is_call) {
			uint32_t sp = sp_get(c);
			uint32_t sp1 = sp_add(c, sp, -(int32_t)opsz);
			uint32_t sp2 = sp_add(c, sp, -2 * (int32_t)opsz);
			mwrite(c, SEG_SS, sp1, opsz, c->seg[SEG_CS].sel);
			mwrite(c, SEG_SS, sp2, opsz, ret_eip);
			sp_set(c, sp2);
			sensitive_seen(c, SENS_PUSH_SEG, c->seg[SEG_CS].sel);
		}
		desc_set_accessed(c, sel, &d);
		cs_commit(c, sel, d, c->cpl, off);
		return;
	}
	switch (gate_type(d)) {
	case SYS_CALLGATE16:
	case SYS_CALLGATE32:
		call_gate(c, sel, d, is_call, ret_eip, opsz);
		return;
	case SYS_TASKGATE:
	case SYS_TSS16_AVAIL:
	case SYS_TSS32_AVAIL:
		if (DESC_DPL(a) < c->cpl || DESC_DPL(a) < (sel & 3u))
			cpu_fault(c, X86_EXC_GP, sel_err(sel));
		if (gate_type(d) == SYS_TASKGATE) {
			require_present(c, a, sel);
			task_target(c, gate_sel(d), 0, is_call ? "far CALL through a task gate"
							       : "far JMP through a task gate");
		}
		task_target(c, sel, 0, is_call ? "far CALL to a TSS" : "far JMP to a TSS");
	default:
		cpu_fault(c, X86_EXC_GP, sel_err(sel));
	}
}

void far_jmp(struct cpu *c, uint16_t sel, uint32_t off, unsigned opsz, uint32_t ret_eip)
{
	far_transfer(c, sel, off, false, opsz, ret_eip);
}

void far_call(struct cpu *c, uint16_t sel, uint32_t off, unsigned opsz, uint32_t ret_eip)
{
	far_transfer(c, sel, off, true, opsz, ret_eip);
}

/* Checks shared by RET far and IRET for the popped CS. */
static struct desc return_cs(struct cpu *c, uint16_t sel, unsigned *attr)
{
	struct desc d = code_target(c, sel, attr);
	unsigned dpl = DESC_DPL(*attr), rpl = sel & 3u;

	if (rpl < c->cpl)
		cpu_fault(c, X86_EXC_GP, sel_err(sel));
	if ((*attr & DESC_TYPE_C) ? dpl > rpl : dpl != rpl)
		cpu_fault(c, X86_EXC_GP, sel_err(sel));
	require_present(c, *attr, sel);
	return d;
}

/* SS popped on a return to an outer ring, checked against CS's RPL. */
static struct desc return_ss(struct cpu *c, uint16_t sel, unsigned rpl)
{
	struct desc d;

	if ((sel & ~3u) == 0)
		cpu_fault(c, X86_EXC_GP, 0);
	if (!desc_fetch(c, sel, &d))
		cpu_fault(c, X86_EXC_GP, sel_err(sel));
	unsigned a = desc_attr(d);
	if ((sel & 3u) != rpl || DESC_DPL(a) != rpl || !attr_is_data(a) || !(a & DESC_TYPE_W))
		cpu_fault(c, X86_EXC_GP, sel_err(sel));
	if (!(a & DESC_P))
		cpu_fault(c, X86_EXC_SS, sel_err(sel));
	return d;
}

/*
 * Common tail of RET far and IRET: n_popped bytes of EIP/CS(/EFLAGS) are
 * on the stack; for an outer return ESP and SS follow after `extra`.
 * Returns true when the return went to an outer ring.
 */
static bool far_return(struct cpu *c, unsigned opsz, uint32_t eip, uint16_t sel,
		       unsigned n_popped, uint16_t extra)
{
	unsigned a, rpl = sel & 3u;
	struct desc d = return_cs(c, sel, &a);
	uint32_t sp = sp_get(c);

	if (opsz == 2)
		eip &= 0xffff;
	if (eip > desc_limit(d))
		cpu_fault(c, X86_EXC_GP, 0);
	if (rpl == c->cpl) {
		sp_set(c, sp_add(c, sp, (int32_t)(n_popped + extra)));
		cs_commit(c, sel, d, rpl, eip);
		return false;
	}
	uint32_t at = sp_add(c, sp, (int32_t)(n_popped + extra));
	uint32_t nesp = mread(c, SEG_SS, at, opsz);
	uint16_t nss = (uint16_t)mread(c, SEG_SS, sp_add(c, at, (int32_t)opsz), 2);
	struct desc sd = return_ss(c, nss, rpl);

	desc_set_accessed(c, nss, &sd);
	seg_fill(&c->seg[SEG_SS], nss, sd);
	if (opsz == 2)
		nesp &= 0xffff;
	sp_set(c, sp_add(c, nesp, extra));
	cs_commit(c, sel, d, rpl, eip);
	seg_null_outer(c);
	return true;
}

void far_ret(struct cpu *c, unsigned opsz, uint16_t extra)
{
	uint32_t eip = stack_peek(c, opsz, 0);
	uint16_t sel = (uint16_t)stack_peek(c, 2, opsz);

	far_return(c, opsz, eip, sel, 2 * opsz, extra);
}

void iret(struct cpu *c, unsigned opsz)
{
	sensitive_trap(c);
	if (c->eflags & EFLAGS_NT)
		task_switch_unsupported(c, "IRET with NT set");

	uint32_t eip = stack_peek(c, opsz, 0);
	uint16_t sel = (uint16_t)stack_peek(c, 2, opsz);
	uint32_t fl = stack_peek(c, opsz, 2 * opsz);
	unsigned old_cpl = c->cpl;

	if (opsz == 4 && (fl & EFLAGS_VM) && old_cpl == 0)
		task_switch_unsupported(c, "IRET to virtual-8086 mode");

	uint32_t cur = cpu_get_eflags(c);
	uint32_t mask = EFLAGS_ARITH | EFLAGS_TF | EFLAGS_DF | EFLAGS_NT;
	if (opsz == 4)
		mask |= EFLAGS_RF | EFLAGS_AC | EFLAGS_ID;
	if (old_cpl <= ((cur & EFLAGS_IOPL) >> EFLAGS_IOPL_SHIFT))
		mask |= EFLAGS_IF;
	if (old_cpl == 0) {
		mask |= EFLAGS_IOPL;
		if (opsz == 4)
			mask |= EFLAGS_VIF | EFLAGS_VIP;
	}
	bool dropped = ((fl ^ cur) & (EFLAGS_IF | EFLAGS_IOPL) & ~mask) != 0;

	far_return(c, opsz, eip, sel, 3 * opsz, 0);
	cpu_set_eflags(c, (cur & ~mask) | (fl & mask));
	if (dropped && old_cpl > 0)
		sensitive_seen(c, SENS_IRET, fl);
}
