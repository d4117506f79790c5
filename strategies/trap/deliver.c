/*
 * The lecture's "CPU trap architecture virtualization": an event meant for
 * the guest (a fault it caused, INT n, a device interrupt) is delivered by
 * the monitor as the hardware would have: look the vector up in the
 * guest's IDT, check the gate, switch to the inner stack from the guest's
 * TSS when the privilege rises, push SS/ESP/EFLAGS/CS/EIP (and the error
 * code) on the guest stack, and enter the handler at virtual CPL 0 (SDM
 * vol. 3A 6.12). The values pushed are the virtual ones (the guest's CS
 * with RPL 0, the virtual IF and IOPL), so the guest sees the frame a bare
 * machine would push. A fault during delivery follows the double-fault
 * table (6.15) on the virtual CPU; a fault delivering #DF is a triple
 * fault and ends the run. IRET and far RET are emulated here with the
 * same checks, on the guest's descriptors.
 */
#include "strategies/trap/trap.h"

#include <string.h>

struct vevent {
	enum cpu_event_kind kind;
	unsigned vec;
	bool has_err;
	uint32_t err;
	uint32_t eip;
};

/* A fault met while delivering: its vector and error code (and CR2). */
struct vfail {
	unsigned vec;
	uint32_t err;
	struct gfault pf;
};

static bool fail(struct vfail *f, unsigned vec, uint32_t err)
{
	f->vec = vec;
	f->err = err;
	return false;
}

static bool fail_pf(struct vfail *f, const struct gfault *g)
{
	f->pf = *g;
	return fail(f, X86_EXC_PF, g->err);
}

static bool contributory(unsigned v)
{
	return v == X86_EXC_DE || (v >= X86_EXC_TS && v <= X86_EXC_GP);
}

static bool has_error_code(unsigned v)
{
	return v == X86_EXC_DF || (v >= X86_EXC_TS && v <= X86_EXC_PF) || v == X86_EXC_AC;
}

/* Pushes on a guest stack given by base and a stack pointer. */
static bool vpush(struct vm *vm, uint32_t base, uint32_t *sp, bool big, unsigned w,
		  uint32_t v, bool user, struct vfail *f)
{
	struct gfault g;
	uint32_t nsp = big ? *sp - w : (uint16_t)(*sp - w);

	if (!gmem_write(vm, base + nsp, &v, w, user, &g))
		return fail_pf(f, &g);
	*sp = nsp;
	return true;
}

/* The TSS a task switch would go to: its faults (SDM vol. 2 JMP, CALL,
 * INT n); if it has none, the run stops (task switches are not modelled)
 * and the result is true. */
static bool vtask_target(struct vm *vm, uint16_t tss_sel, uint32_t ext, struct vfail *f,
			const char *what)
{
	struct desc t;
	uint32_t err = (tss_sel & 0xfffc) | ext;

	if ((tss_sel & SEL_TI) || !guest_desc(vm, tss_sel, &t) ||
	    (gate_type(t) != SYS_TSS32_AVAIL && gate_type(t) != SYS_TSS16_AVAIL))
		return fail(f, X86_EXC_GP, err);
	if (!(desc_attr(t) & DESC_P))
		return fail(f, X86_EXC_NP, err);
	cpu_request_stop(vm->cpu, CPU_STOP_UNSUPPORTED, what);
	return true;
}

