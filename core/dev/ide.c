/*
 * ATA disks on the primary IDE channel, after ATA/ATAPI-6 (T13/1410D):
 * command block 0x1f0-0x1f7, control block 0x3f6, INTRQ on IRQ14.
 *
 * Modelled: master and slave slots, each a disk backed by an image file
 * (opened read-write, else read-only; capacity in whole 512-byte sectors).
 * Commands: IDENTIFY DEVICE, READ/WRITE SECTORS and their EXT forms (PIO,
 * one DRQ block per sector), READ/WRITE DMA and EXT (through ide_dma.c),
 * FLUSH CACHE (EXT), SET FEATURES (transfer mode, write cache, look-ahead,
 * reverting to defaults), INITIALIZE DEVICE PARAMETERS and EXECUTE DEVICE
 * DIAGNOSTIC; anything else aborts (ERR, ABRT). LBA28, LBA48 with the HOB
 * registers, and CHS addressing over the default 16-head 63-sector
 * geometry. Device control: nIEN tri-states INTRQ (a pending interrupt
 * shows again when nIEN is cleared, as ATA's INTRQ latch implies), SRST
 * resets both devices to the disk signature, HOB selects the previous
 * register contents. Reading Status clears INTRQ; Alternate Status does not.
 *
 * Timing is modeled and deterministic: a command, or a PIO sector, is BSY
 * for IDE_CMD_NS before its DRQ or completion interrupt; a DMA transfer
 * takes IDE_CMD_NS plus IDE_DMA_SECTOR_NS per sector. So a guest that
 * halts waiting for IRQ14 wakes at a fixed point.
 *
 * IDENTIFY data are QEMU 7.2's for its IDE disk, probed with a guest
 * kernel: model "QEMU HARDDISK", serial "QM0000N" (N = slot + 1), firmware
 * "2.5+", LBA28 and LBA48 capacities, and QEMU's capability words (49 =
 * 0x0b00, 53 = 7, 59 = 0x0110, 63 = 7, 64 = 3, 80-88 = 0x00f0 0x0016
 * 0x4021 0x7400 0x4000 0x4021 0x3400 0x4000 0x203f, 93 = 0x6001, 106 =
 * 0x6000, 169 = 1). As on QEMU: an address beyond capacity aborts with
 * ABRT (ATA allows ABRT or IDNF), an absent slave reads status 0 and
 * ignores commands while its other registers read back, and after each
 * PIO sector the address and count registers already point past it.
 * Not modelled: READ/WRITE MULTIPLE, power management, SMART, ATAPI, the
 * secondary channel, geometry guessed from a partition table.
 */
#include "core/dev/ide.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/dev/bus.h"


static struct ide_drive *sel_drive(struct ide *d)
{
	return &d->drive[(d->select & ATA_DEV_DEV) ? 1 : 0];
}

static void update_irq(struct ide *d)
{
	int level = d->intrq && !(d->ctl & ATA_DC_NIEN);

	if (level != d->irq_level) {
		d->irq_level = level;
		irq_set(&d->irq, level);
	}
}

void ide_raise(struct ide *d)
{
	d->intrq = true;
	/* The bus master's interrupt bit watches the INTRQ wire itself. */
	if (!(d->ctl & ATA_DC_NIEN))
		d->bm[0].status |= BM_ST_INT;
	update_irq(d);
}

void ide_complete(struct ide *d, uint8_t status, uint8_t error)
{
	struct ide_drive *dr = &d->drive[d->active];

	dr->status = status;
	dr->error = error;
	d->phase = IDE_IDLE;
	ide_raise(d);
}

