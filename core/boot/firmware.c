/*
 * The firmware side of a Multiboot boot on QEMU's pc machine, replicated:
 * what SeaBIOS 1.16 and QEMU 7.2's multiboot_dma option ROM leave in guest
 * RAM and in the CPU when `qemu-system-i386 -kernel K.elf` starts a kernel.
 *
 * Modelled (every value measured with a probe kernel whose entry stub saves
 * the registers before touching them, run as `qemu-system-i386 -kernel
 * probe.elf -append "a=1 b=2" -nographic -no-reboot -m M -device
 * isa-debug-exit,iobase=0xf4,iosize=4` for M = 2..3584 MiB):
 *
 *  - e820 memory map at 0x9000, 20-byte entries (size field 20, stride 24),
 *    mmap_length = 24 * entries, in this order:
 *      [0, 0x9fc00) available           [0x9fc00, 0xa0000) reserved (EBDA)
 *      [0xf0000, 0x100000) reserved     [1 MiB, L - 128 KiB) available
 *      [L - 128 KiB, L) reserved        [0xfffc0000, 4 GiB) reserved
 *      [4 GiB, 4 GiB + H) available, only when H > 0
 *    where L is the RAM QEMU maps below 4 GiB (all of it under 3.5 GiB,
 *    else 3 GiB) and H the rest. -m 64: six entries, 0x100000 + 0x3ee0000.
 *  - Multiboot info at 0x9500 (Multiboot 0.6.96 section 3.3): flags 0x24f
 *    (mem, boot_device, cmdline, mods, mmap, boot_loader_name), mem_lower
 *    639 (INT 12h: the EBDA takes the top KiB), mem_upper the KiB of
 *    available RAM contiguous from 1 MiB (64 MiB: 64384; 128: 130944;
 *    512: 523136), boot_device 0x8000ffff, mods_count 0, mods_addr =
 *    cmdline, mmap_addr 0x9000, every other field 0.
 *  - BIOS data area: COM1-4 at 0x400 = 0x3f8, 0, 0, 0; LPT1-3 at 0x408 =
 *    0x378, 0, 0; EBDA segment at 0x40e = 0x9fc0; equipment word at 0x410
 *    = 0x4227 (floppy, FPU, PS/2 mouse, 80x25 colour, one serial port, one
 *    parallel port); base memory at 0x413 = 639 KiB; the EBDA's first word
 *    (its size in KiB) = 1. Video, keyboard and timer-tick fields are not
 *    replicated: they belong to devices vmmsim lacks or change with time.
 *  - The option ROM's GDT at 0xcb2b8, limit 0x27: null, 0x08 flat 32-bit
 *    code (0x9a), 0x10 flat 32-bit data (0x93: loading DS set its accessed
 *    bit in RAM), 0x18 16-bit code, 0x20 16-bit data. Its address follows
 *    from SeaBIOS placing option ROMs after the VGA BIOS and the NIC's iPXE
 *    ROM: -nic none moves it to 0xca2b8, -vga none to 0xc12b8 (and clears
 *    the equipment word's video bits); vmmsim matches the default machine.
 *  - Entry registers: EAX 0x2badb002, EBX 0x9500, ECX the entry point
 *    (the ROM jumps through it), EDX 0x0511 (the fw_cfg data port) under
 *    the high half of mem_upper (left from storing it), ESI 0, EDI the load
 *    address byte-swapped (the fw_cfg DMA descriptor's big-endian address),
 *    EBP 0, ESP 0x6f08 (SeaBIOS's boot stack), EFLAGS 0x6, CR0 0x11 (PE,
 *    ET), CS 0x08, DS ES FS GS SS 0x10, GDTR as above, IDTR base 0 limit
 *    0x3ff (the real-mode IVT), LDTR and TR 0.
 *
 *  - The MP floating pointer and configuration table in the BIOS area at
 *    0xf5ba0 (mptable.c), inside the map's reserved [0xf0000, 1 MiB).
 *
 * Not modelled: the IVT, the BIOS code, ACPI/SMBIOS tables, the option
 * ROM's stack contents, and heap bytes QEMU leaves between the end of the
 * kernel and the command line page (vmmsim leaves zeros there).
 */
#include "core/boot/firmware.h"

#include <string.h>

#include "core/boot/mptable.h"

_Static_assert(sizeof(struct multiboot_info) == 88, "MBI is 88 bytes in QEMU");
_Static_assert(sizeof(struct multiboot_mmap_entry) == 24, "mmap entry stride");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "guest structures are written in host byte order");

