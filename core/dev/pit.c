/*
 * Intel 8254 PIT, after the 82C54 datasheet (Intel 231244), plus the PC's
 * port 0x61 (PIIX3 datasheet, NMI status and control register).
 *
 * Modelled: three channels with modes 0-5, binary and BCD counting, LSB,
 * MSB and LSB-then-MSB access, the counter latch and read-back commands
 * (status byte with OUT and NULL COUNT), the gate (channels 0 and 1 wired
 * high, channel 2 from port 0x61 bit 0; modes 0/4 pause, 2/3 stop with OUT
 * high and reload on the rising edge, 1/5 trigger on it). Port 0x61 gives
 * the gate and speaker-data bits back, OUT2 in bit 5 and the refresh
 * toggle in bit 4 (flipping every 15.085 us of modeled time).
 *
 * Time: the input clock runs at 1193182 Hz from modeled time 0; clock n
 * begins at ceil(n * 10^9 / 1193182) ns, computed in 128-bit integers, so
 * IRQ0 never drifts. A count takes effect at the clock it is written
 * rather than the next one, and a new count in modes 2/3 restarts the
 * period at once (both as QEMU does). IRQ0 follows channel 0's OUT: a clock
 * timer is armed at the exact time of each OUT transition and they are
 * applied in order, so a late timer still delivers every rising edge.
 *
 * Mode 2's OUT is high except during the count of 1, per the datasheet
 * (QEMU's read-back status reports it inverted). Not modelled: the
 * speaker's sound, channel 1's DRAM refresh, counts of 1 in modes 2/3
 * (illegal; OUT stays high).
 */
#include "core/dev/pit.h"

#include <stdio.h>
#include <string.h>

#include "core/dev/bus.h"

#define PIT_NONE	UINT64_MAX
#define PIT_REFRESH_NS	15085u
#define PORT61_GATE2	0x01
#define PORT61_SPKR	0x02
#define PORT61_REFRESH	0x10
#define PORT61_OUT2	0x20

uint64_t pit_clocks(uint64_t ns)
{
	return (uint64_t)((unsigned __int128)ns * PIT_HZ / 1000000000u);
}

uint64_t pit_clock_ns(uint64_t n)
{
	return (uint64_t)(((unsigned __int128)n * 1000000000u + PIT_HZ - 1) / PIT_HZ);
}

static uint64_t now_clocks(const struct pit *p)
{
	return pit_clocks(clock_now(p->clk));
}

static uint64_t elapsed(const struct pit_channel *c, uint64_t now)
{
	return c->running ? now - c->start : c->frozen;
}

static bool pit_out(const struct pit_channel *c, uint64_t d)
{
	uint64_t n = c->count;

	if (!c->loaded)
		return c->mode != 0;
	switch (c->mode) {
	case 0: return d >= n;
	case 1: return !c->triggered || d >= n;
	case 2: return !c->running || n < 2 || d % n != n - 1;
	case 3: return !c->running || n < 2 || d % n < (n + 1) / 2;
	case 4: return d != n;
	default: return !c->triggered || d != n;
	}
}

/* The first clock count after d at which OUT changes, or PIT_NONE. */
static uint64_t next_transition(const struct pit_channel *c, uint64_t d)
{
	uint64_t n = c->count, r;

	if (!c->loaded || !c->running)
		return PIT_NONE;
	switch (c->mode) {
	case 0:
	case 1:
		return d < n ? n : PIT_NONE;
	case 2:
		if (n < 2)
			return PIT_NONE;
		r = d % n;
		return r < n - 1 ? d + (n - 1 - r) : d + 1;
	case 3:
		if (n < 2)
			return PIT_NONE;
		r = d % n;
		return r < (n + 1) / 2 ? d + ((n + 1) / 2 - r) : d + (n - r);
	default:
		return d < n ? n : d == n ? n + 1 : PIT_NONE;
	}
}

static void irq0_set(struct pit *p, bool level)
{
	if ((int)level == p->irq_level)
		return;
	p->irq_level = level;
	if (level)
		p->irq0_edges++;
	irq_set(&p->irq0, level);
}

static void ch0_arm(struct pit *p, uint64_t after)
{
	struct pit_channel *c = &p->ch[0];

	p->next_d = next_transition(c, after);
	if (p->next_d == PIT_NONE)
		clock_disarm(p->clk, &p->timer);
	else
		clock_arm(p->clk, &p->timer, pit_clock_ns(c->start + p->next_d));
}

