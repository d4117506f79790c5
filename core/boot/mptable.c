/*
 * The MP tables of QEMU's pc machine, after the Intel MultiProcessor
 * Specification 1.4 (chapter 4: floating pointer, configuration table
 * header, processor, bus, I/O APIC, I/O and local interrupt assignment
 * entries), written byte for byte as SeaBIOS 1.16 leaves them under QEMU
 * 7.2 with one CPU, so a kernel that searches and parses them (xv6's and
 * JOS's mp.c, Linux's mpparse) finds the same machine on both.
 *
 * What the probe showed (a kernel scanning the EBDA, the last KiB of base
 * memory and 0xf0000-0xfffff as the specification's section 4 says, then
 * dumping what it found; the same for -m 2 to 3072):
 *
 *  - No "_MP_" in the EBDA or at the top of base memory; one in the BIOS
 *    area at 0xf5ba0: physical pointer 0xf5bb0, length 1, revision 4,
 *    feature bytes all 0 (a configuration table is present; IMCRP clear,
 *    i.e. virtual wire mode, no IMCR).
 *  - "PCMP" at 0xf5bb0: base length 0xd0, revision 4, OEM "BOCHSCPU",
 *    product "0.1" padded with spaces, no OEM table, 19 entries, local
 *    APIC at 0xfee00000, no extended entries (length and checksum 0).
 *  - Processor: APIC ID 0, version 0x14, enabled and BSP, signature 0x663
 *    and feature flags 0x0781abfd (what SeaBIOS read from CPUID on QEMU's
 *    default qemu32 CPU; kept so the table is QEMU's byte for byte).
 *  - Buses: 0 "PCI   ", 1 "ISA   ".
 *  - I/O APIC: ID 0, version 0x11, enabled, at 0xfec00000.
 *  - I/O interrupts, type INT: PCI bus 0 device 1 INTA# -> INTIN9 and
 *    device 3 INTA# -> INTIN11, polarity flag 1 (active high); ISA IRQs
 *    0 -> INTIN2 and 1, 3, 4, 6, 7, 8, 12, 13, 14, 15 -> the same pin,
 *    flags 0 (conforming). IRQ2 (the cascade) and the PCI-routable IRQs
 *    5, 9, 10 and 11 have no ISA entry.
 *  - Local interrupts: ExtINT from ISA bus IRQ 0 to APIC 0 LINTIN0; NMI to
 *    every APIC (0xff) LINTIN1.
 *
 * The two PCI entries describe the ACPI function at 00:01.3 and the NIC at
 * 00:03.0 of QEMU's default machine; vmmsim has neither device, so nothing
 * ever raises those pins, and the table stays QEMU's.
 */
#include "core/boot/mptable.h"

#include <string.h>

_Static_assert(sizeof(struct mp_floating) == 16, "MP spec table 4-1");
_Static_assert(sizeof(struct mp_config) == 44, "MP spec table 4-2");
_Static_assert(sizeof(struct mp_processor) == 20, "MP spec table 4-4");
_Static_assert(sizeof(struct mp_bus) == 8, "MP spec table 4-6");
_Static_assert(sizeof(struct mp_ioapic) == 8, "MP spec table 4-8");
_Static_assert(sizeof(struct mp_intsrc) == 8, "MP spec tables 4-10, 4-12");

#define MP_LAPIC_ADDR		0xfee00000u
#define MP_IOAPIC_ADDR		0xfec00000u
#define MP_LAPIC_VERSION	0x14
#define MP_IOAPIC_VERSION	0x11
#define MP_IOAPIC_ID		0
#define MP_CPU_SIGNATURE	0x00000663u
#define MP_CPU_FEATURES		0x0781abfdu
#define MP_BUS_PCI		0
#define MP_BUS_ISA		1
#define MP_POLARITY_HIGH	0x0001
#define MP_ALL_APICS		0xff
/* A PCI source IRQ: device number in bits 2-6, INTx# pin in bits 0-1. */
#define MP_PCI_IRQ(dev, pin)	(uint8_t)((dev) << 2 | (pin))

static const struct mp_bus mp_buses[] = {
	{ MP_BUS, MP_BUS_PCI, "PCI   " },
	{ MP_BUS, MP_BUS_ISA, "ISA   " },
};

static const struct mp_intsrc mp_pci_irqs[] = {
	{ MP_IOINTR, MP_INT, MP_POLARITY_HIGH, MP_BUS_PCI, MP_PCI_IRQ(1, 0), MP_IOAPIC_ID, 9 },
	{ MP_IOINTR, MP_INT, MP_POLARITY_HIGH, MP_BUS_PCI, MP_PCI_IRQ(3, 0), MP_IOAPIC_ID, 11 },
};

static const uint8_t mp_isa_irqs[] = { 0, 1, 3, 4, 6, 7, 8, 12, 13, 14, 15 };

