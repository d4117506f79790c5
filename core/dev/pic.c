/*
 * Intel 8259A PIC pair, after the 8259A datasheet (Intel 231468) and the
 * PIIX3 datasheet (Intel 290550, section 2.6: ELCR1/ELCR2).
 *
 * Modelled: ICW1-ICW4 (8086 mode; cascade with the slave on IR2; single
 * mode; LTIM as "all inputs level"), OCW1 (IMR), OCW2 (non-specific and
 * specific EOI, rotate on EOI, rotate in AEOI, set priority), OCW3 (read
 * IRR/ISR, poll, special mask mode), auto-EOI, special fully nested mode,
 * fixed and rotating priorities, edge vs level triggering per the ELCR
 * (IRQ0-2, 8 and 13 are always edge, as in the PIIX), and the spurious
 * vectors: an INTA with no request left answers IR7 (IR15 on the slave)
 * without setting ISR.
 *
 * Edge mode latches the rising edge in IRR and keeps it after the input
 * falls, as QEMU's i8259 does; real parts drop a request that falls before
 * INTA and then answer IR7. Devices here pulse their lines (the PIT), so
 * the latching behaviour is the one guests see on QEMU. MCS-80 call
 * sequences, buffered mode and the slave's address bytes are not modelled.
 */
#include "core/dev/pic.h"

#include <string.h>

#include "core/dev/bus.h"

#define ICW1_IC4	0x01
#define ICW1_SNGL	0x02
#define ICW1_LTIM	0x08
#define ICW1_INIT	0x10
#define ICW4_AEOI	0x02
#define ICW4_SFNM	0x10
#define OCW3_SEL	0x08
#define OCW3_RIS	0x01
#define OCW3_RR		0x02
#define OCW3_P		0x04
#define OCW3_SMM	0x20
#define OCW3_ESMM	0x40
#define PIC_CASCADE_IR	2

static void chip_reset(struct pic_chip *c)
{
	uint8_t lines = c->lines, elcr = c->elcr, mask = c->elcr_mask;
	bool master = c->master;

	memset(c, 0, sizeof(*c));
	c->lines = lines;
	c->elcr = elcr;
	c->elcr_mask = mask;
	c->master = master;
	c->lowest = 7;
}

void pic_init(struct pic *p, const struct intr_pin *intr)
{
	memset(p, 0, sizeof(*p));
	if (intr)
		p->intr = *intr;
	p->chip[0].master = true;
	p->chip[0].elcr_mask = 0xf8;
	p->chip[1].elcr_mask = 0xde;
	chip_reset(&p->chip[0]);
	chip_reset(&p->chip[1]);
}

static uint8_t level_mask(const struct pic_chip *c)
{
	return c->ltim ? 0xff : c->elcr;
}

/* Priority rank of IR n: 0 is the highest. */
static unsigned rank(const struct pic_chip *c, unsigned n)
{
	return (n - c->lowest - 1) & 7;
}

/* The highest-priority IR set in bits, or -1. */
static int highest(const struct pic_chip *c, uint8_t bits)
{
	for (unsigned r = 0; r < 8; r++) {
		unsigned n = (c->lowest + 1 + r) & 7;
		if (bits & (1u << n))
			return (int)n;
	}
	return -1;
}

/* The IR this chip would present at INTA now, or -1. */
static int chip_pending(const struct pic_chip *c)
{
	int req = highest(c, c->irr & ~c->imr);
	uint8_t in_service = c->isr;

	if (req < 0)
		return -1;
	/* Special mask mode lets masked in-service levels stop blocking. */
	if (c->smm)
		in_service &= ~c->imr;
	/* SFNM: a new slave request may interrupt the slave's own service. */
	if (c->master && c->sfnm)
		in_service &= ~(1u << PIC_CASCADE_IR);
	int cur = highest(c, in_service);
	if (cur >= 0 && rank(c, (unsigned)req) >= rank(c, (unsigned)cur))
		return -1;
	return req;
}

