/*
 * PCI configuration mechanism #1 and the i440FX/PIIX3 bridge functions,
 * after the PCI Local Bus Specification 2.1 (section 3.7.4.1 for the
 * 0xcf8/0xcfc mechanism, section 6 for the header) and what QEMU 7.2's pc
 * machine shows once SeaBIOS has run (probed with a guest kernel):
 *
 *   00:00.0 8086:1237 rev 02 class 060000, command 0x0103
 *   00:01.0 8086:7000 rev 00 class 060100, header type 0x80, command
 *           0x0103, status 0x0200; PIRQ routing 0x60-0x63 = 0a 0a 0b 0b
 *   every function: subsystem 1af4:1100; writable command bits 0x0507
 *
 * Modelled: CONFIG_ADDRESS readback, data accesses of any size at any
 * offset of 0xcfc-0xcff, all-ones for absent functions and for cycles
 * with the enable bit clear or on another bus, per-byte write masks (read-
 * only fields ignore writes), write-one-to-clear status bits, BAR sizing.
 * QEMU's other pc functions (00:01.3 ACPI, 00:02.0 VGA, 00:03.0 NIC) are
 * absent here, as are type-1 configuration cycles to other buses.
 */
#include "core/dev/pci.h"

#include <stdio.h>
#include <string.h>

#include "core/dev/bus.h"

void pci_host_init(struct pci_host *h)
{
	memset(h, 0, sizeof(*h));
}

uint16_t pci_cfg_read16(const struct pci_function *f, unsigned reg)
{
	return (uint16_t)(f->cfg[reg] | f->cfg[reg + 1] << 8);
}

uint32_t pci_cfg_read32(const struct pci_function *f, unsigned reg)
{
	return (uint32_t)pci_cfg_read16(f, reg) | (uint32_t)pci_cfg_read16(f, reg + 2) << 16;
}

static void put(uint8_t *a, unsigned reg, unsigned size, uint32_t v)
{
	for (unsigned i = 0; i < size; i++)
		a[reg + i] = (uint8_t)(v >> (8 * i));
}

