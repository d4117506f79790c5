/*
 * Emulation of trapped instructions on the virtual CPU (the lecture's
 * "privileged instructions trap into monitor and run simulator on
 * instruction"). The instruction at EIP is decoded again from guest memory;
 * what the guest may do is decided by the VIRTUAL CPL, IOPL and I/O bitmap
 * (SDM vol. 1 18.5 for I/O, the vol. 2 Operation sections otherwise). When
 * the virtual CPU would fault too, the physical fault is the guest's own and
 * is reflected (return false).
 *
 * Emulated: CLI, STI, HLT, IN, OUT, INS, OUTS (with REP), MOV to/from CR0-4
 * and DR0-7, CLTS, LMSW, LGDT, LIDT, LLDT, LTR, INVLPG, INVD, WBINVD, RDMSR,
 * WRMSR, RDTSC (with CR4.TSD), IRET and far RET, segment loads the ring
 * compression refuses (SS with RPL 0, user code selectors), and - on the
 * virtualizable ISA only, where they trap - PUSHF, POPF, SGDT, SIDT, SLDT,
 * STR, SMSW, LAR, LSL, VERR, VERW, MOV from CS/SS, PUSH CS/SS.
 */
#include <Zydis/Zydis.h>
#include <string.h>

#include "strategies/trap/trap.h"

#define CR4_SUPPORTED (CR4_TSD | CR4_DE | CR4_PSE | CR4_MCE | CR4_PGE | CR4_PCE)

struct emu {
	struct vm *vm;
	struct cpu *c;
	struct emu_insn e;
	bool user;	/* memory accesses at virtual CPL 3 */
};

/* One emulated instruction retires: count it as the guest's. */
static bool done(struct emu *x, enum exit_reason r)
{
	exit_account(x->vm, r, 0, "%s", ZydisMnemonicGetString(x->e.mnem));
	x->c->eip += x->e.len;
	x->c->insns++;
	x->vm->ctr.emulated++;
	return true;
}

/* The guest faulted inside the emulated instruction: reflect that, the
 * instruction does not retire. */
static bool guest_fault(struct emu *x, const struct gfault *f)
{
	vpage_fault(x->vm, f);
	return true;
}

bool guest_insn(struct vm *vm, struct emu_insn *e)
{
	const struct cpu *c = vm->cpu;
	uint32_t lin = c->seg[SEG_CS].base + c->eip;
	bool user = vm->vcpu.cpl == 3;
	uint8_t bytes[15];
	struct gfault f;

	/* An instruction shorter than 15 bytes may end just before a page
	 * the guest has not mapped. */
	if (!gmem_read(vm, lin, bytes, sizeof(bytes), user, &f) &&
	    !gmem_read(vm, lin, bytes, 1, user, &f))
		return false;
	return emu_decode(bytes, sizeof(bytes), c->seg[SEG_CS].attr & DESC_DB, e);
}

static uint32_t mem_lin(struct emu *x)
{
	return x->c->seg[x->e.seg].base + emu_ea(x->c, &x->e);
}

static bool mem_read(struct emu *x, uint32_t lin, void *buf, unsigned n, struct gfault *f)
{
	return gmem_read(x->vm, lin, buf, n, x->user, f);
}

static bool mem_write(struct emu *x, uint32_t lin, const void *buf, unsigned n, struct gfault *f)
{
	return gmem_write(x->vm, lin, buf, n, x->user, f);
}

static unsigned viopl(const struct vm *vm)
{
	return (vm->vcpu.eflags & EFLAGS_IOPL) >> EFLAGS_IOPL_SHIFT;
}

/* ---- I/O ---- */

/* The virtual IOPL, then the guest TSS's I/O permission bitmap. */
static bool io_allowed(struct vm *vm, uint16_t port, unsigned size)
{
	const struct seg *tr = &vm->vcpu.tr;
	uint16_t base;
	uint16_t bits;
	struct gfault f;

	if (vm->vcpu.cpl <= viopl(vm))
		return true;
	if ((tr->attr & DESC_TYPE_MASK) != SYS_TSS32_BUSY || tr->limit < 0x67)
		return false;
	if (!gmem_read(vm, tr->base + 0x66, &base, 2, false, &f))
		return false;
	uint32_t at = base + port / 8u;
	if (at + 1 > tr->limit || !gmem_read(vm, tr->base + at, &bits, 2, false, &f))
		return false;
	return !((bits >> (port & 7)) & ((1u << size) - 1));
}

