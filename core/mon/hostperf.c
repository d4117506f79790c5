/* Host-side measurements; see hostperf.h. */
#include "core/mon/hostperf.h"

#include <papi.h>
#include <string.h>
#include <time.h>

static int papi_state;	/* 0 untried, 1 ready, -1 failed */

double hostperf_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static bool papi_ready(void)
{
	if (papi_state == 0)
		papi_state = PAPI_library_init(PAPI_VER_CURRENT) == PAPI_VER_CURRENT ? 1 : -1;
	return papi_state == 1;
}

void hostperf_start(struct hostperf *h)
{
	memset(h, 0, sizeof(*h));
	h->eventset = PAPI_NULL;
	h->why_unavailable = "PAPI could not be initialized";
	if (papi_ready()) {
		h->c0 = PAPI_get_real_cyc();
		if (PAPI_query_event(PAPI_TOT_CYC) != PAPI_OK ||
		    PAPI_query_event(PAPI_TOT_INS) != PAPI_OK) {
			h->why_unavailable = "the host exposes no PAPI_TOT_CYC/PAPI_TOT_INS";
		} else if (PAPI_create_eventset(&h->eventset) != PAPI_OK ||
			   PAPI_add_event(h->eventset, PAPI_TOT_CYC) != PAPI_OK ||
			   PAPI_add_event(h->eventset, PAPI_TOT_INS) != PAPI_OK ||
			   PAPI_start(h->eventset) != PAPI_OK) {
			h->why_unavailable = "PAPI could not start the hardware counters";
		} else {
			h->hw_available = true;
			h->why_unavailable = NULL;
		}
	}
	h->t0 = hostperf_now();
}

void hostperf_stop(struct hostperf *h)
{
	h->seconds = hostperf_now() - h->t0;
	if (papi_state == 1)
		h->real_cycles = PAPI_get_real_cyc() - h->c0;
	if (h->hw_available) {
		long long v[2] = { 0, 0 };
		if (PAPI_stop(h->eventset, v) == PAPI_OK) {
			h->tot_cyc = v[0];
			h->tot_ins = v[1];
		} else {
			h->hw_available = false;
			h->why_unavailable = "PAPI could not read the hardware counters";
		}
	}
	if (h->eventset != PAPI_NULL) {
		PAPI_cleanup_eventset(h->eventset);
		PAPI_destroy_eventset(&h->eventset);
	}
}
