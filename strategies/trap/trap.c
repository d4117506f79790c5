/*
 * Trap-and-emulate on x86 (the lecture's "run the virtual machine directly
 * on the CPU at a non-privileged level"), with ring compression as the
 * classical x86 monitors did it:
 *
 * - The guest kernel runs at physical CPL 1 (not 3: its data segments and
 *   supervisor-only pages must stay usable without a monitor round trip),
 *   guest user code at CPL 3, both with IOPL 0. So CLI, STI, HLT, IN/OUT,
 *   moves to control registers, descriptor-table loads and every other
 *   CPL-0-only instruction raise #GP and are emulated on the virtual CPU
 *   (core/mon/vcpu.h). Every exception, interrupt and INT n reaches the
 *   monitor (the hook table is its IDT) and is delivered to the guest
 *   through the guest's own IDT and TSS (deliver.c).
 * - The physical GDT is a shadow of the guest's in the monitor's linear
 *   window (the top 4 MiB, mapped by every shadow page directory,
 *   supervisor-only): DPL 0 descriptors become DPL 1, and every segment's
 *   limit is cut below the window, which is what keeps the guest kernel at
 *   CPL 1 out of the monitor.
 * - x86 stays faithful: POPF and IRET silently drop IF/IOPL changes at
 *   CPL 1, PUSHF shows the real IF, MOV from CS/SS shows RPL 1, SGDT/SIDT/
 *   SLDT/STR/SMSW show the monitor's tables, LAR/LSL show DPL 1 and the cut
 *   limits. None of these trap; the monitor counts them (hooks.sensitive)
 *   and reports the divergence. With --isa virtualizable they trap and are
 *   emulated, and the guest cannot tell.
 * - The virtual IF must follow IRET, which does not trap at CPL 1 on its
 *   own. So the monitor makes every IRET trap: frames it pushes for the
 *   guest kernel carry the guest's own CS (RPL 0, below CPL 1: #GP), and
 *   the shadow copies of user code descriptors are marked not present, so
 *   any load of a user CS (IRET or RETF to user mode) raises #NP. The
 *   monitor then emulates the return with the guest's descriptor, and
 *   tracks the virtual IF exactly. Only POPF (and an IRET through a CS the
 *   guest read with MOV from CS) loses it, as the lecture says.
 * - The virtual IF gates the interrupt controller's INTR line on its way
 *   to the physical CPU, whose own IF stays 1.
 * - A guest that uses the top 4 MiB itself (a page directory mapped into
 *   its own last slot, say) gets #GP or #SS there from the cut limits. The
 *   monitor then lends it the window for that one instruction: the
 *   segments get the guest's limits back, the top directory slot the
 *   shadow of the guest's mapping (the MMU's lend_window), and the
 *   instruction runs one single step with interrupts held (exit
 *   WINDOW_ACCESS). Any other event during the step takes the window back
 *   first; a fault the step raises again is the guest's own. Instructions
 *   that read descriptor tables (segment loads, far transfers, INT n,
 *   LAR...) would read the guest's memory where the monitor's tables are,
 *   so they are not lent to: they count as a divergence.
 * Not modelled: virtual-8086 mode, task switches, LDT descriptors with a
 *   base in the monitor window, expand-down segments reaching the window,
 *   guest code at CPL 1: ring compression runs it where the guest kernel
 *   runs, so it passes the checks CPL 0 would (segment loads, far jumps,
 *   MOV CR) and its returns from CPL 0 are taken for same-level ones.
 */
#include "strategies/trap/trap.h"

#include <stdlib.h>
#include <string.h>

#include <Zydis/Zydis.h>

const uint8_t trap_vcpl_of[4] = { 0, 0, 2, 3 };

static uint8_t *mon_page(struct vm *vm, unsigned page)
{
	return vm->phys.ram + trap_of(vm)->mon + page * PAGE_SIZE;
}

/* ---- descriptors ---- */

bool guest_desc(struct vm *vm, uint16_t sel, struct desc *d)
{
	const struct vcpu *v = &vm->vcpu;
	uint32_t base, limit, off = sel & ~7u;
	struct gfault f;
	uint32_t w[2];

	if (sel & SEL_TI) {
		if (!(v->ldtr.attr & DESC_P))
			return false;
		base = v->ldtr.base;
		limit = v->ldtr.limit;
	} else {
		base = v->gdtr.base;
		limit = v->gdtr.limit;
	}
	if (off + 7 > limit || !gmem_read(vm, base + off, w, 8, false, &f))
		return false;
	d->lo = w[0];
	d->hi = w[1];
	return true;
}

/* The physical form of a guest code/data descriptor: DPL 0 -> 1, limit cut
 * below the monitor window (rounded down to what the G bit can say). */
static struct desc compress(struct desc d)
{
	unsigned a = desc_attr(d);