static bool emulate_io(struct emu *x)
{
	struct emu_insn *e = &x->e;
	struct cpu *c = x->c;
	bool in = e->mnem == ZYDIS_MNEMONIC_IN;
	unsigned data = in ? 0 : 1, port_op = in ? 1 : 0, size = e->size[data];
	uint16_t port = e->kind[port_op] == EK_IMM ? (uint16_t)e->imm : (uint16_t)c->r[REG_EDX];

	if (!io_allowed(x->vm, port, size))
		return false;
	if (in)
		reg_set(c, REG_EAX, size, vm_pio_read(x->vm, port, size));
	else
		vm_pio_write(x->vm, port, size, reg_get(c, REG_EAX, size));
	exit_account(x->vm, EXIT_IO_INSTRUCTION, 0, "%s port=%#x size=%u value=%#x",
		     in ? "in" : "out", port, size, reg_get(c, REG_EAX, size));
	x->c->eip += x->e.len;
	x->c->insns++;
	x->vm->ctr.emulated++;
	return true;
}

/* INS/OUTS: a REP count of up to STRING_IO_CHUNK elements in one exit; a
 * longer one leaves EIP on the instruction, which exits again for the rest,
 * so that interrupts and the instruction budget are served in between. */
#define STRING_IO_CHUNK 4096u

static bool emulate_string_io(struct emu *x)
{
	struct emu_insn *e = &x->e;
	struct cpu *c = x->c;
	bool ins = e->mnem == ZYDIS_MNEMONIC_INSB || e->mnem == ZYDIS_MNEMONIC_INSW ||
		   e->mnem == ZYDIS_MNEMONIC_INSD;
	unsigned size = e->mnem == ZYDIS_MNEMONIC_INSB || e->mnem == ZYDIS_MNEMONIC_OUTSB ? 1
		      : e->mnem == ZYDIS_MNEMONIC_INSW || e->mnem == ZYDIS_MNEMONIC_OUTSW ? 2 : 4;
	uint16_t port = (uint16_t)c->r[REG_EDX];
	int32_t step = (cpu_get_eflags(c) & EFLAGS_DF) ? -(int32_t)size : (int32_t)size;
	bool rep = e->rep || e->repne;
	uint32_t mask = e->a16 ? 0xffff : 0xffffffffu;
	struct gfault f;

	if (!io_allowed(x->vm, port, size))
		return false;
	uint32_t n = 0;
	while (!rep || (c->r[REG_ECX] & mask)) {
		uint32_t v = 0;
		n++;
		if (ins) {
			uint32_t di = c->r[REG_EDI] & mask;
			v = vm_pio_read(x->vm, port, size);
			if (!mem_write(x, c->seg[SEG_ES].base + di, &v, size, &f))
				return guest_fault(x, &f);
			c->r[REG_EDI] = (c->r[REG_EDI] & ~mask) | ((di + step) & mask);
		} else {
			uint32_t si = c->r[REG_ESI] & mask;
			if (!mem_read(x, c->seg[e->seg].base + si, &v, size, &f))
				return guest_fault(x, &f);
			vm_pio_write(x->vm, port, size, v);
			c->r[REG_ESI] = (c->r[REG_ESI] & ~mask) | ((si + step) & mask);
		}
		if (!rep)
			break;
		c->r[REG_ECX] = (c->r[REG_ECX] & ~mask) | ((c->r[REG_ECX] - 1) & mask);
		if (n == STRING_IO_CHUNK && (c->r[REG_ECX] & mask))
			break;
	}
	bool more = rep && (c->r[REG_ECX] & mask);
	/* One exit, but the device model runs once per element: each element
	 * after the first costs the emulation of one more access. */
	const struct cost_model *m = x->vm->cfg.cost;
	exit_account(x->vm, EXIT_IO_INSTRUCTION,
		     n > 1 && m ? (n - 1) * m->emulate[EXIT_IO_INSTRUCTION] : 0,
		     "%s port=%#x size=%u count=%u", ins ? "ins" : "outs", port, size, n);
	x->vm->ctr.emulated++;
	if (more) {
		c->rep_iters += n;
		return true;
	}
	c->eip += x->e.len;
	c->insns++;
	return true;
}

/* ---- control registers ---- */

static void cr0_write(struct emu *x, uint32_t v)
{
	struct vm *vm = x->vm;
	uint32_t old = vm->vcpu.cr0;

	vm->vcpu.cr0 = v | CR0_ET;
	cpu_write_cr0(x->c, CR0_PE | CR0_PG | CR0_WP |
			    (v & (CR0_MP | CR0_EM | CR0_TS | CR0_NE | CR0_AM | CR0_CD | CR0_NW)));
	if ((old ^ v) & (CR0_PG | CR0_WP))
		vm->strat->mmu->paging_changed(vm);
}