static void set_address(struct ide *d, uint64_t lba)
{
	struct ide_drive *dr = &d->drive[d->active];

	if (!(d->select & ATA_DEV_LBA) && !d->lba48) {
		unsigned track = (unsigned)(lba / dr->spt), cyl = track / dr->heads;
		d->sector = (uint8_t)(lba % dr->spt + 1);
		d->lcyl = (uint8_t)cyl;
		d->hcyl = (uint8_t)(cyl >> 8);
		d->select = (uint8_t)((d->select & 0xf0) | (track % dr->heads));
		return;
	}
	d->sector = (uint8_t)lba;
	d->lcyl = (uint8_t)(lba >> 8);
	d->hcyl = (uint8_t)(lba >> 16);
	if (d->lba48) {
		d->hob_sector = (uint8_t)(lba >> 24);
		d->hob_lcyl = (uint8_t)(lba >> 32);
		d->hob_hcyl = (uint8_t)(lba >> 40);
	} else {
		d->select = (uint8_t)((d->select & 0xf0) | ((lba >> 24) & 0x0f));
	}
}

void ide_advance(struct ide *d, uint32_t n)
{
	d->lba += n;
	d->remaining -= n;
	d->nsect = (uint8_t)d->remaining;
	if (d->lba48)
		d->hob_nsect = (uint8_t)(d->remaining >> 8);
	set_address(d, d->lba);
}

static void arm(struct ide *d, enum ide_phase phase, uint64_t delay)
{
	d->phase = phase;
	clock_arm(d->clk, &d->timer, clock_now(d->clk) + delay);
}

/* A command that ends without data: BSY now, the result after a delay. */
static void finish_later(struct ide *d, uint8_t status, uint8_t error)
{
	struct ide_drive *dr = &d->drive[d->active];

	dr->status = ATA_SR_BSY | ATA_SR_DRDY | ATA_SR_DSC;
	dr->error = error;
	d->result = status;
	arm(d, IDE_NONDATA, IDE_CMD_NS);
}

static void abort_cmd(struct ide *d, uint8_t error)
{
	finish_later(d, ATA_SR_DRDY | ATA_SR_ERR, error);
}

/* Decodes the address and count of a read/write; false if it aborted. */
static bool setup_rw(struct ide *d, bool lba48, bool write)
{
	struct ide_drive *dr = &d->drive[d->active];

	d->lba48 = lba48;
	d->write = write;
	if (lba48) {
		d->lba = (uint64_t)d->hob_hcyl << 40 | (uint64_t)d->hob_lcyl << 32 |
			 (uint64_t)d->hob_sector << 24 | (uint64_t)d->hcyl << 16 |
			 (uint64_t)d->lcyl << 8 | d->sector;
		d->remaining = (uint32_t)d->hob_nsect << 8 | d->nsect;
		if (!d->remaining)
			d->remaining = 65536;
	} else {
		if (d->select & ATA_DEV_LBA) {
			d->lba = (uint64_t)(d->select & 0x0f) << 24 | (uint64_t)d->hcyl << 16 |
				 (uint64_t)d->lcyl << 8 | d->sector;
		} else {
			unsigned cyl = (unsigned)d->hcyl << 8 | d->lcyl;
			if (d->sector == 0 || d->sector > dr->spt) {
				abort_cmd(d, ATA_ER_IDNF | ATA_ER_ABRT);
				return false;
			}
			d->lba = ((uint64_t)cyl * dr->heads + (d->select & 0x0f)) * dr->spt +
				 d->sector - 1;
		}
		d->remaining = d->nsect ? d->nsect : 256;
	}
	if (d->lba + d->remaining > dr->sectors || (write && dr->readonly)) {
		abort_cmd(d, ATA_ER_ABRT);
		return false;
	}
	return true;
}

static void set_features(struct ide *d)
{
	uint16_t *w = d->drive[d->active].identify;

	switch (d->feature) {
	case 0x03:
		if ((d->nsect >> 3) == 1 || d->nsect <= 1) {
			break;	/* PIO modes: the timing words do not change */
		} else if ((d->nsect >> 3) == 4 && (d->nsect & 7) <= 2) {
			w[63] = (uint16_t)(0x0007 | 1u << (8 + (d->nsect & 7)));
			w[88] = 0x003f;
		} else if ((d->nsect >> 3) == 8 && (d->nsect & 7) <= 5) {
			w[63] = 0x0007;
			w[88] = (uint16_t)(0x003f | 1u << (8 + (d->nsect & 7)));
		} else {
			abort_cmd(d, ATA_ER_ABRT);
			return;
		}
		break;
	case 0x02: w[85] |= 0x0020; break;
	case 0x82: w[85] &= ~0x0020; break;
	case 0x55: case 0xaa: case 0x66: case 0xcc:
		break;
	default:
		abort_cmd(d, ATA_ER_ABRT);
		return;
	}
	finish_later(d, ATA_SR_DRDY | ATA_SR_DSC, 0);
}

