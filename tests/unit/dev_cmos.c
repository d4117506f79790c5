/* MC146818 RTC/CMOS through ports 0x70/0x71, on modeled time. */
#include <criterion/criterion.h>

#include "core/dev/bus.h"
#include "core/dev/clock.h"
#include "core/dev/cmos.h"

#define SEC 1000000000ull

static struct bus bus;
static struct clock clk;
static uint64_t insns;
static struct cmos cmos;
static int irq8;

static void irq_cb(void *ctrl, unsigned irq, int level)
{
	irq8 = level;
}

static uint8_t rd(uint8_t idx)
{
	bus_pio_write(&bus, 0x70, 1, idx);
	return (uint8_t)bus_pio_read(&bus, 0x71, 1);
}

static void wr(uint8_t idx, uint8_t v)
{
	bus_pio_write(&bus, 0x70, 1, idx);
	bus_pio_write(&bus, 0x71, 1, v);
}

static void at(uint64_t ns)
{
	insns = ns;
	clock_run_due(&clk);
}

static void start(int64_t t0)
{
	char err[128];
	struct irq_line line = { irq_cb, NULL, 8 };

	insns = 0;
	irq8 = 0;
	bus_init(&bus);
	clock_init(&clk, &insns);
	cr_assert_eq(cmos_init(&cmos, &clk, &line, t0, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cmos_register(&cmos, &bus, err, sizeof(err)), 0, "%s", err);
}

static unsigned checksum(void)
{
	unsigned sum = 0;
	for (uint8_t i = 0x10; i <= 0x2d; i++)
		sum += rd(i);
	return sum;
}

/* The default start: Saturday 2000-01-01 00:00:00, BCD, 24 hours. */
Test(cmos, default_time_bcd)
{
	start(CMOS_DEFAULT_START);
	cr_assert_eq(rd(RTC_REG_B), 0x02);
	cr_assert_eq(rd(RTC_SECONDS), 0x00);
	cr_assert_eq(rd(RTC_DAY_OF_WEEK), 7);
	cr_assert_eq(rd(RTC_DAY_OF_MONTH), 0x01);
	cr_assert_eq(rd(RTC_MONTH), 0x01);
	cr_assert_eq(rd(RTC_YEAR), 0x00);
	cr_assert_eq(rd(RTC_CENTURY), 0x20);
	cr_assert_eq(rd(RTC_REG_D), 0x80);
}

/* Time follows modeled nanoseconds, in BCD digits. */
Test(cmos, time_advances)
{
	start(CMOS_DEFAULT_START);
	at(13 * 3600 * SEC + 59 * 60 * SEC + 39 * SEC + SEC / 2);
	cr_assert_eq(rd(RTC_HOURS), 0x13);
	cr_assert_eq(rd(RTC_MINUTES), 0x59);
	cr_assert_eq(rd(RTC_SECONDS), 0x39);
}

/* Binary mode across a leap day into March. */
Test(cmos, binary_leap_day)
{
	start(1709251198);	/* 2024-02-29 23:59:58 */
	wr(RTC_REG_B, 0x06);
	cr_assert_eq(rd(RTC_DAY_OF_MONTH), 29);
	cr_assert_eq(rd(RTC_MONTH), 2);
	cr_assert_eq(rd(RTC_SECONDS), 58);
	at(2 * SEC);
	cr_assert_eq(rd(RTC_DAY_OF_MONTH), 1);
	cr_assert_eq(rd(RTC_MONTH), 3);
	cr_assert_eq(rd(RTC_YEAR), 24);
	cr_assert_eq(rd(RTC_HOURS), 0);
	cr_assert_eq(rd(RTC_DAY_OF_WEEK), 6, "2024-03-01 was a Friday");
}

/* 12-hour mode: 13:05 reads as 1 PM (bit 7). */
Test(cmos, twelve_hour)
{
	start(CMOS_DEFAULT_START + 13 * 3600 + 5 * 60);
	wr(RTC_REG_B, 0x00);
	cr_assert_eq(rd(RTC_HOURS), 0x81);
	wr(RTC_REG_B, 0x04);
	cr_assert_eq(rd(RTC_HOURS), 0x81, "binary 1 with the PM bit");
}

/* UIP is high only in the last 244 us before a second ticks. */
Test(cmos, uip)
{
	start(CMOS_DEFAULT_START);
	at(SEC / 2);
	cr_assert_eq(rd(RTC_REG_A), 0x26);
	at(SEC - 244000);
	cr_assert_eq(rd(RTC_REG_A), 0xa6);
	at(SEC);
	cr_assert_eq(rd(RTC_REG_A), 0x26);
}

/* SET freezes the registers; clearing it restarts from the written time. */
Test(cmos, set_time)
{
	start(CMOS_DEFAULT_START);
	wr(RTC_REG_B, 0x82);
	wr(RTC_HOURS, 0x12);
	wr(RTC_MINUTES, 0x34);
	at(5 * SEC);
	cr_assert_eq(rd(RTC_SECONDS), 0x00, "frozen while SET");
	wr(RTC_REG_B, 0x02);
	at(7 * SEC);
	cr_assert_eq(rd(RTC_HOURS), 0x12);
	cr_assert_eq(rd(RTC_MINUTES), 0x34);
	cr_assert_eq(rd(RTC_SECONDS), 0x02);
}

/* QEMU's memory bytes for 64 MiB, and a valid AT checksum. */
Test(cmos, memory_64m)
{
	start(CMOS_DEFAULT_START);
	cmos_set_memory(&cmos, 64ull << 20);
	cr_assert_eq(rd(0x15) | rd(0x16) << 8, 640);
	cr_assert_eq(rd(0x17) | rd(0x18) << 8, 0xfc00);
	cr_assert_eq(rd(0x30) | rd(0x31) << 8, 0xfc00);
	cr_assert_eq(rd(0x34) | rd(0x35) << 8, 0x0300);
	cr_assert_eq(rd(0x14), 0x06);
	cr_assert_eq(checksum(), (unsigned)(rd(0x2e) << 8 | rd(0x2f)));
}

/* 512 MiB: the extended KiB words cap at 0xffff; 64 KiB units do not. */
Test(cmos, memory_512m)
{
	start(CMOS_DEFAULT_START);
	cmos_set_memory(&cmos, 512ull << 20);
	cr_assert_eq(rd(0x17) | rd(0x18) << 8, 0xffff);
	cr_assert_eq(rd(0x30) | rd(0x31) << 8, 0xffff);
	cr_assert_eq(rd(0x34) | rd(0x35) << 8, 0x1f00);
	cr_assert_eq(checksum(), (unsigned)(rd(0x2e) << 8 | rd(0x2f)));
	cr_assert_neq(checksum(), 0);
}

/* 1024 Hz periodic interrupt on IRQ8, acknowledged by reading C. */
Test(cmos, periodic_interrupt)
{
	start(CMOS_DEFAULT_START);
	wr(RTC_REG_B, 0x42);
	at(976562);
	cr_assert_eq(irq8, 0);
	at(976563);
	cr_assert_eq(irq8, 1);
	cr_assert_eq(rd(RTC_REG_C), 0xc0);
	cr_assert_eq(irq8, 0);
	cr_assert_eq(rd(RTC_REG_C), 0x00, "reading C cleared it");
	at(2 * 976563);
	cr_assert_eq(irq8, 1);
}

/* Update-ended and alarm interrupts at whole seconds. */
Test(cmos, update_and_alarm)
{
	start(CMOS_DEFAULT_START);
	wr(RTC_SECONDS_ALARM, 0x05);
	wr(RTC_MINUTES_ALARM, 0xc0);
	wr(RTC_HOURS_ALARM, 0xc0);
	wr(RTC_REG_B, 0x22);
	at(4 * SEC);
	cr_assert_eq(irq8, 0);
	cr_assert_eq(rd(RTC_REG_C), 0x50, "PF and UF are set without their enables: no IRQF");
	at(5 * SEC);
	cr_assert_eq(irq8, 1);
	cr_assert_eq(rd(RTC_REG_C), 0xf0);
}

/* Port 0x70 bit 7 is the NMI mask; the index is the low seven bits. */
Test(cmos, nmi_mask)
{
	start(CMOS_DEFAULT_START);
	bus_pio_write(&bus, 0x70, 1, 0x8d);
	cr_assert(cmos.nmi_masked);
	cr_assert_eq(bus_pio_read(&bus, 0x71, 1), 0x80);
	bus_pio_write(&bus, 0x70, 1, 0x0d);
	cr_assert(!cmos.nmi_masked);
	wr(0x40, 0x5a);
	cr_assert_eq(rd(0x40), 0x5a, "NVRAM bytes keep what is written");
}