static bool emulate_mov_cr(struct emu *x)
{
	struct emu_insn *e = &x->e;
	struct vm *vm = x->vm;
	struct vcpu *v = &vm->vcpu;
	struct cpu *c = x->c;

	if (v->cpl != 0)
		return false;
	bool to = e->kind[0] == EK_CR || e->kind[0] == EK_DR;
	unsigned n = to ? e->reg[0] : e->reg[1];
	unsigned gpr = to ? e->reg[1] : e->reg[0];
	bool dr = (to ? e->kind[0] : e->kind[1]) == EK_DR;

	if (dr) {
		if (n == 4 || n == 5) {
			if (v->cr4 & CR4_DE) {
				vfault(vm, X86_EXC_UD, 0);
				return true;
			}
			n += 2;
		}
		if (to)
			v->dr[n] = c->r[gpr];
		else
			c->r[gpr] = v->dr[n];
		return done(x, EXIT_DR_ACCESS);
	}
	if (!to) {
		switch (n) {
		case 0: c->r[gpr] = v->cr0; break;
		case 2: c->r[gpr] = v->cr2; break;
		case 3: c->r[gpr] = v->cr3; break;
		case 4: c->r[gpr] = v->cr4; break;
		default: vfault(vm, X86_EXC_UD, 0); return true;
		}
		return done(x, EXIT_CR_ACCESS);
	}
	uint32_t val = c->r[gpr];
	switch (n) {
	case 0:
		if (!(val & CR0_PE)) {
			cpu_request_stop(c, CPU_STOP_UNSUPPORTED,
					 "the guest cleared CR0.PE: real mode is not modelled");
			return true;
		}
		if ((val & CR0_NW) && !(val & CR0_CD))
			return false;
		cr0_write(x, val);
		break;
	case 2:
		v->cr2 = val;
		break;
	case 3:
		v->cr3 = val & (PAGE_MASK | PTE_PWT | PTE_PCD);
		vm->strat->mmu->paging_changed(vm);
		break;
	case 4: {
		if (val & ~CR4_SUPPORTED)
			return false;
		uint32_t old = v->cr4;
		v->cr4 = val;
		cpu_write_cr4(c, val & CR4_TSD);
		if ((old ^ val) & (CR4_PSE | CR4_PGE))
			vm->strat->mmu->paging_changed(vm);
		break;
	}
	default:
		vfault(vm, X86_EXC_UD, 0);
		return true;
	}
	return done(x, EXIT_CR_ACCESS);
}

static bool emulate_msw(struct emu *x)
{
	struct vcpu *v = &x->vm->vcpu;
	struct gfault f;
	uint16_t val = 0;

	if (v->cpl != 0)
		return false;
	if (x->e.mnem == ZYDIS_MNEMONIC_CLTS) {
		cr0_write(x, v->cr0 & ~CR0_TS);
		return done(x, EXIT_CR_ACCESS);
	}
	if (x->e.kind[0] == EK_MEM) {
		if (!mem_read(x, mem_lin(x), &val, 2, &f))
			return guest_fault(x, &f);
	} else {
		val = (uint16_t)x->c->r[x->e.reg[0]];
	}
	cr0_write(x, (v->cr0 & ~0xeu) | (val & 0xfu) | (v->cr0 & CR0_PE));
	return done(x, EXIT_CR_ACCESS);
}

/* ---- descriptor tables ---- */

static bool emulate_lgdt(struct emu *x, bool idt)
{
	struct vm *vm = x->vm;
	struct gfault f;
	uint8_t buf[6];

	if (vm->vcpu.cpl != 0)
		return false;
	if (!mem_read(x, mem_lin(x), buf, 6, &f))
		return guest_fault(x, &f);
	struct dtr t;
	memcpy(&t.limit, buf, 2);
	memcpy(&t.base, buf + 2, 4);
	if (x->e.opsz == 2)
		t.base &= 0xffffff;
	if (idt) {
		vm->vcpu.idtr = t;
	} else {
		vm->vcpu.gdtr = t;
		shadow_gdt_sync(vm);
	}
	return done(x, EXIT_GDTR_IDTR_ACCESS);
}

static uint16_t sel_operand(struct emu *x, bool *ok, struct gfault *f)
{
	uint16_t s = 0;

	*ok = true;
	if (x->e.kind[0] == EK_MEM)
		*ok = mem_read(x, mem_lin(x), &s, 2, f);
	else
		s = (uint16_t)x->c->r[x->e.reg[0]];
	return s;
}

