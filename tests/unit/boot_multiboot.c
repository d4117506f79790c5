/*
 * Multiboot loader tests. Every kernel is an ELF file written here from C
 * structs into a temporary directory; the expected addresses and values are
 * those QEMU 7.2 showed for a probe kernel (see core/boot/firmware.c).
 *
 * phys.c belongs to vmm_cpu, which a boot_ test does not link: it is
 * compiled into this test by including it.
 */

#include <criterion/criterion.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/boot/multiboot.h"

#define MiB (1024u * 1024u)

struct kseg { uint32_t type, vaddr, paddr, filesz, memsz, flags; };

struct kspec {
	unsigned char cls, data;
	uint16_t type, machine;
	uint32_t entry;
	int nseg;
	struct kseg seg[4];
	int no_header;
	uint32_t mb_off, mb_flags, mb_bad_sum;
	uint32_t aout[5];
};

static char tmpdir[64];
static struct phys mem;

static void setup(void)
{
	char err[128];

	strcpy(tmpdir, "/tmp/t_boot_XXXXXX");
	cr_assert(mkdtemp(tmpdir));
	cr_assert_eq(phys_init(&mem, 64 * MiB, 0, err, sizeof(err)), 0, "%s", err);
}

static void teardown(void)
{
	char cmd[128];

	phys_free(&mem);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(boot_multiboot, .init = setup, .fini = teardown);

/* A higher-half kernel laid out as xv6's: text at 0x80100000 -> 0x100000. */
static struct kspec kspec_default(void)
{
	struct kspec s = {
		.cls = ELFCLASS32, .data = ELFDATA2LSB, .type = ET_EXEC,
		.machine = EM_386, .entry = 0x8010000c, .nseg = 2,
		.seg = {
			{ PT_LOAD, 0x80100000, 0x100000, 0x1800, 0x1800, PF_R | PF_X },
			{ PT_LOAD, 0x80102000, 0x102000, 0x100, 0x3000, PF_R | PF_W },
		},
		.mb_off = 0x1000, .mb_flags = MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO,
	};
	return s;
}

static uint8_t pattern(int seg, uint32_t i)
{
	return (uint8_t)(i * 13 + seg * 71 + 1);
}

static uint32_t seg_offset(const struct kspec *s, int n)
{
	uint32_t off = 0x1000;

	for (int i = 0; i < n; i++)
		off = (off + s->seg[i].filesz + 0xfff) & ~0xfffu;
	return off;
}

/* Builds the file image of s; the caller frees *out. */
static size_t kbuild(const struct kspec *s, uint8_t **out)
{
	size_t size = seg_offset(s, s->nseg - 1) + s->seg[s->nseg - 1].filesz;
	Elf32_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, s->cls, s->data, EV_CURRENT },
		.e_type = s->type, .e_machine = s->machine, .e_version = EV_CURRENT,
		.e_entry = s->entry, .e_phoff = sizeof(eh), .e_ehsize = sizeof(eh),
		.e_phentsize = sizeof(Elf32_Phdr), .e_phnum = (uint16_t)s->nseg,
	};
	uint32_t h[8] = { MULTIBOOT_HEADER_MAGIC, s->mb_flags,
			  -(MULTIBOOT_HEADER_MAGIC + s->mb_flags) + s->mb_bad_sum };
	uint8_t *f;

	if (!s->no_header && s->mb_off + sizeof(h) > size)
		size = s->mb_off + sizeof(h);
	f = calloc(1, size);
	cr_assert(f);
	memcpy(f, &eh, sizeof(eh));
	for (int i = 0; i < s->nseg; i++) {
		Elf32_Phdr ph = {
			.p_type = s->seg[i].type, .p_offset = seg_offset(s, i),
			.p_vaddr = s->seg[i].vaddr, .p_paddr = s->seg[i].paddr,
			.p_filesz = s->seg[i].filesz, .p_memsz = s->seg[i].memsz,
			.p_flags = s->seg[i].flags, .p_align = 0x1000,
		};
		memcpy(f + sizeof(eh) + i * sizeof(ph), &ph, sizeof(ph));
		for (uint32_t j = 0; j < ph.p_filesz; j++)
			f[ph.p_offset + j] = pattern(i, j);
	}
	memcpy(h + 3, s->aout, sizeof(s->aout));
	if (!s->no_header)
		memcpy(f + s->mb_off, h, sizeof(h));
	*out = f;
	return size;
}

