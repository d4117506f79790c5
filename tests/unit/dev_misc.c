/* POST port, port 0x92 and the idle 8042. */
#include <criterion/criterion.h>

#include "core/dev/bus.h"
#include "core/dev/misc.h"

static struct bus bus;
static struct misc misc;

static void setup(void)
{
	char err[128];

	bus_init(&bus);
	misc_init(&misc);
	cr_assert_eq(misc_register(&misc, &bus, err, sizeof(err)), 0, "%s", err);
}

static void out(uint16_t port, uint8_t v) { bus_pio_write(&bus, port, 1, v); }
static uint8_t in(uint16_t port) { return (uint8_t)bus_pio_read(&bus, port, 1); }

TestSuite(misc, .init = setup);

/* Port 0x80 swallows POST codes; reads float high as on QEMU. */
Test(misc, post_port)
{
	out(0x80, 0x42);
	cr_assert_eq(misc.post_code, 0x42);
	cr_assert_eq(in(0x80), 0xff);
	cr_assert_eq(bus.pio.unclaimed_writes, 0);
}

/* Port 0x92: A20 reads back; bit 0's rising edge asks for a reset. */
Test(misc, port92)
{
	cr_assert_eq(in(0x92), 0x02, "A20 enabled by the firmware");
	out(0x92, 0x00);
	cr_assert_eq(in(0x92), 0x00);
	cr_assert(!misc.a20);
	cr_assert(!misc.reset_requested);
	out(0x92, 0x03);
	cr_assert(misc.reset_requested);
}

/* The idle controller: status 0x1c, nothing to read until a command replies. */
Test(misc, kbc_idle_and_commands)
{
	cr_assert_eq(in(0x64), 0x1c);
	out(0x64, 0xaa);
	cr_assert_eq(in(0x64) & KBC_STAT_OBF, KBC_STAT_OBF);
	cr_assert_eq(in(0x60), 0x55);
	cr_assert_eq(in(0x64) & KBC_STAT_OBF, 0);
	out(0x64, 0x60);
	out(0x60, 0x45);
	cr_assert_eq(in(0x64) & KBC_STAT_CMD, 0, "last write went to the data port");
	out(0x64, 0x20);
	cr_assert_eq(in(0x60), 0x45);
	out(0x64, 0xd1);
	out(0x60, 0x01);
	cr_assert(!misc.a20, "output port bit 1 drives A20");
	cr_assert(!misc.reset_requested);
	out(0x64, 0xfe);
	cr_assert(misc.reset_requested);
}

/* The IMCR ports take xv6's write sequence, read 0xff as on QEMU, route nothing. */
Test(misc, imcr)
{
	out(0x22, 0x70);
	out(0x23, 0x01);
	cr_assert_eq(misc.imcr, IMCR_APIC);
	cr_assert_eq(in(0x22), 0xff);
	cr_assert_eq(in(0x23), 0xff);
	out(0x22, 0x71);
	out(0x23, 0x00);
	cr_assert_eq(misc.imcr, IMCR_APIC, "only register 0x70 is the IMCR");
	cr_assert_eq(bus.pio.unclaimed_writes, 0);
}
