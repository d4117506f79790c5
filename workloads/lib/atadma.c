/*
 * Bus-master IDE DMA for the primary channel (SFF-8038i rev 1.0) and the
 * PCI configuration space access that finds it (PCI Local Bus spec 3.0,
 * 3.2.2.3.2: configuration mechanism #1 at 0xcf8/0xcfc).
 *
 * The IDE controller is the function of class 01h, subclass 01h; BAR4
 * holds the I/O base of its bus-master registers, as the firmware assigned
 * it. A transfer is described by a physical region descriptor table, one
 * PRD per 4 KiB page of the caller's buffer (the kernel's identity map
 * makes its addresses physical), and ends with IRQ14; the wait sleeps in
 * HLT between interrupts.
 */
#include "kernel.h"
#include "ata.h"

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_ENABLE (1u << 31)
#define PCI_ID 0x00
#define PCI_COMMAND 0x04
#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MASTER 0x4
#define PCI_CLASS 0x08
#define PCI_HEADER 0x0c
#define PCI_BUSES 0x18
#define PCI_BAR4 0x20

#define BM_COMMAND 0
#define BM_STATUS 2
#define BM_PRDT 4
#define BM_CMD_START 0x01
#define BM_CMD_TO_MEMORY 0x08
#define BM_ST_ERROR 0x02
#define BM_ST_IRQ 0x04

#define PRD_EOT 0x8000u
#define DMA_MAX_SECTORS 256
#define DMA_TIMEOUT_TICKS (5 * DEFAULT_HZ)

struct prd {
	uint32_t addr;
	uint16_t bytes;		/* 0 means 64 KiB */
	uint16_t flags;
};

/* One page, so the table never crosses the 64 KiB boundary it must not. */
static struct prd prdt[PAGE_SIZE / sizeof(struct prd)]
	__attribute__((aligned(PAGE_SIZE)));
static uint16_t bm_base;
static volatile int dma_irq;
uint32_t ata_irqs;

static uint32_t pci_addr(int bus, int dev, int fn, int off)
{
	return PCI_ENABLE | (uint32_t)bus << 16 | (uint32_t)dev << 11 |
	       (uint32_t)fn << 8 | (off & 0xfc);
}

uint32_t pci_read32(int bus, int dev, int fn, int off)
{
	outl(PCI_CONFIG_ADDRESS, pci_addr(bus, dev, fn, off));
	return inl(PCI_CONFIG_DATA);
}

void pci_write32(int bus, int dev, int fn, int off, uint32_t v)
{
	outl(PCI_CONFIG_ADDRESS, pci_addr(bus, dev, fn, off));
	outl(PCI_CONFIG_DATA, v);
}

/* Depth-first over bus 0 and every bus behind a PCI-to-PCI bridge. */
static int pci_scan(int bus, uint8_t cls, uint8_t sub, int *b, int *d, int *f,
		    int depth)
{
	int dev, fn, nfn;
	uint32_t class;

	for (dev = 0; dev < 32; dev++) {
		if ((pci_read32(bus, dev, 0, PCI_ID) & 0xffff) == 0xffff)
			continue;
		nfn = pci_read32(bus, dev, 0, PCI_HEADER) & 0x800000 ? 8 : 1;
		for (fn = 0; fn < nfn; fn++) {
			if ((pci_read32(bus, dev, fn, PCI_ID) & 0xffff) == 0xffff)
				continue;
			class = pci_read32(bus, dev, fn, PCI_CLASS) >> 16;
			if (class == ((uint32_t)cls << 8 | sub)) {
				*b = bus;
				*d = dev;
				*f = fn;
				return 0;
			}
			if (class == 0x0604 && depth < 8 &&
			    pci_scan((pci_read32(bus, dev, fn, PCI_BUSES) >> 8) & 0xff,
				     cls, sub, b, d, f, depth + 1) == 0)
				return 0;
		}
	}
	return -1;
}

int pci_find_class(uint8_t cls, uint8_t sub, int *bus, int *dev, int *fn)
{
	return pci_scan(0, cls, sub, bus, dev, fn, 0);
}

