/* The port-I/O bus: registration, overlap refusal, splitting, counters. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/dev/bus.h"

static uint32_t last_size;

static uint32_t rd(void *dev, uint32_t off, unsigned size)
{
	last_size = size;
	return (uint32_t)(uintptr_t)dev + off;
}

static void wr(void *dev, uint32_t off, unsigned size, uint32_t v)
{
	last_size = size;
}

static const struct bus_ops ops = { rd, wr };

/* An overlapping range is refused with a message naming both devices. */
Test(bus, overlap_names_both)
{
	static struct bus b;
	char err[160];

	bus_init(&b);
	cr_assert_eq(bus_add_pio(&b, "com1", 0x3f8, 8, BUS_1, &ops, NULL, err, sizeof(err)), 0);
	cr_assert_eq(bus_add_pio(&b, "ide-ctl", 0x3f6, 4, BUS_1, &ops, NULL, err, sizeof(err)), -1);
	cr_assert(strstr(err, "ide-ctl") && strstr(err, "com1"), "%s", err);
	cr_assert_eq(bus_add_pio(&b, "ide-ctl", 0x3f6, 1, BUS_1, &ops, NULL, err, sizeof(err)), 0);
}

/* Unclaimed port reads are all-ones, unclaimed MMIO reads zeros (as on
 * QEMU's pc), both counted; claimed ones count per region. */
Test(bus, unclaimed_and_counters)
{
	static struct bus b;
	char err[160];

	bus_init(&b);
	cr_assert_eq(bus_add_pio(&b, "dev", 0x100, 4, BUS_1, &ops, (void *)0x40, err,
				 sizeof(err)), 0);
	cr_assert_eq(bus_pio_read(&b, 0x200, 2), 0xffff);
	cr_assert_eq(b.pio.unclaimed_reads, 2);
	cr_assert_eq(bus_mmio_read(&b, 0xe0000000u, 4), 0);
	cr_assert_eq(b.mmio.unclaimed_reads, 4);
	cr_assert_eq(bus_pio_read(&b, 0x102, 1), 0x42);
	bus_pio_write(&b, 0x100, 1, 0);
	cr_assert_eq(b.pio.r[0].reads, 1);
	cr_assert_eq(b.pio.r[0].writes, 1);
}

/* A width the device does not take is split into byte accesses. */
Test(bus, split_into_bytes)
{
	static struct bus b;
	char err[160];

	bus_init(&b);
	cr_assert_eq(bus_add_pio(&b, "dev", 0x100, 4, BUS_1, &ops, (void *)0x10, err,
				 sizeof(err)), 0);
	cr_assert_eq(bus_pio_read(&b, 0x100, 4), 0x13121110);
	cr_assert_eq(last_size, 1);
	cr_assert_eq(b.pio.r[0].reads, 4);
}
