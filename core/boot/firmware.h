/*
 * What QEMU's pc firmware leaves behind for a Multiboot kernel: the e820
 * memory map, the Multiboot information structure, the BIOS data area
 * fields, the option ROM's GDT and the CPU state at entry. Private to
 * core/boot; see firmware.c for the measurements behind every value.
 */
#ifndef VMM_BOOT_FIRMWARE_H
#define VMM_BOOT_FIRMWARE_H

#include <stdint.h>

#include "core/boot/multiboot.h"

#define FW_E820_MAX	8

struct fw_layout {
	uint32_t guest_size;
	uint32_t low_ram;		/* RAM QEMU maps below 4 GiB */
	uint64_t high_ram;		/* RAM QEMU maps from 4 GiB */
	struct multiboot_mmap_entry map[FW_E820_MAX];
	int nmap;
	uint32_t mem_lower, mem_upper;	/* KiB, as the option ROM computes them */
};

/* A range of guest RAM the loader itself fills in. */
struct fw_area {
	uint32_t start, end;
	const char *name;
};

extern const struct fw_area fw_areas[];
extern const int fw_nareas;

/* What the kernel loader decided, for the MBI and the entry registers. */
struct fw_handoff {
	uint32_t entry;
	uint32_t load_addr;		/* lowest loaded address (QEMU's mh_load_addr) */
	uint32_t cmdline;
	uint32_t boot_loader_name;
	uint32_t mods_addr;
};

/* -1 when guest_size is below MB_MIN_RAM. */
int fw_layout(uint32_t guest_size, struct fw_layout *l);

/*
 * What SeaBIOS writes at POST, before the option ROM copies the kernel
 * (which may then cover it, as on QEMU): the MP tables.
 */
int fw_install_tables(struct phys *mem);

/* Writes the map, the MBI, the BDA fields and the GDT; fills *out. */
int fw_install(struct phys *mem, const struct fw_layout *l,
	       const struct fw_handoff *h, struct boot_state *out);

#endif