/* The guest's inner stack for privilege n from its TSS (32-bit TSS). */
static bool tss_stack(struct vm *vm, unsigned n, uint16_t *ss, uint32_t *esp, struct desc *d,
		      uint32_t ext, struct vfail *f)
{
	const struct seg *tr = &vm->vcpu.tr;
	bool tss32 = (tr->attr & 0x8) != 0;
	uint32_t at = tss32 ? 4 + 8 * n : 2 + 4 * n, w = tss32 ? 4 : 2;
	struct gfault g;
	uint32_t v[2] = { 0, 0 };

	if (at + 2 * w - 1 > tr->limit)
		return fail(f, X86_EXC_TS, (tr->sel & 0xfffc) | ext);
	if (!gmem_read(vm, tr->base + at, &v[0], w, false, &g) ||
	    !gmem_read(vm, tr->base + at + w, &v[1], 2, false, &g))
		return fail_pf(f, &g);
	*esp = v[0];
	*ss = (uint16_t)v[1];
	if (!(*ss & ~3u) || !guest_desc(vm, *ss, d))
		return fail(f, X86_EXC_TS, (*ss & 0xfffc) | ext);
	unsigned a = desc_attr(*d);
	if ((*ss & 3u) != n || DESC_DPL(a) != n || !attr_is_data(a) || !(a & DESC_TYPE_W))
		return fail(f, X86_EXC_TS, (*ss & 0xfffc) | ext);
	if (!(a & DESC_P))
		return fail(f, X86_EXC_SS, (*ss & 0xfffc) | ext);
	if (!(a & DESC_DB))
		*esp &= 0xffff;
	return true;
}

static bool try_deliver(struct vm *vm, const struct vevent *ev, struct vfail *f)
{
	struct cpu *c = vm->cpu;
	struct vcpu *v = &vm->vcpu;
	uint32_t ext = ev->kind == CPU_EV_SOFTINT ? 0 : ERR_EXT;
	uint32_t idt_err = ev->vec * 8 + ERR_IDT + ext;
	struct gfault g;
	struct desc gate, d;

	if (ev->vec * 8 + 7 > v->idtr.limit)
		return fail(f, X86_EXC_GP, idt_err);
	if (!gmem_read(vm, v->idtr.base + ev->vec * 8, &gate, 8, false, &g))
		return fail_pf(f, &g);
	unsigned type = gate_type(gate), ga = desc_attr(gate);
	if (type != SYS_INTGATE32 && type != SYS_TRAPGATE32 && type != SYS_INTGATE16 &&
	    type != SYS_TRAPGATE16 && type != SYS_TASKGATE)
		return fail(f, X86_EXC_GP, idt_err);
	if (ev->kind == CPU_EV_SOFTINT && DESC_DPL(ga) < v->cpl)
		return fail(f, X86_EXC_GP, idt_err);
	if (!(ga & DESC_P))
		return fail(f, X86_EXC_NP, idt_err);
	if (type == SYS_TASKGATE)
		return vtask_target(vm, gate_sel(gate), ext, f, "guest event through a task gate");

	uint16_t sel = gate_sel(gate);
	if (!(sel & ~3u))
		return fail(f, X86_EXC_GP, ext);
	if (!guest_desc(vm, sel, &d))
		return fail(f, X86_EXC_GP, (sel & 0xfffc) | ext);
	unsigned a = desc_attr(d), dpl = DESC_DPL(a);
	if (!attr_is_code(a) || dpl > v->cpl)
		return fail(f, X86_EXC_GP, (sel & 0xfffc) | ext);
	if (!(a & DESC_P))
		return fail(f, X86_EXC_NP, (sel & 0xfffc) | ext);

	bool g32 = type == SYS_INTGATE32 || type == SYS_TRAPGATE32;
	unsigned w = g32 ? 4 : 2, ncpl = (a & DESC_TYPE_C) ? v->cpl : dpl;
	uint32_t off = g32 ? gate_off(gate) : gate_off(gate) & 0xffff;
	uint32_t fl = virt_eflags(vm), base, sp;
	uint16_t nss = 0;
	struct desc ssd;
	bool big;

	if (ncpl < v->cpl) {
		if (!tss_stack(vm, ncpl, &nss, &sp, &ssd, ext, f))
			return false;
		base = desc_base(ssd);
		big = desc_attr(ssd) & DESC_DB;
		if (!vpush(vm, base, &sp, big, w, virt_sel(vm, SEG_SS), ncpl == 3, f) ||
		    !vpush(vm, base, &sp, big, w, c->r[REG_ESP], ncpl == 3, f))
			return false;
	} else {
		base = c->seg[SEG_SS].base;
		big = c->seg[SEG_SS].attr & DESC_DB;
		sp = big ? c->r[REG_ESP] : (uint16_t)c->r[REG_ESP];
	}
	if (!vpush(vm, base, &sp, big, w, fl, ncpl == 3, f) ||
	    !vpush(vm, base, &sp, big, w, virt_sel(vm, SEG_CS), ncpl == 3, f) ||
	    !vpush(vm, base, &sp, big, w, ev->eip, ncpl == 3, f))
		return false;
	if (ev->has_err && !vpush(vm, base, &sp, big, w, ev->err, ncpl == 3, f))
		return false;
	if (off > desc_limit(d))
		return fail(f, X86_EXC_GP, ext);

	/* Commit. */
	if (ncpl < v->cpl)
		load_phys_seg(vm, SEG_SS, nss, ssd);
	if (big)
		c->r[REG_ESP] = sp;
	else
		R16(c, REG_ESP) = (uint16_t)sp;
	load_phys_seg(vm, SEG_CS, (uint16_t)((sel & ~3u) | ncpl), d);
	c->eip = off;
	set_vcpl(vm, ncpl);
	uint32_t clear = EFLAGS_TF | EFLAGS_NT | EFLAGS_RF | EFLAGS_VM;
	if (type == SYS_INTGATE32 || type == SYS_INTGATE16)
		clear |= EFLAGS_IF;
	set_virt_eflags(vm, 0, clear);
	v->halted = false;
	c->halted = false;
	return true;
}