static bool emulate_ltr_lldt(struct emu *x, bool ltr)
{
	struct vm *vm = x->vm;
	struct vcpu *v = &vm->vcpu;
	struct gfault f;
	struct desc d;
	bool ok;

	if (v->cpl != 0)
		return false;
	uint16_t sel = sel_operand(x, &ok, &f);
	if (!ok)
		return guest_fault(x, &f);
	if (!(sel & ~3u)) {
		if (ltr)
			return false;
		seg_fill_null(&v->ldtr, sel);
		shadow_ldt_sync(vm);
		return done(x, EXIT_LDTR_TR_ACCESS);
	}
	if ((sel & SEL_TI) || !guest_desc(vm, sel, &d)) {
		vfault(vm, X86_EXC_GP, sel & 0xfffc);
		return true;
	}
	unsigned a = desc_attr(d), t = a & DESC_TYPE_MASK;
	bool type_ok = ltr ? (t == SYS_TSS16_AVAIL || t == SYS_TSS32_AVAIL) : t == SYS_LDT;
	if ((a & DESC_S) || !type_ok) {
		vfault(vm, X86_EXC_GP, sel & 0xfffc);
		return true;
	}
	if (!(a & DESC_P)) {
		vfault(vm, X86_EXC_NP, sel & 0xfffc);
		return true;
	}
	if (ltr) {
		d.hi |= 2u << 8;	/* busy, in the guest's GDT */
		if (!gmem_write(vm, v->gdtr.base + (sel & ~7u) + 4, &d.hi, 4, false, &f))
			return guest_fault(x, &f);
		seg_fill(&v->tr, sel, d);
		shadow_gdt_entry(vm, sel >> 3);
		return done(x, EXIT_LDTR_TR_ACCESS);
	}
	seg_fill(&v->ldtr, sel, d);
	shadow_ldt_sync(vm);
	return done(x, EXIT_LDTR_TR_ACCESS);
}

/* ---- segment loads refused by ring compression ---- */

static bool load_sreg(struct emu *x, unsigned sreg, uint16_t sel)
{
	struct vm *vm = x->vm;
	unsigned cpl = vm->vcpu.cpl, rpl = sel & 3u;
	struct desc d;
	struct gfault f;

	if (!(sel & ~3u)) {
		if (sreg == SEG_SS) {
			vfault(vm, X86_EXC_GP, 0);
			return false;
		}
		load_phys_null(vm, sreg, sel);
		return true;
	}
	if (!guest_desc(vm, sel, &d)) {
		vfault(vm, X86_EXC_GP, sel & 0xfffc);
		return false;
	}
	unsigned a = desc_attr(d), dpl = DESC_DPL(a);
	if (sreg == SEG_SS) {
		if (rpl != cpl || dpl != cpl || !attr_is_data(a) || !(a & DESC_TYPE_W)) {
			vfault(vm, X86_EXC_GP, sel & 0xfffc);
			return false;
		}
		if (!(a & DESC_P)) {
			vfault(vm, X86_EXC_SS, sel & 0xfffc);
			return false;
		}
	} else {
		bool conforming = attr_is_code(a) && (a & DESC_TYPE_C);
		if (!(a & DESC_S) || (attr_is_code(a) && !(a & DESC_TYPE_R)) ||
		    (!conforming && (rpl > dpl || cpl > dpl))) {
			vfault(vm, X86_EXC_GP, sel & 0xfffc);
			return false;
		}
		if (!(a & DESC_P)) {
			vfault(vm, X86_EXC_NP, sel & 0xfffc);
			return false;
		}
	}
	if (!(d.hi & (DESC_TYPE_A << 8))) {
		d.hi |= DESC_TYPE_A << 8;
		uint32_t base = (sel & SEL_TI) ? vm->vcpu.ldtr.base : vm->vcpu.gdtr.base;
		gmem_write(vm, base + (sel & ~7u) + 4, &d.hi, 4, false, &f);
	}
	load_phys_seg(vm, sreg, sel, d);
	if (sreg == SEG_SS)
		x->c->shadow_until = x->c->insns + 2;
	return true;
}

