/*
 * Modeled time. Devices never look at the host clock: time advances only
 * as the guest retires instructions (one nanosecond per instruction, a
 * nominal 1 GHz CPU with CPI 1) and when a halted CPU skips ahead to the
 * next timer deadline. The same guest run therefore sees interrupts at the
 * same instruction on every host and under every strategy.
 */
#ifndef VMM_DEV_CLOCK_H
#define VMM_DEV_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define CLOCK_MAX_TIMERS 16
#define CLOCK_NEVER UINT64_MAX

struct clock_timer {
	void (*fire)(void *opaque, uint64_t now);
	void *opaque;
	uint64_t deadline;
	bool armed;
};

struct clock {
	const uint64_t *insns;	/* retired guest instructions, owned by the CPU */
	uint64_t skipped_ns;	/* time skipped while halted */
	uint64_t next_deadline;	/* min over armed timers, CLOCK_NEVER if none */
	struct clock_timer *timers[CLOCK_MAX_TIMERS];
	int ntimers;
};

void clock_init(struct clock *c, const uint64_t *insns);

static inline uint64_t clock_now(const struct clock *c)
{
	return (c->insns ? *c->insns : 0) + c->skipped_ns;
}

/* Adds a timer to the clock (disarmed); returns -1 when full. */
int clock_add_timer(struct clock *c, struct clock_timer *t,
		    void (*fire)(void *opaque, uint64_t now), void *opaque);
/* Takes a timer out of the clock (device teardown). */
void clock_remove_timer(struct clock *c, struct clock_timer *t);
void clock_arm(struct clock *c, struct clock_timer *t, uint64_t deadline);
void clock_disarm(struct clock *c, struct clock_timer *t);

/* Fires every timer whose deadline is <= now, earliest first. */
void clock_run_due(struct clock *c);

/* Skips time forward to the next deadline (a halted CPU); false if none. */
bool clock_skip_to_next(struct clock *c);

#endif
