/*
 * Binary translation of guest kernel code (VMware's answer to x86, the
 * lecture's "x86 problem: POPF" and "MOV ax, cs" fixed in software; Adams
 * & Agesen, ASPLOS 2006, section 3). The monitor of trap-and-emulate
 * (strategies/trap: ring compression at CPL 1, the window, virtual event
 * delivery, shadow paging) with a translator in front of the guest
 * kernel's code:
 *  - Kernel code (virtual CPL 0) runs from a translation cache: each basic
 *    block is translated once when first run, again after its page is
 *    written (the CPU's decoded-block cache, keyed by physical address and
 *    dropped on writes, is that cache: counted as bt_blocks and bt_insns,
 *    priced binxlate.translate_insn each).
 *  - Most instructions are copied as they are (IDENT) and run at native
 *    speed. Privileged ones (CLI, STI, IN/OUT, HLT, MOV CR, LGDT, IRET...)
 *    and the sensitive unprivileged ones x86 would let through (POPF,
 *    PUSHF, MOV from CS/SS, SGDT, SIDT, SLDT, STR, SMSW, LAR, LSL, VERR,
 *    VERW, PUSH CS/SS) become callouts that do their work on the virtual
 *    CPU: no trap round trip (BT_CALLOUT, priced emulate.BT_CALLOUT plus
 *    the emulation of what it replaces), and the guest kernel sees its
 *    virtual IF, CPL 0 and its own tables.
 *  - User code (virtual CPL 3) runs directly, as VMware ran it: its
 *    sensitive instructions still see the monitor (Robin & Irvine's red
 *    pill from user mode), which is reported as a divergence.
 * Page faults, interrupts and exceptions still trap, as do the accesses
 * of translated code to traced page tables and device memory.
 * Modelled as a cost and a visibility change, not as code generation: the
 * translated instructions run on the same CPU model, and the instructions
 * that become callouts are caught where they would execute.
 */
#include "strategies/trap/trap.h"

static void on_block(void *monitor, struct cpu *c, uint32_t pa, unsigned n)
{
	struct vm *vm = monitor;

	(void)c;
	(void)pa;
	if (vm->vcpu.cpl != 0)
		return;		/* user code runs directly */
	vm->ctr.bt_blocks++;
	vm->ctr.bt_insns += n;
}

static int bt_attach(struct vm *vm, char *err, size_t errlen)
{
	if (trap_cpu.attach(vm, err, errlen))
		return -1;
	trap_of(vm)->bt = true;
	vm->cpu->sens_fault_cpls |= 1u << 1;
	vm->cpu->hooks.block_decoded = on_block;
	return 0;
}

static void bt_ready(struct vm *vm)
{
	trap_cpu.ready(vm);
}

static void bt_detach(struct vm *vm)
{
	trap_cpu.detach(vm);
}

static void bt_dump(struct vm *vm, FILE *f)
{
	trap_cpu.dump(vm, f);
}

const struct cpu_virt_ops binxlate_cpu = {
	.name = "binxlate",
	.monitor_bytes = MON_PAGES * PAGE_SIZE,
	.vcpl_of = trap_vcpl_of,
	.attach = bt_attach,
	.ready = bt_ready,
	.detach = bt_detach,
	.dump = bt_dump,
};