static const char *kwrite_raw(const char *name, const void *buf, size_t len)
{
	static char paths[8][128];
	static int next;
	char *p = paths[next++ % 8];
	FILE *fp;

	snprintf(p, 128, "%s/%s", tmpdir, name);
	fp = fopen(p, "wb");
	cr_assert(fp);
	cr_assert_eq(fwrite(buf, 1, len, fp), len);
	cr_assert_eq(fclose(fp), 0);
	return p;
}

static const char *kwrite(const char *name, const struct kspec *s)
{
	uint8_t *f;
	size_t n = kbuild(s, &f);
	const char *p = kwrite_raw(name, f, n);

	free(f);
	return p;
}

static void expect_refusal(const char *path, const char *reason)
{
	char err[512] = "";
	struct boot_state st;
	size_t n = strlen(path);

	cr_assert_eq(multiboot_load(&mem, path, "x", &st, err, sizeof(err)), -1,
		     "accepted, wanted \"%s\"", reason);
	cr_assert(!strncmp(err, path, n) && err[n] == ':', "no file name: %s", err);
	cr_assert(strstr(err, reason), "wanted \"%s\", got: %s", reason, err);
	cr_assert(!strchr(err, '\n'), "more than one line: %s", err);
}

static void load_ok(struct phys *m, const char *path, const char *cmdline,
		    struct boot_state *st)
{
	char err[512] = "";

	cr_assert_eq(multiboot_load(m, path, cmdline, st, err, sizeof(err)), 0, "%s", err);
}

/* Loads the default kernel into m; returns its path. */
static const char *load_default(struct phys *m, const char *cmdline, struct boot_state *st)
{
	struct kspec s = kspec_default();
	const char *p = kwrite("k.elf", &s);

	load_ok(m, p, cmdline, st);
	return p;
}

/* Guest RAM is page-aligned host memory, so aligned reads are plain loads. */
#define RD32(m, pa) (*(const uint32_t *)((m)->ram + (pa)))
#define mbi_of(m) ((const struct multiboot_info *)((m)->ram + MB_INFO_ADDR))

/* Segments land at p_paddr, not p_vaddr, with the file's bytes. */
Test(boot_multiboot, segments_at_paddr)
{
	struct boot_state st;

	load_default(&mem, "", &st);
	cr_assert_eq(RD32(&mem, 0x100000), MULTIBOOT_HEADER_MAGIC);
	for (uint32_t j = 32; j < 0x1800; j++)
		cr_assert_eq(mem.ram[0x100000 + j], pattern(0, j), "text byte 0x%x", j);
	for (uint32_t j = 0; j < 0x100; j++)
		cr_assert_eq(mem.ram[0x102000 + j], pattern(1, j), "data byte 0x%x", j);
}

/* Bss and the gap between segments read zero even over stale RAM. */
Test(boot_multiboot, bss_zero_filled)
{
	struct boot_state st;

	memset(mem.ram + 0x100000, 0xaa, 0x10000);
	load_default(&mem, "", &st);
	for (uint32_t a = 0x102100; a < 0x105000; a++)
		cr_assert_eq(mem.ram[a], 0, "bss byte at 0x%x", a);
	for (uint32_t a = 0x101800; a < 0x102000; a++)
		cr_assert_eq(mem.ram[a], 0, "gap byte at 0x%x", a);
	cr_assert_eq(mem.ram[0x106000], 0xaa, "wrote past the command line page");
}

/* A variant of the default kernel that must load and start at entry. */
#define ACCEPT(name, entry, ...)					\
	Test(boot_multiboot, name)					\
	{								\
		struct kspec s = kspec_default();			\
		struct boot_state st;					\
		__VA_ARGS__;						\
		load_ok(&mem, kwrite("k.elf", &s), "", &st);		\
		cr_assert_eq(st.eip, entry);				\
		cr_assert_eq(st.gpr[BOOT_ECX], entry);			\
	}

