/*
 * ATA disks on the primary IDE channel (0x1f0-0x1f7, 0x3f6, IRQ14) and the
 * PIIX3 IDE function 00:01.1 with its bus-master DMA engine. ide.c holds
 * the channel and its commands, ide_disk.c the backing images and IDENTIFY
 * data, ide_dma.c the PCI function and the PRD walk.
 */
#ifndef VMM_DEV_IDE_H
#define VMM_DEV_IDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dev/clock.h"
#include "core/dev/disk_undo.h"
#include "core/dev/irq.h"
#include "core/dev/pci.h"

struct bus;
struct phys;

#define ATA_SR_ERR	0x01
#define ATA_SR_DRQ	0x08
#define ATA_SR_DSC	0x10
#define ATA_SR_DF	0x20
#define ATA_SR_DRDY	0x40
#define ATA_SR_BSY	0x80

#define ATA_ER_AMNF	0x01
#define ATA_ER_ABRT	0x04
#define ATA_ER_IDNF	0x10
#define ATA_ER_UNC	0x40

#define ATA_DC_NIEN	0x02
#define ATA_DC_SRST	0x04
#define ATA_DC_HOB	0x80

#define ATA_DEV_LBA	0x40
#define ATA_DEV_DEV	0x10

#define ATA_CMD_READ_SECTORS		0x20
#define ATA_CMD_READ_SECTORS_EXT	0x24
#define ATA_CMD_READ_DMA_EXT		0x25
#define ATA_CMD_WRITE_SECTORS		0x30
#define ATA_CMD_WRITE_SECTORS_EXT	0x34
#define ATA_CMD_WRITE_DMA_EXT		0x35
#define ATA_CMD_EXECUTE_DIAGNOSTIC	0x90
#define ATA_CMD_INITIALIZE_PARAMS	0x91
#define ATA_CMD_READ_DMA		0xc8
#define ATA_CMD_WRITE_DMA		0xca
#define ATA_CMD_FLUSH_CACHE		0xe7
#define ATA_CMD_FLUSH_CACHE_EXT		0xea
#define ATA_CMD_IDENTIFY		0xec
#define ATA_CMD_SET_FEATURES		0xef

#define BM_CMD_START	0x01
#define BM_CMD_READ	0x08	/* bus master writes memory: a disk read */
#define BM_ST_ACTIVE	0x01
#define BM_ST_ERR	0x02
#define BM_ST_INT	0x04
#define BM_ST_DRV0_DMA	0x20
#define BM_ST_DRV1_DMA	0x40
#define BM_PRD_EOT	0x80000000u

/* The bus-master base SeaBIOS gives BAR4 of 00:01.1 under QEMU. */
#define IDE_BM_BASE	0xc040

#define IDE_SECTOR	512

/* Modeled latencies: a command or PIO sector, and each DMA sector. */
#define IDE_CMD_NS		2000u
#define IDE_DMA_SECTOR_NS	1000u

struct ide_drive {
	bool present, readonly;
	int fd;
	/* NULL, or the run's undo log (see disk_undo.h); replay: this run
	 * leaves the image alone and keeps its writes in own. */
	struct disk_undo *undo;
	bool replay;
	struct sector_map own;
	uint64_t sectors;
	uint16_t cyls, heads, spt;
	uint8_t status, error;
	uint16_t identify[256];
};

enum ide_phase {
	IDE_IDLE,
	IDE_PIO_IN,		/* timer: next sector into the buffer */
	IDE_PIO_OUT,		/* timer: buffer to disk */
	IDE_DATA_OUT,		/* guest fills the buffer */
	IDE_DATA_IN,		/* guest drains the buffer */
	IDE_DMA_WAIT,		/* drive ready, bus master not started */
	IDE_DMA,		/* timer: the whole transfer */
	IDE_NONDATA,		/* timer: command completes */
};

struct bm_channel {
	uint8_t cmd, status;
	uint32_t prdt;
};

struct ide {
	struct ide_drive drive[2];
	/* Command block registers are shared; HOB copies for 48-bit commands. */
	uint8_t feature, nsect, sector, lcyl, hcyl, select, ctl;
	uint8_t hob_feature, hob_nsect, hob_sector, hob_lcyl, hob_hcyl;
	uint8_t cmd, result;	/* result: status a non-data command ends with */
	enum ide_phase phase;
	bool lba48, write;
	uint64_t lba;
	uint32_t remaining;
	int active;		/* drive the command runs on */
	uint8_t buf[IDE_SECTOR];
	unsigned buf_pos, buf_len;
	bool intrq;
	int irq_level;
	struct irq_line irq;
	struct clock *clk;
	struct clock_timer timer;
	struct phys *phys;
	struct bm_channel bm[2];	/* [0] primary: ours; [1] no drives */
	struct pci_function pci;
	uint64_t sectors_read, sectors_written, commands;
};

/*
 * images[0] and images[1] (each may be NULL) become the primary master and
 * slave. -1 with a one-line reason naming the file on an unusable image.
 */
int ide_init(struct ide *d, struct clock *clk, struct phys *phys,
	     const struct irq_line *irq, const char *const images[2],
	     char *err, size_t errlen);
/* 0x1f0-0x1f7, 0x3f6 and the bus-master registers at IDE_BM_BASE. */
int ide_register(struct ide *d, struct bus *b, char *err, size_t errlen);
void ide_free(struct ide *d);
/* Drive i records into undo, or (replay) runs on the image as undo saw it. */
void ide_set_undo(struct ide *d, unsigned i, struct disk_undo *undo, bool replay);

/* Shared between ide.c and ide_dma.c. */
int ide_drive_open(struct ide_drive *dr, unsigned slot, const char *path,
		   char *err, size_t errlen);
void ide_raise(struct ide *d);
void ide_complete(struct ide *d, uint8_t status, uint8_t error);
void ide_advance(struct ide *d, uint32_t n);
int ide_disk_io(struct ide *d, uint8_t *buf, uint64_t lba, uint32_t n, bool write);
void ide_dma_init(struct ide *d);
void ide_dma_run(struct ide *d);
void ide_dma_kick(struct ide *d);
int ide_dma_register(struct ide *d, struct bus *b, char *err, size_t errlen);

#endif
