/* ATA disk and PIIX3 bus-master DMA, driven through the bus as a guest does. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/dev/bus.h"
#include "core/dev/clock.h"
#include "core/dev/ide.h"
#include "core/dev/pci.h"
#include "core/mmu/phys.h"

/*
 * vmm_dev does not link machine memory yet (phys.c lives in the cpu
 * layer's library); the test brings it along so the DMA paths can run.
 */

#define SECTORS 256
#define BM IDE_BM_BASE

static struct bus bus;
static struct clock clk;
static uint64_t insns;
static struct ide ide;
static struct pci_host pci;
static struct phys mem;
static int irq14;
static char image[2][64];

static void irq_cb(void *ctrl, unsigned irq, int level)
{
	irq14 = level;
}

static void out(uint16_t port, uint8_t v) { bus_pio_write(&bus, port, 1, v); }
static uint8_t in(uint16_t port) { return (uint8_t)bus_pio_read(&bus, port, 1); }

static void wait_ns(uint64_t ns)
{
	insns += ns;
	clock_run_due(&clk);
}

/* Sector n holds its LBA in its first four bytes, then n ^ 0x5a. */
static void fill_sector(uint8_t *b, uint32_t n)
{
	memset(b, (uint8_t)(n ^ 0x5a), IDE_SECTOR);
	memcpy(b, &n, 4);
}

static void make_image(unsigned i, uint32_t sectors)
{
	uint8_t b[IDE_SECTOR];

	snprintf(image[i], sizeof(image[i]), "/tmp/vmmsim-ide-XXXXXX");
	int fd = mkstemp(image[i]);
	cr_assert_geq(fd, 0);
	for (uint32_t n = 0; n < sectors; n++) {
		fill_sector(b, n);
		cr_assert_eq(write(fd, b, sizeof(b)), (ssize_t)sizeof(b));
	}
	close(fd);
}