void vdeliver(struct vm *vm, enum cpu_event_kind kind, unsigned vec, bool has_err,
	      uint32_t err, uint32_t eip)
{
	struct vevent ev = { kind, vec, has_err, err, eip };
	struct cpu *c = vm->cpu;
	struct vfail f;

	for (unsigned round = 0; round < 3; round++) {
		if (try_deliver(vm, &ev, &f))
			return;
		if (f.vec == X86_EXC_PF)
			vm->vcpu.cr2 = f.pf.lin;
		bool bad = contributory(f.vec) || f.vec == X86_EXC_PF;
		if (ev.kind == CPU_EV_EXCEPTION && ev.vec == X86_EXC_DF && bad) {
			char msg[160];
			snprintf(msg, sizeof(msg),
				 "triple fault: vector %u (error %#x) while delivering #DF to the guest",
				 f.vec, f.err);
			cpu_request_stop(c, CPU_STOP_TRIPLE_FAULT, msg);
			return;
		}
		bool df = ev.kind == CPU_EV_EXCEPTION &&
			  ((contributory(ev.vec) && contributory(f.vec)) ||
			   (ev.vec == X86_EXC_PF && bad));
		/* A fault while delivering belongs to the instruction at EIP. */
		ev = (struct vevent){ CPU_EV_EXCEPTION, df ? X86_EXC_DF : f.vec, true,
				      df ? 0 : f.err, c->eip };
		ev.has_err = has_error_code(ev.vec);
	}
	cpu_request_stop(c, CPU_STOP_TRIPLE_FAULT, "triple fault: delivery kept faulting");
}

void vfault(struct vm *vm, unsigned vec, uint32_t err)
{
	vm->ctr.injected_exceptions++;
	exit_account(vm, EXIT_EXCEPTION_NMI, 0, "vector=%u error=%#x cr2=%#x", vec, err,
		     vm->vcpu.cr2);
	vdeliver(vm, CPU_EV_EXCEPTION, vec, has_error_code(vec), err, vm->cpu->eip);
}

void vpage_fault(struct vm *vm, const struct gfault *f)
{
	vm->vcpu.cr2 = f->lin;
	vm->ctr.guest_faults++;
	vfault(vm, X86_EXC_PF, f->err);
}

/* ---- returns ---- */

/* Reads n words of opsz bytes from the current stack at ESP + skip,
 * without popping; a fault is reflected. */
static bool stack_words(struct vm *vm, unsigned opsz, uint32_t skip, unsigned n, uint32_t *out)
{
	struct cpu *c = vm->cpu;
	bool big = c->seg[SEG_SS].attr & DESC_DB;
	uint32_t sp = big ? c->r[REG_ESP] + skip : (uint16_t)(c->r[REG_ESP] + skip);
	struct gfault g;

	for (unsigned k = 0; k < n; k++) {
		out[k] = 0;
		uint32_t at = big ? sp + k * opsz : (uint16_t)(sp + k * opsz);
		if (!gmem_read(vm, c->seg[SEG_SS].base + at, &out[k], opsz, vm->vcpu.cpl == 3, &g)) {
			vpage_fault(vm, &g);
			return false;
		}
	}
	return true;
}