	if (!(a & DESC_S))
		return d;
	if (DESC_DPL(a) == 0)
		d.hi |= 1u << 13;
	uint32_t base = desc_base(d), limit = desc_limit(d);
	bool down = !(a & DESC_TYPE_CODE) && (a & DESC_TYPE_E);
	if (!down && base < WINDOW_BASE && limit > WINDOW_BASE - 1 - base) {
		uint32_t max = WINDOW_BASE - 1 - base, field;
		d.hi &= ~(0xfu << 16);
		if (max > 0xfffff) {
			field = ((max + 1) >> 12) - 1;
			d.hi |= 1u << 23;
		} else {
			field = max;
			d.hi &= ~(1u << 23);
		}
		d.lo = (d.lo & 0xffff0000u) | (field & 0xffff);
		d.hi |= field & 0xf0000;
	}
	return d;
}

static void put_gdt(struct vm *vm, unsigned index, struct desc d)
{
	memcpy(mon_page(vm, 0) + index * 8, &d, 8);
}

/* Slot index of the shadow GDT from guest slot index. */
void shadow_gdt_entry(struct vm *vm, unsigned index)
{
	struct desc d = { 0, 0 };

	if (index == 0 || index >= 8190)
		return;
	if (!guest_desc(vm, (uint16_t)(index << 3), &d)) {
		put_gdt(vm, index, (struct desc){ 0, 0 });
		return;
	}
	unsigned a = desc_attr(d);
	trap_of(vm)->gdt_limit[index] = desc_limit(d);
	d = compress(d);
	/* User code and conforming code (which user code may run in): not
	 * present in the shadow, so loading it traps and the monitor follows
	 * the CPL. A segment not yet accessed too: the load traps and sets
	 * the accessed bit in the guest's descriptor, where the CPU would. */
	if ((a & DESC_S) && (((a & DESC_TYPE_CODE) && (DESC_DPL(a) == 3 || (a & DESC_TYPE_C))) ||
			     !(a & DESC_TYPE_A)))
		d.hi &= ~(DESC_P << 8);
	/* The guest's TSSs and LDTs are never loaded physically. */
	if (!(a & DESC_S))
		d.hi &= ~(DESC_P << 8);
	put_gdt(vm, index, d);
}

/* ---- tracing the guest's tables ---- */

static bool holds(const struct traced_table *t, uint32_t gpfn)
{
	for (unsigned k = 0; k < t->npages; k++)
		if (t->gpfn[k] == gpfn)
			return true;
	return false;
}

/* A page the other table also lies in (a GDT and an LDT sharing a page)
 * stays traced. */
static void untrace(struct vm *vm, struct traced_table *t)
{
	struct trap *tr = trap_of(vm);
	const struct traced_table *other = t == &tr->gdt ? &tr->ldt : &tr->gdt;

	for (unsigned k = 0; k < t->npages; k++)
		if (t->gpfn[k] != ~0u && !holds(other, t->gpfn[k]))
			vm->strat->mmu->trace(vm, t->gpfn[k], false);
	t->npages = 0;
}

/* Write-protects the guest pages under [lin, lin + limit]. */
static void retrace(struct vm *vm, struct traced_table *t, uint32_t lin, uint32_t limit)
{
	const struct vcpu *v = &vm->vcpu;

	untrace(vm, t);
	t->lin = lin & PAGE_MASK;
	t->npages = ((lin & 0xfff) + limit) / PAGE_SIZE + 1;
	if (t->npages > MAX_TABLE_PAGES)
		t->npages = MAX_TABLE_PAGES;
	for (unsigned k = 0; k < t->npages; k++) {
		uint32_t gpa, err;
		uint8_t fl;
		unsigned sh;
		t->gpfn[k] = ~0u;
		if (guest_walk(vm, v->cr0, v->cr3, v->cr4, t->lin + k * PAGE_SIZE, false, false,
			       false, &gpa, &fl, &sh, &err) && gpa < vm->phys.guest_size) {
			t->gpfn[k] = gpa >> PAGE_SHIFT;
			vm->strat->mmu->trace(vm, t->gpfn[k], true);
		}
	}
}

/* Table offsets (from its linear base) that guest-physical gpa backs. */
static bool table_offset(const struct traced_table *t, uint32_t base, uint32_t gpa,
			 unsigned k, uint32_t *off)
{
	if (t->gpfn[k] != gpa >> PAGE_SHIFT)
		return false;
	*off = t->lin + k * PAGE_SIZE + (gpa & 0xfff) - base;
	return true;
}

static void shadow_ldt_entry(struct vm *vm, unsigned index);

static void on_traced_write(struct vm *vm, uint32_t gpa, uint32_t len)
{
	struct trap *t = trap_of(vm);
	const struct vcpu *v = &vm->vcpu;
	uint32_t off;

	for (unsigned k = 0; k < t->gdt.npages; k++)
		for (uint32_t b = 0; b < len; b += 4)
			if (table_offset(&t->gdt, v->gdtr.base, gpa + b, k, &off) &&
			    off <= v->gdtr.limit)
				shadow_gdt_entry(vm, off / 8);
	for (unsigned k = 0; k < t->ldt.npages; k++)
		for (uint32_t b = 0; b < len; b += 4)
			if (table_offset(&t->ldt, v->ldtr.base, gpa + b, k, &off) &&
			    off <= v->ldtr.limit)
				shadow_ldt_entry(vm, off / 8);
}

static void shadow_gdt_build(struct vm *vm)
{
	memset(mon_page(vm, 0), 0, 8190 * 8);
	for (unsigned k = 1; k <= vm->vcpu.gdtr.limit / 8u && k < 8190; k++)
		shadow_gdt_entry(vm, k);
}