static int start(unsigned ndisks)
{
	char err[256];
	struct irq_line line = { irq_cb, NULL, 14 };
	const char *imgs[2] = { ndisks > 0 ? image[0] : NULL, ndisks > 1 ? image[1] : NULL };

	insns = 0;
	irq14 = 0;
	bus_init(&bus);
	clock_init(&clk, &insns);
	cr_assert_eq(phys_init(&mem, 1 << 20, 0, err, sizeof(err)), 0, "%s", err);
	if (ide_init(&ide, &clk, &mem, &line, imgs, err, sizeof(err)))
		return -1;
	cr_assert_eq(ide_register(&ide, &bus, err, sizeof(err)), 0, "%s", err);
	pci_host_init(&pci);
	cr_assert_eq(pci_attach(&pci, 1, 1, &ide.pci, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(pci_host_register(&pci, &bus, err, sizeof(err)), 0, "%s", err);
	return 0;
}

static void setup(void)
{
	make_image(0, SECTORS);
	make_image(1, 16);
	cr_assert_eq(start(1), 0);
}

static void teardown(void)
{
	ide_free(&ide);
	phys_free(&mem);
	unlink(image[0]);
	unlink(image[1]);
}

TestSuite(ide, .init = setup, .fini = teardown);

static void lba28(uint32_t lba, uint8_t count)
{
	out(0x1f6, (uint8_t)(0xe0 | (lba >> 24)));
	out(0x1f2, count);
	out(0x1f3, (uint8_t)lba);
	out(0x1f4, (uint8_t)(lba >> 8));
	out(0x1f5, (uint8_t)(lba >> 16));
}

static void read_block(uint8_t *b)
{
	for (unsigned i = 0; i < IDE_SECTOR; i += 2) {
		uint16_t w = (uint16_t)bus_pio_read(&bus, 0x1f0, 2);
		b[i] = (uint8_t)w;
		b[i + 1] = (uint8_t)(w >> 8);
	}
}

static void enable_bus_master(void)
{
	bus_pio_write(&bus, 0xcf8, 4, 0x80000904);
	bus_pio_write(&bus, 0xcfc, 2, 0x0107);
}

/* IDENTIFY: BSY, then DRQ and IRQ14 after the modeled delay; QEMU's words. */
Test(ide, identify)
{
	uint16_t w[256];
	char model[41] = { 0 }, serial[21] = { 0 };

	out(0x1f6, 0xa0);
	out(0x1f7, ATA_CMD_IDENTIFY);
	cr_assert_eq(in(0x3f6), 0xd0, "BSY while the command runs");
	wait_ns(IDE_CMD_NS - 1);
	cr_assert_eq(irq14, 0);
	wait_ns(1);
	cr_assert_eq(irq14, 1);
	cr_assert_eq(in(0x3f6), 0x58);
	cr_assert_eq(irq14, 1, "alternate status does not acknowledge");
	cr_assert_eq(in(0x1f7), 0x58);
	cr_assert_eq(irq14, 0, "status does");
	for (unsigned i = 0; i < 256; i++)
		w[i] = (uint16_t)bus_pio_read(&bus, 0x1f0, 2);
	cr_assert_eq(in(0x1f7), 0x50);
	for (unsigned i = 0; i < 20; i++) {
		model[2 * i] = (char)(w[27 + i] >> 8);
		model[2 * i + 1] = (char)w[27 + i];
	}
	for (unsigned i = 0; i < 10; i++) {
		serial[2 * i] = (char)(w[10 + i] >> 8);
		serial[2 * i + 1] = (char)w[10 + i];
	}
	cr_assert_str_eq(model, "QEMU HARDDISK                           ");
	cr_assert_str_eq(serial, "QM00001             ");
	cr_assert_eq(w[23], 0x322e);
	cr_assert_eq(w[24], 0x352b);
	cr_assert_eq(w[0], 0x0040);
	cr_assert_eq(w[1], 2, "cylinders for 256 sectors, as QEMU's guess");
	cr_assert_eq(w[49], 0x0b00);
	cr_assert_eq(w[60] | w[61] << 16, SECTORS);
	cr_assert_eq(w[100], SECTORS);
	cr_assert_eq(w[83], 0x7400);
	cr_assert_eq(w[88], 0x203f);
	cr_assert_eq(w[93], 0x6001);
}

/* SET FEATURES transfer mode changes the selected-mode bits QEMU reports. */
Test(ide, set_features_mode)
{
	uint16_t w[256];

	out(0x1f1, 0x03);
	out(0x1f2, 0x42);
	out(0x1f7, ATA_CMD_SET_FEATURES);
	wait_ns(IDE_CMD_NS);
	cr_assert_eq(in(0x1f7), 0x50);
	out(0x1f7, ATA_CMD_IDENTIFY);
	wait_ns(IDE_CMD_NS);
	for (unsigned i = 0; i < 256; i++)
		w[i] = (uint16_t)bus_pio_read(&bus, 0x1f0, 2);
	cr_assert_eq(w[88], 0x043f, "UDMA2 selected");
	out(0x1f1, 0x77);
	out(0x1f7, ATA_CMD_SET_FEATURES);
	wait_ns(IDE_CMD_NS);
	cr_assert_eq(in(0x1f7), 0x41);
	cr_assert_eq(in(0x1f1), ATA_ER_ABRT);
}

/* PIO read of two sectors: one DRQ block and one IRQ each, registers advance. */
Test(ide, pio_read_multi)
{
	uint8_t b[IDE_SECTOR], want[IDE_SECTOR];

	lba28(3, 2);
	out(0x1f7, ATA_CMD_READ_SECTORS);
	wait_ns(IDE_CMD_NS);
	cr_assert_eq(in(0x1f7), 0x58);
	cr_assert_eq(in(0x1f2), 1);
	cr_assert_eq(in(0x1f3), 4);
	read_block(b);
	fill_sector(want, 3);
	cr_assert_arr_eq(b, want, IDE_SECTOR);
	cr_assert_eq(in(0x3f6) & (ATA_SR_BSY | ATA_SR_DRQ), ATA_SR_BSY);
	wait_ns(IDE_CMD_NS);
	cr_assert_eq(irq14, 1);
	cr_assert_eq(in(0x1f7), 0x58);
	/* 32-bit data accesses work as well. */
	for (unsigned i = 0; i < IDE_SECTOR; i += 4) {
		uint32_t v = bus_pio_read(&bus, 0x1f0, 4);
		memcpy(b + i, &v, 4);
	}
	fill_sector(want, 4);
	cr_assert_arr_eq(b, want, IDE_SECTOR);
	cr_assert_eq(in(0x1f7), 0x50);
	cr_assert_eq(in(0x1f2), 0);
	cr_assert_eq(in(0x1f3), 5);
}

/* PIO write then read back, through the guest and through the file. */
Test(ide, pio_write_round_trip)
{
	uint8_t b[IDE_SECTOR], got[IDE_SECTOR];

	lba28(200, 2);
	out(0x1f7, ATA_CMD_WRITE_SECTORS);
	cr_assert_eq(in(0x1f7), 0x58, "the first block is asked for at once");
	cr_assert_eq(irq14, 0);
	for (unsigned s = 0; s < 2; s++) {
		memset(b, 0xa0 + s, sizeof(b));
		for (unsigned i = 0; i < IDE_SECTOR; i += 2)
			bus_pio_write(&bus, 0x1f0, 2, b[i] | b[i + 1] << 8);
		cr_assert_eq(in(0x3f6) & ATA_SR_BSY, ATA_SR_BSY);
		wait_ns(IDE_CMD_NS);
		cr_assert_eq(irq14, 1);
		cr_assert_eq(in(0x1f7), s == 0 ? 0x58 : 0x50);
	}
	int fd = open(image[0], O_RDONLY);
	cr_assert_eq(pread(fd, got, sizeof(got), 201 * IDE_SECTOR), IDE_SECTOR);
	close(fd);
	cr_assert_arr_eq(got, b, IDE_SECTOR);
	lba28(200, 1);
	out(0x1f7, ATA_CMD_READ_SECTORS);
	wait_ns(IDE_CMD_NS);
	read_block(got);
	memset(b, 0xa0, sizeof(b));
	cr_assert_arr_eq(got, b, IDE_SECTOR);
}

/* 48-bit READ SECTORS EXT takes the address from the HOB registers. */
Test(ide, lba48_read)
{
	uint8_t b[IDE_SECTOR], want[IDE_SECTOR];

	out(0x1f6, 0x40);
	out(0x1f2, 0); out(0x1f2, 1);
	out(0x1f3, 0); out(0x1f3, 0xf0);
	out(0x1f4, 0); out(0x1f4, 0);
	out(0x1f5, 0); out(0x1f5, 0);
	out(0x3f6, ATA_DC_HOB);
	cr_assert_eq(in(0x1f3), 0);
	out(0x3f6, 0);
	cr_assert_eq(in(0x1f3), 0xf0);
	out(0x1f7, ATA_CMD_READ_SECTORS_EXT);
	wait_ns(IDE_CMD_NS);
	read_block(b);
	fill_sector(want, 0xf0);
	cr_assert_arr_eq(b, want, IDE_SECTOR);
}

/* Beyond capacity: ERR with ABRT, and the interrupt still comes. */
Test(ide, lba_beyond_capacity)
{
	lba28(SECTORS - 1, 2);
	out(0x1f7, ATA_CMD_READ_SECTORS);
	wait_ns(IDE_CMD_NS);
	cr_assert_eq(irq14, 1);
	cr_assert_eq(in(0x1f7), 0x41);
	cr_assert_eq(in(0x1f1), ATA_ER_ABRT);
}

/* Unknown opcodes abort. */
Test(ide, unknown_command)
{
	out(0x1f7, 0x99);
	wait_ns(IDE_CMD_NS);
	cr_assert_eq(in(0x1f7), 0x41);
	cr_assert_eq(in(0x1f1), ATA_ER_ABRT);
}

/* nIEN keeps INTRQ off the wire; clearing it shows the pending interrupt. */
Test(ide, nien_suppresses_irq)
{
	out(0x3f6, ATA_DC_NIEN);
	out(0x1f7, ATA_CMD_IDENTIFY);
	wait_ns(IDE_CMD_NS);
	cr_assert_eq(in(0x3f6), 0x58);
	cr_assert_eq(irq14, 0);
	cr_assert_eq(bus_pio_read(&bus, BM + 2, 1) & BM_ST_INT, 0);
	out(0x3f6, 0);
	cr_assert_eq(irq14, 1);
}

/* SRST: BSY while asserted, then the ATA disk signature. */
Test(ide, soft_reset)
{
	out(0x1f2, 0x33);
	out(0x3f6, ATA_DC_SRST);
	cr_assert_eq(in(0x3f6) & ATA_SR_BSY, ATA_SR_BSY);
	out(0x3f6, 0);
	cr_assert_eq(in(0x1f7), 0x50);
	cr_assert_eq(in(0x1f1), 0x01);
	cr_assert_eq(in(0x1f2), 1);
	cr_assert_eq(in(0x1f3), 1);
	cr_assert_eq(in(0x1f4), 0);
	cr_assert_eq(in(0x1f5), 0);
}

/* An absent slave reads status 0 and ignores commands, as QEMU's does. */
Test(ide, absent_slave)
{
	out(0x1f6, 0xb0);
	cr_assert_eq(in(0x1f7), 0);
	cr_assert_eq(in(0x3f6), 0);
	out(0x1f7, ATA_CMD_IDENTIFY);
	wait_ns(IDE_CMD_NS);
	cr_assert_eq(irq14, 0);
	out(0x1f2, 0x55);
	cr_assert_eq(in(0x1f2), 0x55);
	cr_assert_eq(in(0x1f6), 0xb0);
}

/* A second image is the primary slave, serial QM00002. */
Test(ide, slave_disk)
{
	uint16_t w[256];

	ide_free(&ide);
	phys_free(&mem);
	cr_assert_eq(start(2), 0);
	out(0x1f6, 0xb0);
	out(0x1f7, ATA_CMD_IDENTIFY);
	wait_ns(IDE_CMD_NS);
	for (unsigned i = 0; i < 256; i++)
		w[i] = (uint16_t)bus_pio_read(&bus, 0x1f0, 2);
	cr_assert_eq(w[13], 0x3220, "QM00002");
	cr_assert_eq(w[60], 16);
}

static void prd(uint32_t at, uint32_t addr, uint32_t count, bool eot)
{
	uint32_t e[2] = { addr, (count & 0xffff) | (eot ? BM_PRD_EOT : 0) };
	phys_dma_write(&mem, at, e, sizeof(e));
}

static void start_dma(uint8_t cmd, uint32_t lba, uint8_t count, bool to_memory)
{
	bus_pio_write(&bus, BM + 4, 4, 0x1000);
	bus_pio_write(&bus, BM + 2, 1, BM_ST_INT | BM_ST_ERR);
	lba28(lba, count);
	out(0x1f7, cmd);
	bus_pio_write(&bus, BM, 1, BM_CMD_START | (to_memory ? BM_CMD_READ : 0));
}

/* READ DMA scatters sectors into the PRD regions; Active drops at EOT. */
Test(ide, dma_read)
{
	uint8_t got[IDE_SECTOR], want[IDE_SECTOR];

	enable_bus_master();
	prd(0x1000, 0x20000, 512, false);
	prd(0x1008, 0x30000, 512, true);
	start_dma(ATA_CMD_READ_DMA, 7, 2, true);
	cr_assert_eq(bus_pio_read(&bus, BM + 2, 1), BM_ST_ACTIVE);
	wait_ns(IDE_CMD_NS + 2 * IDE_DMA_SECTOR_NS);
	cr_assert_eq(irq14, 1);
	cr_assert_eq(bus_pio_read(&bus, BM + 2, 1), BM_ST_INT);
	cr_assert_eq(in(0x1f7), 0x50);
	phys_dma_read(&mem, 0x20000, got, sizeof(got));
	fill_sector(want, 7);
	cr_assert_arr_eq(got, want, IDE_SECTOR);
	phys_dma_read(&mem, 0x30000, got, sizeof(got));
	fill_sector(want, 8);
	cr_assert_arr_eq(got, want, IDE_SECTOR);
	cr_assert_eq(in(0x1f3), 9, "registers point past the transfer");
}

/* WRITE DMA with a byte count of 0 moves 64 KiB from one PRD. */
Test(ide, dma_write_64k_prd)
{
	uint8_t b[IDE_SECTOR];

	enable_bus_master();
	for (uint32_t n = 0; n < 128; n++) {
		memset(b, (uint8_t)(n * 3), sizeof(b));
		phys_dma_write(&mem, 0x40000 + n * IDE_SECTOR, b, sizeof(b));
	}
	prd(0x1000, 0x40000, 0, true);
	start_dma(ATA_CMD_WRITE_DMA, 16, 128, false);
	wait_ns(IDE_CMD_NS + 128 * IDE_DMA_SECTOR_NS);
	cr_assert_eq(in(0x1f7), 0x50);
	cr_assert_eq(bus_pio_read(&bus, BM + 2, 1), BM_ST_INT);
	int fd = open(image[0], O_RDONLY);
	cr_assert_eq(pread(fd, b, sizeof(b), (16 + 127) * IDE_SECTOR), IDE_SECTOR);
	close(fd);
	cr_assert_eq(b[0], (uint8_t)(127 * 3));
	cr_assert_eq(b[511], (uint8_t)(127 * 3));
}

/* PRDs shorter than the transfer: nothing moves, Active drops, no IRQ. */
Test(ide, dma_prds_too_short)
{
	uint8_t got[4] = { 0 };

	enable_bus_master();
	prd(0x1000, 0x20000, 512, true);
	start_dma(ATA_CMD_READ_DMA, 1, 2, true);
	wait_ns(IDE_CMD_NS + 2 * IDE_DMA_SECTOR_NS);
	cr_assert_eq(irq14, 0);
	cr_assert_eq(bus_pio_read(&bus, BM + 2, 1), 0);
	cr_assert_eq(in(0x1f7), 0x50);
	phys_dma_read(&mem, 0x20000, got, sizeof(got));
	cr_assert_eq(got[0] | got[1] | got[2] | got[3], 0);
}

/* PRDs longer than the transfer: Interrupt with Active still set. */
Test(ide, dma_prd_longer)
{
	enable_bus_master();
	prd(0x1000, 0x20000, 4096, true);
	start_dma(ATA_CMD_READ_DMA, 1, 1, true);
	wait_ns(IDE_CMD_NS + IDE_DMA_SECTOR_NS);
	cr_assert_eq(bus_pio_read(&bus, BM + 2, 1), BM_ST_INT | BM_ST_ACTIVE);
	bus_pio_write(&bus, BM, 1, 0);
	cr_assert_eq(bus_pio_read(&bus, BM + 2, 1), BM_ST_INT, "stop clears Active");
}

/* A PRD pointing outside guest RAM: bus-master Error and an aborted command. */
Test(ide, dma_outside_ram)
{
	enable_bus_master();
	prd(0x1000, 0x200000, 512, true);
	start_dma(ATA_CMD_READ_DMA, 1, 1, true);
	wait_ns(IDE_CMD_NS + IDE_DMA_SECTOR_NS);
	cr_assert_eq(bus_pio_read(&bus, BM + 2, 1), BM_ST_ERR | BM_ST_INT);
	cr_assert_eq(in(0x1f7), 0x41);
}

/* With bus mastering disabled, the transfer reaches no memory (QEMU). */
Test(ide, dma_needs_bus_master)
{
	uint8_t got[4] = { 0 };

	prd(0x1000, 0x20000, 512, true);
	start_dma(ATA_CMD_READ_DMA, 1, 1, true);
	wait_ns(IDE_CMD_NS + IDE_DMA_SECTOR_NS);
	phys_dma_read(&mem, 0x20000, got, sizeof(got));
	cr_assert_eq(got[0] | got[1] | got[2] | got[3], 0);
}

/* The DMA does not start before the engine does. */
Test(ide, dma_waits_for_start)
{
	enable_bus_master();
	prd(0x1000, 0x20000, 512, true);
	bus_pio_write(&bus, BM + 4, 4, 0x1000);
	lba28(2, 1);
	out(0x1f7, ATA_CMD_READ_DMA);
	wait_ns(100000);
	cr_assert_eq(irq14, 0);
	cr_assert_eq(in(0x1f7), 0x58);
	bus_pio_write(&bus, BM, 1, BM_CMD_START | BM_CMD_READ);
	wait_ns(IDE_CMD_NS + IDE_DMA_SECTOR_NS);
	cr_assert_eq(irq14, 1);
}

/* A read-only image reads but aborts writes. */
Test(ide, read_only_image)
{
	uint8_t b[IDE_SECTOR], want[IDE_SECTOR];

	ide_free(&ide);
	phys_free(&mem);
	cr_assert_eq(chmod(image[0], 0444), 0);
	/* Root opens anything read-write; drop to nobody to see the refusal. */
	bool root = geteuid() == 0;
	if (root)
		cr_assert_eq(seteuid(65534), 0);
	int r = start(1);
	if (root)
		cr_assert_eq(seteuid(0), 0);
	cr_assert_eq(r, 0);
	cr_assert(ide.drive[0].readonly);
	lba28(9, 1);
	out(0x1f7, ATA_CMD_WRITE_SECTORS);
	wait_ns(IDE_CMD_NS);
	cr_assert_eq(in(0x1f7), 0x41);
	cr_assert_eq(in(0x1f1), ATA_ER_ABRT);
	lba28(9, 1);
	out(0x1f7, ATA_CMD_READ_SECTORS);
	wait_ns(IDE_CMD_NS);
	read_block(b);
	fill_sector(want, 9);
	cr_assert_arr_eq(b, want, IDE_SECTOR);
}

/* Unusable images give one line naming the file and the reason. */
Test(ide, unusable_images)
{
	char err[256];
	const char *missing[2] = { "/tmp/vmmsim-no-such-image", NULL };
	struct irq_line line = { irq_cb, NULL, 14 };
	struct ide other;

	cr_assert_eq(ide_init(&other, &clk, &mem, &line, missing, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "disk image /tmp/vmmsim-no-such-image: No such file or directory");
	cr_assert_eq(truncate(image[1], 100), 0);
	const char *tiny[2] = { image[1], NULL };
	cr_assert_eq(ide_init(&other, &clk, &mem, &line, tiny, err, sizeof(err)), -1);
	cr_assert(strstr(err, image[1]) && strstr(err, "smaller than one 512-byte sector"),
		  "%s", err);
}

/* The file's sector n, read past the device. */
static void file_sector(unsigned img, uint32_t n, uint8_t *b)
{
	int fd = open(image[img], O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pread(fd, b, IDE_SECTOR, (off_t)n * IDE_SECTOR), IDE_SECTOR);
	close(fd);
}

/*
 * A recording run writes through to the image and keeps what it
 * overwrote; a replaying run then sees the image as it was before, and
 * its own writes never reach the file.
 */
Test(ide, undo_record_then_replay)
{
	struct disk_undo undo = { 0 };
	uint8_t w[IDE_SECTOR], b[IDE_SECTOR], orig[IDE_SECTOR];

	ide_set_undo(&ide, 0, &undo, false);
	memset(w, 0xee, sizeof(w));
	ide.active = 0;
	cr_assert_eq(ide_disk_io(&ide, w, 7, 1, true), 0);
	memset(w, 0xdd, sizeof(w));
	cr_assert_eq(ide_disk_io(&ide, w, 7, 1, true), 0, "a second write keeps the first original");
	file_sector(0, 7, b);
	cr_assert_arr_eq(b, w, IDE_SECTOR, "the recording run writes the image");
	cr_assert_eq(undo.orig.n, 1);
	ide_free(&ide);
	phys_free(&mem);

	cr_assert_eq(start(1), 0);
	ide_set_undo(&ide, 0, &undo, true);
	ide.active = 0;
	fill_sector(orig, 7);
	cr_assert_eq(ide_disk_io(&ide, b, 7, 1, false), 0);
	cr_assert_arr_eq(b, orig, IDE_SECTOR, "the replay reads the original");
	memset(w, 0x11, sizeof(w));
	cr_assert_eq(ide_disk_io(&ide, w, 9, 1, true), 0);
	cr_assert_eq(ide_disk_io(&ide, b, 9, 1, false), 0);
	cr_assert_arr_eq(b, w, IDE_SECTOR, "the replay reads its own write");
	file_sector(0, 9, b);
	fill_sector(orig, 9);
	cr_assert_arr_eq(b, orig, IDE_SECTOR, "the replay leaves the image alone");
	disk_undo_free(&undo);
}

/* The sector map keeps every sector through its growth. */
Test(ide, sector_map_growth)
{
	struct sector_map m = { 0 };

	for (uint64_t lba = 0; lba < 5000; lba++) {
		uint8_t *s = sector_map_put(&m, lba * 977 + (lba << 33));
		cr_assert_not_null(s);
		memset(s, (int)(lba & 0xff), DISK_SECTOR);
	}
	cr_assert_eq(m.n, 5000);
	for (uint64_t lba = 0; lba < 5000; lba++) {
		const uint8_t *s = sector_map_get(&m, lba * 977 + (lba << 33));
		cr_assert_not_null(s);
		cr_assert_eq(s[0], lba & 0xff);
		cr_assert_eq(s[DISK_SECTOR - 1], lba & 0xff);
	}
	cr_assert_null(sector_map_get(&m, 1));
	sector_map_free(&m);
}