/* A virtual e_entry in a PF_X segment is moved to its physical address. */
ACCEPT(entry_translated_like_qemu, 0x10000c, )
/* xv6's physical e_entry lies in no p_vaddr range and is kept. */
ACCEPT(entry_physical_kept, 0x100020, s.entry = 0x100020)
/* Bit 2 (video mode) is ignored, as QEMU ignores it. */
ACCEPT(video_flag_ignored, 0x10000c, s.mb_flags |= MULTIBOOT_VIDEO_MODE)
/* ld puts the headers of a text at 0x100800 at 0xff000, in the BIOS area: QEMU boots it. */
ACCEPT(header_segment_in_bios_area, 0x10080c,
       s.seg[0] = (struct kseg){ PT_LOAD, 0x100000, 0xff000, 0x94, 0x94, PF_R };
       s.seg[1] = (struct kseg){ PT_LOAD, 0x100800, 0x100800, 0xd90, 0x4e10, PF_R | PF_W | PF_X };
       s.entry = 0x10080c; s.mb_off = 0x1040)

/* Loads into a fresh guest of ram_mib and compares the map with want. */
static void check_map(uint32_t ram_mib, const uint64_t (*want)[3], int n,
		      uint32_t mem_upper, uint32_t edx)
{
	struct phys m;
	struct boot_state st;
	char err[128];

	cr_assert_eq(phys_init(&m, ram_mib * MiB, 0, err, sizeof(err)), 0, "%s", err);
	load_default(&m, "", &st);
	cr_assert_eq(mbi_of(&m)->mem_upper, mem_upper);
	cr_assert_eq(st.gpr[BOOT_EDX], edx);
	cr_assert_eq(mbi_of(&m)->mmap_addr, MB_MMAP_ADDR);
	cr_assert_eq(mbi_of(&m)->mmap_length, 24u * n);
	for (int i = 0; i < n; i++) {
		struct multiboot_mmap_entry e = { 20, want[i][0], want[i][1], (uint32_t)want[i][2] };

		cr_assert(!memcmp(m.ram + MB_MMAP_ADDR + 24 * i, &e, sizeof(e)), "map entry %d", i);
	}
	phys_free(&m);
}

/* The 64 MiB MBI and memory map match QEMU's, field by field. */
Test(boot_multiboot, mbi_64mib)
{
	static const uint64_t map[][3] = {
		{ 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xf0000, 0x10000, 2 },
		{ 0x100000, 0x3ee0000, 1 }, { 0x3fe0000, 0x20000, 2 },
		{ 0xfffc0000, 0x40000, 2 },
	};
	const struct multiboot_info *mbi = mbi_of(&mem);
	struct boot_state st;

	load_default(&mem, "a=1 b=2", &st);
	cr_assert_eq(st.gpr[BOOT_EBX], 0x9500);
	cr_assert_eq(mbi->flags, 0x24f);
	cr_assert_eq(mbi->mem_lower, 639);
	cr_assert_eq(mbi->boot_device, 0x8000ffff);
	cr_assert_eq(mbi->mods_count, 0);
	cr_assert_eq(mbi->mods_addr, 0x105000);
	cr_assert_eq(mbi->vbe_mode, 0);
	cr_assert_eq(mbi->drives_length, 0);
	check_map(64, map, 6, 64384, 0x00000511);
}

/* 512 MiB moves only mem_upper, the top reserve and EDX's high half. */
Test(boot_multiboot, mbi_512mib)
{
	static const uint64_t map[][3] = {
		{ 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xf0000, 0x10000, 2 },
		{ 0x100000, 0x1fee0000, 1 }, { 0x1ffe0000, 0x20000, 2 },
		{ 0xfffc0000, 0x40000, 2 },
	};

	check_map(512, map, 6, 523136, 0x00070511);
}

