/*
 * Intel 8259A programmable interrupt controller pair as wired in a PC:
 * master at 0x20-0x21, slave at 0xa0-0xa1 cascaded on the master's IR2,
 * plus the PIIX edge/level control registers (ELCR) at 0x4d0-0x4d1.
 * See pic.c for what is modelled.
 */
#ifndef VMM_DEV_PIC_H
#define VMM_DEV_PIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dev/irq.h"

struct bus;

/* One 8259A; field names follow the datasheet's ICW/OCW descriptions. */
struct pic_chip {
	uint8_t irr, isr, imr;
	uint8_t lines;		/* current levels of IR0-IR7 */
	uint8_t elcr, elcr_mask;
	uint8_t vector_base;	/* ICW2 T7-T3 */
	uint8_t icw3;
	uint8_t lowest;		/* IR with the lowest priority (rotation) */
	uint8_t init_step;	/* 0: operational; 1-3: expecting ICW2-ICW4 */
	bool icw4_needed, single, ltim;
	bool aeoi, sfnm;	/* ICW4 AEOI and special fully nested mode */
	bool rotate_aeoi;
	bool read_isr, poll, smm;
	bool master;
};

struct pic {
	struct pic_chip chip[2];	/* [0] master, [1] slave */
	struct intr_pin intr;
	int intr_level;
	uint64_t spurious;	/* INTA cycles answered with IR7/IR15 */
};

void pic_init(struct pic *p, const struct intr_pin *intr);

/* 0x20-0x21, 0xa0-0xa1 and 0x4d0-0x4d1. */
int pic_register(struct pic *p, struct bus *b, char *err, size_t errlen);

/* An irq_set_fn for irq 0-15: ctrl is the struct pic. */
void pic_set_irq(void *ctrl, unsigned irq, int level);

/* The INTA cycle: acknowledges the highest pending request, returns its vector. */
int pic_intr_ack(struct pic *p);

/*
 * Puts the pair in the state SeaBIOS leaves before it starts a kernel
 * under QEMU (vector bases 0x08/0x70, masks 0xb8/0x8e, ELCR 0x00/0x0c).
 */
void pic_firmware_state(struct pic *p);

#endif