static void ch0_fire(void *opaque, uint64_t now)
{
	struct pit *p = opaque;
	uint64_t d = p->next_d;

	irq0_set(p, pit_out(&p->ch[0], d));
	ch0_arm(p, d);
}

/* Delivers transitions already due, then follows channel 0 from now. */
static void ch0_reschedule(struct pit *p)
{
	irq0_set(p, pit_out(&p->ch[0], elapsed(&p->ch[0], now_clocks(p))));
	ch0_arm(p, elapsed(&p->ch[0], now_clocks(p)));
}

static void ch0_catch_up(struct pit *p)
{
	uint64_t now = clock_now(p->clk);

	while (p->timer.armed && p->timer.deadline <= now) {
		clock_disarm(p->clk, &p->timer);
		ch0_fire(p, now);
	}
}

static uint32_t modulus(const struct pit_channel *c)
{
	return c->bcd ? 10000 : 65536;
}

static uint16_t to_bcd(uint32_t v)
{
	return (uint16_t)((v / 1000 % 10) << 12 | (v / 100 % 10) << 8 |
			  (v / 10 % 10) << 4 | v % 10);
}

static uint32_t from_bcd(uint16_t v)
{
	return (v >> 12 & 15) * 1000 + (v >> 8 & 15) * 100 + (v >> 4 & 15) * 10 + (v & 15);
}

static uint16_t counter_value(const struct pit_channel *c, uint64_t now)
{
	uint64_t n = c->count, m = modulus(c), d = elapsed(c, now), v;

	if (!c->loaded || ((c->mode == 1 || c->mode == 5) && !c->triggered))
		v = n % m;
	else if (c->mode == 2)
		v = (n - d % n) % m;
	else if (c->mode == 3)
		v = (n - (2 * d) % n) % m;
	else
		v = (n + m - d % m) % m;
	return c->bcd ? to_bcd((uint32_t)v) : (uint16_t)v;
}

static void channel_load(struct pit *p, struct pit_channel *c, uint32_t raw)
{
	uint32_t n = c->bcd ? from_bcd((uint16_t)raw) : raw;
	uint64_t now = now_clocks(p);

	c->count = n ? n : modulus(c);
	c->loaded = true;
	c->null_count = false;
	if (c->mode == 1 || c->mode == 5)
		return;
	c->start = now;
	c->frozen = 0;
	c->running = c->gate;
}

static void set_gate(struct pit *p, struct pit_channel *c, bool gate)
{
	uint64_t now = now_clocks(p);

	if (gate == c->gate)
		return;
	c->gate = gate;
	if (!c->loaded)
		return;
	if (c->mode == 1 || c->mode == 5) {
		if (gate) {
			c->start = now;
			c->running = c->triggered = true;
		}
	} else if (!gate) {
		c->frozen = elapsed(c, now);
		c->running = false;
	} else {
		c->start = (c->mode == 2 || c->mode == 3) ? now : now - c->frozen;
		c->running = true;
	}
}

static void latch_count(struct pit *p, struct pit_channel *c)
{
	if (c->count_latched)
		return;
	c->latch = counter_value(c, now_clocks(p));
	c->count_latched = true;
	c->read_msb = false;
}

static void latch_status(struct pit *p, struct pit_channel *c)
{
	if (c->status_latched)
		return;
	c->status = (uint8_t)(pit_out(c, elapsed(c, now_clocks(p))) << 7 |
			      c->null_count << 6 | c->rw << 4 | c->mode << 1 | c->bcd);
	c->status_latched = true;
}