/* Past 3.5 GiB QEMU keeps 3 GiB low and maps the rest from 4 GiB. */
Test(boot_multiboot, mbi_3584mib_high_ram)
{
	static const uint64_t map[][3] = {
		{ 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xf0000, 0x10000, 2 },
		{ 0x100000, 0xbfee0000, 1 }, { 0xbffe0000, 0x20000, 2 },
		{ 0xfffc0000, 0x40000, 2 }, { 0x100000000ull, 0x20000000, 1 },
	};

	check_map(3584, map, 7, 0x2ffb80, 0x002f0511);
}

/* "PATH CMDLINE" after the page-aligned image, then "qemu"; no -append keeps the space. */
Test(boot_multiboot, cmdline_and_loader_name)
{
	const struct multiboot_info *mbi = mbi_of(&mem);
	struct boot_state st;
	char want[256];

	snprintf(want, sizeof(want), "%s a=1 b=2", load_default(&mem, "a=1 b=2", &st));
	cr_assert_eq(mbi->cmdline, 0x105000);
	cr_assert_str_eq((char *)mem.ram + mbi->cmdline, want);
	cr_assert_eq(mbi->boot_loader_name, 0x105000 + strlen(want) + 1);
	cr_assert_str_eq((char *)mem.ram + mbi->boot_loader_name, "qemu");
	snprintf(want, sizeof(want), "%s ", load_default(&mem, NULL, &st));
	cr_assert_str_eq((char *)mem.ram + mbi->cmdline, want);
	cr_assert_str_eq((char *)mem.ram + mbi->boot_loader_name, "qemu");
}

/* The image span counts from the lowest segment, not from a page boundary. */
Test(boot_multiboot, cmdline_after_unaligned_span)
{
	struct kspec s = kspec_default();
	struct boot_state st;

	s.seg[0] = (struct kseg){ PT_LOAD, 0x1ff800, 0x1ff800, 0x94, 0x94, PF_R };
	s.seg[1] = (struct kseg){ PT_LOAD, 0x200800, 0x200800, 0x130e5, 0x17165,
				  PF_R | PF_W | PF_X };
	s.entry = 0x20080c;
	s.mb_off = 0x1040;
	load_ok(&mem, kwrite("k.elf", &s), "xyz", &st);
	cr_assert_eq(mbi_of(&mem)->cmdline, 0x218800);
	cr_assert_eq(st.gpr[BOOT_EDI], 0x00f81f00);
	cr_assert_eq(st.eip, 0x20080c);
}

/* Registers, segments, and GDTR pointing at the GDT bytes QEMU's guest sees. */
Test(boot_multiboot, entry_state)
{
	static const uint8_t gdt[40] = {
		0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff, 0, 0, 0, 0x9a, 0xcf, 0,
		0xff, 0xff, 0, 0, 0, 0x93, 0xcf, 0,
		0xff, 0xff, 0, 0, 0, 0x9e, 0, 0,
		0xff, 0xff, 0, 0, 0, 0x92, 0, 0,
	};
	static const uint32_t gpr[BOOT_NGPR] = {
		[BOOT_EAX] = 0x2badb002, [BOOT_ECX] = 0x10000c, [BOOT_EDX] = 0x511,
		[BOOT_EBX] = 0x9500, [BOOT_ESP] = 0x6f08, [BOOT_EDI] = 0x1000,
	};
	struct boot_state st;

	load_default(&mem, "", &st);
	cr_assert_arr_eq(st.gpr, gpr, sizeof(gpr));
	cr_assert_eq(st.eflags, 0x6);
	cr_assert_eq(st.cr0, 0x11);
	for (int i = 0; i < BOOT_NSREG; i++) {
		cr_assert_eq(st.seg[i].selector, i == BOOT_CS ? 0x08 : 0x10, "sreg %d", i);
		cr_assert_eq(st.seg[i].access, i == BOOT_CS ? 0x9a : 0x93, "sreg %d", i);
		cr_assert_eq(st.seg[i].base, 0);
		cr_assert_eq(st.seg[i].limit, 0xffffffffu);
		cr_assert_eq(st.seg[i].flags, 0xc);
	}
	cr_assert_eq(st.gdtr.base, 0xcb2b8);
	cr_assert_eq(st.gdtr.limit, 0x27);
	cr_assert_arr_eq(mem.ram + st.gdtr.base, gdt, sizeof(gdt));
	cr_assert_eq(st.idtr.base, 0);
	cr_assert_eq(st.idtr.limit, 0x3ff);
}