static void chip_input(struct pic_chip *c, unsigned n, int level)
{
	uint8_t bit = 1u << n;

	if (level_mask(c) & bit) {
		if (level)
			c->irr |= bit;
		else
			c->irr &= ~bit;
	} else if (level && !(c->lines & bit)) {
		c->irr |= bit;
	}
	if (level)
		c->lines |= bit;
	else
		c->lines &= ~bit;
}

static void pic_update(struct pic *p)
{
	struct pic_chip *m = &p->chip[0];

	if (!m->single)
		chip_input(m, PIC_CASCADE_IR, chip_pending(&p->chip[1]) >= 0);
	int level = chip_pending(m) >= 0;
	if (level != p->intr_level) {
		p->intr_level = level;
		intr_set(&p->intr, level);
	}
}

void pic_set_irq(void *ctrl, unsigned irq, int level)
{
	struct pic *p = ctrl;

	if (irq >= 16)
		return;
	chip_input(&p->chip[irq >> 3], irq & 7, level);
	pic_update(p);
}

/* Acknowledges IR n: ISR (unless AEOI), and an edge request is consumed. */
static void chip_ack(struct pic_chip *c, unsigned n)
{
	uint8_t bit = 1u << n;

	if (c->aeoi) {
		if (c->rotate_aeoi)
			c->lowest = (uint8_t)n;
	} else {
		c->isr |= bit;
	}
	if (!(level_mask(c) & bit))
		c->irr &= ~bit;
}

/* One chip's answer to INTA, spurious IR7 when nothing is pending. */
static unsigned chip_intack(struct pic *p, struct pic_chip *c)
{
	int n = chip_pending(c);

	if (n < 0) {
		p->spurious++;
		return 7;
	}
	chip_ack(c, (unsigned)n);
	return (unsigned)n;
}

int pic_intr_ack(struct pic *p)
{
	struct pic_chip *m = &p->chip[0], *s = &p->chip[1];
	unsigned n = chip_intack(p, m);
	int vector;

	if (n == PIC_CASCADE_IR && !m->single)
		vector = s->vector_base + (int)chip_intack(p, s);
	else
		vector = m->vector_base + (int)n;
	pic_update(p);
	return vector;
}

static void chip_eoi(struct pic_chip *c, int n, bool rotate)
{
	if (n < 0)
		return;
	c->isr &= ~(1u << n);
	if (rotate)
		c->lowest = (uint8_t)n;
}

static void chip_ocw2(struct pic_chip *c, uint8_t v)
{
	unsigned level = v & 7;
	uint8_t in_service = c->smm ? c->isr & ~c->imr : c->isr;

	switch (v >> 5) {
	case 0: c->rotate_aeoi = false; break;
	case 4: c->rotate_aeoi = true; break;
	case 1: chip_eoi(c, highest(c, in_service), false); break;
	case 5: chip_eoi(c, highest(c, in_service), true); break;
	case 3: chip_eoi(c, (int)level, false); break;
	case 7: chip_eoi(c, (int)level, true); break;
	case 6: c->lowest = (uint8_t)level; break;
	default: break;
	}
}

static void chip_write(struct pic *p, struct pic_chip *c, unsigned a0, uint8_t v)
{
	if (a0 == 0 && (v & ICW1_INIT)) {
		chip_reset(c);
		c->icw4_needed = v & ICW1_IC4;
		c->single = v & ICW1_SNGL;
		c->ltim = v & ICW1_LTIM;
		/* Edge sense is reset: only a new rising edge requests again. */
		c->irr = c->lines & level_mask(c);
		c->init_step = 1;
	} else if (a0 == 0 && (v & OCW3_SEL)) {
		if (v & OCW3_ESMM)
			c->smm = v & OCW3_SMM;
		if (v & OCW3_RR)
			c->read_isr = v & OCW3_RIS;
		c->poll = v & OCW3_P;
	} else if (a0 == 0) {
		chip_ocw2(c, v);
	} else if (c->init_step == 1) {
		c->vector_base = v & 0xf8;
		c->init_step = c->single ? (c->icw4_needed ? 3 : 0)
					 : 2;
	} else if (c->init_step == 2) {
		c->icw3 = v;
		c->init_step = c->icw4_needed ? 3 : 0;
	} else if (c->init_step == 3) {
		c->aeoi = v & ICW4_AEOI;
		c->sfnm = v & ICW4_SFNM;
		c->init_step = 0;
	} else {
		c->imr = v;
	}
	pic_update(p);
}