static void control_write(struct pit *p, uint8_t v)
{
	unsigned sc = v >> 6, rw = (v >> 4) & 3;

	if (sc == 3) {
		for (unsigned i = 0; i < 3; i++) {
			if (!(v & (2u << i)))
				continue;
			if (!(v & 0x20))
				latch_count(p, &p->ch[i]);
			if (!(v & 0x10))
				latch_status(p, &p->ch[i]);
		}
		return;
	}
	struct pit_channel *c = &p->ch[sc];
	if (rw == 0) {
		latch_count(p, c);
		return;
	}
	c->mode = (v >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4;
	c->rw = (uint8_t)rw;
	c->bcd = v & 1;
	c->loaded = c->triggered = c->running = false;
	c->null_count = true;
	c->write_msb = c->read_msb = false;
	c->count_latched = c->status_latched = false;
}

static void data_write(struct pit *p, struct pit_channel *c, uint8_t v)
{
	switch (c->rw) {
	case 1:
		channel_load(p, c, v);
		break;
	case 2:
		channel_load(p, c, (uint32_t)v << 8);
		break;
	default:
		if (!c->write_msb) {
			c->write_lsb = v;
			c->write_msb = true;
			/* Mode 0 stops counting once the first byte is written. */
			if (c->mode == 0)
				c->loaded = false;
		} else {
			c->write_msb = false;
			channel_load(p, c, c->write_lsb | (uint32_t)v << 8);
		}
		break;
	}
	c->null_count = !c->loaded;
}

static uint8_t data_read(struct pit *p, struct pit_channel *c)
{
	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	uint16_t v = c->count_latched ? c->latch : counter_value(c, now_clocks(p));
	uint8_t byte;

	if (c->rw == 1) {
		byte = (uint8_t)v;
		c->count_latched = false;
	} else if (c->rw == 2) {
		byte = (uint8_t)(v >> 8);
		c->count_latched = false;
	} else {
		byte = c->read_msb ? (uint8_t)(v >> 8) : (uint8_t)v;
		if (c->read_msb)
			c->count_latched = false;
		c->read_msb = !c->read_msb;
	}
	return byte;
}

static uint32_t pit_read(void *dev, uint32_t off, unsigned size)
{
	struct pit *p = dev;

	/* The control word register is write-only; QEMU reads it as 0. */
	return off == 3 ? 0 : data_read(p, &p->ch[off]);
}

static void pit_write(void *dev, uint32_t off, unsigned size, uint32_t value)
{
	struct pit *p = dev;

	ch0_catch_up(p);
	if (off == 3)
		control_write(p, (uint8_t)value);
	else
		data_write(p, &p->ch[off], (uint8_t)value);
	if (off == 0 || (off == 3 && (value >> 6) == 0))
		ch0_reschedule(p);
}

static uint32_t port61_read(void *dev, uint32_t off, unsigned size)
{
	struct pit *p = dev;
	const struct pit_channel *c2 = &p->ch[2];
	uint64_t now = clock_now(p->clk);
	uint8_t v = 0;

	if (c2->gate)
		v |= PORT61_GATE2;
	if (p->speaker)
		v |= PORT61_SPKR;
	if ((now / PIT_REFRESH_NS) & 1)
		v |= PORT61_REFRESH;
	if (pit_out(c2, elapsed(c2, pit_clocks(now))))
		v |= PORT61_OUT2;
	return v;
}

static void port61_write(void *dev, uint32_t off, unsigned size, uint32_t value)
{
	struct pit *p = dev;

	set_gate(p, &p->ch[2], value & PORT61_GATE2);
	p->speaker = value & PORT61_SPKR;
}

static const struct bus_ops pit_ops = { pit_read, pit_write };
static const struct bus_ops port61_ops = { port61_read, port61_write };

int pit_init(struct pit *p, struct clock *clk, const struct irq_line *irq0,
	     char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	p->clk = clk;
	if (irq0)
		p->irq0 = *irq0;
	if (clock_add_timer(clk, &p->timer, ch0_fire, p)) {
		snprintf(err, errlen, "pit: no clock timer left");
		return -1;
	}
	/* Power-on state as QEMU's: mode 3, count 65536, running from now. */
	for (unsigned i = 0; i < 3; i++) {
		struct pit_channel *c = &p->ch[i];
		c->mode = 3;
		c->gate = i != 2;
		channel_load(p, c, 0);
	}
	ch0_reschedule(p);
	return 0;
}

int pit_register(struct pit *p, struct bus *b, char *err, size_t errlen)
{
	if (bus_add_pio(b, "pit", 0x40, 4, BUS_1, &pit_ops, p, err, errlen) ||
	    bus_add_pio(b, "port61", 0x61, 1, BUS_1, &port61_ops, p, err, errlen))
		return -1;
	return 0;
}

void pit_firmware_state(struct pit *p)
{
	pit_write(p, 3, 1, 0x34);
	pit_write(p, 0, 1, 0);
	pit_write(p, 0, 1, 0);
}
