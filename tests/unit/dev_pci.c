/* PCI configuration mechanism #1 and the i440FX/PIIX3 functions. */
#include <criterion/criterion.h>

#include "core/dev/bus.h"
#include "core/dev/pci.h"

static struct bus bus;
static struct pci_host pci;
static struct pci_function host, isa, ide;

static void setup(void)
{
	char err[128];

	bus_init(&bus);
	pci_host_init(&pci);
	pci_i440fx_init(&host);
	pci_piix3_isa_init(&isa);
	/* A stand-in for the IDE function, laid out as ide_dma.c does it. */
	pci_function_init(&ide, "piix3-ide", 0x8086, 0x7010, 0x01018000, 0);
	pci_set_io_bar(&ide, 4, 0xc040, 16);
	cr_assert_eq(pci_attach(&pci, 0, 0, &host, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(pci_attach(&pci, 1, 0, &isa, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(pci_attach(&pci, 1, 1, &ide, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(pci_host_register(&pci, &bus, err, sizeof(err)), 0, "%s", err);
}

static uint32_t cfg_read(unsigned dev, unsigned fn, unsigned reg)
{
	bus_pio_write(&bus, 0xcf8, 4, 0x80000000u | dev << 11 | fn << 8 | reg);
	return bus_pio_read(&bus, 0xcfc, 4);
}

static void cfg_write(unsigned dev, unsigned fn, unsigned reg, uint32_t v)
{
	bus_pio_write(&bus, 0xcf8, 4, 0x80000000u | dev << 11 | fn << 8 | reg);
	bus_pio_write(&bus, 0xcfc, 4, v);
}

TestSuite(pci, .init = setup);

/* A full scan of bus 0 finds exactly the three functions, all-ones elsewhere. */
Test(pci, enumeration)
{
	unsigned found = 0;

	for (unsigned dev = 0; dev < 32; dev++) {
		for (unsigned fn = 0; fn < 8; fn++) {
			uint32_t id = cfg_read(dev, fn, 0);
			if (id == 0xffffffff)
				continue;
			found++;
			if (dev == 0)
				cr_assert_eq(id, 0x12378086);
			else if (fn == 0)
				cr_assert_eq(id, 0x70008086);
			else
				cr_assert_eq(id, 0x70108086);
		}
	}
	cr_assert_eq(found, 3);
	cr_assert_eq(cfg_read(1, 1, 8), 0x01018000);
	cr_assert_eq(cfg_read(0, 0, 8), 0x06000002);
	cr_assert_eq(cfg_read(1, 0, 0x0c) >> 16 & 0xff, 0x80, "multi-function header");
	cr_assert_eq(cfg_read(1, 0, 0x60), 0x0b0b0a0a, "PIRQ routing as SeaBIOS leaves it");
}

/* BAR sizing: all-ones reads back the size mask, with the I/O bit. */
Test(pci, bar_sizing)
{
	cr_assert_eq(cfg_read(1, 1, 0x20), 0xc041);
	cfg_write(1, 1, 0x20, 0xffffffff);
	cr_assert_eq(cfg_read(1, 1, 0x20), 0xfffffff1);
	cfg_write(1, 1, 0x20, 0xc041);
	cr_assert_eq(cfg_read(1, 1, 0x20), 0xc041);
	cfg_write(1, 1, 0x10, 0xffffffff);
	cr_assert_eq(cfg_read(1, 1, 0x10), 0, "BAR0 is not implemented");
}

/* Read-only fields ignore writes; command keeps only its writable bits. */
Test(pci, read_only_fields)
{
	cfg_write(1, 1, 0, 0);
	cr_assert_eq(cfg_read(1, 1, 0), 0x70108086);
	cfg_write(1, 1, 4, 0xffffffff);
	cr_assert_eq(cfg_read(1, 1, 4) & 0xffff, 0x0507);
	cfg_write(1, 1, 8, 0);
	cr_assert_eq(cfg_read(1, 1, 8), 0x01018000);
}

/* Status error bits clear when a one is written to them. */
Test(pci, status_write_one_to_clear)
{
	host.cfg[PCI_STATUS + 1] = 0x20;	/* received master abort */
	cfg_write(0, 0, 4, 0x00000103);
	cr_assert_eq(cfg_read(0, 0, 4) >> 16, 0x2000, "a zero leaves it");
	cfg_write(0, 0, 4, 0x20000103);
	cr_assert_eq(cfg_read(0, 0, 4) >> 16, 0);
}

/* The data window takes bytes and words at any offset. */
Test(pci, sub_dword_access)
{
	bus_pio_write(&bus, 0xcf8, 4, 0x80000800);
	cr_assert_eq(bus_pio_read(&bus, 0xcff, 1), 0x70);
	cr_assert_eq(bus_pio_read(&bus, 0xcfe, 2), 0x7000);
	cr_assert_eq(bus_pio_read(&bus, 0xcfd, 2), 0x0080);
	bus_pio_write(&bus, 0xcf8, 4, 0x8000093c);
	bus_pio_write(&bus, 0xcfc, 1, 0x0e);
	cr_assert_eq(cfg_read(1, 1, 0x3c) & 0xff, 0x0e, "interrupt line is writable");
}

/* CONFIG_ADDRESS reads back; without the enable bit data reads all-ones. */
Test(pci, address_register)
{
	bus_pio_write(&bus, 0xcf8, 4, 0x12345678);
	cr_assert_eq(bus_pio_read(&bus, 0xcf8, 4), 0x12345678);
	bus_pio_write(&bus, 0xcf8, 4, 0x00000000);
	cr_assert_eq(bus_pio_read(&bus, 0xcfc, 4), 0xffffffff);
	bus_pio_write(&bus, 0xcf8, 4, 0x80010000);
	cr_assert_eq(bus_pio_read(&bus, 0xcfc, 4), 0xffffffff, "bus 1 is empty");
}

/* Two functions cannot share a slot. */
Test(pci, slot_taken)
{
	char err[128];
	struct pci_function other;

	pci_function_init(&other, "other", 0x1234, 0x1111, 0, 0);
	cr_assert_eq(pci_attach(&pci, 1, 1, &other, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "PCI slot 01.1 for other is invalid or taken");
}
