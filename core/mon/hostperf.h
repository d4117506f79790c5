/*
 * Host-side measurements of a run, kept apart from the modeled ones: wall
 * time (CLOCK_MONOTONIC), PAPI's real-time cycle counter, and the hardware
 * events PAPI_TOT_CYC and PAPI_TOT_INS where the host exposes them. On a
 * host without counters (a virtual machine, a locked-down kernel) the
 * hardware events are reported as unavailable, never as zero.
 */
#ifndef VMM_MON_HOSTPERF_H
#define VMM_MON_HOSTPERF_H

#include <stdbool.h>
#include <stdint.h>

struct hostperf {
	double seconds;
	long long real_cycles;		/* PAPI_get_real_cyc over the run */
	bool hw_available;
	long long tot_cyc, tot_ins;	/* when hw_available */
	const char *why_unavailable;
	/* private */
	double t0;
	long long c0;
	int eventset;
};

void hostperf_start(struct hostperf *h);
void hostperf_stop(struct hostperf *h);
double hostperf_now(void);

#endif
