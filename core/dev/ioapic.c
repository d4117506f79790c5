/*
 * I/O APIC, after the Intel 82093AA datasheet (order 290566), with QEMU
 * 7.2's `ioapic` (version 0x20) as the oracle.
 *
 * Modelled: the indirect register window (IOREGSEL at 0x00, IOWIN at
 * 0x10), the ID (bits 24-27), version and arbitration registers, 24
 * redirection entries with vector, delivery mode, physical or logical
 * destination, mask, trigger mode and polarity (stored; every input is
 * active-high here, as ISA lines are), the read-only delivery status
 * (always 0: messages go out at once) and remote IRR, and the EOI
 * register at 0x40 that version 0x20 parts add. Edge-triggered pins
 * latch a rising edge only while unmasked (a masked edge is lost, as the
 * datasheet says) and send one message per edge. A level-triggered pin
 * sends a message while its input is high and remote IRR is clear, then
 * sets remote IRR until a local APIC broadcasts an EOI for its vector
 * (or the guest writes that vector to the EOI register); an input still
 * high then sends again. Unmasking a pin whose level is high sends.
 * Switching a pin to edge clears its remote IRR (QEMU does, and Linux
 * relies on it to clear a stuck remote IRR).
 *
 * What the QEMU probe showed: ID 0, version 0x00170020, arbitration
 * reading as the ID, every entry 0x00010000 00000000 (masked) after
 * SeaBIOS, IOREGSEL reading back its 8 bits, IOWIN reads narrower than
 * 32 bits returning 0, writes to the version and arbitration registers
 * ignored, an unknown register reading 0.
 *
 * How pins are wired is the board's business (pc.c): ISA IRQ n drives pin
 * n except IRQ0, which drives pin 2, as the MP table says.
 *
 * Not modelled: fixed vs lowest-priority arbitration among several local
 * APICs (one CPU: both go to it), SMI/NMI/INIT/ExtINT messages (counted
 * and dropped: the CPU has no such inputs, and no ExtINT source is wired
 * to a pin), active-low inputs, the 82093AA's serial APIC bus timing.
 */
#include "core/dev/ioapic.h"

#include <string.h>

#include "core/dev/bus.h"

#define IOART_RO_BITS	(IOART_DELIVS | IOART_REM_IRR)
/* Bits kept on a write: the whole entry but the read-only status bits. */
#define IOART_RW_BITS	(~IOART_RO_BITS)
#define IOAPIC_ID_MASK	0x0f

static void ioapic_send(struct ioapic *io, unsigned pin)
{
	uint64_t e = io->redtbl[pin];
	struct apic_msg m = {
		.vector = (uint8_t)(e & IOART_VECTOR),
		.delivery_mode = (uint8_t)((e & IOART_DM_MASK) >> IOART_DM_SHIFT),
		.dest = (uint8_t)(e >> IOART_DEST_SHIFT),
		.logical = e & IOART_DEST_LOGICAL,
		.level = e & IOART_LEVEL,
	};

	io->messages++;
	if (io->deliver)
		io->deliver(io->deliver_opaque, &m);
}

/* Sends what each pin has pending and is allowed to send. */
static void ioapic_service(struct ioapic *io)
{
	for (unsigned pin = 0; pin < IOAPIC_NPINS; pin++) {
		uint64_t *e = &io->redtbl[pin];

		if (!(io->irr & (1u << pin)) || (*e & IOART_MASKED))
			continue;
		if (*e & IOART_LEVEL) {
			/* The last message is still being serviced: wait for EOI. */
			if (*e & IOART_REM_IRR)
				continue;
			*e |= IOART_REM_IRR;
		} else {
			io->irr &= ~(1u << pin);
		}
		ioapic_send(io, pin);
	}
}