#define FW_LOWMEM_LIMIT		0xe0000000u	/* max_ram_below_4g */
#define FW_LOWMEM_SPLIT		0xc0000000u	/* gigabyte-aligned split */
#define FW_EBDA_ADDR		0x9fc00u
#define FW_EBDA_KIB		1u
#define FW_BASE_MEM_KIB		(FW_EBDA_ADDR >> 10)
#define FW_HIGH_TABLES		0x20000u	/* SeaBIOS's reserve at top of RAM */
#define FW_BIOS_FLASH		0xfffc0000u
#define FW_MMAP_ENTRY_SIZE	20u
#define FW_BOOT_DEVICE		0x8000ffffu
#define FW_FWCFG_DATA_PORT	0x0511u
#define FW_BOOT_ESP		0x6f08u
#define FW_EFLAGS		0x00000006u
#define FW_CR0			0x00000011u
#define FW_CODE_SEL		0x08u
#define FW_DATA_SEL		0x10u

/*
 * What the image must not cover: QEMU copies the kernel last, so over the
 * MBI it would leave the kernel a broken one, and vmmsim's own writes
 * here must not land in the kernel either. Other firmware areas (the VGA
 * window, the BIOS at 0xf0000, SeaBIOS's tables below the top of RAM) are
 * left to the kernel as QEMU leaves them: linkers put ELF headers there.
 */
const struct fw_area fw_areas[] = {
	{ 0x00000, 0x00500, "the real-mode IVT and BIOS data area" },
	{ MB_MMAP_ADDR, MB_INFO_ADDR + sizeof(struct multiboot_info),
	  "the Multiboot memory map and info structure" },
	{ FW_EBDA_ADDR, 0xa0000, "the extended BIOS data area" },
	{ MB_GDT_ADDR, MB_GDT_ADDR + MB_GDT_LIMIT + 1, "the boot GDT" },
};
const int fw_nareas = sizeof(fw_areas) / sizeof(fw_areas[0]);

static const uint64_t fw_gdt[] = {
	0x0000000000000000ull,
	0x00cf9a000000ffffull,
	0x00cf93000000ffffull,
	0x00009e000000ffffull,
	0x000092000000ffffull,
};
_Static_assert(sizeof(fw_gdt) == MB_GDT_LIMIT + 1, "GDT limit");

static void fw_map_add(struct fw_layout *l, uint64_t addr, uint64_t len, uint32_t type)
{
	struct multiboot_mmap_entry *e = &l->map[l->nmap++];

	e->size = FW_MMAP_ENTRY_SIZE;
	e->addr = addr;
	e->len = len;
	e->type = type;
}

/*
 * mem_upper as the option ROM computes it: grow a range from 1 MiB through
 * every available entry below 4 GiB that contains its end, restarting the
 * scan after each growth because the map need not be sorted.
 */
static uint32_t fw_mem_upper(const struct fw_layout *l)
{
	uint64_t top = 0x100000;
	int i = 0;

	while (i < l->nmap) {
		const struct multiboot_mmap_entry *e = &l->map[i];

		if (e->type == MULTIBOOT_MEMORY_AVAILABLE && e->addr < (1ull << 32) &&
		    e->addr <= top && top < e->addr + e->len) {
			top = e->addr + e->len;
			i = 0;
			continue;
		}
		i++;
	}
	return (uint32_t)((top - 0x100000) >> 10);
}

int fw_layout(uint32_t guest_size, struct fw_layout *l)
{
	memset(l, 0, sizeof(*l));
	if (guest_size < MB_MIN_RAM)
		return -1;
	l->guest_size = guest_size;
	if (guest_size >= FW_LOWMEM_LIMIT) {
		l->low_ram = FW_LOWMEM_SPLIT;
		l->high_ram = guest_size - FW_LOWMEM_SPLIT;
	} else {
		l->low_ram = guest_size;
	}
	fw_map_add(l, 0, FW_EBDA_ADDR, MULTIBOOT_MEMORY_AVAILABLE);
	fw_map_add(l, FW_EBDA_ADDR, 0xa0000 - FW_EBDA_ADDR, MULTIBOOT_MEMORY_RESERVED);
	fw_map_add(l, 0xf0000, 0x10000, MULTIBOOT_MEMORY_RESERVED);
	fw_map_add(l, 0x100000, l->low_ram - FW_HIGH_TABLES - 0x100000,
		   MULTIBOOT_MEMORY_AVAILABLE);
	fw_map_add(l, l->low_ram - FW_HIGH_TABLES, FW_HIGH_TABLES,
		   MULTIBOOT_MEMORY_RESERVED);
	fw_map_add(l, FW_BIOS_FLASH, (1ull << 32) - FW_BIOS_FLASH,
		   MULTIBOOT_MEMORY_RESERVED);
	if (l->high_ram)
		fw_map_add(l, 1ull << 32, l->high_ram, MULTIBOOT_MEMORY_AVAILABLE);
	l->mem_lower = FW_BASE_MEM_KIB;
	l->mem_upper = fw_mem_upper(l);
	return 0;
}