static void set_signature(struct ide *d)
{
	d->nsect = d->sector = 1;
	d->lcyl = d->hcyl = 0;
}

static void exec_command(struct ide *d, uint8_t cmd)
{
	struct ide_drive *dr = sel_drive(d);

	/* An absent slave ignores commands, as QEMU's does. */
	if (!dr->present || (dr->status & ATA_SR_BSY))
		return;
	d->active = dr == &d->drive[1];
	d->cmd = cmd;
	d->commands++;
	d->intrq = false;
	update_irq(d);
	clock_disarm(d->clk, &d->timer);
	switch (cmd) {
	case ATA_CMD_READ_SECTORS:
	case ATA_CMD_READ_SECTORS_EXT:
		if (setup_rw(d, cmd == ATA_CMD_READ_SECTORS_EXT, false)) {
			dr->status = ATA_SR_BSY | ATA_SR_DRDY | ATA_SR_DSC;
			arm(d, IDE_PIO_IN, IDE_CMD_NS);
		}
		break;
	case ATA_CMD_WRITE_SECTORS:
	case ATA_CMD_WRITE_SECTORS_EXT:
		if (setup_rw(d, cmd == ATA_CMD_WRITE_SECTORS_EXT, true)) {
			/* PIO out: the first block is asked for without an interrupt. */
			dr->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
			d->buf_pos = 0;
			d->buf_len = IDE_SECTOR;
			d->phase = IDE_DATA_OUT;
		}
		break;
	case ATA_CMD_READ_DMA:
	case ATA_CMD_READ_DMA_EXT:
	case ATA_CMD_WRITE_DMA:
	case ATA_CMD_WRITE_DMA_EXT:
		if (setup_rw(d, cmd == ATA_CMD_READ_DMA_EXT || cmd == ATA_CMD_WRITE_DMA_EXT,
			     cmd == ATA_CMD_WRITE_DMA || cmd == ATA_CMD_WRITE_DMA_EXT)) {
			dr->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
			d->phase = IDE_DMA_WAIT;
			ide_dma_kick(d);
		}
		break;
	case ATA_CMD_IDENTIFY:
		dr->status = ATA_SR_BSY | ATA_SR_DRDY | ATA_SR_DSC;
		d->remaining = 0;
		arm(d, IDE_PIO_IN, IDE_CMD_NS);
		break;
	case ATA_CMD_FLUSH_CACHE:
	case ATA_CMD_FLUSH_CACHE_EXT:
		if (!dr->readonly && !dr->replay && fdatasync(dr->fd))
			abort_cmd(d, ATA_ER_ABRT);
		else
			finish_later(d, ATA_SR_DRDY | ATA_SR_DSC, 0);
		break;
	case ATA_CMD_SET_FEATURES:
		set_features(d);
		break;
	case ATA_CMD_INITIALIZE_PARAMS:
		finish_later(d, ATA_SR_DRDY | ATA_SR_DSC, 0);
		break;
	case ATA_CMD_EXECUTE_DIAGNOSTIC:
		set_signature(d);
		finish_later(d, ATA_SR_DRDY | ATA_SR_DSC, 0x01);
		break;
	default:
		abort_cmd(d, ATA_ER_ABRT);
		break;
	}
}