static void sp_advance(struct vm *vm, uint32_t n)
{
	struct cpu *c = vm->cpu;

	if (c->seg[SEG_SS].attr & DESC_DB)
		c->r[REG_ESP] += n;
	else
		R16(c, REG_ESP) = (uint16_t)(R16(c, REG_ESP) + n);
}

/* The descriptor a far transfer or return to sel goes through: a null
 * selector is #GP(0), one outside the tables #GP(sel). False after
 * reflecting that fault. */
static bool code_target_desc(struct vm *vm, uint16_t sel, struct desc *d)
{
	if (!(sel & ~3u)) {
		vfault(vm, X86_EXC_GP, 0);
		return false;
	}
	if (!guest_desc(vm, sel, d)) {
		vfault(vm, X86_EXC_GP, sel & 0xfffc);
		return false;
	}
	return true;
}

/*
 * RET far / IRET on the virtual CPU: w[] holds EIP and CS as read from the
 * stack, n_popped the bytes they (and EFLAGS) take; for a return to an
 * outer ring ESP and SS follow them, after `extra` bytes. Returns false
 * after reflecting a fault.
 */
static bool vreturn(struct vm *vm, unsigned opsz, const uint32_t *w, unsigned n_popped,
		    uint16_t extra)
{
	struct cpu *c = vm->cpu;
	struct vcpu *v = &vm->vcpu;
	uint32_t eip = opsz == 2 ? w[0] & 0xffff : w[0];
	uint16_t sel = (uint16_t)w[1];
	unsigned rpl = sel & 3u;
	struct desc d;

	if (!code_target_desc(vm, sel, &d))
		return false;
	unsigned a = desc_attr(d), dpl = DESC_DPL(a);
	if (!attr_is_code(a) || rpl < v->cpl || ((a & DESC_TYPE_C) ? dpl > rpl : dpl != rpl)) {
		vfault(vm, X86_EXC_GP, sel & 0xfffc);
		return false;
	}
	if (!(a & DESC_P)) {
		vfault(vm, X86_EXC_NP, sel & 0xfffc);
		return false;
	}
	if (eip > desc_limit(d)) {
		vfault(vm, X86_EXC_GP, 0);
		return false;
	}
	if (rpl == v->cpl) {
		sp_advance(vm, n_popped + extra);
		load_phys_seg(vm, SEG_CS, sel, d);
		c->eip = eip;
		return true;
	}
	uint32_t outer[2];
	if (!stack_words(vm, opsz, n_popped + extra, 2, outer))
		return false;
	uint16_t ss = (uint16_t)outer[1];
	struct desc sd;
	if (!(ss & ~3u) || !guest_desc(vm, ss, &sd)) {
		vfault(vm, X86_EXC_GP, ss & 0xfffc);
		return false;
	}
	unsigned sa = desc_attr(sd);
	if ((ss & 3u) != rpl || DESC_DPL(sa) != rpl || !attr_is_data(sa) || !(sa & DESC_TYPE_W)) {
		vfault(vm, X86_EXC_GP, ss & 0xfffc);
		return false;
	}
	if (!(sa & DESC_P)) {
		vfault(vm, X86_EXC_SS, ss & 0xfffc);
		return false;
	}
	load_phys_seg(vm, SEG_SS, ss, sd);
	c->r[REG_ESP] = (opsz == 2 ? outer[0] & 0xffff : outer[0]) + extra;
	load_phys_seg(vm, SEG_CS, sel, d);
	c->eip = eip;
	set_vcpl(vm, rpl);
	seg_null_outer(c);
	return true;
}

bool emulate_far_return(struct vm *vm, unsigned opsz, uint16_t extra)
{
	uint32_t w[2];

	return stack_words(vm, opsz, 0, 2, w) && vreturn(vm, opsz, w, 2 * opsz, extra);
}

