/* Whole-machine runs for monitor tests; see helpers_vm.h. */
#include "tests/unit/helpers_vm.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

struct cost_model cost;

void load_cost(void)
{
	char err[256];
	cr_assert_eq(cost_load(&cost, "era2006", VMMSIM_SOURCE_DIR "/bench/costs", err, sizeof(err)),
		     0, "%s", err);
}

void run(struct run *r, const char *kernel, const char *strategy, bool virtualizable,
	 const char *append)
{
	char err[256];
	struct vm_config cfg = {
		.kernel = kernel, .cmdline = append, .mem_mib = 64,
		.strategy = strategy_find(strategy), .max_insns = 2000000000ull, .cost = &cost,
	};

	memset(r, 0, sizeof(*r));
	r->f = open_memstream(&r->out, &r->outlen);
	cfg.serial_out = r->f;
	cpu_default_config(&cfg.cpu);
	cfg.cpu.isa_virtualizable = virtualizable;
	cr_assert_not_null(cfg.strategy);
	r->vm = vm_create(&cfg, err, sizeof(err));
	cr_assert_not_null(r->vm, "%s", err);
	vm_run(r->vm, &r->res);
	fflush(r->f);
}

void done(struct run *r)
{
	vm_destroy(r->vm);
	fclose(r->f);
	free(r->out);
}
