/*
 * MC146818 RTC and CMOS RAM, after the Motorola MC146818A datasheet, and
 * the CMOS layout QEMU's pc machine and SeaBIOS use (IBM PC/AT BIOS
 * technical reference for 0x10-0x2f, QEMU's pc_cmos_init for the rest).
 *
 * Modelled: the time, date and alarm registers; register A (rate select,
 * UIP high during the last 244 us before each second ticks, so a reader
 * that waits for UIP to drop then has almost a second), register B (SET
 * freezes the clock and lets the guest set it, binary or BCD, 12 or 24
 * hours, PIE/AIE/UIE), register C (PF, AF, UF, IRQF; cleared on read,
 * which lowers IRQ8), register D (VRT). The clock runs on modeled time from
 * a configured Unix start time, so reads are deterministic. Flags are
 * computed when read; a clock timer fires only while an interrupt is
 * enabled, at the exact next periodic, update or alarm instant.
 *
 * Memory bytes as probed from QEMU 7.2 (-m 64/512/4000): 0x15/0x16 = 640
 * KiB; 0x17/0x18 and 0x30/0x31 = KiB above 1 MiB, capped at 0xffff;
 * 0x34/0x35 = 64 KiB units above 16 MiB up to 3 GiB, capped at 0xffff;
 * 0x5b-0x5d = 64 KiB units above 4 GiB; century at 0x32 and 0x37.
 * The equipment byte (0x14) says FPU and PS/2 mouse; QEMU adds a floppy
 * drive (0x14 = 0x07, 0x10 = 0x50) that this machine does not have. The AT
 * checksum over 0x10-0x2d is stored at 0x2e (high) and 0x2f; QEMU leaves
 * both zero. Not modelled: the divider chain reset (DV bits), daylight
 * saving, square-wave output, hard-disk geometry and boot-order bytes.
 */
#include "core/dev/cmos.h"

#include <stdio.h>
#include <string.h>

#include "core/dev/bus.h"

#define NS_PER_SEC	1000000000ull
#define RTC_UIP_NS	244000ull
#define RTC_XTAL_HZ	32768ull
#define RTC_C_EVENTS	(RTC_C_PF | RTC_C_AF | RTC_C_UF)

struct rtc_time {
	unsigned sec, min, hour, dow, day, month, year;	/* year: full, 1970+ */
};

static bool leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(unsigned y, unsigned m)
{
	static const uint8_t days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return days[m - 1] + (m == 2 && leap(y));
}

static void time_from_secs(int64_t secs, struct rtc_time *t)
{
	if (secs < 0)
		secs = 0;
	uint64_t days = (uint64_t)secs / 86400, rem = (uint64_t)secs % 86400;

	t->sec = rem % 60;
	t->min = rem / 60 % 60;
	t->hour = (unsigned)(rem / 3600);
	t->dow = (unsigned)((days + 4) % 7) + 1;	/* 1970-01-01: Thursday */
	t->year = 1970;
	while (days >= 365u + leap(t->year))
		days -= 365u + leap(t->year++);
	t->month = 1;
	while (days >= month_days(t->year, t->month))
		days -= month_days(t->year, t->month++);
	t->day = (unsigned)days + 1;
}

static int64_t secs_from_time(const struct rtc_time *t)
{
	int64_t days = 0;

	for (unsigned y = 1970; y < t->year; y++)
		days += 365 + leap(y);
	for (unsigned m = 1; m < t->month && m <= 12; m++)
		days += month_days(t->year, m);
	days += t->day ? t->day - 1 : 0;
	return days * 86400 + t->hour * 3600 + t->min * 60 + t->sec;
}

