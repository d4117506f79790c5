/*
 * The PIIX3 IDE function (00:01.1) and its bus-master DMA engine, after
 * SFF-8038i rev 1.0 (Bus Master Programming Interface for IDE ATA
 * Controllers) and the PIIX3 datasheet (Intel 290550, section 2.4).
 *
 * Configuration space as SeaBIOS leaves it under QEMU 7.2 (probed):
 * 8086:7010 rev 00, class 01/01/80 (legacy-mode IDE, bus-master capable),
 * command 0x0103 (I/O, memory and SERR enabled; bus mastering left to the
 * guest's driver), status 0x0280, BAR4 = 0xc041 (16 bytes of I/O at
 * 0xc040; BARs 0-3 are unimplemented and size to 0), IDETIM 0x40-0x43 =
 * 00 80 00 80, no interrupt pin (legacy IRQ14).
 *
 * Modelled: per channel the command register (start/stop, read/write
 * direction), status (active, error, interrupt with write-one-to-clear,
 * drive 0/1 DMA capable) and the PRD table address, for both channels
 * (the secondary has no drives). A transfer runs when the drive has a DMA
 * command and the engine is started; the PRD walk honours EOT and a byte
 * count of 0 meaning 64 KiB, and all memory goes through phys_dma_*.
 * As on QEMU 7.2, when the PRDs describe less than the whole transfer
 * nothing is transferred, Active drops and no interrupt is raised (the
 * SFF-8038i "Interrupt=0, Active=0" error indication); when they describe
 * more, Active stays set beside Interrupt; with bus mastering disabled in
 * the command register, memory reads see zeros and writes are dropped. A
 * PRD or buffer outside guest RAM sets the Error bit and aborts the
 * command. The direction bit is not checked against the command.
 *
 * The registers answer only at the BAR4 base SeaBIOS assigns, while I/O
 * decode is enabled: the bus cannot move a region, so a guest that
 * relocates BAR4 finds the registers gone.
 */
#include "core/dev/ide.h"

#include <string.h>

#include "core/dev/bus.h"
#include "core/mmu/phys.h"

#define PIIX_IDETIM	0x40
#define BM_BAR		4
#define PRD_MAX		8192u	/* entries in a 64 KiB table */

static bool bus_master(const struct ide *d)
{
	return pci_cfg_read16(&d->pci, PCI_COMMAND) & PCI_COMMAND_MASTER;
}

static int mem_read(struct ide *d, uint32_t pa, void *buf, uint32_t len)
{
	if (!bus_master(d)) {
		memset(buf, 0, len);
		return 0;
	}
	return phys_dma_read(d->phys, pa, buf, len);
}

static int mem_write(struct ide *d, uint32_t pa, const void *buf, uint32_t len)
{
	return bus_master(d) ? phys_dma_write(d->phys, pa, buf, len) : 0;
}

struct prd_cursor {
	uint32_t next;		/* address of the next PRD */
	uint32_t addr, left;	/* the current region */
	bool eot;		/* the current PRD is the last */
	unsigned used;
};

static int prd_fetch(struct ide *d, struct prd_cursor *c)
{
	uint8_t e[8];

	if (c->used == PRD_MAX || mem_read(d, c->next, e, sizeof(e)))
		return -1;
	c->addr = (uint32_t)(e[0] | e[1] << 8 | e[2] << 16 | (uint32_t)e[3] << 24) & ~1u;
	c->left = (uint32_t)(e[4] | e[5] << 8);
	if (c->left == 0)
		c->left = 0x10000;
	c->left &= ~1u;
	c->eot = e[7] & 0x80;
	c->next += 8;
	c->used++;
	return 0;
}

/* Bytes the table describes, up to need; -1 if a PRD cannot be read. */
static int64_t prd_total(struct ide *d, uint64_t need)
{
	struct prd_cursor c = { .next = d->bm[0].prdt };
	uint64_t total = 0;

	do {
		if (prd_fetch(d, &c))
			return -1;
		total += c.left;
	} while (!c.eot && total < need);
	return (int64_t)total;
}

/* Moves len bytes between buf and the regions the PRDs describe. */
static int prd_copy(struct ide *d, struct prd_cursor *c, uint8_t *buf, uint32_t len,
		    bool to_memory)
{
	while (len) {
		if (!c->left && prd_fetch(d, c))
			return -1;
		uint32_t n = len < c->left ? len : c->left;
		if (to_memory ? mem_write(d, c->addr, buf, n) : mem_read(d, c->addr, buf, n))
			return -1;
		c->addr += n;
		c->left -= n;
		buf += n;
		len -= n;
	}
	return 0;
}

static void dma_fail(struct ide *d)
{
	d->bm[0].status = (d->bm[0].status & ~BM_ST_ACTIVE) | BM_ST_ERR;
	ide_complete(d, ATA_SR_DRDY | ATA_SR_ERR, ATA_ER_ABRT);
}

