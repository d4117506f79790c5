/* 8254 PIT and port 0x61 through the bus, against modeled time. */
#include <criterion/criterion.h>

#include "core/dev/bus.h"
#include "core/dev/clock.h"
#include "core/dev/pit.h"

static struct bus bus;
static struct clock clk;
static uint64_t insns;
static struct pit pit;
static int irq0;
static uint64_t rises;

static void irq_cb(void *ctrl, unsigned irq, int level)
{
	if (level && !irq0)
		rises++;
	irq0 = level;
}

static void out(uint16_t port, uint8_t v) { bus_pio_write(&bus, port, 1, v); }
static uint8_t in(uint16_t port) { return (uint8_t)bus_pio_read(&bus, port, 1); }

static void at_clock(uint64_t n)
{
	insns = pit_clock_ns(n);
	clock_run_due(&clk);
}

static void setup(void)
{
	char err[128];
	struct irq_line line = { irq_cb, NULL, 0 };

	insns = 0;
	irq0 = 0;
	rises = 0;
	bus_init(&bus);
	clock_init(&clk, &insns);
	cr_assert_eq(pit_init(&pit, &clk, &line, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(pit_register(&pit, &bus, err, sizeof(err)), 0, "%s", err);
	rises = 0;
}

static void program(unsigned ch, uint8_t control, uint16_t count)
{
	out(0x43, control);
	out(0x40 + ch, count & 0xff);
	out(0x40 + ch, count >> 8);
}

static uint16_t latch_read(unsigned ch)
{
	out(0x43, (uint8_t)(ch << 6));
	uint16_t lo = in(0x40 + ch);
	return (uint16_t)(lo | in(0x40 + ch) << 8);
}

TestSuite(pit, .init = setup);

/* Clock n starts at ceil(n * 1e9 / 1193182) ns and no earlier. */
Test(pit, clock_arithmetic)
{
	cr_assert_eq(pit_clock_ns(1193182), 1000000000);
	cr_assert_eq(pit_clock_ns(1), 839);
	cr_assert_eq(pit_clocks(838), 0);
	cr_assert_eq(pit_clocks(839), 1);
	uint64_t big = 1193182ull * 86400 * 365;
	cr_assert_eq(pit_clocks(pit_clock_ns(big)), big, "a year without overflow");
}

/* Mode 2: one rising edge per period, at exactly the computed instant. */
Test(pit, mode2_irq_timing)
{
	program(0, 0x34, 1193);
	at_clock(1192);
	cr_assert_eq(rises, 0);
	cr_assert_eq(irq0, 0, "OUT is low during the count of 1");
	insns = pit_clock_ns(1193) - 1;
	clock_run_due(&clk);
	cr_assert_eq(rises, 0);
	at_clock(1193);
	cr_assert_eq(rises, 1);
	at_clock(1193 * 3 + 5);
	cr_assert_eq(rises, 3);
	cr_assert_eq(latch_read(0), 1188);
}

/* A million periods later the edges still fall on k * N clocks: no drift. */
Test(pit, mode2_no_drift)
{
	program(0, 0x34, 1193);
	uint64_t k = 1000000;
	insns = pit_clock_ns(k * 1193) - 1;
	clock_run_due(&clk);
	cr_assert_eq(rises, k - 1);
	cr_assert_eq(clk.next_deadline, pit_clock_ns(k * 1193));
	at_clock(k * 1193);
	cr_assert_eq(rises, k);
}

/* A late timer check still delivers the short mode 2 pulse, in order. */
Test(pit, late_check_keeps_edges)
{
	program(0, 0x34, 100);
	insns = pit_clock_ns(1000) + 50;
	clock_run_due(&clk);
	cr_assert_eq(rises, 10);
}

/* Mode 0: OUT low until terminal count, one edge, then the count wraps. */
Test(pit, mode0)
{
	program(0, 0x30, 100);
	cr_assert_eq(irq0, 0);
	at_clock(40);
	cr_assert_eq(latch_read(0), 60);
	at_clock(99);
	cr_assert_eq(irq0, 0);
	at_clock(100);
	cr_assert_eq(irq0, 1);
	at_clock(5000);
	cr_assert_eq(rises, 1);
	cr_assert_eq(irq0, 1, "OUT stays high after terminal count");
	cr_assert_eq(latch_read(0), (uint16_t)(100 - 5000));
}

/* Mode 3: half the period high, half low; the counter steps by two. */
Test(pit, mode3_square_wave)
{
	program(0, 0x36, 1000);
	at_clock(10);
	cr_assert_eq(latch_read(0), 980);
	cr_assert_eq(irq0, 1);
	at_clock(500);
	cr_assert_eq(irq0, 0);
	at_clock(1000);
	cr_assert_eq(irq0, 1);
	at_clock(10000);
	cr_assert_eq(rises, 10);
}

/* The counter latch holds the value of the latch instant. */
Test(pit, counter_latch)
{
	program(0, 0x34, 5000);
	at_clock(10);
	out(0x43, 0x00);
	at_clock(700);
	cr_assert_eq(in(0x40), (4990) & 0xff);
	cr_assert_eq(in(0x40), 4990 >> 8);
	cr_assert_eq(latch_read(0), 4300, "the next read is live again");
}

/* Read-back: status (OUT, null count, access, mode) comes before the count. */
Test(pit, read_back)
{
	out(0x43, 0x34);
	out(0x43, 0xe2);
	cr_assert_eq(in(0x40), 0xf4, "OUT high, null count set until a count is written");
	out(0x40, 0x10);
	out(0x40, 0x00);
	at_clock(6);
	out(0x43, 0xc2);
	cr_assert_eq(in(0x40), 0xb4, "OUT high in mode 2, count loaded");
	cr_assert_eq(in(0x40), 10);
	cr_assert_eq(in(0x40), 0);
}

/* LSB-only and MSB-only access load one byte of the count. */
Test(pit, lsb_msb_only)
{
	out(0x43, 0x10);
	out(0x40, 0x50);
	cr_assert_eq(in(0x40), 0x50);
	out(0x43, 0x20);
	out(0x40, 0x02);
	at_clock(1);
	out(0x43, 0x00);
	cr_assert_eq(in(0x40), 0x01, "MSB of 0x200 - 1");
}

/* BCD: 1000 decimal counts down as 0999 after one clock. */
Test(pit, bcd)
{
	program(0, 0x31, 0x1000);
	at_clock(1);
	cr_assert_eq(latch_read(0), 0x0999);
	at_clock(1000);
	cr_assert_eq(irq0, 1);
}

/* Channel 2: gated by port 0x61 bit 0, OUT2 readable at bit 5. */
Test(pit, channel2_port61)
{
	cr_assert_eq(in(0x61) & 0x23, 0x20, "gate and speaker off; mode 3 holds OUT2 high");
	out(0x61, 0x01);
	program(2, 0xb0, 2000);
	cr_assert_eq(in(0x61) & 0x21, 0x01);
	at_clock(1999);
	cr_assert_eq(in(0x61) & 0x20, 0);
	at_clock(2000);
	cr_assert_eq(in(0x61) & 0x20, 0x20);
	cr_assert_eq(rises, 0, "channel 2 has no IRQ");
	out(0x61, 0x02);
	cr_assert_eq(in(0x61) & 0x03, 0x02);
}

/* Mode 0 pauses while channel 2's gate is low. */
Test(pit, gate_pauses_mode0)
{
	out(0x61, 0x01);
	program(2, 0xb0, 1000);
	at_clock(100);
	out(0x61, 0x00);
	at_clock(900);
	cr_assert_eq(latch_read(2), 900);
	out(0x61, 0x01);
	at_clock(1000);
	cr_assert_eq(latch_read(2), 800);
	at_clock(1800);
	cr_assert_eq(in(0x61) & 0x20, 0x20);
}

/* Port 0x61 bit 4 toggles every 15.085 us of modeled time. */
Test(pit, refresh_toggle)
{
	insns = 0;
	uint8_t a = in(0x61) & 0x10;
	insns = 15085;
	uint8_t b = in(0x61) & 0x10;
	insns = 30170;
	cr_assert_neq(a, b);
	cr_assert_eq(in(0x61) & 0x10, a);
}

/* SeaBIOS's programming: mode 2, 65536 clocks, about 18.2 Hz. */
Test(pit, firmware_state)
{
	pit_firmware_state(&pit);
	at_clock(65535);
	cr_assert_eq(rises, 0);
	at_clock(65536 * 182);
	cr_assert_eq(rises, 182);
}