void pci_function_init(struct pci_function *f, const char *name, uint16_t vendor,
		       uint16_t device, uint32_t class_rev, uint8_t header_type)
{
	memset(f, 0, sizeof(*f));
	f->name = name;
	put(f->cfg, PCI_VENDOR_ID, 2, vendor);
	put(f->cfg, PCI_DEVICE_ID, 2, device);
	put(f->cfg, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_SERR);
	put(f->cfg, PCI_CLASS_REVISION, 4, class_rev);
	f->cfg[PCI_HEADER_TYPE] = header_type;
	put(f->cfg, PCI_SUBSYSTEM_VENDOR_ID, 4, 0x11001af4);
	put(f->wmask, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
	    PCI_COMMAND_MASTER | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
	/* Status error bits are cleared by writing ones (PCI 2.1, 6.2.3). */
	put(f->w1cmask, PCI_STATUS, 2, 0xf900);
	f->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	f->wmask[PCI_LATENCY_TIMER] = 0xff;
	f->wmask[PCI_INTERRUPT_LINE] = 0xff;
}

void pci_set_io_bar(struct pci_function *f, unsigned bar, uint32_t base, uint32_t size)
{
	unsigned reg = PCI_BAR0 + 4 * bar;

	put(f->cfg, reg, 4, (base & ~(size - 1)) | PCI_BAR_IO);
	put(f->wmask, reg, 4, ~(size - 1) & ~3u);
}

static struct pci_function *lookup(struct pci_host *h, unsigned dev, unsigned fn)
{
	return dev < 32 && fn < 8 ? h->fn[dev][fn] : NULL;
}

uint32_t pci_config_read(struct pci_host *h, unsigned dev, unsigned fn, unsigned reg,
			 unsigned size)
{
	struct pci_function *f = lookup(h, dev, fn);
	uint32_t v = 0;

	if (!f)
		return 0xffffffffu >> (32 - 8 * size);
	for (unsigned i = 0; i < size && reg + i < 256; i++)
		v |= (uint32_t)f->cfg[reg + i] << (8 * i);
	return v;
}

void pci_config_write(struct pci_host *h, unsigned dev, unsigned fn, unsigned reg,
		      unsigned size, uint32_t value)
{
	struct pci_function *f = lookup(h, dev, fn);

	if (!f)
		return;
	for (unsigned i = 0; i < size && reg + i < 256; i++) {
		uint8_t v = (uint8_t)(value >> (8 * i)), *b = &f->cfg[reg + i];
		*b = (uint8_t)((*b & ~f->wmask[reg + i]) | (v & f->wmask[reg + i]));
		*b &= ~(v & f->w1cmask[reg + i]);
	}
	if (f->written)
		f->written(f->opaque, reg, size);
}

static bool decode(const struct pci_host *h, unsigned *dev, unsigned *fn)
{
	if (!(h->addr & PCI_CONFIG_ENABLE) || ((h->addr >> 16) & 0xff) != 0)
		return false;
	*dev = (h->addr >> 11) & 31;
	*fn = (h->addr >> 8) & 7;
	return true;
}

static uint32_t addr_read(void *dev, uint32_t off, unsigned size)
{
	struct pci_host *h = dev;
	return h->addr;
}

static void addr_write(void *dev, uint32_t off, unsigned size, uint32_t value)
{
	struct pci_host *h = dev;
	h->addr = value;
}

static uint32_t data_read(void *opaque, uint32_t off, unsigned size)
{
	struct pci_host *h = opaque;
	unsigned dev, fn;

	if (!decode(h, &dev, &fn))
		return 0xffffffffu >> (32 - 8 * size);
	return pci_config_read(h, dev, fn, (h->addr & 0xfc) + off, size);
}

static void data_write(void *opaque, uint32_t off, unsigned size, uint32_t value)
{
	struct pci_host *h = opaque;
	unsigned dev, fn;

	if (decode(h, &dev, &fn))
		pci_config_write(h, dev, fn, (h->addr & 0xfc) + off, size, value);
}

static const struct bus_ops addr_ops = { addr_read, addr_write };
static const struct bus_ops data_ops = { data_read, data_write };

int pci_host_register(struct pci_host *h, struct bus *b, char *err, size_t errlen)
{
	if (bus_add_pio(b, "pci-addr", 0xcf8, 4, BUS_4, &addr_ops, h, err, errlen) ||
	    bus_add_pio(b, "pci-data", 0xcfc, 4, BUS_1 | BUS_2 | BUS_4, &data_ops, h,
			err, errlen))
		return -1;
	return 0;
}

int pci_attach(struct pci_host *h, unsigned dev, unsigned fn, struct pci_function *f,
	       char *err, size_t errlen)
{
	if (dev >= 32 || fn >= 8 || h->fn[dev][fn]) {
		snprintf(err, errlen, "PCI slot %02x.%x for %s is invalid or taken", dev, fn,
			 f->name);
		return -1;
	}
	h->fn[dev][fn] = f;
	return 0;
}

void pci_i440fx_init(struct pci_function *f)
{
	pci_function_init(f, "i440fx", 0x8086, 0x1237, 0x06000002, 0x00);
}

void pci_piix3_isa_init(struct pci_function *f)
{
	static const struct { uint8_t reg, val; } snapshot[] = {
		{ 0x4c, 0x4d }, { 0x4e, 0x03 }, { 0x60, 0x0a }, { 0x61, 0x0a },
		{ 0x62, 0x0b }, { 0x63, 0x0b }, { 0x69, 0x02 }, { 0x70, 0x80 },
		{ 0x76, 0x0c }, { 0x77, 0x0c }, { 0x78, 0x02 }, { 0xa0, 0x08 },
		{ 0xa8, 0x0f },
	};

	pci_function_init(f, "piix3-isa", 0x8086, 0x7000, 0x06010000, 0x80);
	put(f->cfg, PCI_STATUS, 2, 0x0200);
	for (size_t i = 0; i < sizeof(snapshot) / sizeof(snapshot[0]); i++)
		f->cfg[snapshot[i].reg] = snapshot[i].val;
	/* PIRQRC[A:D]: IRQ routing, bit 7 disables; bits 6:4 are reserved. */
	for (unsigned r = 0x60; r <= 0x63; r++)
		f->wmask[r] = 0x8f;
}