void shadow_gdt_sync(struct vm *vm)
{
	shadow_gdt_build(vm);
	retrace(vm, &trap_of(vm)->gdt, vm->vcpu.gdtr.base, vm->vcpu.gdtr.limit);
}

/* ---- the LDT ---- */

static void shadow_ldt_entry(struct vm *vm, unsigned index)
{
	struct desc d = { 0, 0 };
	uint8_t *slot = mon_page(vm, MON_LDT_PAGE) + index * 8;

	if (index >= PAGE_SIZE / 8)
		return;
	if (guest_desc(vm, (uint16_t)(index << 3 | SEL_TI), &d)) {
		unsigned a = desc_attr(d);
		trap_of(vm)->ldt_limit[index] = desc_limit(d);
		d = compress(d);
		if (!(a & DESC_S) || !(a & DESC_TYPE_A) ||
		    ((a & DESC_TYPE_CODE) && (DESC_DPL(a) == 3 || (a & DESC_TYPE_C))))
			d.hi &= ~(DESC_P << 8);
	}
	memcpy(slot, &d, 8);
}

void shadow_ldt_sync(struct vm *vm)
{
	const struct seg *l = &vm->vcpu.ldtr;
	struct trap *t = trap_of(vm);

	memset(mon_page(vm, MON_LDT_PAGE), 0, PAGE_SIZE);
	if (!(l->attr & DESC_P)) {
		untrace(vm, &t->ldt);
		cpu_load_seg(vm->cpu, SEG_LDTR, 0, 0, 0);
		return;
	}
	uint32_t limit = l->limit < PAGE_SIZE - 1 ? l->limit : PAGE_SIZE - 1;
	for (unsigned k = 0; k <= limit / 8; k++)
		shadow_ldt_entry(vm, k);
	retrace(vm, &t->ldt, l->base, l->limit);
	struct desc d = { (limit & 0xffff) | (WIN_LDT << 16),
			  ((WIN_LDT >> 16) & 0xff) | (WIN_LDT & 0xff000000u) |
				  ((DESC_P | SYS_LDT) << 8) };
	put_gdt(vm, MON_LDT_SEL >> 3, d);
	cpu_load_seg(vm->cpu, SEG_LDTR, MON_LDT_SEL, d.lo, d.hi);
}

/* Remembers the guest's limit of segment register sreg as just loaded. */
static void note_vseg(struct vm *vm, unsigned sreg, uint32_t limit)
{
	const struct seg *p = &vm->cpu->seg[sreg];

	trap_of(vm)->vseg[sreg].valid = true;
	trap_of(vm)->vseg[sreg].sel = p->sel;
	trap_of(vm)->vseg[sreg].base = p->base;
	trap_of(vm)->vseg[sreg].limit = limit;
}

void load_phys_seg(struct vm *vm, unsigned sreg, uint16_t vsel, struct desc d)
{
	uint16_t psel = vsel;

	/* The CPU sets the accessed bit of a descriptor it loads (SDM vol. 3,
	 * 3.4.5.1); the guest's table is traced, so the shadow follows. (At
	 * attach, before the MMU, the boot selectors are taken as they are.) */
	if ((d.hi & (DESC_TYPE_A << 8)) == 0 && (vsel & ~3u) && (desc_attr(d) & DESC_S) &&
	    vm->mmu_priv) {
		uint32_t base = (vsel & SEL_TI) ? vm->vcpu.ldtr.base : vm->vcpu.gdtr.base;
		uint32_t hi = d.hi | DESC_TYPE_A << 8;
		struct gfault f;
		if (gmem_write(vm, base + (vsel & ~7u) + 4, &hi, 4, false, &f))
			d.hi = hi;
	}
	if (sreg == SEG_CS || sreg == SEG_SS)
		psel = (uint16_t)((vsel & ~3u) | p_rpl(vsel & 3u));
	cpu_load_seg(vm->cpu, sreg, psel, compress(d).lo, compress(d).hi);
	note_vseg(vm, sreg, desc_limit(d));
}

void load_phys_null(struct vm *vm, unsigned sreg, uint16_t vsel)
{
	cpu_load_seg(vm->cpu, sreg, vsel, 0, 0);
}

uint16_t virt_sel(struct vm *vm, unsigned sreg)
{
	uint16_t s = vm->cpu->seg[sreg].sel;

	/* CS.RPL and SS.RPL always equal the CPL: the virtual one. */
	if (sreg == SEG_CS || sreg == SEG_SS)
		return (uint16_t)((s & ~3u) | vm->vcpu.cpl);
	return s;
}

void set_vcpl(struct vm *vm, unsigned vcpl)
{
	vm->vcpu.cpl = vcpl;
	cpu_set_privilege(vm->cpu, p_rpl(vcpl));
}

/* ---- flags ---- */

#define VFLAGS (EFLAGS_IF | EFLAGS_IOPL)

uint32_t virt_eflags(struct vm *vm)
{
	struct trap *t = trap_of(vm);
	uint32_t f = (cpu_get_eflags(vm->cpu) & ~VFLAGS) | (vm->vcpu.eflags & VFLAGS);

	if (t->stepping)
		f = (f & ~EFLAGS_TF) | (t->guest_tf ? EFLAGS_TF : 0);
	return f;
}

