/*
 * Intel 8254 programmable interval timer at 0x40-0x43 (channel 0 on IRQ0,
 * channel 2 gated from port 0x61) plus the port 0x61 bits that belong to
 * it. See pit.c for what is modelled.
 */
#ifndef VMM_DEV_PIT_H
#define VMM_DEV_PIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dev/clock.h"
#include "core/dev/irq.h"

struct bus;

#define PIT_HZ 1193182u

struct pit_channel {
	uint8_t mode, rw, bcd;
	uint32_t count;		/* N in input clocks: 1..65536 (10000 in BCD) */
	bool loaded;		/* a count was written after the control word */
	bool null_count;
	bool gate, running, triggered;
	uint64_t start;		/* input clock at which the count started */
	uint64_t frozen;	/* clocks counted when the gate stopped counting */
	bool write_msb, read_msb;
	uint8_t write_lsb;
	bool count_latched, status_latched;
	uint16_t latch;
	uint8_t status;
};

struct pit {
	struct pit_channel ch[3];
	struct clock *clk;
	struct clock_timer timer;	/* channel 0's next OUT transition */
	uint64_t next_d;		/* ...as clocks since ch[0].start */
	struct irq_line irq0;
	int irq_level;
	bool speaker;			/* port 0x61 bit 1 */
	uint64_t irq0_edges;
};

int pit_init(struct pit *p, struct clock *clk, const struct irq_line *irq0,
	     char *err, size_t errlen);
/* 0x40-0x43 and 0x61. */
int pit_register(struct pit *p, struct bus *b, char *err, size_t errlen);

/* Channel 0 in mode 2 with a count of 65536, as SeaBIOS programs it. */
void pit_firmware_state(struct pit *p);

/* Input clocks elapsed at modeled time ns, and the first ns of clock n. */
uint64_t pit_clocks(uint64_t ns);
uint64_t pit_clock_ns(uint64_t n);

#endif