/* BIOS data area fields and the EBDA size word as SeaBIOS leaves them. */
Test(boot_multiboot, bios_data_area)
{
	static const uint8_t want[21] = {
		0xf8, 0x03, 0, 0, 0, 0, 0, 0, 0x78, 0x03, 0, 0, 0, 0,
		0xc0, 0x9f, 0x27, 0x42, 0x00, 0x7f, 0x02,
	};
	struct boot_state st;

	load_default(&mem, "", &st);
	cr_assert_arr_eq(mem.ram + 0x400, want, sizeof(want));
	cr_assert_eq(mem.ram[0x9fc00], 1);
}

/* Bit 16: the address fields place the image, not the program headers. */
Test(boot_multiboot, aout_kludge_address_fields)
{
	struct kspec s = kspec_default();
	struct boot_state st;

	s.mb_flags |= MULTIBOOT_AOUT_KLUDGE;
	/* header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr */
	memcpy(s.aout, (uint32_t[5]){ 0x300000, 0x300000, 0x300800, 0x304000, 0x300040 },
	       sizeof(s.aout));
	memset(mem.ram + 0x300000, 0xaa, 0x8000);
	load_ok(&mem, kwrite("k.elf", &s), "", &st);
	cr_assert_eq(RD32(&mem, 0x300000), MULTIBOOT_HEADER_MAGIC);
	for (uint32_t j = 32; j < 0x800; j++)
		cr_assert_eq(mem.ram[0x300000 + j], pattern(0, j), "byte 0x%x", j);
	for (uint32_t a = 0x300800; a < 0x304000; a++)
		cr_assert_eq(mem.ram[a], 0, "bss byte at 0x%x", a);
	cr_assert_eq(RD32(&mem, 0x100000), 0, "program headers were used");
	cr_assert_eq(st.eip, 0x300040);
	cr_assert_eq(mbi_of(&mem)->cmdline, 0x304000);
}

/* A bad magic before a good header does not hide the good one. */
Test(boot_multiboot, header_after_bad_candidate)
{
	struct kspec s = kspec_default();
	uint8_t *f;
	size_t n = kbuild(&s, &f);
	struct boot_state st;

	memcpy(f + 0x100, (uint32_t[3]){ MULTIBOOT_HEADER_MAGIC, 0, 0 }, 12);
	load_ok(&mem, kwrite_raw("k.elf", f, n), "", &st);
	free(f);
}

/*
 * Refusals: a kernel that differs from the valid one in one field, and
 * the reason the message must give next to the file name.
 */
#define REFUSE(name, reason, ...)					\
	Test(boot_multiboot, refuse_##name)				\
	{								\
		struct kspec s = kspec_default();			\
		__VA_ARGS__;						\
		expect_refusal(kwrite("k.elf", &s), reason);		\
	}

/* A file that is not there is named with the system's reason. */
Test(boot_multiboot, refuse_missing_file)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/none.elf", tmpdir);
	expect_refusal(p, "No such file");
}

/* A directory (or FIFO, or device) is refused before any read. */
Test(boot_multiboot, refuse_directory)
{
	expect_refusal(tmpdir, "not a regular file");
}

/* A script is recognised as not ELF, not as a truncated ELF. */
Test(boot_multiboot, refuse_not_elf)
{
	static const char text[] = "#!/bin/sh\necho this is not a kernel\n";

	expect_refusal(kwrite_raw("k.sh", text, sizeof(text)), "not an ELF file");
	expect_refusal(kwrite_raw("k.elf", "", 0), "not an ELF file");
}

/* Cuts in the ELF header, the program headers and segment data each say so. */
Test(boot_multiboot, refuse_truncated)
{
	struct kspec s = kspec_default();
	uint8_t *f;
	size_t n = kbuild(&s, &f);

	expect_refusal(kwrite_raw("k.elf", f, 40), "truncated ELF header (40 of 52 bytes)");
	expect_refusal(kwrite_raw("k.elf", f, 100), "truncated: 2 program headers");
	expect_refusal(kwrite_raw("k.elf", f, n - 1), "truncated: segment 1");
	free(f);
}