void set_virt_eflags(struct vm *vm, uint32_t f, uint32_t mask)
{
	uint32_t phys = cpu_get_eflags(vm->cpu);

	vm->vcpu.eflags = (vm->vcpu.eflags & ~(mask & VFLAGS)) | (f & mask & VFLAGS);
	mask &= ~VFLAGS;
	phys = (phys & ~mask) | (f & mask);
	cpu_set_eflags(vm->cpu, (phys & ~EFLAGS_IOPL) | EFLAGS_IF);
	vm_intr_update(vm);
}

/* INTR reaches the physical CPU only when the guest would take it. */
static bool intr_gate(struct vm *vm)
{
	return (vm->vcpu.eflags & EFLAGS_IF) && !trap_of(vm)->stepping;
}

/* ---- events ---- */

/* A #GP on an access that only the monitor's segment truncation refused
 * (the guest's own limit allows it): the guest sees a fault the bare
 * machine would not give. Counted as a divergence. */
static void note_truncation(struct vm *vm)
{
	struct cpu *c = vm->cpu;
	struct emu_insn e;
	struct desc d;

	if (!guest_insn(vm, &e))
		return;
	for (unsigned k = 0; k < e.n; k++) {
		if (e.kind[k] != EK_MEM)
			continue;
		uint32_t off = emu_ea(c, &e);
		uint16_t sel = c->seg[e.seg].sel;
		if (off > c->seg[e.seg].limit && (sel & ~3u) && guest_desc(vm, sel, &d) &&
		    off <= desc_limit(d))
			vm->ctr.diverged_truncation++;
	}
}

static void reflect(struct vm *vm, const struct cpu_event *ev, bool lent)
{
	if (ev->vector == X86_EXC_GP && ev->err == 0 && !lent)
		note_truncation(vm);
	vm->ctr.injected_exceptions++;
	exit_account(vm, EXIT_EXCEPTION_NMI, 0, "vector=%u error=%#x", ev->vector, ev->err);
	/* Traps (#DB from ICEBP or single-step) push the next EIP. */
	vdeliver(vm, CPU_EV_EXCEPTION, ev->vector, ev->has_err, ev->err, ev->eip);
}

/* Runs the instruction at EIP one single step with interrupts held; the
 * #DB that ends it calls step_finish. */
static void step_begin(struct vm *vm)
{
	struct trap *t = trap_of(vm);
	uint32_t f = cpu_get_eflags(vm->cpu);

	if (t->stepping)
		return;
	t->stepping = true;
	t->guest_tf = f & EFLAGS_TF;
	cpu_set_eflags(vm->cpu, f | EFLAGS_TF);
	vm_intr_update(vm);
}

/* ---- the monitor's window, lent for one instruction ---- */

/* Could an access of the instruction at EIP lie beyond a physical limit
 * (where ring compression cut it)? Its fetch, a near branch target, its
 * explicit memory operands, the string operands at ESI/EDI and the stack
 * near ESP are looked at. */
static bool beyond_cut(const struct cpu *c, const struct emu_insn *e)
{
	const struct seg *s = c->seg;
	uint32_t esp = c->r[REG_ESP];

	if (c->eip + e->len - 1u > s[SEG_CS].limit || c->eip + e->len - 1u < c->eip)
		return true;
	switch (e->mnem) {
	case ZYDIS_MNEMONIC_CALL: case ZYDIS_MNEMONIC_JMP: case ZYDIS_MNEMONIC_RET:
	case ZYDIS_MNEMONIC_JB: case ZYDIS_MNEMONIC_JBE: case ZYDIS_MNEMONIC_JCXZ:
	case ZYDIS_MNEMONIC_JECXZ: case ZYDIS_MNEMONIC_JL: case ZYDIS_MNEMONIC_JLE:
	case ZYDIS_MNEMONIC_JNB: case ZYDIS_MNEMONIC_JNBE: case ZYDIS_MNEMONIC_JNL:
	case ZYDIS_MNEMONIC_JNLE: case ZYDIS_MNEMONIC_JNO: case ZYDIS_MNEMONIC_JNP:
	case ZYDIS_MNEMONIC_JNS: case ZYDIS_MNEMONIC_JNZ: case ZYDIS_MNEMONIC_JO:
	case ZYDIS_MNEMONIC_JP: case ZYDIS_MNEMONIC_JS: case ZYDIS_MNEMONIC_JZ:
	case ZYDIS_MNEMONIC_LOOP: case ZYDIS_MNEMONIC_LOOPE: case ZYDIS_MNEMONIC_LOOPNE:
		/* A near target beyond the CS limit is #GP(0) at the branch
		 * (which does not tell the target: a taken RET's is on the
		 * stack). A fault the lent step raises again is the guest's. */
		return true;
	default:
		break;
	}
	for (unsigned k = 0; k < e->n; k++)
		if (e->kind[k] == EK_MEM && emu_ea(c, e) + e->size[k] - 1u > s[e->seg].limit)
			return true;
	switch (e->mnem) {
	case ZYDIS_MNEMONIC_MOVSB: case ZYDIS_MNEMONIC_MOVSW: case ZYDIS_MNEMONIC_MOVSD:
	case ZYDIS_MNEMONIC_CMPSB: case ZYDIS_MNEMONIC_CMPSW: case ZYDIS_MNEMONIC_CMPSD:
	case ZYDIS_MNEMONIC_LODSB: case ZYDIS_MNEMONIC_LODSW: case ZYDIS_MNEMONIC_LODSD:
	case ZYDIS_MNEMONIC_STOSB: case ZYDIS_MNEMONIC_STOSW: case ZYDIS_MNEMONIC_STOSD:
	case ZYDIS_MNEMONIC_SCASB: case ZYDIS_MNEMONIC_SCASW: case ZYDIS_MNEMONIC_SCASD:
		if (c->r[REG_ESI] + 3u > s[e->seg].limit || c->r[REG_EDI] + 3u > s[SEG_ES].limit)
			return true;
		break;
	default:
		break;
	}
	/* PUSH, CALL, ENTER, PUSHA... reach at most 36 bytes below ESP, POP,
	 * RET n, POPA a little above: a window of 64 either way covers them. */
	return esp + 64u > s[SEG_SS].limit || esp - 64u > s[SEG_SS].limit;
}

