/* Modeled time and timer deadlines; see clock.h. */
#include "core/dev/clock.h"

#include <string.h>

void clock_init(struct clock *c, const uint64_t *insns)
{
	memset(c, 0, sizeof(*c));
	c->insns = insns;
	c->next_deadline = CLOCK_NEVER;
}

static void recompute(struct clock *c)
{
	uint64_t next = CLOCK_NEVER;

	for (int i = 0; i < c->ntimers; i++)
		if (c->timers[i]->armed && c->timers[i]->deadline < next)
			next = c->timers[i]->deadline;
	c->next_deadline = next;
}

int clock_add_timer(struct clock *c, struct clock_timer *t,
		    void (*fire)(void *opaque, uint64_t now), void *opaque)
{
	if (c->ntimers == CLOCK_MAX_TIMERS)
		return -1;
	*t = (struct clock_timer){ .fire = fire, .opaque = opaque };
	c->timers[c->ntimers++] = t;
	return 0;
}

void clock_remove_timer(struct clock *c, struct clock_timer *t)
{
	for (int i = 0; i < c->ntimers; i++) {
		if (c->timers[i] != t)
			continue;
		c->timers[i] = c->timers[--c->ntimers];
		t->armed = false;
		recompute(c);
		return;
	}
}

void clock_arm(struct clock *c, struct clock_timer *t, uint64_t deadline)
{
	t->deadline = deadline;
	t->armed = true;
	if (deadline < c->next_deadline)
		c->next_deadline = deadline;
}

void clock_disarm(struct clock *c, struct clock_timer *t)
{
	if (!t->armed)
		return;
	t->armed = false;
	recompute(c);
}

void clock_run_due(struct clock *c)
{
	uint64_t now = clock_now(c);

	while (c->next_deadline <= now) {
		struct clock_timer *due = NULL;
		for (int i = 0; i < c->ntimers; i++) {
			struct clock_timer *t = c->timers[i];
			if (t->armed && t->deadline <= now &&
			    (!due || t->deadline < due->deadline))
				due = t;
		}
		if (!due) {
			recompute(c);
			break;
		}
		/* Disarm first: the handler usually re-arms its own timer. */
		due->armed = false;
		recompute(c);
		due->fire(due->opaque, now);
	}
}

bool clock_skip_to_next(struct clock *c)
{
	uint64_t now = clock_now(c);

	if (c->next_deadline == CLOCK_NEVER)
		return false;
	if (c->next_deadline > now)
		c->skipped_ns += c->next_deadline - now;
	return true;
}
