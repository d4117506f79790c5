/* Modeled cycles; see model.h. */
#include "core/mon/model.h"

#include <stdarg.h>
#include <string.h>

#include "core/mon/vm.h"

double model_exit_cycles(const struct vm *vm)
{
	const struct strategy *st = vm->strat;
	const struct cost_model *m = vm->cfg.cost;

	if (!m || !st || !st->cost_class)
		return 0;
	if (!strcmp(st->cost_class, "hwassist"))
		return m->hwassist_exit;
	return m->trap_exit;
}

void exit_account(struct vm *vm, enum exit_reason r, double extra, const char *fmt, ...)
{
	const struct cost_model *m = vm->cfg.cost;
	double transition = vm->exit_cycles, emul = m ? m->emulate[r] : 0;
	enum exit_reason why = r;

	/* Translated kernel code calls the monitor instead of trapping: no
	 * round trip through a fault, the call on top of the work itself. */
	if (vm->callout) {
		r = EXIT_BT_CALLOUT;
		transition = 0;
		emul += m ? m->emulate[r] : 0;
	}
	double cycles = transition + emul + extra;
	struct exit_stat *e = &vm->ctr.exit[r];

	vm->ctr.exits++;
	if (e->count == 0 || cycles < e->min)
		e->min = cycles;
	if (cycles > e->max)
		e->max = cycles;
	e->count++;
	e->cycles += cycles;
	vm->cyc_transitions += transition;
	vm->cyc_emulation += emul;
	vm->cyc_shadow += extra;
	if (vm->cfg.trace) {
		fprintf(vm->cfg.trace, "%llu %s eip=%#x vcpl=%u", (unsigned long long)vm->cpu->insns,
			exit_reason_names[r], vm->cpu->eip, vm->vcpu.active ? vm->vcpu.cpl : vm->cpu->cpl);
		if (why != r)
			fprintf(vm->cfg.trace, " for=%s", exit_reason_names[why]);
		if (fmt) {
			va_list ap;
			fputc(' ', vm->cfg.trace);
			va_start(ap, fmt);
			vfprintf(vm->cfg.trace, fmt, ap);
			va_end(ap);
		}
		fputc('\n', vm->cfg.trace);
	}
}

void model_compute(const struct vm *vm, const struct cost_model *m, struct modeled *out)
{
	const struct cpu_counters *k = &vm->cpu->ctr;
	const char *cls = vm->strat && vm->strat->cost_class ? vm->strat->cost_class : "native";
	uint64_t insns = vm->cpu->insns;
	uint64_t hw_events = k->exceptions + k->interrupts + k->soft_ints;
	/* The on-die local APIC answers far faster than a chipset device. */
	uint64_t lapic = k->lapic_accesses;
	uint64_t dev = k->io_reads + k->io_writes + k->mmio_reads + k->mmio_writes - lapic;
	double dev_cycles = dev * m->native.io + lapic * m->native.lapic;

	memset(out, 0, sizeof(*out));
	if (!strcmp(cls, "fullsim")) {
		out->guest = insns * m->fullsim.insn;
		out->memory = (k->mem_reads + k->mem_writes) * m->fullsim.mem_access;
		out->walks = k->walk_refs * m->fullsim.walk_ref;
		out->events = hw_events * m->native.exception;
		out->devices = dev_cycles;
	} else {
		/* Under a monitor, instructions it emulated are priced in their
		 * exits; events and device accesses that exited likewise. */
		uint64_t emulated = vm->ctr.emulated < insns ? vm->ctr.emulated : insns;
		out->guest = (insns - emulated) * m->native.insn;
		out->walks = k->walk_refs * m->native.walk_ref;
		if (!vm->strat || !vm->strat->cpu) {
			out->events = hw_events * m->native.exception;
			out->devices = dev_cycles;
		} else if (!strcmp(cls, "hwassist")) {
			/* The guest's IDT delivers every event in hardware (an
			 * interrupt after its exit); devices are reached by exits. */
			out->events = hw_events * m->native.exception;
		}
	}
	out->transitions = vm->cyc_transitions;
	out->emulation = vm->cyc_emulation;
	out->shadow = vm->cyc_shadow;
	out->translation = vm->ctr.bt_insns * m->binxlate_translate_insn;
	out->total = out->guest + out->memory + out->walks + out->events + out->devices +
		     out->transitions + out->emulation + out->shadow + out->translation;
}

void model_print_exit_table(const struct vm *vm, FILE *f)
{
	uint64_t n = 0;
	double cyc = 0;

	for (unsigned r = 0; r < EXIT_COUNT; r++) {
		n += vm->ctr.exit[r].count;
		cyc += vm->ctr.exit[r].cycles;
	}
	fprintf(f, "\n%24s %10s %8s %14s %8s %9s %9s %9s\n", "exit reason", "samples", "samples%",
		"cycles", "time%", "min", "max", "avg");
	for (unsigned r = 0; r < EXIT_COUNT; r++) {
		const struct exit_stat *e = &vm->ctr.exit[r];
		if (!e->count)
			continue;
		fprintf(f, "%24s %10llu %7.2f%% %14.0f %7.2f%% %9.0f %9.0f %9.0f\n",
			exit_reason_names[r], (unsigned long long)e->count, 100.0 * e->count / n,
			e->cycles, cyc > 0 ? 100.0 * e->cycles / cyc : 0, e->min, e->max,
			e->cycles / e->count);
	}
	fprintf(f, "%24s %10llu %7.2f%% %14.0f %7.2f%% %9s %9s %9.0f\n", "total",
		(unsigned long long)n, n ? 100.0 : 0.0, cyc, cyc > 0 ? 100.0 : 0.0, "", "",
		n ? cyc / n : 0);
}
