/*
 * Registers and commands of the ATA primary channel (ATA/ATAPI-6, 7.x and
 * 8.x), shared by the PIO and the bus-master DMA halves of the driver.
 */
#ifndef GUEST_ATA_H
#define GUEST_ATA_H

#include <stdint.h>

#define ATA_BASE 0x1f0
#define ATA_CTRL 0x3f6		/* alternate status on read */
#define ATA_DATA 0
#define ATA_ERROR 1
#define ATA_SECCOUNT 2
#define ATA_LBA0 3
#define ATA_LBA1 4
#define ATA_LBA2 5
#define ATA_DEVICE 6
#define ATA_STATUS 7
#define ATA_COMMAND 7

#define ATA_SR_ERR 0x01
#define ATA_SR_DRQ 0x08
#define ATA_SR_DF 0x20
#define ATA_SR_DRDY 0x40
#define ATA_SR_BSY 0x80

#define ATA_CTRL_NIEN 0x02
#define ATA_DEV_LBA 0xe0	/* LBA mode, device 0 (bits 7 and 5 obsolete, set) */

#define ATA_CMD_READ_SECTORS 0x20
#define ATA_CMD_WRITE_SECTORS 0x30
#define ATA_CMD_READ_DMA 0xc8
#define ATA_CMD_WRITE_DMA 0xca
#define ATA_CMD_FLUSH_CACHE 0xe7
#define ATA_CMD_IDENTIFY 0xec

int ata_wait(uint8_t mask, uint8_t want);
void ata_command(uint8_t cmd, uint32_t lba, uint32_t count);

#endif