enum lend { LEND_NONE, LEND_STEP, LEND_SEGMENT_LOAD };

/* How a #GP(0)/#SS(0) at EIP that emulation did not claim is served: run
 * the instruction one step in the lent window, emulate it (a segment load
 * would read the monitor's GDT through the lent window), or not at all
 * (an instruction that reads the monitor's descriptor tables or TSS, or
 * one whose accesses all lie within the physical limits: the guest's own
 * fault). */
static enum lend lend_kind(struct vm *vm)
{
	struct emu_insn e;

	if (!guest_insn(vm, &e) || !beyond_cut(vm->cpu, &e))
		return LEND_NONE;
	switch (e.mnem) {
	case ZYDIS_MNEMONIC_MOV:
	case ZYDIS_MNEMONIC_POP:
		return e.n && e.kind[0] == EK_SREG ? LEND_SEGMENT_LOAD : LEND_STEP;
	case ZYDIS_MNEMONIC_LDS: case ZYDIS_MNEMONIC_LES: case ZYDIS_MNEMONIC_LFS:
	case ZYDIS_MNEMONIC_LGS: case ZYDIS_MNEMONIC_LSS:
		return LEND_SEGMENT_LOAD;
	case ZYDIS_MNEMONIC_IRET: case ZYDIS_MNEMONIC_IRETD:
	case ZYDIS_MNEMONIC_INT: case ZYDIS_MNEMONIC_INT1: case ZYDIS_MNEMONIC_INT3:
	case ZYDIS_MNEMONIC_INTO:
	case ZYDIS_MNEMONIC_LAR: case ZYDIS_MNEMONIC_LSL:
	case ZYDIS_MNEMONIC_VERR: case ZYDIS_MNEMONIC_VERW:
	case ZYDIS_MNEMONIC_LGDT: case ZYDIS_MNEMONIC_LIDT:
	case ZYDIS_MNEMONIC_LLDT: case ZYDIS_MNEMONIC_LTR:
	case ZYDIS_MNEMONIC_IN: case ZYDIS_MNEMONIC_OUT:
	case ZYDIS_MNEMONIC_INSB: case ZYDIS_MNEMONIC_INSW: case ZYDIS_MNEMONIC_INSD:
	case ZYDIS_MNEMONIC_OUTSB: case ZYDIS_MNEMONIC_OUTSW: case ZYDIS_MNEMONIC_OUTSD:
		return LEND_NONE;
	default:
		return e.far ? LEND_NONE : LEND_STEP;
	}
}

/* The guest's limit of the descriptor the shadow GDT or LDT holds for sel,
 * if it is the one with this base (the CPU loaded it from there). */
static bool shadow_limit(struct vm *vm, uint16_t sel, uint32_t base, uint32_t *limit)
{
	const struct trap *t = trap_of(vm);
	unsigned idx = sel >> 3;
	struct desc d;

	if (sel & SEL_TI) {
		if (idx >= PAGE_SIZE / 8)
			return false;
		memcpy(&d, mon_page(vm, MON_LDT_PAGE) + idx * 8, 8);
		*limit = t->ldt_limit[idx];
	} else {
		if (idx >= 8190)
			return false;
		memcpy(&d, mon_page(vm, 0) + idx * 8, 8);
		*limit = t->gdt_limit[idx];
	}
	return (d.lo || d.hi) && desc_base(d) == base;
}

/* Gives the segment registers that ring compression cut the guest's own
 * limits (for this one step), lends the window and steps. */
