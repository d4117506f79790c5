/*
 * The disks behind the IDE channel: backing images and IDENTIFY data.
 *
 * An image is opened read-write, or read-only when the file cannot be
 * written (writes to it then abort); its capacity is its size in whole
 * 512-byte sectors, a trailing partial sector being unreachable. An image
 * that cannot be opened, is not a regular file or block device, or holds
 * no whole sector gives a one-line error naming the file and the reason.
 *
 * The IDENTIFY DEVICE words are QEMU 7.2's for its IDE disk (see ide.c),
 * with the CHS geometry QEMU guesses for a disk without a partition table:
 * 16 heads, 63 sectors per track, cylinders = sectors / 1008 kept within
 * 2..16383.
 */
#include "core/dev/ide.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define IDE_LBA28_MAX	0x0fffffffu

static void put_string(uint16_t *w, unsigned words, const char *s)
{
	size_t n = strlen(s);

	/* ATA strings pack two characters per word, first in the high byte. */
	for (unsigned i = 0; i < words * 2; i++) {
		uint8_t c = i < n ? (uint8_t)s[i] : ' ';
		if (i & 1)
			w[i / 2] |= c;
		else
			w[i / 2] = (uint16_t)(c << 8);
	}
}

static void build_identify(struct ide_drive *dr, unsigned slot)
{
	uint16_t *w = dr->identify;
	uint64_t chs = (uint64_t)dr->cyls * dr->heads * dr->spt;
	uint64_t lba28 = dr->sectors > IDE_LBA28_MAX ? IDE_LBA28_MAX : dr->sectors;
	char serial[16];

	memset(dr->identify, 0, sizeof(dr->identify));
	snprintf(serial, sizeof(serial), "QM%05u", slot + 1);
	w[0] = 0x0040;
	w[1] = dr->cyls;
	w[3] = dr->heads;
	w[4] = (uint16_t)(IDE_SECTOR * dr->spt);
	w[5] = IDE_SECTOR;
	w[6] = dr->spt;
	put_string(&w[10], 10, serial);
	w[20] = 3;
	w[21] = 512;
	w[22] = 4;
	put_string(&w[23], 4, "2.5+");
	put_string(&w[27], 20, "QEMU HARDDISK");
	w[47] = 0x8010;
	w[48] = 1;
	w[49] = 0x0b00;
	w[51] = 0x0200;
	w[52] = 0x0200;
	w[53] = 0x0007;
	w[54] = dr->cyls;
	w[55] = dr->heads;
	w[56] = dr->spt;
	w[57] = (uint16_t)chs;
	w[58] = (uint16_t)(chs >> 16);
	w[59] = 0x0110;
	w[60] = (uint16_t)lba28;
	w[61] = (uint16_t)(lba28 >> 16);
	w[62] = 0x0007;
	w[63] = 0x0007;
	w[64] = 0x0003;
	w[65] = w[66] = w[67] = w[68] = 120;
	w[69] = 0x4000;
	w[80] = 0x00f0;
	w[81] = 0x0016;
	w[82] = 0x4021;
	w[83] = 0x7400;
	w[84] = 0x4000;
	w[85] = 0x4021;
	w[86] = 0x3400;
	w[87] = 0x4000;
	w[88] = 0x203f;
	w[93] = 0x6001;
	for (unsigned i = 0; i < 4; i++)
		w[100 + i] = (uint16_t)(dr->sectors >> (16 * i));
	w[106] = 0x6000;
	w[169] = 0x0001;
}

int ide_drive_open(struct ide_drive *dr, unsigned slot, const char *path,
		      char *err, size_t errlen)
{
	struct stat st;
	off_t size;

	dr->fd = open(path, O_RDWR | O_CLOEXEC);
	if (dr->fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM)) {
		dr->fd = open(path, O_RDONLY | O_CLOEXEC);
		dr->readonly = true;
	}
	if (dr->fd < 0) {
		snprintf(err, errlen, "disk image %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(dr->fd, &st) || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
		snprintf(err, errlen, "disk image %s: not a regular file or block device", path);
		return -1;
	}
	size = lseek(dr->fd, 0, SEEK_END);
	if (size < IDE_SECTOR) {
		snprintf(err, errlen, "disk image %s: smaller than one 512-byte sector", path);
		return -1;
	}
	dr->present = true;
	dr->sectors = (uint64_t)size / IDE_SECTOR;
	/* The translation QEMU's geometry guess gives an unpartitioned disk. */
	uint64_t cyls = dr->sectors / (16 * 63);
	dr->cyls = (uint16_t)(cyls > 16383 ? 16383 : cyls < 2 ? 2 : cyls);
	dr->heads = 16;
	dr->spt = 63;
	dr->status = ATA_SR_DRDY | ATA_SR_DSC;
	dr->error = 0x01;
	build_identify(dr, slot);
	return 0;
}

static int file_io(int fd, uint8_t *buf, size_t len, off_t pos, bool write)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = write ? pwrite(fd, buf + done, len - done, pos + (off_t)done)
				  : pread(fd, buf + done, len - done, pos + (off_t)done);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			return -1;
		}
		done += (size_t)r;
	}
	return 0;
}

/* One sector as a replaying run sees it: its own writes, then what the
 * recording run overwrote, then the file. */
static int replay_read(struct ide_drive *dr, uint8_t *buf, uint64_t lba)
{
	const uint8_t *s = sector_map_get(&dr->own, lba);

	if (!s)
		s = sector_map_get(&dr->undo->orig, lba);
	if (s) {
		memcpy(buf, s, IDE_SECTOR);
		return 0;
	}
	return file_io(dr->fd, buf, IDE_SECTOR, (off_t)(lba * IDE_SECTOR), false);
}

/* Before a recording run overwrites a sector, keep what it held. */
static int record_original(struct ide_drive *dr, uint64_t lba)
{
	struct disk_undo *u = dr->undo;

	if (u->overflow || sector_map_get(&u->orig, lba))
		return 0;
	if ((u->orig.n + 1) * IDE_SECTOR > DISK_UNDO_MAX_BYTES) {
		u->overflow = true;
		return 0;
	}
	uint8_t *s = sector_map_put(&u->orig, lba);
	if (!s) {
		u->overflow = true;
		return 0;
	}
	return file_io(dr->fd, s, IDE_SECTOR, (off_t)(lba * IDE_SECTOR), false);
}

static int sector_io(struct ide_drive *dr, uint8_t *buf, uint64_t lba, bool write)
{
	if (dr->undo && dr->replay) {
		if (!write)
			return replay_read(dr, buf, lba);
		uint8_t *s = sector_map_put(&dr->own, lba);
		if (!s)
			return -1;
		memcpy(s, buf, IDE_SECTOR);
		return 0;
	}
	if (write && dr->undo && record_original(dr, lba))
		return -1;
	return file_io(dr->fd, buf, IDE_SECTOR, (off_t)(lba * IDE_SECTOR), write);
}

int ide_disk_io(struct ide *d, uint8_t *buf, uint64_t lba, uint32_t n, bool write)
{
	struct ide_drive *dr = &d->drive[d->active];

	for (uint32_t i = 0; i < n; i++)
		if (sector_io(dr, buf + (size_t)i * IDE_SECTOR, lba + i, write))
			return -1;
	if (write)
		d->sectors_written += n;
	else
		d->sectors_read += n;
	return 0;
}
