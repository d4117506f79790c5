/*
 * The I/O APIC of the pc (82093AA-compatible, MMIO at 0xfec00000, 24
 * pins). See ioapic.c for what is modelled.
 */
#ifndef VMM_DEV_IOAPIC_H
#define VMM_DEV_IOAPIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dev/lapic.h"

struct bus;

#define IOAPIC_BASE		0xfec00000u
#define IOAPIC_SIZE		0x1000u
#define IOAPIC_NPINS		24

/* Memory-mapped registers (82093AA datasheet section 3.0, QEMU's EOI). */
#define IOAPIC_IOREGSEL		0x00
#define IOAPIC_IOWIN		0x10
#define IOAPIC_EOI		0x40

/* Indirect registers. */
#define IOAPICID		0x00
#define IOAPICVER		0x01
#define IOAPICARB		0x02
#define IOREDTBL		0x10	/* pin n: 0x10 + 2n (low), 0x11 + 2n (high) */

/* Version register as QEMU 7.2 reads it: version 0x20, 24 entries. */
#define IOAPIC_VERSION		0x00170020u

/* Redirection table entry fields (82093AA section 3.2.4). */
#define IOART_VECTOR		0x000000ffull
#define IOART_DM_SHIFT		8
#define IOART_DM_MASK		0x00000700ull
#define IOART_DEST_LOGICAL	0x00000800ull
#define IOART_DELIVS		0x00001000ull	/* delivery status, read-only */
#define IOART_POLARITY_LOW	0x00002000ull
#define IOART_REM_IRR		0x00004000ull	/* remote IRR, read-only */
#define IOART_LEVEL		0x00008000ull
#define IOART_MASKED		0x00010000ull
#define IOART_DEST_SHIFT	56

struct ioapic {
	uint8_t id;
	uint8_t regsel;
	uint64_t redtbl[IOAPIC_NPINS];
	uint32_t irr;		/* requests latched or held on each pin */
	uint32_t levels;	/* current input levels */
	/* The APIC bus: a message to the local APIC(s). */
	bool (*deliver)(void *opaque, const struct apic_msg *m);
	void *deliver_opaque;
	uint64_t messages;
};

/* Reset state: ID 0, every pin masked (as SeaBIOS leaves it under QEMU). */
void ioapic_init(struct ioapic *io, bool (*deliver)(void *, const struct apic_msg *),
		 void *opaque);
int ioapic_register(struct ioapic *io, struct bus *b, char *err, size_t errlen);

/* An input pin's level (an irq_set_fn: ctrl is the struct ioapic). */
void ioapic_set_irq(void *ctrl, unsigned pin, int level);

/* A local APIC's EOI of a level-triggered vector clears remote IRR. */
void ioapic_eoi(void *ctrl, uint8_t vector);

#endif
