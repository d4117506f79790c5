/*
 * diskdma: write disk blocks, read them back and verify them, by
 * bus-master DMA (READ DMA / WRITE DMA with a scatter-gather PRD table of
 * non-contiguous 4 KiB pages; completion by IRQ14 while the CPU halts).
 * The IDE controller's bus-master registers are found through PCI
 * configuration space. Two passes, each with its own pattern, so a pass
 * can only succeed by reading what it wrote itself; reads are cut into
 * commands of other sizes than the writes were. The disk is the primary
 * IDE master; its contents are overwritten from LBA 0 on.
 *
 * Parameters: blocks (default 8192) 512-byte sectors per pass.
 * Prints: the numbers of sectors, commands and completion interrupts,
 * mismatching words, and a checksum of everything read. Without a disk:
 * "result: FAIL no disk".
 */
#include "kernel.h"

#define PASSES 2
#define MAX_CHUNK 256
#define SECTORS_PER_PAGE (PAGE_SIZE / ATA_SECTOR)
#define NPAGES (MAX_CHUNK / SECTORS_PER_PAGE)

static uint32_t blocks;
static const struct param params[] = {
	{ "blocks", &blocks, 8192, 1, 1u << 20 },
	{ 0 },
};

/* Multiples of a page: a PRD entry covers whole pages of the buffer. */
static const uint32_t write_chunks[] = { 8, 64, 256, 16, 200, 128, 24, 96 };
static const uint32_t read_chunks[] = { 256, 40, 8, 128, 32, 248, 64, 16 };
static void *pages[NPAGES];

static uint32_t pattern(uint32_t lba, uint32_t word, uint32_t pass)
{
	uint32_t x = lba * 0x01000193u ^ word * 0x9e3779b9u ^ (pass + 1) * 0x85ebca6bu;

	return x ^ x >> 15;
}

static uint32_t *sector(uint32_t s)
{
	return (uint32_t *)((char *)pages[s / SECTORS_PER_PAGE] +
			    (s % SECTORS_PER_PAGE) * ATA_SECTOR);
}

static void fill(uint32_t lba, uint32_t n, uint32_t pass)
{
	uint32_t s, w;

	for (s = 0; s < n; s++)
		for (w = 0; w < ATA_SECTOR / 4; w++)
			sector(s)[w] = pattern(lba + s, w, pass);
}

static uint32_t check(uint32_t lba, uint32_t n, uint32_t pass, uint32_t *sum)
{
	uint32_t s, w, v, bad = 0;

	for (s = 0; s < n; s++)
		for (w = 0; w < ATA_SECTOR / 4; w++) {
			v = sector(s)[w];
			bad += v != pattern(lba + s, w, pass);
			*sum = (*sum << 1 | *sum >> 31) + v;
		}
	return bad;
}

static uint32_t chunk(const uint32_t *sizes, uint32_t k, uint32_t left)
{
	uint32_t n = sizes[k % 8];

	return n < left ? n : left;
}

static int diskdma_main(void)
{
	uint32_t sectors, pass, lba, n, k, i, cmds = 0, bad = 0, sum = 0;

	if (ata_init(&sectors))
		return fail("no disk");
	if (sectors < blocks)
		return fail("disk too small for %u blocks", blocks);
	if (ata_dma_init())
		return fail("no bus-master IDE controller on PCI");
	/* Allocated one by one and interleaved with a spare, so never contiguous. */
	for (i = 0; i < NPAGES; i++) {
		void *gap = page_alloc();

		pages[i] = page_alloc();
		if (!gap || !pages[i])
			return fail("out of memory");
		page_free(gap);
	}
	for (pass = 0; pass < PASSES; pass++) {
		for (lba = 0, k = 0; lba < blocks; lba += n, k++, cmds++) {
			n = chunk(write_chunks, k, blocks - lba);
			fill(lba, n, pass);
			if (ata_dma_write(lba, n, pages))
				return fail("DMA write error at LBA %u", lba);
		}
		if (ata_flush())
			return fail("cache flush failed");
		for (lba = 0, k = 0; lba < blocks; lba += n, k++, cmds++) {
			n = chunk(read_chunks, k, blocks - lba);
			for (i = 0; i < (n + SECTORS_PER_PAGE - 1) / SECTORS_PER_PAGE; i++)
				memset(pages[i], 0, PAGE_SIZE);
			if (ata_dma_read(lba, n, pages))
				return fail("DMA read error at LBA %u", lba);
			bad += check(lba, n, pass, &sum);
		}
	}
	printk("sectors written: %u read: %u commands: %u interrupts: %u bad words: %u checksum: 0x%08x\n",
	       blocks * PASSES, blocks * PASSES, cmds, ata_irqs, bad, sum);
	if (bad)
		return fail("%u words read back differ from what was written", bad);
	if (ata_irqs != cmds)
		return fail("%u completion interrupts for %u commands", ata_irqs, cmds);
	return 0;
}

WORKLOAD("diskdma", params, diskdma_main);