/* A poll read is an INTA performed by the read itself. */
static uint8_t chip_poll(struct pic *p, struct pic_chip *c)
{
	int n = chip_pending(c);

	c->poll = false;
	if (n < 0)
		return 0;
	chip_ack(c, (unsigned)n);
	pic_update(p);
	return 0x80 | (uint8_t)n;
}

static uint8_t chip_read(struct pic *p, struct pic_chip *c, unsigned a0)
{
	if (c->poll)
		return chip_poll(p, c);
	if (a0)
		return c->imr;
	return c->read_isr ? c->isr : c->irr;
}

static uint32_t master_read(void *dev, uint32_t off, unsigned size)
{
	struct pic *p = dev;
	return chip_read(p, &p->chip[0], off);
}

static void master_write(void *dev, uint32_t off, unsigned size, uint32_t v)
{
	struct pic *p = dev;
	chip_write(p, &p->chip[0], off, (uint8_t)v);
}

static uint32_t slave_read(void *dev, uint32_t off, unsigned size)
{
	struct pic *p = dev;
	return chip_read(p, &p->chip[1], off);
}

static void slave_write(void *dev, uint32_t off, unsigned size, uint32_t v)
{
	struct pic *p = dev;
	chip_write(p, &p->chip[1], off, (uint8_t)v);
}

static uint32_t elcr_read(void *dev, uint32_t off, unsigned size)
{
	struct pic *p = dev;
	return p->chip[off].elcr;
}

static void elcr_write(void *dev, uint32_t off, unsigned size, uint32_t v)
{
	struct pic *p = dev;
	struct pic_chip *c = &p->chip[off];

	c->elcr = (uint8_t)v & c->elcr_mask;
	/* A line switched to level mode requests for as long as it is high. */
	c->irr = (c->irr & ~c->elcr) | (c->lines & c->elcr);
	pic_update(p);
}

static const struct bus_ops master_ops = { master_read, master_write };
static const struct bus_ops slave_ops = { slave_read, slave_write };
static const struct bus_ops elcr_ops = { elcr_read, elcr_write };

int pic_register(struct pic *p, struct bus *b, char *err, size_t errlen)
{
	if (bus_add_pio(b, "pic-master", 0x20, 2, BUS_1, &master_ops, p, err, errlen) ||
	    bus_add_pio(b, "pic-slave", 0xa0, 2, BUS_1, &slave_ops, p, err, errlen) ||
	    bus_add_pio(b, "elcr", 0x4d0, 2, BUS_1, &elcr_ops, p, err, errlen))
		return -1;
	return 0;
}

void pic_firmware_state(struct pic *p)
{
	static const uint8_t base[2] = { 0x08, 0x70 }, imr[2] = { 0xb8, 0x8e },
			     icw3[2] = { 0x04, 0x02 }, elcr[2] = { 0x00, 0x0c };

	for (unsigned i = 0; i < 2; i++) {
		struct pic_chip *c = &p->chip[i];
		chip_reset(c);
		c->vector_base = base[i];
		c->icw3 = icw3[i];
		c->icw4_needed = true;
		c->elcr = elcr[i];
		c->imr = imr[i];
		c->irr = c->lines & c->elcr;
	}
	pic_update(p);
}