static bool window_lend(struct vm *vm)
{
	struct trap *t = trap_of(vm);
	struct cpu *c = vm->cpu;
	unsigned widened = 0;

	if (!vm->strat->mmu->lend_window)
		return false;
	switch (lend_kind(vm)) {
	case LEND_NONE:
		return false;
	case LEND_SEGMENT_LOAD:
		return emulate_segment_load(vm);
	case LEND_STEP:
		break;
	}
	for (unsigned s = 0; s < 6; s++) {
		struct seg *p = &c->seg[s];
		uint32_t limit;
		t->lent_seg[s] = *p;
		if (!(p->sel & ~3u) || !(p->attr & DESC_P) || !(p->attr & DESC_S) ||
		    (!(p->attr & DESC_TYPE_CODE) && (p->attr & DESC_TYPE_E)))
			continue;
		if (t->vseg[s].valid && t->vseg[s].sel == p->sel && t->vseg[s].base == p->base)
			limit = t->vseg[s].limit;
		else if (!shadow_limit(vm, p->sel, p->base, &limit))
			continue;
		if (limit <= p->limit)
			continue;
		p->limit = limit;
		seg_derive(p);
		t->lent_limit[s] = p->limit;
		widened |= 1u << s;
	}
	if (!widened)
		return false;
	t->lent = widened;
	vm->strat->mmu->lend_window(vm, true);
	exit_account(vm, EXIT_WINDOW_ACCESS, 0, "eip=%#x", c->eip);
	step_begin(vm);
	return true;
}

static void window_return(struct vm *vm)
{
	struct trap *t = trap_of(vm);
	struct cpu *c = vm->cpu;

	if (!t->lent)
		return;
	for (unsigned s = 0; s < 6; s++) {
		struct seg *p = &c->seg[s];
		const struct seg *was = &t->lent_seg[s];
		if ((t->lent & (1u << s)) && p->sel == was->sel && p->base == was->base &&
		    p->limit == t->lent_limit[s]) {
			p->limit = was->limit;
			seg_derive(p);
		}
	}
	t->lent = 0;
	vm->strat->mmu->lend_window(vm, false);
}

static void step_finish(struct vm *vm)
{
	struct trap *t = trap_of(vm);
	uint32_t f = cpu_get_eflags(vm->cpu);

	t->stepping = false;
	cpu_set_eflags(vm->cpu, (f & ~EFLAGS_TF) | (t->guest_tf ? EFLAGS_TF : 0));
	vm->strat->mmu->step_done(vm);
	window_return(vm);
	vm_intr_update(vm);
}

/* A device access by an instruction emulate_mmio does not take: it runs
 * one step with the device page mapped (one MMIO exit), the device model
 * answering it through the physical CPU. */
static void mmio_step(struct vm *vm, bool write)
{
	struct cpu *c = vm->cpu;

	if (vm->strat->mmu->mmio_step &&
	    vm->strat->mmu->mmio_step(vm, c->cr2, write, vm->vcpu.cpl == 3)) {
		exit_account(vm, EXIT_MMIO, 0, "stepped lin=%#x", c->cr2);
		step_begin(vm);
		return;
	}
	char msg[120];
	snprintf(msg, sizeof(msg), "MMIO access at %#x that the monitor cannot serve (EIP %#x)",
		 c->cr2, c->eip);
	cpu_request_stop(c, CPU_STOP_UNSUPPORTED, msg);
}

static bool on_event(void *monitor, struct cpu *c, const struct cpu_event *ev)
{
	struct vm *vm = monitor;
	struct trap *t = trap_of(vm);
	uint32_t gerr;
	bool lent = t->lent;

	/* A stepped instruction that raised anything but a page fault the
	 * monitor may resolve has ended its step: the #DB will not come (a
	 * delivery clears TF), so finish it now, giving back the window. */
	if (t->stepping && !(ev->kind == CPU_EV_EXCEPTION &&
			     (ev->vector == X86_EXC_PF || ev->vector == X86_EXC_DB)))
		step_finish(vm);

	switch (ev->kind) {
	case CPU_EV_INTERRUPT:
		vm->ctr.injected_irqs++;
		exit_account(vm, EXIT_EXTERNAL_INTERRUPT, 0, "vector=%#x", ev->vector);
		vdeliver(vm, CPU_EV_INTERRUPT, ev->vector, false, 0, ev->eip);
		return true;
	case CPU_EV_SOFTINT:
		exit_account(vm, EXIT_SOFTWARE_INT, 0, "vector=%#x", ev->vector);
		vdeliver(vm, CPU_EV_SOFTINT, ev->vector, false, 0, ev->eip);
		return true;
	case CPU_EV_EXCEPTION:
		break;
	}
	switch (ev->vector) {
	case X86_EXC_DB:
		if (t->stepping) {
			step_finish(vm);
			return true;
		}
		/* The guest reads DR6 through the monitor: give it the status
		 * bits the CPU just set. */
		vm->vcpu.dr[6] |= c->dr[6] & 0xe00f;
		c->dr[6] &= ~0xe00fu;
		break;
	case X86_EXC_PF:
		switch (vm->strat->mmu->page_fault(vm, c->cr2, ev->err, &gerr)) {
		case MMU_PF_HIDDEN:
			return true;
		case MMU_PF_STEP:
			step_begin(vm);
			return true;
		case MMU_PF_MMIO:
			if (t->stepping)
				step_finish(vm);
			if (!emulate_mmio(vm, c->cr2, ev->err & PF_ERR_W))
				mmio_step(vm, ev->err & PF_ERR_W);
			return true;
		case MMU_PF_GUEST: {
			struct gfault f = { c->cr2, gerr };
			if (t->stepping)
				step_finish(vm);
			vpage_fault(vm, &f);
			return true;
		}
		}
		break;
	case X86_EXC_GP:
	case X86_EXC_NP: {
		/* Under binary translation a privileged or sensitive
		 * instruction of kernel code is a callout of its translation,
		 * not a trap. */
		vm->callout = t->bt && vm->vcpu.cpl == 0;
		bool emulated = emulate(vm, ev->vector, ev->err);
		vm->callout = false;
		if (emulated)
			return true;
		if (ev->vector == X86_EXC_GP && ev->err == 0 && !lent && window_lend(vm))
			return true;
		break;
	}
	case X86_EXC_SS:
		if (ev->err == 0 && !lent && window_lend(vm))
			return true;
		break;
	default:
		break;
	}
	reflect(vm, ev, lent);
	return true;
}

