/*
 * Motorola MC146818 real-time clock and CMOS RAM at 0x70-0x71 (IRQ8).
 * See cmos.c for what is modelled.
 */
#ifndef VMM_DEV_CMOS_H
#define VMM_DEV_CMOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dev/clock.h"
#include "core/dev/irq.h"

struct bus;

/* 2000-01-01 00:00:00 UTC as Unix time. */
#define CMOS_DEFAULT_START 946684800ll

enum {
	RTC_SECONDS = 0x00, RTC_SECONDS_ALARM = 0x01, RTC_MINUTES = 0x02,
	RTC_MINUTES_ALARM = 0x03, RTC_HOURS = 0x04, RTC_HOURS_ALARM = 0x05,
	RTC_DAY_OF_WEEK = 0x06, RTC_DAY_OF_MONTH = 0x07, RTC_MONTH = 0x08,
	RTC_YEAR = 0x09, RTC_REG_A = 0x0a, RTC_REG_B = 0x0b, RTC_REG_C = 0x0c,
	RTC_REG_D = 0x0d, RTC_CENTURY = 0x32,
};

#define RTC_A_UIP	0x80
#define RTC_B_SET	0x80
#define RTC_B_PIE	0x40
#define RTC_B_AIE	0x20
#define RTC_B_UIE	0x10
#define RTC_B_DM	0x04
#define RTC_B_24H	0x02
#define RTC_C_IRQF	0x80
#define RTC_C_PF	0x40
#define RTC_C_AF	0x20
#define RTC_C_UF	0x10
#define RTC_D_VRT	0x80

struct cmos {
	uint8_t ram[128];
	uint8_t index;
	bool nmi_masked;	/* port 0x70 bit 7 */
	int64_t base_secs;	/* Unix time at modeled time base_ns */
	uint64_t base_ns;
	uint64_t flags_ns;	/* register C's flags are up to date to here */
	uint8_t flags;
	int irq_level;
	struct irq_line irq;
	struct clock *clk;
	struct clock_timer timer;
};

/* start: Unix time of modeled time 0. */
int cmos_init(struct cmos *c, struct clock *clk, const struct irq_line *irq,
	      int64_t start, char *err, size_t errlen);
int cmos_register(struct cmos *c, struct bus *b, char *err, size_t errlen);

/*
 * The bytes QEMU's pc machine stores for a RAM size (base, extended and
 * above-16 MiB memory), with the checksum over 0x10-0x2d refreshed.
 */
void cmos_set_memory(struct cmos *c, uint64_t ram_bytes);

#endif
