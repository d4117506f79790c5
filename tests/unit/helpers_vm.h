/*
 * Whole-machine runs for monitor tests: a guest kernel booted under a
 * strategy with the era2006 cost model, run to its end, its serial output
 * captured in memory.
 */
#ifndef TESTS_HELPERS_VM_H
#define TESTS_HELPERS_VM_H

#include <stdbool.h>
#include <stdio.h>

#include "core/mon/cost.h"
#include "core/mon/vm.h"

#define GUEST(name) VMMSIM_GUEST_DIR "/" name

struct run {
	struct vm *vm;
	struct vm_result res;
	char *out;
	size_t outlen;
	FILE *f;
};

/* The era2006 model; a test suite's .init. */
extern struct cost_model cost;
void load_cost(void);

/* Boots kernel under strategy (the virtualizable ISA if asked), with the
 * command line append (or none), and runs it to the end. */
void run(struct run *r, const char *kernel, const char *strategy, bool virtualizable,
	 const char *append);
void done(struct run *r);

#endif
