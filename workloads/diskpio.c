/*
 * diskpio: write disk blocks, read them back and verify them, by ATA PIO
 * (REP OUTSW/INSW of 256 words per sector, polling BSY/DRQ). Two passes,
 * each with its own pattern, so a pass can only succeed by reading what
 * it wrote itself; reads are cut into commands of other sizes than the
 * writes were, so sector counts and LBA arithmetic get checked as well.
 * The disk is the primary IDE master; its contents are overwritten from
 * LBA 0 on.
 *
 * Parameters: blocks (default 512) 512-byte sectors per pass.
 * Prints: the numbers of sectors and commands, mismatching words, and a
 * checksum of everything read. Without a disk: "result: FAIL no disk".
 */
#include "kernel.h"

#define PASSES 2
#define MAX_CHUNK 256

static uint32_t blocks;
static const struct param params[] = {
	{ "blocks", &blocks, 512, 1, 1u << 20 },
	{ 0 },
};

static const uint32_t write_chunks[] = { 1, 8, 64, 256, 3, 200, 17, 128 };
static const uint32_t read_chunks[] = { 256, 5, 100, 1, 32, 255, 64, 9 };
static uint32_t buf[MAX_CHUNK * ATA_SECTOR / 4];

static uint32_t pattern(uint32_t lba, uint32_t word, uint32_t pass)
{
	uint32_t x = lba * 0x01000193u ^ word * 0x9e3779b9u ^ (pass + 1) * 0x85ebca6bu;

	return x ^ x >> 15;
}

static void fill(uint32_t lba, uint32_t n, uint32_t pass)
{
	uint32_t s, w;

	for (s = 0; s < n; s++)
		for (w = 0; w < ATA_SECTOR / 4; w++)
			buf[s * ATA_SECTOR / 4 + w] = pattern(lba + s, w, pass);
}

static uint32_t check(uint32_t lba, uint32_t n, uint32_t pass, uint32_t *sum)
{
	uint32_t s, w, v, bad = 0;

	for (s = 0; s < n; s++)
		for (w = 0; w < ATA_SECTOR / 4; w++) {
			v = buf[s * ATA_SECTOR / 4 + w];
			bad += v != pattern(lba + s, w, pass);
			*sum = (*sum << 1 | *sum >> 31) + v;
		}
	return bad;
}

static int diskpio_main(void)
{
	uint32_t sectors, pass, lba, n, k, cmds = 0, bad = 0, sum = 0;

	if (ata_init(&sectors))
		return fail("no disk");
	if (sectors < blocks)
		return fail("disk too small for %u blocks", blocks);
	for (pass = 0; pass < PASSES; pass++) {
		for (lba = 0, k = 0; lba < blocks; lba += n, k++, cmds++) {
			n = write_chunks[k % ARRAY_SIZE(write_chunks)];
			if (n > blocks - lba)
				n = blocks - lba;
			fill(lba, n, pass);
			if (ata_pio_write(lba, n, buf))
				return fail("write error at LBA %u", lba);
		}
		if (ata_flush())
			return fail("cache flush failed");
		for (lba = 0, k = 0; lba < blocks; lba += n, k++, cmds++) {
			n = read_chunks[k % ARRAY_SIZE(read_chunks)];
			if (n > blocks - lba)
				n = blocks - lba;
			memset(buf, 0, n * ATA_SECTOR);
			if (ata_pio_read(lba, n, buf))
				return fail("read error at LBA %u", lba);
			bad += check(lba, n, pass, &sum);
		}
	}
	printk("sectors written: %u read: %u commands: %u bad words: %u checksum: 0x%08x\n",
	       blocks * PASSES, blocks * PASSES, cmds, bad, sum);
	if (bad)
		return fail("%u words read back differ from what was written", bad);
	return 0;
}

WORKLOAD("diskpio", params, diskpio_main);
