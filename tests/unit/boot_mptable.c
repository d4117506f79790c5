/*
 * MP tables: QEMU's bytes, the checksums and layout the MP specification
 * 1.4 requires, and where the loader puts them. The expected image is the
 * dump a probe kernel printed under QEMU 7.2 (see core/boot/mptable.c).
 */
#include <criterion/criterion.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/boot/firmware.h"
#include "core/boot/mptable.h"
#include "core/boot/multiboot.h"

#define MiB (1024u * 1024u)

/* 0xf5ba0-0xf5c7f under `qemu-system-i386 -kernel probe.elf -m 64`. */
static const uint8_t qemu_image[] = {
	0x5f, 0x4d, 0x50, 0x5f, 0xb0, 0x5b, 0x0f, 0x00, 0x01, 0x04, 0x86, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x50, 0x43, 0x4d, 0x50, 0xd0, 0x00, 0x04, 0xf9, 0x42, 0x4f, 0x43, 0x48, 0x53, 0x43, 0x50, 0x55,
	0x30, 0x2e, 0x31, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x13, 0x00, 0x00, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x03,
	0x63, 0x06, 0x00, 0x00, 0xfd, 0xab, 0x81, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x50, 0x43, 0x49, 0x20, 0x20, 0x20, 0x01, 0x01, 0x49, 0x53, 0x41, 0x20, 0x20, 0x20,
	0x02, 0x00, 0x11, 0x01, 0x00, 0x00, 0xc0, 0xfe, 0x03, 0x00, 0x01, 0x00, 0x00, 0x04, 0x00, 0x09,
	0x03, 0x00, 0x01, 0x00, 0x00, 0x0c, 0x00, 0x0b, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x02,
	0x03, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x01, 0x03, 0x00, 0x00, 0x00, 0x01, 0x03, 0x00, 0x03,
	0x03, 0x00, 0x00, 0x00, 0x01, 0x04, 0x00, 0x04, 0x03, 0x00, 0x00, 0x00, 0x01, 0x06, 0x00, 0x06,
	0x03, 0x00, 0x00, 0x00, 0x01, 0x07, 0x00, 0x07, 0x03, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x08,
	0x03, 0x00, 0x00, 0x00, 0x01, 0x0c, 0x00, 0x0c, 0x03, 0x00, 0x00, 0x00, 0x01, 0x0d, 0x00, 0x0d,
	0x03, 0x00, 0x00, 0x00, 0x01, 0x0e, 0x00, 0x0e, 0x03, 0x00, 0x00, 0x00, 0x01, 0x0f, 0x00, 0x0f,
	0x04, 0x03, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x04, 0x01, 0x00, 0x00, 0x01, 0x00, 0xff, 0x01,
};

static uint8_t img[1024];
static size_t img_len;
static struct phys mem;

static void setup(void)
{
	char err[128];

	img_len = mptable_build(img, sizeof(img));
	cr_assert_eq(phys_init(&mem, 64 * MiB, 0, err, sizeof(err)), 0, "%s", err);
}

static void teardown(void)
{
	phys_free(&mem);
}

TestSuite(boot_mptable, .init = setup, .fini = teardown);

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

static const struct mp_config *config(void)
{
	return (const struct mp_config *)(img + (MP_CONFIG_ADDR - MP_FLOATING_ADDR));
}

/* The image is QEMU's byte for byte: a parser prints the same lines. */
Test(boot_mptable, qemu_bytes)
{
	cr_assert_eq(img_len, sizeof(qemu_image));
	for (size_t i = 0; i < sizeof(qemu_image); i++)
		cr_assert_eq(img[i], qemu_image[i], "byte %#zx: %#x, QEMU %#x",
			     MP_FLOATING_ADDR + i, img[i], qemu_image[i]);
}

/* Both checksums make their structure sum to 0 (MP spec 4.1 and 4.2). */
Test(boot_mptable, checksums)
{
	const struct mp_config *c = config();

	cr_assert_eq(sum(img, sizeof(struct mp_floating)), 0, "floating pointer");
	cr_assert_eq(sum((const uint8_t *)c, c->length), 0, "base table");
	cr_assert_eq(c->ext_length, 0);
	cr_assert_eq(c->ext_checksum, 0, "an empty extended table sums to 0");
}

