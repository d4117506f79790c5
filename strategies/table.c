/*
 * The strategies vmmsim offers, as users name them (ARCHITECTURE section
 * 3). This table drives `vmmsim list strategies`, `run -s` and `matrix`;
 * a strategy added here appears everywhere with no other change.
 */
#include <string.h>

#include "core/mon/strategy.h"
#include "strategies/nested/nested.h"
#include "strategies/shadow/shadow.h"

extern const struct cpu_virt_ops trap_cpu, fullsim_cpu, hwassist_cpu, binxlate_cpu;

const struct strategy strategies[] = {
	{ "native", "no monitor: the guest owns the simulated hardware (the baseline)",
	  NULL, NULL, "native" },
	{ "fullsim", "complete machine simulation: every instruction interpreted, every access "
		     "translated in software (SimOS/Bochs style)", &fullsim_cpu, NULL, "fullsim" },
	{ "trap+shadow", "trap-and-emulate: guest kernel deprivileged to ring 1, privileged "
			 "instructions trap and are emulated; shadow page tables", &trap_cpu,
	  &shadow_mmu, "trap" },
	{ "binxlate+shadow", "binary translation: guest kernel code runs translated at ring 1, "
			     "its privileged and sensitive instructions become callouts to "
			     "the monitor; user code runs directly; shadow page tables",
	  &binxlate_cpu, &shadow_mmu, "binxlate" },
	{ "hwassist+nested", "hardware-assisted: the guest runs at its own privilege levels in a "
			     "guest mode, configured events exit (I/O, HLT, CPUID, MSRs, "
			     "interrupts); nested page tables", &hwassist_cpu, &nested_mmu,
	  "hwassist" },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct strategy *strategy_find(const char *name)
{
	for (const struct strategy *s = strategies; s->name; s++)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}
