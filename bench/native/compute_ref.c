/*
 * The compute workload's algorithm for the host reference: the guest's own
 * source (workloads/compute_core.h), compiled with the guest's code
 * generation flags (see CMakeLists.txt), behind one entry point so that
 * the timing code around it can be ordinary host C.
 */
#include <stdint.h>

#include "compute_core.h"

uint32_t ref_compute(uint32_t rounds, uint32_t out[4]);

static struct compute_work work;

uint32_t ref_compute(uint32_t rounds, uint32_t out[4])
{
	return compute_run(&work, rounds, out);
}