void ide_dma_run(struct ide *d)
{
	struct prd_cursor c = { .next = d->bm[0].prdt };
	uint32_t count = d->remaining;
	int64_t total = prd_total(d, (uint64_t)count * IDE_SECTOR);

	if (total < 0) {
		dma_fail(d);
		return;
	}
	if ((uint64_t)total < (uint64_t)count * IDE_SECTOR) {
		d->drive[d->active].status = ATA_SR_DRDY | ATA_SR_DSC;
		d->bm[0].status &= ~BM_ST_ACTIVE;
		d->phase = IDE_IDLE;
		return;
	}
	for (uint32_t i = 0; i < count; i++) {
		if (d->write) {
			if (prd_copy(d, &c, d->buf, IDE_SECTOR, false)) {
				dma_fail(d);
				return;
			}
			if (ide_disk_io(d, d->buf, d->lba + i, 1, true)) {
				ide_complete(d, ATA_SR_DRDY | ATA_SR_ERR, ATA_ER_ABRT);
				return;
			}
		} else {
			if (ide_disk_io(d, d->buf, d->lba + i, 1, false)) {
				ide_complete(d, ATA_SR_DRDY | ATA_SR_ERR, ATA_ER_UNC);
				return;
			}
			if (prd_copy(d, &c, d->buf, IDE_SECTOR, true)) {
				dma_fail(d);
				return;
			}
		}
	}
	ide_advance(d, count);
	/* Active stays set when the PRDs describe more than was moved. */
	if (c.eot && c.left == 0)
		d->bm[0].status &= ~BM_ST_ACTIVE;
	ide_complete(d, ATA_SR_DRDY | ATA_SR_DSC, 0);
}

void ide_dma_kick(struct ide *d)
{
	if (d->phase != IDE_DMA_WAIT || !(d->bm[0].cmd & BM_CMD_START))
		return;
	d->phase = IDE_DMA;
	clock_arm(d->clk, &d->timer, clock_now(d->clk) + IDE_CMD_NS +
		  (uint64_t)d->remaining * IDE_DMA_SECTOR_NS);
}

static bool decoding(const struct ide *d)
{
	return (pci_cfg_read16(&d->pci, PCI_COMMAND) & PCI_COMMAND_IO) &&
	       (pci_cfg_read32(&d->pci, PCI_BAR0 + 4 * BM_BAR) & ~3u) == IDE_BM_BASE;
}

static uint8_t bm_readb(struct ide *d, unsigned off)
{
	struct bm_channel *b = &d->bm[off / 8];

	switch (off % 8) {
	case 0: return b->cmd;
	case 2: return b->status;
	case 4: case 5: case 6: case 7:
		return (uint8_t)(b->prdt >> (8 * (off % 4)));
	default: return 0xff;
	}
}

static void bm_cmd_write(struct ide *d, unsigned ch, uint8_t v)
{
	struct bm_channel *b = &d->bm[ch];
	bool was = b->cmd & BM_CMD_START;

	b->cmd = v & (BM_CMD_START | BM_CMD_READ);
	if (ch != 0) {
		b->status = (uint8_t)((b->status & ~BM_ST_ACTIVE) | (v & BM_CMD_START));
		return;
	}
	if (was && !(v & BM_CMD_START)) {
		b->status &= ~BM_ST_ACTIVE;
		/* Stopping the engine mid-transfer leaves the drive asking for DMA. */
		if (d->phase == IDE_DMA) {
			clock_disarm(d->clk, &d->timer);
			d->phase = IDE_DMA_WAIT;
		}
	} else if (!was && (v & BM_CMD_START)) {
		b->status |= BM_ST_ACTIVE;
		ide_dma_kick(d);
	}
}

static void bm_writeb(struct ide *d, unsigned off, uint8_t v)
{
	struct bm_channel *b = &d->bm[off / 8];
	unsigned shift = 8 * (off % 4);

	switch (off % 8) {
	case 0:
		bm_cmd_write(d, off / 8, v);
		break;
	case 2:
		b->status = (uint8_t)((b->status & BM_ST_ACTIVE) |
				      (b->status & ~v & (BM_ST_ERR | BM_ST_INT)) |
				      (v & (BM_ST_DRV0_DMA | BM_ST_DRV1_DMA)));
		break;
	case 4: case 5: case 6: case 7:
		b->prdt = ((b->prdt & ~(0xffu << shift)) | (uint32_t)v << shift) & ~3u;
		break;
	default:
		break;
	}
}

static uint32_t bm_read(void *dev, uint32_t off, unsigned size)
{
	struct ide *d = dev;
	uint32_t v = 0;

	if (!decoding(d))
		return 0xffffffffu >> (32 - 8 * size);
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)bm_readb(d, off + i) << (8 * i);
	return v;
}

static void bm_write(void *dev, uint32_t off, unsigned size, uint32_t value)
{
	struct ide *d = dev;

	if (!decoding(d))
		return;
	for (unsigned i = 0; i < size; i++)
		bm_writeb(d, off + i, (uint8_t)(value >> (8 * i)));
}

static const struct bus_ops bm_ops = { bm_read, bm_write };

void ide_dma_init(struct ide *d)
{
	struct pci_function *f = &d->pci;

	pci_function_init(f, "piix3-ide", 0x8086, 0x7010, 0x01018000, 0x00);
	f->cfg[PCI_STATUS] = 0x80;
	f->cfg[PCI_STATUS + 1] = 0x02;
	pci_set_io_bar(f, BM_BAR, IDE_BM_BASE, 16);
	f->cfg[PIIX_IDETIM + 1] = 0x80;
	f->cfg[PIIX_IDETIM + 3] = 0x80;
	memset(&f->wmask[PIIX_IDETIM], 0xff, 4);
	/* The drives' DMA-capable bits, as SeaBIOS leaves them: clear. */
	d->bm[0].status = d->bm[1].status = 0;
}

int ide_dma_register(struct ide *d, struct bus *b, char *err, size_t errlen)
{
	return bus_add_pio(b, "ide-bm", IDE_BM_BASE, 16, BUS_1 | BUS_2 | BUS_4, &bm_ops, d,
			   err, errlen);
}
