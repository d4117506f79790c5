/*
 * ATA PIO driver for the primary master (ATA/ATAPI-6, 7.x and 8.x:
 * IDENTIFY DEVICE, READ SECTORS, WRITE SECTORS, FLUSH CACHE, with 28-bit
 * LBA). Writes may sit in the drive's cache until ata_flush(), as on a
 * real drive; callers flush at their sync points, not after every command. Command block at 0x1f0-0x1f7, control block at 0x3f6. PIO runs
 * with nIEN set and polls BSY/DRQ; bus-master DMA (atadma.c) clears nIEN
 * and waits for IRQ14. Every wait is bounded, so a missing or wedged
 * device ends in an error, never a hang.
 */
#include "kernel.h"
#include "ata.h"

#define ATA_POLL_LIMIT 50000000u

static int ata_present;

/* Four reads of the alternate status take the 400 ns the device needs. */
static void ata_delay(void)
{
	int i;

	for (i = 0; i < 4; i++)
		inb(ATA_CTRL);
}

int ata_wait(uint8_t mask, uint8_t want)
{
	uint32_t spin;
	uint8_t st;

	for (spin = 0; spin < ATA_POLL_LIMIT; spin++) {
		st = inb(ATA_BASE + ATA_STATUS);
		if (st & ATA_SR_BSY)
			continue;
		if (st & (ATA_SR_ERR | ATA_SR_DF))
			return -1;
		if ((st & mask) == want)
			return 0;
	}
	return -1;
}

void ata_command(uint8_t cmd, uint32_t lba, uint32_t count)
{
	outb(ATA_BASE + ATA_DEVICE, ATA_DEV_LBA | ((lba >> 24) & 0x0f));
	ata_delay();
	outb(ATA_BASE + ATA_SECCOUNT, (uint8_t)count);	/* 0 means 256 */
	outb(ATA_BASE + ATA_LBA0, (uint8_t)lba);
	outb(ATA_BASE + ATA_LBA1, (uint8_t)(lba >> 8));
	outb(ATA_BASE + ATA_LBA2, (uint8_t)(lba >> 16));
	outb(ATA_BASE + ATA_COMMAND, cmd);
}

int ata_init(uint32_t *sectors)
{
	uint16_t id[256];
	uint8_t st;

	ata_present = 0;
	if (inb(ATA_BASE + ATA_STATUS) == 0xff)
		return -1;		/* floating bus: no device at all */
	outb(ATA_CTRL, ATA_CTRL_NIEN);
	outb(ATA_BASE + ATA_DEVICE, ATA_DEV_LBA);
	ata_delay();
	outb(ATA_BASE + ATA_SECCOUNT, 0);
	outb(ATA_BASE + ATA_LBA0, 0);
	outb(ATA_BASE + ATA_LBA1, 0);
	outb(ATA_BASE + ATA_LBA2, 0);
	outb(ATA_BASE + ATA_COMMAND, ATA_CMD_IDENTIFY);
	ata_delay();
	st = inb(ATA_BASE + ATA_STATUS);
	if (st == 0 || st == 0xff)
		return -1;
	/* A packet device (CD-ROM) aborts IDENTIFY: ERR ends the wait. */
	if (ata_wait(ATA_SR_DRQ, ATA_SR_DRQ))
		return -1;
	insw(ATA_BASE + ATA_DATA, id, 256);
	if (!(id[49] & (1u << 9)))
		return -1;		/* no LBA */
	*sectors = id[60] | (uint32_t)id[61] << 16;
	ata_present = 1;
	return 0;
}

static int ata_check(uint32_t lba, uint32_t count)
{
	return ata_present && count && lba + count >= lba &&
	       lba + count <= (1u << 28) ? 0 : -1;
}

/* One PIO transfer, at most 256 sectors per command; a write waits for
 * the drive to take each command's last sector before the next command. */
static int ata_pio(int write, uint32_t lba, uint32_t count, uint8_t *p)
{
	uint32_t n, i;

	if (ata_check(lba, count))
		return -1;
	while (count) {
		n = count > 256 ? 256 : count;
		if (ata_wait(ATA_SR_DRDY, ATA_SR_DRDY))
			return -1;
		ata_command(write ? ATA_CMD_WRITE_SECTORS : ATA_CMD_READ_SECTORS,
			    lba, n);
		for (i = 0; i < n; i++) {
			ata_delay();
			if (ata_wait(ATA_SR_DRQ, ATA_SR_DRQ))
				return -1;
			if (write)
				outsw(ATA_BASE + ATA_DATA, p, ATA_SECTOR / 2);
			else
				insw(ATA_BASE + ATA_DATA, p, ATA_SECTOR / 2);
			p += ATA_SECTOR;
		}
		lba += n;
		count -= n;
		if (write)
			ata_delay();
		if (ata_wait(ATA_SR_DRQ, 0))
			return -1;
	}
	return 0;
}

int ata_pio_read(uint32_t lba, uint32_t count, void *buf)
{
	return ata_pio(0, lba, count, buf);
}

int ata_pio_write(uint32_t lba, uint32_t count, const void *buf)
{
	return ata_pio(1, lba, count, (uint8_t *)buf);
}

int ata_flush(void)
{
	if (ata_wait(ATA_SR_DRDY, ATA_SR_DRDY))
		return -1;
	outb(ATA_BASE + ATA_COMMAND, ATA_CMD_FLUSH_CACHE);
	ata_delay();
	return ata_wait(ATA_SR_DRDY, ATA_SR_DRDY);
}