bool emulate_iret(struct vm *vm, unsigned opsz)
{
	struct cpu *c = vm->cpu;
	struct vcpu *v = &vm->vcpu;
	uint32_t w[3];
	unsigned old_cpl = v->cpl;

	if (cpu_get_eflags(c) & EFLAGS_NT) {
		cpu_request_stop(c, CPU_STOP_UNSUPPORTED, "guest IRET with NT set (task return)");
		return false;
	}
	if (!stack_words(vm, opsz, 0, 3, w))
		return false;
	if (opsz == 4 && (w[2] & EFLAGS_VM) && old_cpl == 0) {
		cpu_request_stop(c, CPU_STOP_UNSUPPORTED, "guest IRET to virtual-8086 mode");
		return false;
	}
	uint32_t mask = EFLAGS_ARITH | EFLAGS_TF | EFLAGS_DF | EFLAGS_NT;
	if (opsz == 4)
		mask |= EFLAGS_RF | EFLAGS_AC | EFLAGS_ID;
	if (old_cpl <= (v->eflags & EFLAGS_IOPL) >> EFLAGS_IOPL_SHIFT)
		mask |= EFLAGS_IF;
	if (old_cpl == 0)
		mask |= EFLAGS_IOPL;
	if (!vreturn(vm, opsz, w, 3 * opsz, 0))
		return false;
	set_virt_eflags(vm, w[2], mask);
	return true;
}

/* ---- far CALL and JMP ---- */

/* CALL/JMP far to sel:off on the virtual CPU, straight to a code segment or
 * through a call gate (SDM vol. 3A 5.8.4-5.8.6): the shadow GDT refuses
 * both when they lead to user code or through a gate, so the monitor does
 * them with the guest's descriptors. False after reflecting a fault. */