static bool emulate_seg_load(struct emu *x)
{
	struct emu_insn *e = &x->e;
	struct cpu *c = x->c;
	struct gfault f;
	uint32_t v = 0;

	switch (e->mnem) {
	case ZYDIS_MNEMONIC_MOV:
		if (e->kind[0] != EK_SREG)
			return false;
		if (e->kind[1] == EK_MEM) {
			if (!mem_read(x, mem_lin(x), &v, 2, &f))
				return guest_fault(x, &f);
		} else {
			v = c->r[e->reg[1]];
		}
		if (!load_sreg(x, e->reg[0], (uint16_t)v))
			return true;
		return done(x, EXIT_SEGMENT_LOAD);
	case ZYDIS_MNEMONIC_POP: {
		uint32_t sp = c->r[REG_ESP];
		if (!mem_read(x, c->seg[SEG_SS].base + sp, &v, 2, &f))
			return guest_fault(x, &f);
		if (!load_sreg(x, e->reg[0], (uint16_t)v))
			return true;
		c->r[REG_ESP] = sp + e->opsz;
		return done(x, EXIT_SEGMENT_LOAD);
	}
	default: {
		static const struct { uint16_t m; uint8_t s; } lxs[] = {
			{ ZYDIS_MNEMONIC_LSS, SEG_SS }, { ZYDIS_MNEMONIC_LDS, SEG_DS },
			{ ZYDIS_MNEMONIC_LES, SEG_ES }, { ZYDIS_MNEMONIC_LFS, SEG_FS },
			{ ZYDIS_MNEMONIC_LGS, SEG_GS },
		};
		for (unsigned k = 0; k < 5; k++) {
			if (e->mnem != lxs[k].m)
				continue;
			uint32_t off = 0;
			uint16_t sel = 0;
			uint32_t lin = mem_lin(x);
			if (!mem_read(x, lin, &off, e->opsz, &f) ||
			    !mem_read(x, lin + e->opsz, &sel, 2, &f))
				return guest_fault(x, &f);
			if (!load_sreg(x, lxs[k].s, sel))
				return true;
			reg_set(c, e->reg[0], e->opsz, off);
			return done(x, EXIT_SEGMENT_LOAD);
		}
		return false;
	}
	}
}

/* ---- the virtualizable ISA's sensitive instructions ---- */

static bool push_value(struct emu *x, uint32_t v, unsigned size)
{
	struct cpu *c = x->c;
	struct gfault f;
	uint32_t sp = c->r[REG_ESP] - size;

	if (!mem_write(x, c->seg[SEG_SS].base + sp, &v, size, &f))
		return guest_fault(x, &f);
	c->r[REG_ESP] = sp;
	return done(x, EXIT_SENSITIVE);
}