/* Does the physical descriptor at sel (the shadow GDT's or LDT's) differ
 * from the guest's own: a DPL raised, a limit cut, a descriptor marked not
 * present so that loading it traps? */
static bool desc_differs(struct vm *vm, uint16_t sel)
{
	unsigned idx = sel >> 3;
	struct desc g, p;

	if (!(sel & ~3u) || !guest_desc(vm, sel, &g))
		return false;
	if (sel & SEL_TI) {
		if (idx >= PAGE_SIZE / 8)
			return true;
		memcpy(&p, mon_page(vm, MON_LDT_PAGE) + idx * 8, 8);
	} else {
		if (idx >= 8190)
			return true;
		memcpy(&p, mon_page(vm, 0) + idx * 8, 8);
	}
	uint32_t keep = ~((uint32_t)DESC_TYPE_A << 8);	/* the accessed bit may lag */
	return g.lo != p.lo || (g.hi & keep) != (p.hi & keep);
}

/* x86's sensitive unprivileged instructions, run by the deprivileged guest:
 * did it just see or do something other than on the bare machine? A POPF
 * diverges when it meant to change what the bare machine's POPF would
 * have changed at the guest's CPL (IF and IOPL in the kernel, IF in user
 * mode given IOPL 3); PUSHF when the real IF/IOPL it pushed differ from
 * the virtual ones; SGDT/SIDT/SLDT/STR/SMSW when the monitor's tables or
 * CR0 show; LAR/LSL/VERR/VERW when the descriptor they read is not the
 * guest's; MOV/PUSH from CS/SS in the kernel (RPL 1). */
static void on_sensitive(void *monitor, struct cpu *c, enum cpu_sensitive s, uint32_t value)
{
	struct vm *vm = monitor;
	const struct vcpu *v = &vm->vcpu;
	uint32_t virt = v->eflags & VFLAGS;
	bool differs;

	switch (s) {
	case SENS_POPF:
	case SENS_IRET: {
		uint32_t may = v->cpl == 0 ? VFLAGS
			       : (virt & EFLAGS_IOPL) == EFLAGS_IOPL ? EFLAGS_IF : 0;
		if ((value ^ virt) & may)
			vm->ctr.diverged_popf++;
		return;
	}
	case SENS_PUSHF:
		differs = (value & VFLAGS) != virt;
		break;
	case SENS_SGDT:
		differs = c->gdtr.base != v->gdtr.base || c->gdtr.limit != v->gdtr.limit;
		break;
	case SENS_SIDT:
		differs = c->idtr.base != v->idtr.base || c->idtr.limit != v->idtr.limit;
		break;
	case SENS_SLDT:
		differs = c->seg[SEG_LDTR].sel != v->ldtr.sel;
		break;
	case SENS_STR:
		differs = c->seg[SEG_TR].sel != v->tr.sel;
		break;
	case SENS_SMSW:
		differs = ((c->cr0 ^ v->cr0) & 0xffff) != 0;
		break;
	case SENS_LAR:
	case SENS_LSL:
	case SENS_VERR:
	case SENS_VERW:
		differs = v->cpl == 0 || desc_differs(vm, (uint16_t)value);
		break;
	default:
		differs = v->cpl == 0;
		break;
	}
	if (differs)
		vm->ctr.diverged_reveal++;
}

/* ---- attach ---- */

static void build_window(struct vm *vm)
{
	struct trap *t = trap_of(vm);
	uint32_t *pt = (uint32_t *)mon_page(vm, MON_WPT_PAGE);

	memset(mon_page(vm, 0), 0, MON_PAGES * PAGE_SIZE);
	for (unsigned k = 0; k < MON_WPT_PAGE; k++)
		pt[k] = (t->mon + k * PAGE_SIZE) | PTE_P | PTE_RW;
	vm->window_pt = t->mon + MON_WPT_PAGE * PAGE_SIZE;

	/* The monitor's TSS: no I/O bitmap (the base lies past the limit), so
	 * every IN/OUT at CPL > IOPL faults. */
	uint32_t iomap = 0x68u << 16;
	memcpy(mon_page(vm, 16) + 0x64, &iomap, 4);
	struct desc tss = { (0x67) | (WIN_TSS << 16),
			    ((WIN_TSS >> 16) & 0xff) | (WIN_TSS & 0xff000000u) |
				    ((DESC_P | SYS_TSS32_BUSY) << 8) };
	put_gdt(vm, MON_TSS_SEL >> 3, tss);
}