/* The floating pointer points at "PCMP" right behind it; IMCRP is clear. */
Test(boot_mptable, floating_pointer)
{
	const struct mp_floating *fp = (const struct mp_floating *)img;

	cr_assert(!memcmp(fp->signature, "_MP_", 4));
	cr_assert_eq(fp->physptr, MP_CONFIG_ADDR);
	cr_assert_eq(fp->length, 1, "one 16-byte paragraph");
	cr_assert_eq(fp->spec_rev, 4);
	cr_assert_eq(fp->feature[0], 0, "0: a configuration table is present");
	cr_assert_eq(fp->feature[1] & MP_IMCRP, 0, "virtual wire mode, as QEMU");
	cr_assert(!memcmp(config()->signature, "PCMP", 4));
}

/* Walking entries by their type's size visits entry_count entries and
 * ends exactly at the table's length, with QEMU's mix of types. */
Test(boot_mptable, entry_walk)
{
	const struct mp_config *c = config();
	const uint8_t *p = (const uint8_t *)(c + 1), *end = (const uint8_t *)c + c->length;
	unsigned n[5] = { 0 }, total = 0;

	while (p < end) {
		cr_assert_leq(*p, MP_LINTR, "unknown entry type %u", *p);
		n[*p]++;
		total++;
		p += *p == MP_PROCESSOR ? sizeof(struct mp_processor) : 8;
	}
	cr_assert_eq(p, end);
	cr_assert_eq(total, c->entry_count);
	cr_assert_eq(n[MP_PROCESSOR], 1);
	cr_assert_eq(n[MP_BUS], 2);
	cr_assert_eq(n[MP_IOAPIC], 1);
	cr_assert_eq(n[MP_IOINTR], 13);
	cr_assert_eq(n[MP_LINTR], 2);
	cr_assert_eq(c->lapic_addr, 0xfee00000u);
}

/* The boot CPU, the I/O APIC, and ISA IRQ0 on INTIN2 with no IRQ2 entry. */
Test(boot_mptable, entry_contents)
{
	const uint8_t *base = (const uint8_t *)(config() + 1);
	const struct mp_processor *cpu = (const void *)base;
	const struct mp_ioapic *io = (const void *)(base + 20 + 16);
	const struct mp_intsrc *irq = (const void *)(base + 20 + 16 + 8);
	int isa_pin[16];

	cr_assert_eq(cpu->apic_id, 0);
	cr_assert_eq(cpu->flags, MP_CPU_EN | MP_CPU_BP);
	cr_assert_eq(io->type, MP_IOAPIC);
	cr_assert_eq(io->addr, 0xfec00000u);
	cr_assert_eq(io->flags, MP_IOAPIC_EN);
	for (int i = 0; i < 16; i++)
		isa_pin[i] = -1;
	for (int i = 0; i < 13; i++)
		if (irq[i].src_bus == 1)
			isa_pin[irq[i].src_irq] = irq[i].dst_pin;
	cr_assert_eq(isa_pin[0], 2, "IRQ0 is an override onto INTIN2");
	cr_assert_eq(isa_pin[2], -1, "the cascade has no entry");
	cr_assert_eq(isa_pin[4], 4);
	cr_assert_eq(isa_pin[14], 14);
	cr_assert_eq(isa_pin[9], -1, "IRQ9 is PCI-routed, not listed as ISA");
	cr_assert_eq(irq[13].irq_type, MP_EXTINT);
	cr_assert_eq(irq[13].dst_pin, 0, "ExtINT on LINTIN0");
	cr_assert_eq(irq[14].irq_type, MP_NMI);
	cr_assert_eq(irq[14].dst_apic, 0xff, "NMI to every local APIC");
	cr_assert_eq(irq[14].dst_pin, 1);
}

/* A buffer too small for the image is refused, not overrun. */
Test(boot_mptable, short_buffer)
{
	uint8_t small[64];

	cr_assert_eq(mptable_build(small, sizeof(small)), 0);
}