static int fw_put16(struct phys *mem, uint32_t pa, uint16_t v)
{
	return phys_dma_write(mem, pa, &v, sizeof(v));
}

static int fw_write_bda(struct phys *mem)
{
	static const uint16_t com[4] = { 0x3f8, 0, 0, 0 };
	static const uint16_t lpt[3] = { 0x378, 0, 0 };
	uint16_t equipment = 0x4227;
	int rc = 0;

	rc |= phys_dma_write(mem, 0x400, com, sizeof(com));
	rc |= phys_dma_write(mem, 0x408, lpt, sizeof(lpt));
	rc |= fw_put16(mem, 0x40e, FW_EBDA_ADDR >> 4);
	rc |= fw_put16(mem, 0x410, equipment);
	rc |= fw_put16(mem, 0x413, FW_BASE_MEM_KIB);
	rc |= fw_put16(mem, FW_EBDA_ADDR, FW_EBDA_KIB);
	return rc;
}

static void fw_seg(struct boot_seg *s, uint16_t sel, uint8_t access)
{
	s->selector = sel;
	s->base = 0;
	s->limit = 0xffffffffu;
	s->access = access;
	s->flags = 0xc;
}

static void fw_entry_state(const struct fw_layout *l, const struct fw_handoff *h,
			   struct boot_state *out)
{
	memset(out, 0, sizeof(*out));
	out->eip = h->entry;
	out->gpr[BOOT_EAX] = MULTIBOOT_BOOTLOADER_MAGIC;
	out->gpr[BOOT_EBX] = MB_INFO_ADDR;
	out->gpr[BOOT_ECX] = h->entry;
	out->gpr[BOOT_EDX] = (l->mem_upper & 0xffff0000u) | FW_FWCFG_DATA_PORT;
	out->gpr[BOOT_ESP] = FW_BOOT_ESP;
	out->gpr[BOOT_EDI] = __builtin_bswap32(h->load_addr);
	out->eflags = FW_EFLAGS;
	out->cr0 = FW_CR0;
	for (int i = 0; i < BOOT_NSREG; i++)
		fw_seg(&out->seg[i], FW_DATA_SEL, (uint8_t)(fw_gdt[2] >> 40));
	fw_seg(&out->seg[BOOT_CS], FW_CODE_SEL, (uint8_t)(fw_gdt[1] >> 40));
	out->gdtr.base = MB_GDT_ADDR;
	out->gdtr.limit = MB_GDT_LIMIT;
	out->idtr.base = 0;
	out->idtr.limit = 0x3ff;
}

int fw_install_tables(struct phys *mem)
{
	return mptable_install(mem);
}

int fw_install(struct phys *mem, const struct fw_layout *l,
	       const struct fw_handoff *h, struct boot_state *out)
{
	struct multiboot_info mbi;
	int rc = 0;

	memset(&mbi, 0, sizeof(mbi));
	mbi.flags = MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_BOOTDEV |
		    MULTIBOOT_INFO_CMDLINE | MULTIBOOT_INFO_MODS |
		    MULTIBOOT_INFO_MEM_MAP | MULTIBOOT_INFO_BOOT_LOADER_NAME;
	mbi.mem_lower = l->mem_lower;
	mbi.mem_upper = l->mem_upper;
	mbi.boot_device = FW_BOOT_DEVICE;
	mbi.cmdline = h->cmdline;
	mbi.mods_count = 0;
	mbi.mods_addr = h->mods_addr;
	mbi.mmap_length = (uint32_t)(l->nmap * sizeof(l->map[0]));
	mbi.mmap_addr = MB_MMAP_ADDR;
	mbi.boot_loader_name = h->boot_loader_name;

	rc |= phys_dma_write(mem, MB_MMAP_ADDR, l->map, mbi.mmap_length);
	rc |= phys_dma_write(mem, MB_INFO_ADDR, &mbi, sizeof(mbi));
	rc |= phys_dma_write(mem, MB_GDT_ADDR, fw_gdt, sizeof(fw_gdt));
	rc |= fw_write_bda(mem);
	if (rc)
		return -1;
	fw_entry_state(l, h, out);
	return 0;
}