/* ELF64 is refused even though its e_machine field would read as i386. */
REFUSE(elf64, "ELFCLASS64", s.cls = ELFCLASS64)
/* Big-endian data is refused rather than loaded byte-swapped. */
REFUSE(big_endian, "data encoding 2", s.data = ELFDATA2MSB)
/* An x86-64 ELF32 (x32) file is not an i386 kernel. */
REFUSE(wrong_machine, "wrong machine 62", s.machine = EM_X86_64)
/* A shared object has no fixed load address to honour. */
REFUSE(not_executable, "ET_EXEC", s.type = ET_DYN)
/* Without the magic the file is not a Multiboot kernel. */
REFUSE(no_multiboot_header, "no Multiboot header in the first 8192 bytes", s.no_header = 1)
/* magic + flags + checksum must sum to zero. */
REFUSE(bad_checksum, "bad Multiboot header checksum at offset 0x1000", s.mb_bad_sum = 1)
/* Required bit 3 is unknown to this loader, so the kernel must not boot. */
REFUSE(unsupported_flags, "unsupported features (flags 0x0000000b)", s.mb_flags |= 1u << 3)
/* Only PT_LOAD with a size loads anything. */
REFUSE(no_loadable_segment, "no loadable segment",
       s.seg[0].type = PT_NOTE; s.seg[1].memsz = s.seg[1].filesz = 0)
/* The ELF spec forbids file bytes beyond the memory image. */
REFUSE(filesz_above_memsz, "segment 1: p_filesz 0x100 exceeds p_memsz 0x80",
       s.seg[1].memsz = 0x80)
/* Two segments' file bytes cannot share memory. */
REFUSE(overlapping_segments, "segment 0 and segment 1 overlap at physical address 0x101000",
       s.seg[1].paddr = 0x101000)
/* One segment's zero fill over another's file bytes leaves the result to
 * the loader's order (QEMU and a byte-by-byte loader disagree): refused. */
REFUSE(bss_over_next_segment, "segment 0 and segment 1 overlap at physical address 0x102000",
       s.seg[0].memsz = 0x2800)
/* The last segment's bss runs past the end of 64 MiB of guest RAM. */
REFUSE(outside_guest_ram, "segment 1 at [0x3fff000, 0x4002000) is outside guest RAM",
       s.seg[1].paddr = 64 * MiB - 0x1000)
/* p_paddr + p_memsz wrapping past 4 GiB does not pass the RAM check. */
REFUSE(address_wrap, "outside guest RAM", s.seg[1].paddr = 0xfffff000)
/* The image would cover the memory map and MBI at 0x9000-0x9558. */
REFUSE(over_multiboot_info, "overlaps the Multiboot memory map and info structure",
       s.seg[0].paddr = 0x8000; s.seg[1].paddr = 0xa000; s.entry = 0x800c)
/* The image would cover the EBDA, whose size word the loader sets. */
REFUSE(over_ebda, "overlaps the extended BIOS data area at [0x9fc00, 0xa0000)",
       s.seg[0].paddr = 0x9e000; s.seg[1].paddr = 0xa0000; s.entry = 0x9e00c)
/* The image would overwrite the GDT that GDTR points at. */
REFUSE(over_gdt, "overlaps the boot GDT at [0xcb2b8, 0xcb2e0)",
       s.seg[0].paddr = 0xca000; s.seg[1].paddr = 0xcc000; s.entry = 0xca00c)
/* QEMU translates e_entry only through executable segments: not through data. */
REFUSE(entry_virtual_in_data, "entry point 0x80102010 is outside every loaded segment",
       s.entry = 0x80102010)
/* The entry point must be inside something that was loaded. */
REFUSE(entry_outside, "entry point 0x200000 is outside every loaded segment",
       s.entry = 0x200000)
/* With bit 16, header_addr - load_addr cannot reach before the file start. */
REFUSE(aout_header_before_file, "start the image before the file",
       s.mb_flags |= MULTIBOOT_AOUT_KLUDGE; s.aout[0] = 0x310000; s.aout[1] = 0x300000)