static bool emulate_sensitive(struct emu *x)
{
	struct emu_insn *e = &x->e;
	struct vm *vm = x->vm;
	struct vcpu *v = &vm->vcpu;
	struct cpu *c = x->c;
	struct gfault f;

	if (!(c->sens_fault_cpls & (1u << c->cpl)))
		return false;
	switch (e->mnem) {
	case ZYDIS_MNEMONIC_PUSHF:
	case ZYDIS_MNEMONIC_PUSHFD:
		return push_value(x, virt_eflags(vm) & ~(EFLAGS_VM | EFLAGS_RF), e->opsz);
	case ZYDIS_MNEMONIC_POPF:
	case ZYDIS_MNEMONIC_POPFD: {
		uint32_t val = 0;
		if (!mem_read(x, c->seg[SEG_SS].base + c->r[REG_ESP], &val, e->opsz, &f))
			return guest_fault(x, &f);
		uint32_t mask = EFLAGS_ARITH | EFLAGS_TF | EFLAGS_DF | EFLAGS_NT;
		if (e->opsz == 4)
			mask |= EFLAGS_AC | EFLAGS_ID;
		if (v->cpl == 0)
			mask |= EFLAGS_IOPL;
		if (v->cpl <= viopl(vm))
			mask |= EFLAGS_IF;
		c->r[REG_ESP] += e->opsz;
		set_virt_eflags(vm, val, mask);
		return done(x, EXIT_INTERRUPT_FLAG);
	}
	case ZYDIS_MNEMONIC_SGDT:
	case ZYDIS_MNEMONIC_SIDT: {
		const struct dtr *t = e->mnem == ZYDIS_MNEMONIC_SGDT ? &v->gdtr : &v->idtr;
		uint32_t base = e->opsz == 2 ? t->base & 0xffffff : t->base, lin = mem_lin(x);
		/* Two stores, limit then base, as the CPU makes them: a fault
		 * on the base leaves the limit written. */
		if (!mem_write(x, lin, &t->limit, 2, &f) || !mem_write(x, lin + 2, &base, 4, &f))
			return guest_fault(x, &f);
		return done(x, EXIT_SENSITIVE);
	}
	case ZYDIS_MNEMONIC_SLDT:
	case ZYDIS_MNEMONIC_STR:
	case ZYDIS_MNEMONIC_SMSW: {
		uint32_t val = e->mnem == ZYDIS_MNEMONIC_SLDT ? v->ldtr.sel
			     : e->mnem == ZYDIS_MNEMONIC_STR ? v->tr.sel : v->cr0;
		if (e->kind[0] == EK_MEM) {
			if (!mem_write(x, mem_lin(x), &val, 2, &f))
				return guest_fault(x, &f);
		} else {
			reg_set(c, e->reg[0], e->opsz == 2 ? 2 : 4,
				e->mnem == ZYDIS_MNEMONIC_SMSW ? val : (uint16_t)val);
		}
		return done(x, EXIT_SENSITIVE);
	}
	case ZYDIS_MNEMONIC_MOV:
		if (e->kind[1] != EK_SREG)
			return false;
		if (e->kind[0] == EK_MEM) {
			uint16_t s = virt_sel(vm, e->reg[1]);
			if (!mem_write(x, mem_lin(x), &s, 2, &f))
				return guest_fault(x, &f);
		} else {
			reg_set(c, e->reg[0], e->opsz == 2 ? 2 : 4, virt_sel(vm, e->reg[1]));
		}
		return done(x, EXIT_SENSITIVE);
	case ZYDIS_MNEMONIC_PUSH:
		if (e->kind[0] != EK_SREG)
			return false;
		return push_value(x, virt_sel(vm, e->reg[0]), e->opsz);
	case ZYDIS_MNEMONIC_LAR:
	case ZYDIS_MNEMONIC_LSL:
	case ZYDIS_MNEMONIC_VERR:
	case ZYDIS_MNEMONIC_VERW: {
		bool verx = e->mnem == ZYDIS_MNEMONIC_VERR || e->mnem == ZYDIS_MNEMONIC_VERW;
		unsigned src = verx ? 0 : 1;
		uint16_t sel = 0;
		struct desc d;
		if (e->kind[src] == EK_MEM) {
			if (!mem_read(x, mem_lin(x), &sel, 2, &f))
				return guest_fault(x, &f);
		} else {
			sel = (uint16_t)c->r[e->reg[src]];
		}
		bool ok = (sel & ~3u) && guest_desc(vm, sel, &d);
		unsigned a = ok ? desc_attr(d) : 0, dpl = DESC_DPL(a);
		bool conforming = attr_is_code(a) && (a & DESC_TYPE_C);
		ok = ok && (conforming || (dpl >= v->cpl && dpl >= (sel & 3u)));
		if (ok && e->mnem == ZYDIS_MNEMONIC_VERR)
			ok = (a & DESC_S) && (!(a & DESC_TYPE_CODE) || (a & DESC_TYPE_R));
		else if (ok && e->mnem == ZYDIS_MNEMONIC_VERW)
			ok = (a & DESC_S) && !(a & DESC_TYPE_CODE) && (a & DESC_TYPE_W);
		else if (ok && !(a & DESC_S)) {
			unsigned t = a & DESC_TYPE_MASK;
			ok = e->mnem == ZYDIS_MNEMONIC_LAR
				     ? (t == 1 || t == 2 || t == 3 || t == 4 || t == 5 || t == 9 ||
					t == 11 || t == 12)
				     : (t == 1 || t == 2 || t == 3 || t == 9 || t == 11);
		}
		if (ok && !verx) {
			uint32_t val = e->mnem == ZYDIS_MNEMONIC_LAR ? d.hi & 0x00f0ff00u
								      : desc_limit(d);
			reg_set(c, e->reg[0], e->opsz, e->opsz == 2 ? val & 0xffff : val);
		}
		uint32_t fl = cpu_get_eflags(c);
		cpu_set_eflags(c, ok ? fl | EFLAGS_ZF : fl & ~EFLAGS_ZF);
		return done(x, EXIT_SENSITIVE);
	}
	default:
		return false;
	}
}

/* ---- dispatch ---- */