static void timer_fire(void *opaque, uint64_t now)
{
	struct ide *d = opaque;
	struct ide_drive *dr = &d->drive[d->active];

	switch (d->phase) {
	case IDE_PIO_IN:
		if (d->cmd == ATA_CMD_IDENTIFY) {
			for (unsigned i = 0; i < 256; i++) {
				d->buf[2 * i] = (uint8_t)dr->identify[i];
				d->buf[2 * i + 1] = (uint8_t)(dr->identify[i] >> 8);
			}
		} else if (ide_disk_io(d, d->buf, d->lba, 1, false)) {
			ide_complete(d, ATA_SR_DRDY | ATA_SR_ERR, ATA_ER_UNC);
			break;
		} else {
			ide_advance(d, 1);
		}
		d->buf_pos = 0;
		d->buf_len = IDE_SECTOR;
		d->phase = IDE_DATA_IN;
		dr->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
		ide_raise(d);
		break;
	case IDE_PIO_OUT:
		if (ide_disk_io(d, d->buf, d->lba, 1, true)) {
			ide_complete(d, ATA_SR_DRDY | ATA_SR_ERR, ATA_ER_ABRT);
			break;
		}
		ide_advance(d, 1);
		if (!d->remaining) {
			ide_complete(d, ATA_SR_DRDY | ATA_SR_DSC, 0);
			break;
		}
		d->buf_pos = 0;
		d->phase = IDE_DATA_OUT;
		dr->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
		ide_raise(d);
		break;
	case IDE_DMA:
		ide_dma_run(d);
		break;
	case IDE_NONDATA:
		ide_complete(d, d->result, dr->error);
		break;
	default:
		break;
	}
}

static uint32_t data_read(struct ide *d, unsigned size)
{
	uint32_t v = 0;

	if (d->phase != IDE_DATA_IN)
		return 0;
	for (unsigned i = 0; i < size && d->buf_pos < d->buf_len; i++)
		v |= (uint32_t)d->buf[d->buf_pos++] << (8 * i);
	if (d->buf_pos < d->buf_len)
		return v;
	if (d->remaining) {
		d->drive[d->active].status = ATA_SR_BSY | ATA_SR_DRDY | ATA_SR_DSC;
		arm(d, IDE_PIO_IN, IDE_CMD_NS);
	} else {
		d->drive[d->active].status = ATA_SR_DRDY | ATA_SR_DSC;
		d->phase = IDE_IDLE;
	}
	return v;
}

static void data_write(struct ide *d, unsigned size, uint32_t v)
{
	if (d->phase != IDE_DATA_OUT)
		return;
	for (unsigned i = 0; i < size && d->buf_pos < d->buf_len; i++)
		d->buf[d->buf_pos++] = (uint8_t)(v >> (8 * i));
	if (d->buf_pos < d->buf_len)
		return;
	d->drive[d->active].status = ATA_SR_BSY | ATA_SR_DRDY | ATA_SR_DSC;
	arm(d, IDE_PIO_OUT, IDE_CMD_NS);
}

static bool any_drive(const struct ide *d)
{
	return d->drive[0].present || d->drive[1].present;
}

static uint8_t status_of_selected(struct ide *d)
{
	struct ide_drive *dr = sel_drive(d);
	return dr->present ? dr->status : 0;
}

static uint8_t reg_read(struct ide *d, unsigned off)
{
	bool hob = d->ctl & ATA_DC_HOB;

	if (!any_drive(d))
		return 0;
	switch (off) {
	case 1: return hob ? d->hob_feature : sel_drive(d)->error;
	case 2: return hob ? d->hob_nsect : d->nsect;
	case 3: return hob ? d->hob_sector : d->sector;
	case 4: return hob ? d->hob_lcyl : d->lcyl;
	case 5: return hob ? d->hob_hcyl : d->hcyl;
	case 6: return d->select;
	default:
		d->intrq = false;
		update_irq(d);
		return status_of_selected(d);
	}
}

static void reg_write(struct ide *d, unsigned off, uint8_t v)
{
	d->ctl &= ~ATA_DC_HOB;
	switch (off) {
	case 1: d->hob_feature = d->feature; d->feature = v; break;
	case 2: d->hob_nsect = d->nsect; d->nsect = v; break;
	case 3: d->hob_sector = d->sector; d->sector = v; break;
	case 4: d->hob_lcyl = d->lcyl; d->lcyl = v; break;
	case 5: d->hob_hcyl = d->hcyl; d->hcyl = v; break;
	case 6: d->select = v | 0xa0; break;
	default: exec_command(d, v); break;
	}
}