/* e_phnum = PN_XNUM puts the real count in section header 0; with no
 * section header table there is no count to trust. */
Test(boot_multiboot, refuse_pn_xnum_without_sections)
{
	struct kspec s = kspec_default();
	uint8_t *f;
	size_t n = kbuild(&s, &f);
	Elf32_Ehdr eh;

	memcpy(&eh, f, sizeof(eh));
	eh.e_phnum = PN_XNUM;
	eh.e_shoff = 0;
	eh.e_shnum = 0;
	memcpy(f, &eh, sizeof(eh));
	expect_refusal(kwrite_raw("x.elf", f, n), "PN_XNUM (0xffff) but no section header table");
	free(f);
}

/* QEMU stops looking at 8192 - 48, although the spec allows up to 8180. */
Test(boot_multiboot, refuse_header_past_qemu_bound)
{
	struct kspec s = kspec_default();
	struct boot_state st;

	s.seg[0].filesz = s.seg[0].memsz = 0x3000;
	s.seg[1].vaddr = 0x80104000;
	s.seg[1].paddr = 0x104000;
	s.mb_off = 8192 - 48;
	expect_refusal(kwrite("k.elf", &s), "no Multiboot header");
	s.mb_off -= 4;
	load_ok(&mem, kwrite("k.elf", &s), "", &st);
}

/* Too little RAM for QEMU's layout is refused, naming the kernel. */
Test(boot_multiboot, refuse_small_guest_ram)
{
	struct kspec s = kspec_default();
	char err[128];

	phys_free(&mem);
	cr_assert_eq(phys_init(&mem, 1 * MiB, 0, err, sizeof(err)), 0, "%s", err);
	expect_refusal(kwrite("k.elf", &s), "guest RAM of 1024 KiB");
}

/* Every strict truncation of a valid kernel cuts something it needs. */
Test(boot_multiboot, fuzz_truncation, .timeout = 120)
{
	struct kspec s = kspec_default();
	uint8_t *f;
	size_t n = kbuild(&s, &f);
	char err[512];
	struct boot_state st;

	for (size_t len = 0; len < n; len++) {
		const char *p = kwrite_raw("t.elf", f, len);

		err[0] = 0;
		cr_assert_eq(multiboot_load(&mem, p, "", &st, err, sizeof(err)), -1,
			     "accepted a kernel cut at %zu", len);
		cr_assert(!strncmp(err, p, strlen(p)) && !strchr(err, '\n'), "%s", err);
	}
	free(f);
}

/* Random bit flips in the ELF and Multiboot headers: a clean refusal or a sane load. */
Test(boot_multiboot, fuzz_flips, .timeout = 120)
{
	struct kspec s = kspec_default();
	uint8_t *f, *g;
	size_t n = kbuild(&s, &f);
	uint32_t seed = 12345, h[3];
	char err[512];
	struct boot_state st;

	g = malloc(n);
	for (int iter = 0; iter < 3000; iter++) {
		memcpy(g, f, n);
		for (int k = 0; k < 1 + iter % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			g[(iter & 2) ? 0x1000 + (seed >> 8) % 32 : (seed >> 8) % 0x74] ^=
				(uint8_t)(1u << ((seed >> 4) & 7));
		}
		/* Odd rounds take the a.out-kludge path with a valid checksum. */
		if (iter & 1) {
			memcpy(h, g + 0x1000, sizeof(h));
			h[1] |= MULTIBOOT_AOUT_KLUDGE;
			h[2] = -(h[0] + h[1]);
			memcpy(g + 0x1000, h, sizeof(h));
		}
		const char *p = kwrite_raw("f.elf", g, n);
		err[0] = 0;
		if (multiboot_load(&mem, p, "", &st, err, sizeof(err))) {
			cr_assert(!strncmp(err, p, strlen(p)) && !strchr(err, '\n'), "%s", err);
			continue;
		}
		cr_assert_lt(st.eip, mem.guest_size, "iteration %d", iter);
		cr_assert_eq(mbi_of(&mem)->flags, 0x24f, "iteration %d", iter);
	}
	free(g);
	free(f);
}