/* The search of MP spec section 4 finds exactly one pointer in guest RAM,
 * in a range the e820 map reserves. */
Test(boot_mptable, guest_search)
{
	struct fw_layout l;
	uint32_t found = 0, hits = 0;
	uint8_t page[16];

	cr_assert_eq(fw_install_tables(&mem), 0);
	for (uint32_t a = 0xf0000; a < 0x100000; a += 16) {
		cr_assert_eq(phys_dma_read(&mem, a, page, 16), 0);
		if (!memcmp(page, "_MP_", 4) && !sum(page, 16)) {
			found = a;
			hits++;
		}
	}
	cr_assert_eq(hits, 1);
	cr_assert_eq(found, MP_FLOATING_ADDR);
	cr_assert_eq(fw_layout(mem.guest_size, &l), 0);
	bool reserved = false;
	for (int i = 0; i < l.nmap; i++)
		if (l.map[i].addr <= MP_FLOATING_ADDR &&
		    MP_FLOATING_ADDR + img_len <= l.map[i].addr + l.map[i].len)
			reserved = l.map[i].type == MULTIBOOT_MEMORY_RESERVED;
	cr_assert(reserved, "the tables lie in a reserved e820 range");
}

/* A one-segment Multiboot kernel at paddr, memsz bytes of zeros. */
static void write_kernel(const char *path, uint32_t paddr, uint32_t memsz)
{
	struct {
		Elf32_Ehdr eh;
		Elf32_Phdr ph;
		uint32_t mb[3];
	} __attribute__((packed)) k;
	FILE *f = fopen(path, "wb");

	memset(&k, 0, sizeof(k));
	memcpy(k.eh.e_ident, ELFMAG, SELFMAG);
	k.eh.e_ident[EI_CLASS] = ELFCLASS32;
	k.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	k.eh.e_ident[EI_VERSION] = EV_CURRENT;
	k.eh.e_type = ET_EXEC;
	k.eh.e_machine = EM_386;
	k.eh.e_version = EV_CURRENT;
	k.eh.e_entry = paddr;
	k.eh.e_phoff = sizeof(k.eh);
	k.eh.e_ehsize = sizeof(k.eh);
	k.eh.e_phentsize = sizeof(k.ph);
	k.eh.e_phnum = 1;
	k.ph.p_type = PT_LOAD;
	k.ph.p_offset = 0;
	k.ph.p_vaddr = k.ph.p_paddr = paddr;
	k.ph.p_filesz = sizeof(k);
	k.ph.p_memsz = memsz;
	k.ph.p_flags = PF_R | PF_X;
	k.mb[0] = MULTIBOOT_HEADER_MAGIC;
	k.mb[2] = -MULTIBOOT_HEADER_MAGIC;
	cr_assert(f);
	cr_assert_eq(fwrite(&k, sizeof(k), 1, f), 1);
	fclose(f);
}

static void load(uint32_t paddr, uint32_t memsz)
{
	char path[] = "/tmp/t_mptable_XXXXXX", err[256];
	struct boot_state bs;
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	close(fd);
	write_kernel(path, paddr, memsz);
	cr_assert_eq(multiboot_load(&mem, path, NULL, &bs, err, sizeof(err)), 0, "%s", err);
	unlink(path);
}

/* A kernel at 1 MiB leaves QEMU's tables in place. */
Test(boot_mptable, loaded_with_kernel)
{
	uint8_t got[sizeof(qemu_image)];

	load(0x100000, 0x1000);
	cr_assert_eq(phys_dma_read(&mem, MP_FLOATING_ADDR, got, sizeof(got)), 0);
	cr_assert(!memcmp(got, qemu_image, sizeof(got)));
}

/* An image over the BIOS area covers the tables: QEMU copies the kernel
 * after SeaBIOS wrote them, and so does the loader. */
Test(boot_mptable, kernel_covers_tables)
{
	uint8_t got[16];

	load(0xf5000, 0x2000);
	cr_assert_eq(phys_dma_read(&mem, MP_FLOATING_ADDR, got, sizeof(got)), 0);
	cr_assert(memcmp(got, "_MP_", 4), "the kernel's zeros, not the pointer");
}