static int ide_irq(struct trapframe *tf)
{
	(void)tf;
	ata_irqs++;
	/* Reading the status register drops INTRQ. */
	inb(ATA_BASE + ATA_STATUS);
	dma_irq = 1;
	return 1;
}

int ata_dma_init(void)
{
	int bus, dev, fn;
	uint32_t bar, cmd;

	if (pci_find_class(0x01, 0x01, &bus, &dev, &fn))
		return -1;
	bar = pci_read32(bus, dev, fn, PCI_BAR4);
	if (!(bar & 1) || !(bar & 0xfffc))
		return -1;
	bm_base = (uint16_t)(bar & 0xfffc);
	cmd = pci_read32(bus, dev, fn, PCI_COMMAND);
	pci_write32(bus, dev, fn, PCI_COMMAND,
		    (cmd & 0xffff) | PCI_COMMAND_IO | PCI_COMMAND_MASTER);
	trap_set_hook(IRQ_BASE + IRQ_IDE0, ide_irq);
	irq_unmask(IRQ_IDE0);
	return 0;
}

static int dma_transfer(int to_memory, uint32_t lba, uint32_t count,
			void *const *pages)
{
	uint32_t bytes = count * ATA_SECTOR, i, n = 0, start;
	uint8_t st;
	int err = 0;

	for (i = 0; i < bytes; i += PAGE_SIZE, n++) {
		prdt[n].addr = (uint32_t)pages[n];
		prdt[n].bytes = (uint16_t)(bytes - i < PAGE_SIZE ? bytes - i : PAGE_SIZE);
		prdt[n].flags = 0;
	}
	prdt[n - 1].flags = PRD_EOT;

	outb(bm_base + BM_COMMAND, to_memory ? BM_CMD_TO_MEMORY : 0);
	outl(bm_base + BM_PRDT, (uint32_t)prdt);
	outb(bm_base + BM_STATUS, inb(bm_base + BM_STATUS) | BM_ST_ERROR | BM_ST_IRQ);
	outb(ATA_CTRL, 0);
	if (ata_wait(ATA_SR_DRDY, ATA_SR_DRDY))
		return -1;

	cli();
	dma_irq = 0;
	ata_command(to_memory ? ATA_CMD_READ_DMA : ATA_CMD_WRITE_DMA, lba, count);
	outb(bm_base + BM_COMMAND, (to_memory ? BM_CMD_TO_MEMORY : 0) | BM_CMD_START);
	start = ticks;
	while (!dma_irq && ticks - start < DMA_TIMEOUT_TICKS) {
		sti_hlt();
		cli();
	}
	sti();
	st = inb(bm_base + BM_STATUS);
	outb(bm_base + BM_COMMAND, to_memory ? BM_CMD_TO_MEMORY : 0);
	outb(bm_base + BM_STATUS, st | BM_ST_ERROR | BM_ST_IRQ);
	if (!dma_irq || (st & BM_ST_ERROR))
		err = -1;
	if (ata_wait(ATA_SR_DRQ, 0))
		err = -1;
	outb(ATA_CTRL, ATA_CTRL_NIEN);
	return err;
}

static int dma_chunks(int to_memory, uint32_t lba, uint32_t count,
		      void *const *pages)
{
	uint32_t n;

	if (!bm_base || !count || lba + count < lba || lba + count > (1u << 28))
		return -1;
	while (count) {
		n = count > DMA_MAX_SECTORS ? DMA_MAX_SECTORS : count;
		if (dma_transfer(to_memory, lba, n, pages))
			return -1;
		pages += n * ATA_SECTOR / PAGE_SIZE;
		lba += n;
		count -= n;
	}
	return 0;
}

int ata_dma_read(uint32_t lba, uint32_t count, void *const *pages)
{
	return dma_chunks(1, lba, count, pages);
}

int ata_dma_write(uint32_t lba, uint32_t count, void *const *pages)
{
	return dma_chunks(0, lba, count, pages);
}