bool emulate_far_transfer(struct vm *vm, uint16_t sel, uint32_t off, bool call, unsigned opsz,
			  uint32_t ret_eip)
{
	struct cpu *c = vm->cpu;
	struct vcpu *v = &vm->vcpu;
	struct desc d, td;
	struct vfail f;

	if (!code_target_desc(vm, sel, &d))
		return false;
	unsigned a = desc_attr(d);
	uint16_t tsel = sel;
	unsigned count = 0, w = opsz;

	if (attr_is_code(a)) {
		unsigned dpl = DESC_DPL(a);
		bool bad = (a & DESC_TYPE_C) ? dpl > v->cpl : ((sel & 3u) > v->cpl || dpl != v->cpl);
		if (bad) {
			vfault(vm, X86_EXC_GP, sel & 0xfffc);
			return false;
		}
		if (!(a & DESC_P)) {
			vfault(vm, X86_EXC_NP, sel & 0xfffc);
			return false;
		}
		td = d;
		if (opsz == 2)
			off &= 0xffff;
	} else if (gate_type(d) == SYS_CALLGATE32 || gate_type(d) == SYS_CALLGATE16) {
		if (DESC_DPL(a) < v->cpl || DESC_DPL(a) < (sel & 3u)) {
			vfault(vm, X86_EXC_GP, sel & 0xfffc);
			return false;
		}
		if (!(a & DESC_P)) {
			vfault(vm, X86_EXC_NP, sel & 0xfffc);
			return false;
		}
		w = gate_type(d) == SYS_CALLGATE32 ? 4 : 2;
		count = d.hi & 0x1f;
		tsel = gate_sel(d);
		off = w == 4 ? gate_off(d) : gate_off(d) & 0xffff;
		if (!(tsel & ~3u)) {
			vfault(vm, X86_EXC_GP, 0);
			return false;
		}
		unsigned ta;
		if (!guest_desc(vm, tsel, &td) || !attr_is_code(ta = desc_attr(td)) ||
		    DESC_DPL(ta) > v->cpl ||
		    (!call && !(ta & DESC_TYPE_C) && DESC_DPL(ta) != v->cpl)) {
			vfault(vm, X86_EXC_GP, tsel & 0xfffc);
			return false;
		}
		if (!(ta & DESC_P)) {
			vfault(vm, X86_EXC_NP, tsel & 0xfffc);
			return false;
		}
	} else if (gate_type(d) == SYS_TASKGATE || gate_type(d) == SYS_TSS32_AVAIL ||
		   gate_type(d) == SYS_TSS16_AVAIL) {
		bool ok = true;
		if (DESC_DPL(a) < v->cpl || DESC_DPL(a) < (sel & 3u))
			ok = fail(&f, X86_EXC_GP, sel & 0xfffc);
		else if (gate_type(d) == SYS_TASKGATE && !(a & DESC_P))
			ok = fail(&f, X86_EXC_NP, sel & 0xfffc);
		else
			ok = vtask_target(vm, gate_type(d) == SYS_TASKGATE ? gate_sel(d) : sel, 0, &f,
					 "guest far transfer to a task");
		if (!ok)
			vfault(vm, f.vec, f.err);
		return false;
	} else {
		vfault(vm, X86_EXC_GP, sel & 0xfffc);
		return false;
	}
	unsigned ta = desc_attr(td), ncpl = (ta & DESC_TYPE_C) ? v->cpl : DESC_DPL(ta);
	if (off > desc_limit(td)) {
		vfault(vm, X86_EXC_GP, 0);
		return false;
	}
	if (!call) {
		load_phys_seg(vm, SEG_CS, (uint16_t)((tsel & ~3u) | v->cpl), td);
		c->eip = off;
		return true;
	}

	bool big = c->seg[SEG_SS].attr & DESC_DB;
	uint32_t base = c->seg[SEG_SS].base, sp = big ? c->r[REG_ESP] : (uint16_t)c->r[REG_ESP];
	if (ncpl < v->cpl) {
		/* Inner ring: the guest TSS's stack, with the parameters copied. */
		uint16_t nss;
		uint32_t nsp, params[32];
		struct desc ssd;
		struct gfault g;
		if (!tss_stack(vm, ncpl, &nss, &nsp, &ssd, 0, &f)) {
			if (f.vec == X86_EXC_PF)
				vpage_fault(vm, &f.pf);
			else
				vfault(vm, f.vec, f.err);
			return false;
		}
		for (unsigned k = 0; k < count; k++) {
			params[k] = 0;
			if (!gmem_read(vm, base + (big ? sp + k * w : (uint16_t)(sp + k * w)),
				       &params[k], w, v->cpl == 3, &g)) {
				vpage_fault(vm, &g);
				return false;
			}
		}
		uint32_t nbase = desc_base(ssd);
		bool nbig = desc_attr(ssd) & DESC_DB;
		bool ok = vpush(vm, nbase, &nsp, nbig, w, virt_sel(vm, SEG_SS), false, &f) &&
			  vpush(vm, nbase, &nsp, nbig, w, c->r[REG_ESP], false, &f);
		for (unsigned k = count; ok && k-- > 0;)
			ok = vpush(vm, nbase, &nsp, nbig, w, params[k], false, &f);
		ok = ok && vpush(vm, nbase, &nsp, nbig, w, virt_sel(vm, SEG_CS), false, &f) &&
		     vpush(vm, nbase, &nsp, nbig, w, ret_eip, false, &f);
		if (!ok) {
			vpage_fault(vm, &f.pf);
			return false;
		}
		load_phys_seg(vm, SEG_SS, nss, ssd);
		c->r[REG_ESP] = nbig ? nsp : (c->r[REG_ESP] & 0xffff0000u) | (uint16_t)nsp;
	} else {
		if (!vpush(vm, base, &sp, big, w, virt_sel(vm, SEG_CS), v->cpl == 3, &f) ||
		    !vpush(vm, base, &sp, big, w, ret_eip, v->cpl == 3, &f)) {
			vpage_fault(vm, &f.pf);
			return false;
		}
		c->r[REG_ESP] = big ? sp : (c->r[REG_ESP] & 0xffff0000u) | (uint16_t)sp;
	}
	load_phys_seg(vm, SEG_CS, (uint16_t)((tsel & ~3u) | ncpl), td);
	c->eip = off;
	set_vcpl(vm, ncpl);
	return true;
}