static int trap_attach(struct vm *vm, char *err, size_t errlen)
{
	struct cpu *c = vm->cpu;
	struct trap *t = calloc(1, sizeof(*t));
	struct vcpu *v = &vm->vcpu;
	struct desc d;

	if (!t) {
		snprintf(err, errlen, "out of memory for the monitor");
		return -1;
	}
	vm->cpu_priv = t;
	t->mon = vm->mon_cpu_base;
	t->vdelivering = -1;

	/* The virtual CPU starts as the guest's boot state. */
	memset(v, 0, sizeof(*v));
	v->active = true;
	v->cpl = c->cpl;
	v->eflags = cpu_get_eflags(c) & VFLAGS;
	v->cr0 = c->cr0;
	v->cr3 = c->cr3;
	v->cr4 = c->cr4;
	v->gdtr = c->gdtr;
	v->idtr = c->idtr;
	v->ldtr = c->seg[SEG_LDTR];
	v->tr = c->seg[SEG_TR];
	memcpy(v->dr, c->dr, sizeof(v->dr));

	build_window(vm);
	shadow_gdt_build(vm);

	/* The physical CPU: paging on (the shadow MMU sets CR3), the monitor's
	 * tables, the guest's segments ring-compressed. */
	c->gdtr = (struct dtr){ WIN_GDT, 0xffff };
	c->idtr = (struct dtr){ WIN_IDT, 0x7ff };
	cpu_write_cr4(c, v->cr4 & CR4_TSD);
	cpu_write_cr0(c, CR0_PE | CR0_PG | CR0_WP | (v->cr0 & (CR0_MP | CR0_EM | CR0_TS | CR0_NE)));
	for (unsigned s = 0; s < 6; s++) {
		uint16_t sel = c->seg[s].sel;
		if ((sel & ~3u) && guest_desc(vm, sel, &d))
			load_phys_seg(vm, s, sel, d);
		else if (!(sel & ~3u))
			load_phys_null(vm, s, sel);
		else {
			/* Boot selectors the guest GDT does not describe: keep the
			 * cached descriptors, compressed the same way. */
			struct seg *p = &c->seg[s];
			if (s == SEG_CS || s == SEG_SS)
				p->sel = (uint16_t)((sel & ~3u) | p_rpl(sel & 3u));
			if (DESC_DPL(p->attr) == 0)
				p->attr |= 1u << DESC_DPL_SHIFT;
			uint32_t limit = p->limit;
			if (p->base < WINDOW_BASE && p->limit > WINDOW_BASE - 1 - p->base)
				p->limit = WINDOW_BASE - 1 - p->base;
			seg_derive(p);
			note_vseg(vm, s, limit);
		}
	}
	struct desc tss;
	memcpy(&tss, mon_page(vm, 0) + (MON_TSS_SEL & ~7u), 8);
	cpu_load_seg(c, SEG_TR, MON_TSS_SEL, tss.lo, tss.hi);
	cpu_load_seg(c, SEG_LDTR, 0, 0, 0);
	set_vcpl(vm, v->cpl);
	cpu_set_eflags(c, (cpu_get_eflags(c) & ~EFLAGS_IOPL) | EFLAGS_IF);

	vm->traced_write = on_traced_write;
	c->hooks.monitor = vm;
	c->hooks.event = on_event;
	c->hooks.sensitive = on_sensitive;
	vm->intr_gate = intr_gate;
	vm_intr_update(vm);
	return 0;
}

/* The shadow MMU is up: the guest's GDT can be traced from now on. */
static void trap_ready(struct vm *vm)
{
	shadow_gdt_sync(vm);
}

static void trap_detach(struct vm *vm)
{
	free(vm->cpu_priv);
	vm->cpu_priv = NULL;
}

static void trap_dump(struct vm *vm, FILE *f)
{
	const struct vcpu *v = &vm->vcpu;
	static const char *const sn[6] = { "es", "cs", "ss", "ds", "fs", "gs" };

	fprintf(f, "  cpl=%u if=%u iopl=%u eflags=%08x%s\n", v->cpl, !!(v->eflags & EFLAGS_IF),
		(v->eflags & EFLAGS_IOPL) >> EFLAGS_IOPL_SHIFT, virt_eflags(vm),
		v->halted ? " halted" : "");
	fprintf(f, " ");
	for (unsigned s = 0; s < 6; s++)
		fprintf(f, " %s=%04x", sn[s], virt_sel(vm, s));
	fprintf(f, "\n  gdtr=%08x/%04x idtr=%08x/%04x ldtr=%04x tr=%04x\n", v->gdtr.base,
		v->gdtr.limit, v->idtr.base, v->idtr.limit, v->ldtr.sel, v->tr.sel);
	fprintf(f, "  cr0=%08x cr2=%08x cr3=%08x cr4=%08x\n", v->cr0, v->cr2, v->cr3, v->cr4);
}

const struct cpu_virt_ops trap_cpu = {
	.name = "trap",
	.monitor_bytes = MON_PAGES * PAGE_SIZE,
	.vcpl_of = trap_vcpl_of,
	.attach = trap_attach,
	.ready = trap_ready,
	.detach = trap_detach,
	.dump = trap_dump,
};