static uint32_t cmd_read(void *dev, uint32_t off, unsigned size)
{
	struct ide *d = dev;
	uint32_t v = 0;

	if (off == 0)
		return data_read(d, size);
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)reg_read(d, off + i) << (8 * i);
	return v;
}

static void cmd_write(void *dev, uint32_t off, unsigned size, uint32_t value)
{
	struct ide *d = dev;

	if (off == 0) {
		data_write(d, size, value);
		return;
	}
	for (unsigned i = 0; i < size; i++)
		reg_write(d, off + i, (uint8_t)(value >> (8 * i)));
}

static uint32_t ctl_read(void *dev, uint32_t off, unsigned size)
{
	struct ide *d = dev;
	return any_drive(d) ? status_of_selected(d) : 0;
}

static void ctl_write(void *dev, uint32_t off, unsigned size, uint32_t value)
{
	struct ide *d = dev;
	uint8_t old = d->ctl;

	d->ctl = (uint8_t)value;
	if ((value & ATA_DC_SRST) && !(old & ATA_DC_SRST)) {
		clock_disarm(d->clk, &d->timer);
		d->phase = IDE_IDLE;
		d->intrq = false;
		for (unsigned i = 0; i < 2; i++)
			if (d->drive[i].present)
				d->drive[i].status = ATA_SR_BSY;
	} else if (!(value & ATA_DC_SRST) && (old & ATA_DC_SRST)) {
		for (unsigned i = 0; i < 2; i++) {
			if (!d->drive[i].present)
				continue;
			d->drive[i].status = ATA_SR_DRDY | ATA_SR_DSC;
			d->drive[i].error = 0x01;
		}
		set_signature(d);
		d->select = 0xa0;
	}
	update_irq(d);
}

static const struct bus_ops cmd_ops = { cmd_read, cmd_write };
static const struct bus_ops ctl_ops = { ctl_read, ctl_write };

int ide_init(struct ide *d, struct clock *clk, struct phys *phys,
	     const struct irq_line *irq, const char *const images[2],
	     char *err, size_t errlen)
{
	memset(d, 0, sizeof(*d));
	d->drive[0].fd = d->drive[1].fd = -1;
	d->clk = clk;
	d->phys = phys;
	if (irq)
		d->irq = *irq;
	d->select = 0xa0;
	set_signature(d);
	for (unsigned i = 0; i < 2; i++) {
		if (images && images[i] && ide_drive_open(&d->drive[i], i, images[i], err, errlen)) {
			ide_free(d);
			return -1;
		}
	}
	if (clock_add_timer(clk, &d->timer, timer_fire, d)) {
		snprintf(err, errlen, "ide: no clock timer left");
		ide_free(d);
		return -1;
	}
	ide_dma_init(d);
	return 0;
}

int ide_register(struct ide *d, struct bus *b, char *err, size_t errlen)
{
	if (bus_add_pio(b, "ide", 0x1f0, 8, BUS_1 | BUS_2 | BUS_4, &cmd_ops, d, err, errlen) ||
	    bus_add_pio(b, "ide-ctl", 0x3f6, 1, BUS_1, &ctl_ops, d, err, errlen))
		return -1;
	return ide_dma_register(d, b, err, errlen);
}

void ide_set_undo(struct ide *d, unsigned i, struct disk_undo *undo, bool replay)
{
	d->drive[i].undo = undo;
	d->drive[i].replay = undo && replay;
}

void ide_free(struct ide *d)
{
	for (unsigned i = 0; i < 2; i++) {
		sector_map_free(&d->drive[i].own);
		if (d->drive[i].fd >= 0)
			close(d->drive[i].fd);
		d->drive[i].fd = -1;
		d->drive[i].present = false;
	}
}
