/*
 * Multiboot v1 loader for ELF32 kernels, after the Multiboot Specification
 * 0.6.96 (section 3.1 "OS image format", 3.2 "Machine state", 3.3 "Boot
 * information format") and the System V ABI ELF format (ELF header,
 * program headers).
 *
 * The loader places the kernel and everything a kernel finds at entry
 * exactly where QEMU's `pc` machine (QEMU 7.2, SeaBIOS 1.16, the
 * multiboot_dma option ROM) puts them for `qemu-system-i386 -kernel K.elf`,
 * so a guest that prints EBX, walks the memory map or dumps its GDT prints
 * the same lines on both. multiboot.c says what was measured and how.
 *
 * multiboot_load() writes guest RAM through phys_dma_write() and fills
 * a struct boot_state for the CPU; it returns 0, or -1 with one line
 * "PATH: reason" in err.
 */
#ifndef VMM_BOOT_MULTIBOOT_H
#define VMM_BOOT_MULTIBOOT_H

#include <stddef.h>
#include <stdint.h>

#include "core/mmu/phys.h"

/* Multiboot 0.6.96 section 3.1.1: the OS image header. */
#define MULTIBOOT_HEADER_MAGIC		0x1BADB002u
#define MULTIBOOT_BOOTLOADER_MAGIC	0x2BADB002u
#define MULTIBOOT_SEARCH		8192
#define MULTIBOOT_PAGE_ALIGN		0x00000001u
#define MULTIBOOT_MEMORY_INFO		0x00000002u
#define MULTIBOOT_VIDEO_MODE		0x00000004u
#define MULTIBOOT_AOUT_KLUDGE		0x00010000u

struct multiboot_header {
	uint32_t magic;
	uint32_t flags;
	uint32_t checksum;
	/* Valid with MULTIBOOT_AOUT_KLUDGE. */
	uint32_t header_addr;
	uint32_t load_addr;
	uint32_t load_end_addr;
	uint32_t bss_end_addr;
	uint32_t entry_addr;
};

/* Section 3.3: multiboot_info.flags bits. */
#define MULTIBOOT_INFO_MEMORY		0x00000001u
#define MULTIBOOT_INFO_BOOTDEV		0x00000002u
#define MULTIBOOT_INFO_CMDLINE		0x00000004u
#define MULTIBOOT_INFO_MODS		0x00000008u
#define MULTIBOOT_INFO_MEM_MAP		0x00000040u
#define MULTIBOOT_INFO_BOOT_LOADER_NAME	0x00000200u

/* Section 3.3, up to the VBE fields: the 88 bytes QEMU hands over. */
struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower;
	uint32_t mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count;
	uint32_t mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length;
	uint32_t mmap_addr;
	uint32_t drives_length;
	uint32_t drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
	uint32_t apm_table;
	uint32_t vbe_control_info;
	uint32_t vbe_mode_info;
	uint16_t vbe_mode;
	uint16_t vbe_interface_seg;
	uint16_t vbe_interface_off;
	uint16_t vbe_interface_len;
};

/* Section 3.3 "mmap_*": size excludes itself, mmap_addr points at it. */
#define MULTIBOOT_MEMORY_AVAILABLE	1
#define MULTIBOOT_MEMORY_RESERVED	2

struct multiboot_mmap_entry {
	uint32_t size;
	uint64_t addr;
	uint64_t len;
	uint32_t type;
} __attribute__((packed));

/* Where QEMU's loader and SeaBIOS leave things (measured, see multiboot.c). */
#define MB_MMAP_ADDR		0x9000u
#define MB_INFO_ADDR		0x9500u
#define MB_GDT_ADDR		0x000cb2b8u
#define MB_GDT_LIMIT		0x27u
#define MB_MIN_RAM		0x200000u

/* Register numbers as the SDM encodes them in ModR/M and in MOV Sreg. */
enum boot_gpr { BOOT_EAX, BOOT_ECX, BOOT_EDX, BOOT_EBX,
		BOOT_ESP, BOOT_EBP, BOOT_ESI, BOOT_EDI, BOOT_NGPR };
enum boot_sreg { BOOT_ES, BOOT_CS, BOOT_SS, BOOT_DS, BOOT_FS, BOOT_GS,
		 BOOT_NSREG };

/*
 * A segment register with its hidden part (SDM vol. 3 section 3.4.3):
 * limit is in bytes with the granularity already applied; access is
 * descriptor byte 5 (P, DPL, S, type) and flags the high nibble of byte 6
 * (G, D/B, L, AVL) in bits 3-0.
 */
struct boot_seg {
	uint16_t selector;
	uint32_t base;
	uint32_t limit;
	uint8_t access;
	uint8_t flags;
};

struct boot_dtr {
	uint32_t base;
	uint16_t limit;
};

/* The CPU state at the kernel's first instruction. */
struct boot_state {
	uint32_t eip;
	uint32_t gpr[BOOT_NGPR];
	uint32_t eflags;
	uint32_t cr0;
	struct boot_seg seg[BOOT_NSREG];
	struct boot_dtr gdtr, idtr;
};

/*
 * Loads the Multiboot kernel at path into mem's guest RAM with the command
 * line "PATH CMDLINE" (cmdline NULL as ""), as QEMU passes it, and fills
 * *out. 0, or -1 with "PATH: reason".
 */
int multiboot_load(struct phys *mem, const char *path, const char *cmdline,
		   struct boot_state *out, char *err, size_t errlen);
/* The same, with name instead of the path as the command line's first word. */
int multiboot_load_as(struct phys *mem, const char *path, const char *name, const char *cmdline,
		      struct boot_state *out, char *err, size_t errlen);

#endif