bool emulate(struct vm *vm, unsigned vec, uint32_t err)
{
	struct emu x = { .vm = vm, .c = vm->cpu, .user = vm->vcpu.cpl == 3 };
	struct cpu *c = vm->cpu;
	struct vcpu *v = &vm->vcpu;
	struct gfault f;
	uint64_t msr;

	(void)err;
	if (!guest_insn(vm, &x.e))
		return false;

	switch (x.e.mnem) {
	case ZYDIS_MNEMONIC_IRET:
	case ZYDIS_MNEMONIC_IRETD:
	case ZYDIS_MNEMONIC_RET: {
		bool ok;
		if (x.e.mnem == ZYDIS_MNEMONIC_RET && !x.e.far)
			return false;
		exit_account(vm, EXIT_IRET, 0, "%s", ZydisMnemonicGetString(x.e.mnem));
		if (x.e.mnem == ZYDIS_MNEMONIC_RET)
			ok = emulate_far_return(vm, x.e.opsz, x.e.n ? (uint16_t)x.e.imm : 0);
		else
			ok = emulate_iret(vm, x.e.opsz);
		/* Counted after the return, at the new CPL, as the CPU counts
		 * an IRET it executes itself. */
		if (ok) {
			c->insns++;
			vm->ctr.emulated++;
		}
		return true;
	}
	case ZYDIS_MNEMONIC_JMP:
	case ZYDIS_MNEMONIC_CALL: {
		if (!x.e.far)
			return false;
		uint32_t off = x.e.imm;
		uint16_t sel = (uint16_t)x.e.imm2;
		if (x.e.kind[0] == EK_MEM) {
			uint32_t lin = mem_lin(&x);
			off = 0;
			if (!mem_read(&x, lin, &off, x.e.opsz, &f) ||
			    !mem_read(&x, lin + x.e.opsz, &sel, 2, &f))
				return guest_fault(&x, &f);
		}
		exit_account(vm, EXIT_SEGMENT_LOAD, 0, "far %s %#x:%#x",
			     ZydisMnemonicGetString(x.e.mnem), sel, off);
		if (emulate_far_transfer(vm, sel, off, x.e.mnem == ZYDIS_MNEMONIC_CALL, x.e.opsz,
					 c->eip + x.e.len)) {
			c->insns++;
			vm->ctr.emulated++;
		}
		return true;
	}
	default:
		break;
	}
	if (vec == X86_EXC_NP)
		return emulate_seg_load(&x);

	switch (x.e.mnem) {
	case ZYDIS_MNEMONIC_CLI:
	case ZYDIS_MNEMONIC_STI: {
		if (v->cpl > viopl(vm))
			return false;
		bool sti = x.e.mnem == ZYDIS_MNEMONIC_STI;
		bool was = v->eflags & EFLAGS_IF;
		done(&x, EXIT_INTERRUPT_FLAG);
		if (sti && !was)
			c->shadow_until = c->insns + 1;
		set_virt_eflags(vm, sti ? EFLAGS_IF : 0, EFLAGS_IF);
		return true;
	}
	case ZYDIS_MNEMONIC_HLT:
		if (v->cpl != 0)
			return false;
		done(&x, EXIT_HLT);
		if (!(v->eflags & EFLAGS_IF)) {
			cpu_request_stop(c, CPU_STOP_HALTED, "HLT with interrupts disabled (virtual IF)");
			return true;
		}
		v->halted = true;
		c->halted = true;
		c->halt_ns = 0;
		return true;
	case ZYDIS_MNEMONIC_IN:
	case ZYDIS_MNEMONIC_OUT:
		return emulate_io(&x);
	case ZYDIS_MNEMONIC_INSB: case ZYDIS_MNEMONIC_INSW: case ZYDIS_MNEMONIC_INSD:
	case ZYDIS_MNEMONIC_OUTSB: case ZYDIS_MNEMONIC_OUTSW: case ZYDIS_MNEMONIC_OUTSD:
		return emulate_string_io(&x);
	case ZYDIS_MNEMONIC_MOV:
		if (x.e.kind[0] == EK_CR || x.e.kind[0] == EK_DR || x.e.kind[1] == EK_CR ||
		    x.e.kind[1] == EK_DR)
			return emulate_mov_cr(&x);
		if (x.e.kind[0] == EK_SREG)
			return emulate_seg_load(&x);
		return emulate_sensitive(&x);
	case ZYDIS_MNEMONIC_POP:
	case ZYDIS_MNEMONIC_LSS: case ZYDIS_MNEMONIC_LDS: case ZYDIS_MNEMONIC_LES:
	case ZYDIS_MNEMONIC_LFS: case ZYDIS_MNEMONIC_LGS:
		return emulate_seg_load(&x);
	case ZYDIS_MNEMONIC_CLTS:
	case ZYDIS_MNEMONIC_LMSW:
		return emulate_msw(&x);
	case ZYDIS_MNEMONIC_LGDT:
		return emulate_lgdt(&x, false);
	case ZYDIS_MNEMONIC_LIDT:
		return emulate_lgdt(&x, true);
	case ZYDIS_MNEMONIC_LTR:
		return emulate_ltr_lldt(&x, true);
	case ZYDIS_MNEMONIC_LLDT:
		return emulate_ltr_lldt(&x, false);
	case ZYDIS_MNEMONIC_INVLPG:
		if (v->cpl != 0)
			return false;
		vm->strat->mmu->invlpg(vm, mem_lin(&x));
		return done(&x, EXIT_INVLPG);
	case ZYDIS_MNEMONIC_INVD:
	case ZYDIS_MNEMONIC_WBINVD:
		if (v->cpl != 0)
			return false;
		return done(&x, EXIT_WBINVD);
	case ZYDIS_MNEMONIC_RDMSR:
		if (v->cpl != 0 || !msr_read(c, c->r[REG_ECX], &msr))
			return false;
		c->r[REG_EAX] = (uint32_t)msr;
		c->r[REG_EDX] = (uint32_t)(msr >> 32);
		return done(&x, EXIT_MSR_READ);
	case ZYDIS_MNEMONIC_WRMSR:
		if (v->cpl != 0 ||
		    !msr_write(c, c->r[REG_ECX], (uint64_t)c->r[REG_EDX] << 32 | c->r[REG_EAX]))
			return false;
		return done(&x, EXIT_MSR_WRITE);
	case ZYDIS_MNEMONIC_RDPMC:
		if ((v->cpl != 0 && !(v->cr4 & CR4_PCE)) || c->r[REG_ECX] > 1 ||
		    !msr_read(c, 0xc1u + c->r[REG_ECX], &msr))
			return false;
		c->r[REG_EAX] = (uint32_t)msr;
		c->r[REG_EDX] = (uint32_t)(msr >> 32) & 0xff;
		return done(&x, EXIT_SENSITIVE);
	case ZYDIS_MNEMONIC_RDTSC: {
		if ((v->cr4 & CR4_TSD) && v->cpl != 0)
			return false;
		uint64_t t = cpu_tsc(c);
		c->r[REG_EAX] = (uint32_t)t;
		c->r[REG_EDX] = (uint32_t)(t >> 32);
		return done(&x, EXIT_RDTSC);
	}
	default:
		return emulate_sensitive(&x);
	}
}

