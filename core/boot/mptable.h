/*
 * MP tables (Intel MultiProcessor Specification 1.4, chapter 4) as
 * SeaBIOS builds them for QEMU's pc machine with one CPU. Private to
 * core/boot; see mptable.c for the measurements.
 */
#ifndef VMM_BOOT_MPTABLE_H
#define VMM_BOOT_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/mmu/phys.h"

/* Where SeaBIOS puts them under QEMU 7.2: in the BIOS area, back to back. */
#define MP_FLOATING_ADDR	0x000f5ba0u
#define MP_CONFIG_ADDR		0x000f5bb0u

#define MP_FLOATING_SIG		"_MP_"
#define MP_CONFIG_SIG		"PCMP"
#define MP_SPEC_REV		4		/* version 1.4 */
#define MP_IMCRP		0x80		/* feature byte 2: IMCR present */

/* Section 4.1, MP Floating Pointer Structure: 16 bytes. */
struct mp_floating {
	char signature[4];
	uint32_t physptr;
	uint8_t length;		/* in 16-byte units */
	uint8_t spec_rev;
	uint8_t checksum;
	uint8_t feature[5];
} __attribute__((packed));

/* Section 4.2, MP Configuration Table Header: 44 bytes. */
struct mp_config {
	char signature[4];
	uint16_t length;	/* base table, header included */
	uint8_t spec_rev;
	uint8_t checksum;
	char oem_id[8];
	char product_id[12];
	uint32_t oem_table;
	uint16_t oem_table_size;
	uint16_t entry_count;
	uint32_t lapic_addr;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

/* Section 4.3: entry types and the entries' layouts. */
enum {
	MP_PROCESSOR = 0, MP_BUS = 1, MP_IOAPIC = 2, MP_IOINTR = 3, MP_LINTR = 4,
};

#define MP_CPU_EN		0x01
#define MP_CPU_BP		0x02
#define MP_IOAPIC_EN		0x01

/* Interrupt types of I/O and local interrupt assignment entries. */
enum { MP_INT = 0, MP_NMI = 1, MP_SMI = 2, MP_EXTINT = 3 };

struct mp_processor {
	uint8_t type;
	uint8_t apic_id;
	uint8_t apic_version;
	uint8_t flags;
	uint32_t signature;
	uint32_t features;
	uint32_t reserved[2];
} __attribute__((packed));

struct mp_bus {
	uint8_t type;
	uint8_t bus_id;
	char bus_type[6];
} __attribute__((packed));

struct mp_ioapic {
	uint8_t type;
	uint8_t apic_id;
	uint8_t apic_version;
	uint8_t flags;
	uint32_t addr;
} __attribute__((packed));

/* Both I/O (type 3) and local (type 4) interrupt assignment entries. */
struct mp_intsrc {
	uint8_t type;
	uint8_t irq_type;
	uint16_t irq_flags;	/* polarity bits 0-1, trigger mode bits 2-3 */
	uint8_t src_bus;
	uint8_t src_irq;
	uint8_t dst_apic;
	uint8_t dst_pin;	/* INTIN# or LINTIN# */
} __attribute__((packed));

/*
 * The floating pointer followed by the configuration table, as they sit
 * in guest memory from MP_FLOATING_ADDR. Returns the size, or 0 if it
 * does not fit in len bytes.
 */
size_t mptable_build(uint8_t *buf, size_t len);

/* Writes them into guest RAM; -1 if guest RAM does not reach them. */
int mptable_install(struct phys *mem);

#endif
