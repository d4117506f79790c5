/*
 * Hardware-assisted CPU virtualization (Intel VT-x, AMD-V; the lecture's
 * "Lost art. Re-found - Intel's VT"): the guest runs in a guest mode at its
 * own privilege levels, on its own GDT, IDT and TSS, so nothing about it is
 * compressed or shadowed and x86's sensitive instructions behave as on the
 * bare machine. What the monitor configured exits to it, as with VT-x's
 * default controls for a 32-bit guest under nested paging (SDM vol. 3C,
 * 24.6 and 25.1):
 *  - unconditionally: CPUID (basic exit reason 10), INVD/WBINVD are not
 *    configured here (they run), triple fault (2);
 *  - by control: HLT exiting (12), unconditional I/O exiting (30), RDMSR
 *    and WRMSR through an all-ones MSR bitmap (31, 32), external-interrupt
 *    exiting (1: the monitor acknowledges the interrupt and injects it, the
 *    guest's IDT then delivers it in hardware);
 *  - not configured, so they never exit: CR3 loads and stores, INVLPG,
 *    RDTSC, exceptions (delivered through the guest's IDT in hardware),
 *    descriptor-table instructions, and POPF, PUSHF or MOV from CS (there
 *    is nothing for them to reveal).
 * Device memory exits through the MMU strategy (nested paging: an EPT
 * violation per access). An exiting instruction is emulated by the
 * monitor with the same device models the CPU would reach, so here it
 * runs on once its exit is counted: the guest sees no difference, the
 * price is hwassist.exit (the VM exit and entry round trip) plus the
 * emulation cost of its reason.
 * Not modelled: shadow paging under hardware assist (hwassist+shadow),
 * VPIDs (every CR3 load flushes the non-global TLB entries, as without
 * them), the VMCS itself and its field encodings.
 */
#include <stdlib.h>

#include "core/cpu/emu.h"
#include "core/mon/model.h"
#include "core/mon/vm.h"

static bool on_intercept(void *monitor, struct cpu *c, enum cpu_intercept k,
			 const struct insn *i)
{
	struct vm *vm = monitor;

	(void)i;
	switch (k) {
	case ICPT_IO: {
		/* One exit for a REP INS/OUTS too; the device model then runs
		 * once per element, as under trap-and-emulate. */
		const struct cost_model *m = vm->cfg.cost;
		uint32_t n = c->icpt_elems;
		exit_account(vm, EXIT_IO_INSTRUCTION,
			     n > 1 && m ? (n - 1) * m->emulate[EXIT_IO_INSTRUCTION] : 0,
			     "elements=%u", n);
		break;
	}
	case ICPT_HLT:
		exit_account(vm, EXIT_HLT, 0, NULL);
		break;
	case ICPT_CPUID:
		exit_account(vm, EXIT_CPUID, 0, "leaf=%#x", c->r[REG_EAX]);
		break;
	case ICPT_MSR:
		exit_account(vm, EXIT_MSR_READ, 0, "msr=%#x", c->r[REG_ECX]);
		break;
	case ICPT_MSR_WRITE:
		exit_account(vm, EXIT_MSR_WRITE, 0, "msr=%#x", c->r[REG_ECX]);
		break;
	default:
		break;
	}
	return false;
}

static bool on_event(void *monitor, struct cpu *c, const struct cpu_event *ev)
{
	struct vm *vm = monitor;

	(void)c;
	if (ev->kind == CPU_EV_INTERRUPT) {
		vm->ctr.injected_irqs++;
		exit_account(vm, EXIT_EXTERNAL_INTERRUPT, 0, "vector=%#x", ev->vector);
	}
	return false;	/* the guest's own IDT delivers it, in hardware */
}

static int hw_attach(struct vm *vm, char *err, size_t errlen)
{
	struct cpu *c = vm->cpu;

	(void)err;
	(void)errlen;
	c->hooks.monitor = vm;
	c->hooks.event = on_event;
	c->hooks.intercept = on_intercept;
	c->intercepts = ICPT_IO | ICPT_HLT | ICPT_CPUID | ICPT_MSR | ICPT_MSR_WRITE;
	return 0;
}

const struct cpu_virt_ops hwassist_cpu = {
	.name = "hwassist",
	.attach = hw_attach,
};