static const struct mp_intsrc mp_local_irqs[] = {
	{ MP_LINTR, MP_EXTINT, 0, MP_BUS_ISA, 0, 0, 0 },
	{ MP_LINTR, MP_NMI, 0, MP_BUS_ISA, 0, MP_ALL_APICS, 1 },
};

static uint8_t mp_checksum(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	while (n--)
		sum += *p++;
	return (uint8_t)-sum;
}

/* Appends one entry; the caller sized the buffer. */
static size_t mp_put(uint8_t *buf, size_t at, const void *entry, size_t n, uint16_t *count)
{
	memcpy(buf + at, entry, n);
	(*count)++;
	return at + n;
}

static size_t mp_entries(uint8_t *buf, size_t at, uint16_t *count)
{
	const struct mp_processor cpu = {
		.type = MP_PROCESSOR, .apic_id = 0, .apic_version = MP_LAPIC_VERSION,
		.flags = MP_CPU_EN | MP_CPU_BP, .signature = MP_CPU_SIGNATURE,
		.features = MP_CPU_FEATURES,
	};
	const struct mp_ioapic ioapic = {
		.type = MP_IOAPIC, .apic_id = MP_IOAPIC_ID, .apic_version = MP_IOAPIC_VERSION,
		.flags = MP_IOAPIC_EN, .addr = MP_IOAPIC_ADDR,
	};

	at = mp_put(buf, at, &cpu, sizeof(cpu), count);
	for (size_t i = 0; i < sizeof(mp_buses) / sizeof(mp_buses[0]); i++)
		at = mp_put(buf, at, &mp_buses[i], sizeof(mp_buses[i]), count);
	at = mp_put(buf, at, &ioapic, sizeof(ioapic), count);
	for (size_t i = 0; i < sizeof(mp_pci_irqs) / sizeof(mp_pci_irqs[0]); i++)
		at = mp_put(buf, at, &mp_pci_irqs[i], sizeof(mp_pci_irqs[i]), count);
	for (size_t i = 0; i < sizeof(mp_isa_irqs); i++) {
		uint8_t irq = mp_isa_irqs[i];
		struct mp_intsrc e = {
			.type = MP_IOINTR, .irq_type = MP_INT, .src_bus = MP_BUS_ISA,
			.src_irq = irq, .dst_apic = MP_IOAPIC_ID, .dst_pin = irq ? irq : 2,
		};
		at = mp_put(buf, at, &e, sizeof(e), count);
	}
	for (size_t i = 0; i < sizeof(mp_local_irqs) / sizeof(mp_local_irqs[0]); i++)
		at = mp_put(buf, at, &mp_local_irqs[i], sizeof(mp_local_irqs[i]), count);
	return at;
}

/* Upper bound of the whole image: the header plus every entry. */
#define MP_IMAGE_MAX	(sizeof(struct mp_floating) + sizeof(struct mp_config) + \
			 sizeof(struct mp_processor) + sizeof(mp_buses) + \
			 sizeof(struct mp_ioapic) + sizeof(mp_pci_irqs) + \
			 sizeof(mp_isa_irqs) * sizeof(struct mp_intsrc) + sizeof(mp_local_irqs))

size_t mptable_build(uint8_t *buf, size_t len)
{
	struct mp_floating fp = { .signature = MP_FLOATING_SIG };
	struct mp_config hdr = { .signature = MP_CONFIG_SIG };
	size_t cfg_at = MP_CONFIG_ADDR - MP_FLOATING_ADDR, end;
	uint16_t count = 0;

	_Static_assert(MP_CONFIG_ADDR - MP_FLOATING_ADDR == sizeof(struct mp_floating),
		       "the table follows the floating pointer");
	if (len < MP_IMAGE_MAX)
		return 0;
	memset(buf, 0, MP_IMAGE_MAX);
	end = mp_entries(buf, cfg_at + sizeof(hdr), &count);

	hdr.length = (uint16_t)(end - cfg_at);
	hdr.spec_rev = MP_SPEC_REV;
	memcpy(hdr.oem_id, "BOCHSCPU", sizeof(hdr.oem_id));
	memcpy(hdr.product_id, "0.1         ", sizeof(hdr.product_id));
	hdr.entry_count = count;
	hdr.lapic_addr = MP_LAPIC_ADDR;
	memcpy(buf + cfg_at, &hdr, sizeof(hdr));
	buf[cfg_at + offsetof(struct mp_config, checksum)] = mp_checksum(buf + cfg_at, hdr.length);

	fp.physptr = MP_CONFIG_ADDR;
	fp.length = sizeof(fp) / 16;
	fp.spec_rev = MP_SPEC_REV;
	fp.checksum = mp_checksum((const uint8_t *)&fp, sizeof(fp));
	memcpy(buf, &fp, sizeof(fp));
	return end;
}

int mptable_install(struct phys *mem)
{
	uint8_t buf[MP_IMAGE_MAX];
	size_t n = mptable_build(buf, sizeof(buf));

	if (!n)
		return -1;
	return phys_dma_write(mem, MP_FLOATING_ADDR, buf, (uint32_t)n);
}
