/*
 * The strategies vmmsim offers, as users name them (ARCHITECTURE section
 * 3). This table drives `vmmsim list strategies`, `run -s` and `matrix`;
 * a strategy added here appears everywhere with no other change.
 */
#include <string.h>

#include "core/mon/strategy.h"

const struct strategy strategies[] = {
	{ "native", "no monitor: the guest owns the simulated hardware (the baseline)",
	  NULL, NULL, "native" },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct strategy *strategy_find(const char *name)
{
	for (const struct strategy *s = strategies; s->name; s++)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}