void ioapic_set_irq(void *ctrl, unsigned pin, int level)
{
	struct ioapic *io = ctrl;
	uint32_t bit = 1u << pin;
	bool rising;

	if (pin >= IOAPIC_NPINS)
		return;
	rising = level && !(io->levels & bit);
	if (level)
		io->levels |= bit;
	else
		io->levels &= ~bit;
	if (io->redtbl[pin] & IOART_LEVEL) {
		if (level)
			io->irr |= bit;
		else
			io->irr &= ~bit;
	} else if (rising) {
		if (io->redtbl[pin] & IOART_MASKED)
			return;
		io->irr |= bit;
	}
	ioapic_service(io);
}

void ioapic_eoi(void *ctrl, uint8_t vector)
{
	struct ioapic *io = ctrl;

	for (unsigned pin = 0; pin < IOAPIC_NPINS; pin++) {
		uint64_t *e = &io->redtbl[pin];

		if ((*e & IOART_VECTOR) == vector && (*e & IOART_LEVEL))
			*e &= ~IOART_REM_IRR;
	}
	ioapic_service(io);
}

static uint32_t ioapic_reg_read(const struct ioapic *io, uint8_t reg)
{
	unsigned pin = (unsigned)(reg - IOREDTBL) >> 1;

	switch (reg) {
	case IOAPICID:
	case IOAPICARB:
		return (uint32_t)io->id << 24;
	case IOAPICVER:
		return IOAPIC_VERSION;
	}
	if (reg < IOREDTBL || pin >= IOAPIC_NPINS)
		return 0;
	return (reg & 1) ? (uint32_t)(io->redtbl[pin] >> 32) : (uint32_t)io->redtbl[pin];
}

static void ioapic_reg_write(struct ioapic *io, uint8_t reg, uint32_t v)
{
	unsigned pin = (unsigned)(reg - IOREDTBL) >> 1;
	uint64_t e, ro;

	if (reg == IOAPICID) {
		io->id = (v >> 24) & IOAPIC_ID_MASK;
		return;
	}
	if (reg < IOREDTBL || pin >= IOAPIC_NPINS)
		return;
	e = io->redtbl[pin];
	ro = e & IOART_RO_BITS;
	if (reg & 1)
		e = (e & 0xffffffffull) | (uint64_t)v << 32;
	else
		e = (e & ~0xffffffffull) | v;
	e = (e & IOART_RW_BITS) | ro;
	if (!(e & IOART_LEVEL))
		e &= ~IOART_REM_IRR;
	io->redtbl[pin] = e;
	/* A level pin switched to level mode requests for as long as it is high. */
	if ((e & IOART_LEVEL) && (io->levels & (1u << pin)))
		io->irr |= 1u << pin;
	ioapic_service(io);
}

static uint32_t ioapic_read(void *dev, uint32_t off, unsigned size)
{
	struct ioapic *io = dev;

	if (off == IOAPIC_IOREGSEL)
		return io->regsel;
	if (off == IOAPIC_IOWIN && size == 4)
		return ioapic_reg_read(io, io->regsel);
	return 0;
}

static void ioapic_write(void *dev, uint32_t off, unsigned size, uint32_t v)
{
	struct ioapic *io = dev;

	if (off == IOAPIC_IOREGSEL)
		io->regsel = (uint8_t)v;
	else if (off == IOAPIC_IOWIN && size == 4)
		ioapic_reg_write(io, io->regsel, v);
	else if (off == IOAPIC_EOI && size == 4)
		ioapic_eoi(io, (uint8_t)v);
}

static const struct bus_ops ioapic_ops = { ioapic_read, ioapic_write };

void ioapic_init(struct ioapic *io, bool (*deliver)(void *, const struct apic_msg *),
		 void *opaque)
{
	memset(io, 0, sizeof(*io));
	for (unsigned pin = 0; pin < IOAPIC_NPINS; pin++)
		io->redtbl[pin] = IOART_MASKED;
	io->deliver = deliver;
	io->deliver_opaque = opaque;
}

int ioapic_register(struct ioapic *io, struct bus *b, char *err, size_t errlen)
{
	return bus_add_mmio(b, "ioapic", IOAPIC_BASE, IOAPIC_SIZE, BUS_1 | BUS_2 | BUS_4,
			    &ioapic_ops, io, err, errlen);
}
