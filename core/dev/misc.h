/*
 * Small ISA pieces of the PC: the POST code port 0x80, the PIIX "port 92"
 * (fast A20 and fast reset), an idle 8042 keyboard controller at
 * 0x60/0x64 and the IMCR at 0x22/0x23. See misc.c.
 */
#ifndef VMM_DEV_MISC_H
#define VMM_DEV_MISC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bus;

#define KBC_STAT_OBF	0x01
#define KBC_STAT_SYS	0x04
#define KBC_STAT_CMD	0x08
#define KBC_STAT_UNLOCK	0x10

struct misc {
	uint8_t post_code;	/* last byte written to port 0x80 */
	uint8_t port92;
	bool reset_requested;	/* port 0x92 bit 0 rising, or 8042 command 0xfe */
	uint8_t kbc_status, kbc_data, kbc_ccb, kbc_pending_cmd;
	bool a20;
	uint8_t imcr_select, imcr;	/* IMCR: register 0x70, bit 0 */
};

#define IMCR_SELECT_PORT	0x22
#define IMCR_DATA_PORT		0x23
#define IMCR_REG		0x70
#define IMCR_APIC		0x01	/* INTR and NMI through the APIC */

void misc_init(struct misc *m);
int misc_register(struct misc *m, struct bus *b, char *err, size_t errlen);

#endif
