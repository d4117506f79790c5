/* isa-debug-exit at 0xf4: any size, any of its four ports. */
#include <criterion/criterion.h>

#include "core/dev/bus.h"
#include "core/dev/debugexit.h"

static uint32_t seen;
static int calls;

static void on_exit_cb(void *opaque, uint32_t value)
{
	seen = value;
	calls++;
	*(int *)opaque = 1;
}

/* A 32-bit write records the full value and calls back once. */
Test(debugexit, dword_value_and_callback)
{
	struct bus bus;
	struct debugexit d;
	char err[128];
	int stopped = 0;

	calls = 0;
	bus_init(&bus);
	debugexit_init(&d, on_exit_cb, &stopped);
	cr_assert_eq(debugexit_register(&d, &bus, 0xf4, err, sizeof(err)), 0, "%s", err);
	cr_assert(!d.requested);
	cr_assert_eq(bus_pio_read(&bus, 0xf4, 1), 0);
	bus_pio_write(&bus, 0xf4, 4, 0x12345678);
	cr_assert(d.requested);
	cr_assert_eq(d.value, 0x12345678);
	cr_assert_eq(seen, 0x12345678);
	cr_assert(stopped);
	bus_pio_write(&bus, 0xf4, 1, 7);
	cr_assert_eq(d.value, 0x12345678, "the first request wins");
	cr_assert_eq(calls, 1);
	cr_assert_eq(bus.pio.unclaimed_writes, 0);
}

/* A byte write at the last port of the range counts too, without callback. */
Test(debugexit, byte_at_offset)
{
	struct bus bus;
	struct debugexit d;
	char err[128];

	bus_init(&bus);
	debugexit_init(&d, NULL, NULL);
	cr_assert_eq(debugexit_register(&d, &bus, 0xf4, err, sizeof(err)), 0, "%s", err);
	bus_pio_write(&bus, 0xf7, 1, 0x21);
	cr_assert(d.requested);
	cr_assert_eq(d.value, 0x21);
	bus_pio_write(&bus, 0xf8, 1, 0x21);
	cr_assert_eq(bus.pio.unclaimed_writes, 1, "0xf8 is beyond the device");
}
