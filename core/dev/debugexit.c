/*
 * isa-debug-exit, as QEMU's hw/misc/debugexit.c presents it to a guest:
 * four ports at 0xf4 accepting 8-, 16- and 32-bit accesses. A write of V
 * asks to end the run with exit value V (QEMU itself exits with status
 * (V << 1) | 1; vmmsim reports V). Reads return 0, as on QEMU. The first
 * request wins: a guest that writes again while the machine unwinds does
 * not change the recorded value.
 */
#include "core/dev/debugexit.h"

#include <string.h>

#include "core/dev/bus.h"

static uint32_t debugexit_read(void *dev, uint32_t off, unsigned size)
{
	return 0;
}

static void debugexit_write(void *dev, uint32_t off, unsigned size, uint32_t value)
{
	struct debugexit *d = dev;

	if (d->requested)
		return;
	d->requested = true;
	d->value = value;
	if (d->on_exit)
		d->on_exit(d->opaque, value);
}

static const struct bus_ops debugexit_ops = { debugexit_read, debugexit_write };

void debugexit_init(struct debugexit *d, void (*on_exit)(void *opaque, uint32_t value),
		    void *opaque)
{
	memset(d, 0, sizeof(*d));
	d->on_exit = on_exit;
	d->opaque = opaque;
}

int debugexit_register(struct debugexit *d, struct bus *b, uint16_t base, char *err,
		       size_t errlen)
{
	return bus_add_pio(b, "debug-exit", base, 4, BUS_1 | BUS_2 | BUS_4,
			   &debugexit_ops, d, err, errlen);
}