/*
 * A guest access to device memory (the shadow MMU never maps it, so every
 * access faults): the instruction's memory operand goes to the device
 * model instead, and the device counts it. Compilers reach MMIO registers
 * with plain moves (loads, stores, zero/sign-extending loads), emulated
 * here; anything else (false) is stepped with the device page mapped.
 */
bool emulate_mmio(struct vm *vm, uint32_t lin, bool write)
{
	struct emu x = { .vm = vm, .c = vm->cpu, .user = vm->vcpu.cpl == 3 };
	struct cpu *c = vm->cpu;
	uint32_t gpa, err;
	unsigned k;

	if (!guest_insn(vm, &x.e) ||
	    !vm->strat->mmu->guest_translate(vm, lin, write, x.user, &gpa, &err))
		return false;
	for (k = 0; k < x.e.n && x.e.kind[k] != EK_MEM; k++)
		;
	unsigned size = k < x.e.n ? x.e.size[k] : 0;
	switch (x.e.mnem) {
	case ZYDIS_MNEMONIC_MOV:
		if (k == 0 && x.e.kind[1] == EK_REG)
			vm_mmio_write(vm, gpa, size, reg_get(c, x.e.reg[1], size));
		else if (k == 0 && x.e.kind[1] == EK_IMM)
			vm_mmio_write(vm, gpa, size, x.e.imm);
		else if (k == 1 && x.e.kind[0] == EK_REG)
			reg_set(c, x.e.reg[0], size, vm_mmio_read(vm, gpa, size));
		else
			return false;
		return done(&x, EXIT_MMIO);
	case ZYDIS_MNEMONIC_MOVZX:
	case ZYDIS_MNEMONIC_MOVSX: {
		if (k != 1)
			return false;
		uint32_t v = vm_mmio_read(vm, gpa, size);
		if (x.e.mnem == ZYDIS_MNEMONIC_MOVSX)
			v = size == 1 ? (uint32_t)(int8_t)v : (uint32_t)(int16_t)v;
		reg_set(c, x.e.reg[0], x.e.size[0], v);
		return done(&x, EXIT_MMIO);
	}
	default:
		return false;
	}
}

bool emulate_segment_load(struct vm *vm)
{
	struct emu x = { .vm = vm, .c = vm->cpu, .user = vm->vcpu.cpl == 3 };

	return guest_insn(vm, &x.e) && emulate_seg_load(&x);
}