static uint8_t enc(const struct cmos *c, unsigned v)
{
	return (c->ram[RTC_REG_B] & RTC_B_DM) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

static unsigned dec(const struct cmos *c, uint8_t v)
{
	return (c->ram[RTC_REG_B] & RTC_B_DM) ? v : (v >> 4) * 10u + (v & 15);
}

static uint8_t enc_hour(const struct cmos *c, unsigned h)
{
	if (c->ram[RTC_REG_B] & RTC_B_24H)
		return enc(c, h);
	return enc(c, h % 12 ? h % 12 : 12) | (h >= 12 ? 0x80 : 0);
}

static unsigned dec_hour(const struct cmos *c, uint8_t v)
{
	if (c->ram[RTC_REG_B] & RTC_B_24H)
		return dec(c, v);
	return dec(c, v & 0x7f) % 12 + ((v & 0x80) ? 12 : 0);
}

static int64_t secs_at(const struct cmos *c, uint64_t ns)
{
	return c->base_secs + (int64_t)((ns - c->base_ns) / NS_PER_SEC);
}

static bool frozen(const struct cmos *c)
{
	return c->ram[RTC_REG_B] & RTC_B_SET;
}

/* Copies the running clock into the time registers. */
static void rtc_freeze(struct cmos *c)
{
	struct rtc_time t;

	time_from_secs(secs_at(c, clock_now(c->clk)), &t);
	c->ram[RTC_SECONDS] = enc(c, t.sec);
	c->ram[RTC_MINUTES] = enc(c, t.min);
	c->ram[RTC_HOURS] = enc_hour(c, t.hour);
	c->ram[RTC_DAY_OF_WEEK] = enc(c, t.dow);
	c->ram[RTC_DAY_OF_MONTH] = enc(c, t.day);
	c->ram[RTC_MONTH] = enc(c, t.month);
	c->ram[RTC_YEAR] = enc(c, t.year % 100);
	c->ram[RTC_CENTURY] = enc(c, t.year / 100);
	c->ram[0x37] = c->ram[RTC_CENTURY];
}

/* Restarts the clock from the time registers, a whole second from now. */
static void rtc_thaw(struct cmos *c)
{
	struct rtc_time t = {
		.sec = dec(c, c->ram[RTC_SECONDS]), .min = dec(c, c->ram[RTC_MINUTES]),
		.hour = dec_hour(c, c->ram[RTC_HOURS]),
		.day = dec(c, c->ram[RTC_DAY_OF_MONTH]), .month = dec(c, c->ram[RTC_MONTH]),
		.year = dec(c, c->ram[RTC_CENTURY]) * 100 + dec(c, c->ram[RTC_YEAR]),
	};

	if (t.year < 1970)
		t.year = 1970;
	c->base_secs = secs_from_time(&t);
	c->base_ns = clock_now(c->clk);
	c->flags_ns = c->base_ns;
}

static uint64_t periodic_ticks(const struct cmos *c)
{
	unsigned rs = c->ram[RTC_REG_A] & 15;

	if (rs == 0)
		return 0;
	return rs <= 2 ? 1ull << (rs + 6) : 1ull << (rs - 1);
}

static uint64_t xtal_ticks(uint64_t ns)
{
	return (uint64_t)((unsigned __int128)ns * RTC_XTAL_HZ / NS_PER_SEC);
}

static bool alarm_field(const struct cmos *c, uint8_t alarm, uint8_t now)
{
	return (alarm & 0xc0) == 0xc0 || alarm == now;
}

static bool alarm_matches(struct cmos *c, int64_t secs)
{
	struct rtc_time t;

	time_from_secs(secs, &t);
	return alarm_field(c, c->ram[RTC_SECONDS_ALARM], enc(c, t.sec)) &&
	       alarm_field(c, c->ram[RTC_MINUTES_ALARM], enc(c, t.min)) &&
	       alarm_field(c, c->ram[RTC_HOURS_ALARM], enc_hour(c, t.hour));
}

/* Sets PF, UF and AF for every event in (flags_ns, now]. */
static void rtc_catch_up(struct cmos *c)
{
	uint64_t now = clock_now(c->clk), prev = c->flags_ns, period = periodic_ticks(c);

	if (now <= prev)
		return;
	if (period && xtal_ticks(now) / period > xtal_ticks(prev) / period)
		c->flags |= RTC_C_PF;
	if (!frozen(c)) {
		int64_t from = secs_at(c, prev), to = secs_at(c, now);
		if (to > from)
			c->flags |= RTC_C_UF;
		/* A day of seconds covers every alarm pattern there is. */
		if (to - from > 86400)
			from = to - 86400;
		for (int64_t s = from + 1; s <= to && !(c->flags & RTC_C_AF); s++)
			if (alarm_matches(c, s))
				c->flags |= RTC_C_AF;
	}
	c->flags_ns = now;
}

static void rtc_update_irq(struct cmos *c)
{
	uint8_t enabled = c->ram[RTC_REG_B] & (RTC_B_PIE | RTC_B_AIE | RTC_B_UIE);
	int level;

	/* Register C's event bits sit where register B's enables do. */
	if (c->flags & enabled)
		c->flags |= RTC_C_IRQF;
	level = (c->flags & RTC_C_IRQF) != 0;
	if (level != c->irq_level) {
		c->irq_level = level;
		irq_set(&c->irq, level);
	}
}

static void rtc_arm(struct cmos *c)
{
	uint8_t b = c->ram[RTC_REG_B];
	uint64_t now = clock_now(c->clk), next = CLOCK_NEVER, period = periodic_ticks(c);

	if ((b & RTC_B_PIE) && period) {
		uint64_t k = (xtal_ticks(now) / period + 1) * period;
		next = (uint64_t)(((unsigned __int128)k * NS_PER_SEC + RTC_XTAL_HZ - 1) /
				  RTC_XTAL_HZ);
	}
	if ((b & (RTC_B_UIE | RTC_B_AIE)) && !frozen(c)) {
		uint64_t sec = c->base_ns + ((now - c->base_ns) / NS_PER_SEC + 1) * NS_PER_SEC;
		if (sec < next)
			next = sec;
	}
	if (next == CLOCK_NEVER)
		clock_disarm(c->clk, &c->timer);
	else
		clock_arm(c->clk, &c->timer, next);
}

static void rtc_timer_fire(void *opaque, uint64_t now)
{
	struct cmos *c = opaque;

	rtc_catch_up(c);
	rtc_update_irq(c);
	rtc_arm(c);
}

static uint8_t rtc_read(struct cmos *c, unsigned idx)
{
	uint64_t now = clock_now(c->clk);
	uint8_t v;

	switch (idx) {
	case RTC_SECONDS: case RTC_MINUTES: case RTC_HOURS: case RTC_DAY_OF_WEEK:
	case RTC_DAY_OF_MONTH: case RTC_MONTH: case RTC_YEAR: case RTC_CENTURY:
		if (!frozen(c))
			rtc_freeze(c);
		return c->ram[idx];
	case RTC_REG_A:
		v = c->ram[RTC_REG_A] & 0x7f;
		if (!frozen(c) && (now - c->base_ns) % NS_PER_SEC >= NS_PER_SEC - RTC_UIP_NS)
			v |= RTC_A_UIP;
		return v;
	case RTC_REG_C:
		rtc_catch_up(c);
		rtc_update_irq(c);
		v = c->flags;
		c->flags = 0;
		rtc_update_irq(c);
		return v;
	case RTC_REG_D:
		return RTC_D_VRT;
	default:
		return c->ram[idx];
	}
}

static void rtc_write(struct cmos *c, unsigned idx, uint8_t v)
{
	switch (idx) {
	case RTC_SECONDS: case RTC_MINUTES: case RTC_HOURS: case RTC_DAY_OF_WEEK:
	case RTC_DAY_OF_MONTH: case RTC_MONTH: case RTC_YEAR: case RTC_CENTURY:
		/* A write to a running clock sets it, as QEMU's does. */
		if (!frozen(c))
			rtc_freeze(c);
		c->ram[idx] = v;
		if (!frozen(c))
			rtc_thaw(c);
		break;
	case RTC_REG_A:
		rtc_catch_up(c);
		c->ram[idx] = v & 0x7f;
		break;
	case RTC_REG_B:
		rtc_catch_up(c);
		if ((v & RTC_B_SET) && !frozen(c))
			rtc_freeze(c);
		if (v & RTC_B_SET)
			v &= ~RTC_B_UIE;
		bool thaw = frozen(c) && !(v & RTC_B_SET);
		c->ram[idx] = v;
		if (thaw)
			rtc_thaw(c);
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		break;
	default:
		c->ram[idx] = v;
		break;
	}
	rtc_update_irq(c);
	rtc_arm(c);
}

static uint32_t cmos_read(void *dev, uint32_t off, unsigned size)
{
	struct cmos *c = dev;

	/* The index port is write-only on a PC. */
	return off == 0 ? 0xff : rtc_read(c, c->index);
}

static void cmos_write(void *dev, uint32_t off, unsigned size, uint32_t value)
{
	struct cmos *c = dev;

	if (off == 0) {
		c->index = value & 0x7f;
		c->nmi_masked = value & 0x80;
	} else {
		rtc_write(c, c->index, (uint8_t)value);
	}
}

static const struct bus_ops cmos_ops = { cmos_read, cmos_write };

static void cmos_checksum(struct cmos *c)
{
	unsigned sum = 0;

	for (unsigned i = 0x10; i <= 0x2d; i++)
		sum += c->ram[i];
	c->ram[0x2e] = (uint8_t)(sum >> 8);
	c->ram[0x2f] = (uint8_t)sum;
}

static void put16(struct cmos *c, unsigned idx, unsigned v)
{
	c->ram[idx] = (uint8_t)v;
	c->ram[idx + 1] = (uint8_t)(v >> 8);
}

void cmos_set_memory(struct cmos *c, uint64_t ram_bytes)
{
	uint64_t below4g = ram_bytes > 0xc0000000ull ? 0xc0000000ull : ram_bytes;
	uint64_t above4g = ram_bytes - below4g, kib, units;

	put16(c, 0x15, 640);
	kib = below4g > (1u << 20) ? (below4g >> 10) - 1024 : 0;
	put16(c, 0x17, kib > 0xffff ? 0xffff : (unsigned)kib);
	put16(c, 0x30, kib > 0xffff ? 0xffff : (unsigned)kib);
	units = below4g > (16u << 20) ? (below4g - (16u << 20)) >> 16 : 0;
	put16(c, 0x34, units > 0xffff ? 0xffff : (unsigned)units);
	units = above4g >> 16;
	c->ram[0x5b] = (uint8_t)units;
	c->ram[0x5c] = (uint8_t)(units >> 8);
	c->ram[0x5d] = (uint8_t)(units >> 16);
	cmos_checksum(c);
}

int cmos_init(struct cmos *c, struct clock *clk, const struct irq_line *irq,
	      int64_t start, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->clk = clk;
	if (irq)
		c->irq = *irq;
	if (clock_add_timer(clk, &c->timer, rtc_timer_fire, c)) {
		snprintf(err, errlen, "cmos: no clock timer left");
		return -1;
	}
	c->base_secs = start;
	c->base_ns = 0;
	c->flags_ns = clock_now(clk);
	/* What QEMU's RTC and SeaBIOS leave: 32.768 kHz, 1024 Hz rate, BCD, 24 h. */
	c->ram[RTC_REG_A] = 0x26;
	c->ram[RTC_REG_B] = RTC_B_24H;
	c->ram[0x14] = 0x06;
	rtc_freeze(c);
	cmos_set_memory(c, 0);
	return 0;
}

int cmos_register(struct cmos *c, struct bus *b, char *err, size_t errlen)
{
	return bus_add_pio(b, "cmos", 0x70, 2, BUS_1, &cmos_ops, c, err, errlen);
}
