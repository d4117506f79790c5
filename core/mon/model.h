/*
 * Modeled cycles of a run: the counters priced by a cost model (cost.h).
 * Components, so a report can say where the time went:
 *   guest        instructions that ran directly (or were interpreted, fullsim)
 *   memory       data accesses simulated in software (fullsim only)
 *   walks        page-walk memory references
 *   events       exceptions and interrupts the hardware delivered itself
 *   devices      device accesses that reached hardware (no monitor between)
 *   transitions  exits: into the monitor and back
 *   emulation    the monitor's work per exit reason
 *   shadow       the shadow MMU's work (hidden faults, traced writes,
 *                entry syncs, root switches)
 * Exits are priced when they happen (exit_account), so per-reason totals
 * and min/max/avg per exit are exact.
 */
#ifndef VMM_MON_MODEL_H
#define VMM_MON_MODEL_H

#include "core/mon/cost.h"

struct vm;

struct modeled {
	double guest, memory, walks, events, devices, transitions, emulation, shadow;
	double translation;	/* a binary translator's work on new kernel code */
	double total;
};

/* One round trip into the monitor under vm's strategy and cost model. */
double model_exit_cycles(const struct vm *vm);
void model_compute(const struct vm *vm, const struct cost_model *m, struct modeled *out);

/* One exit of reason r, with extra modeled work (shadow) on top of the
 * transition and the reason's emulation cost; with --trace, writes one line
 * (instruction count, reason, EIP, CPL, then fmt's details; fmt may be
 * NULL). Formatting happens only when tracing. */
void exit_account(struct vm *vm, enum exit_reason r, double extra, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The perf-kvm-stat style table: reason, samples, samples%, modeled
 * cycles, time%, min, max, avg; a totals line. */
void model_print_exit_table(const struct vm *vm, FILE *f);

#endif
