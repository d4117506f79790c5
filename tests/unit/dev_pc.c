/* The assembled pc platform: ports, IRQ routing, firmware hand-off state. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/dev/bus.h"
#include "core/dev/pc.h"
#include "core/mmu/phys.h"

/* See dev_ide.c: machine memory is not part of vmm_dev's link yet. */

static struct bus bus;
static struct clock clk;
static uint64_t insns;
static struct phys mem;
static struct pc_devices pc;
static int intr;
static char disk[64];
static unsigned sink_irq;
static int sink_level;

static void intr_cb(void *cpu, int level) { intr = level; }

static void sink(void *ctrl, unsigned irq, int level)
{
	sink_irq = irq;
	sink_level = level;
}

static void out(uint16_t port, uint8_t v) { bus_pio_write(&bus, port, 1, v); }
static uint8_t in(uint16_t port) { return (uint8_t)bus_pio_read(&bus, port, 1); }

static void setup(void)
{
	char err[256];
	struct intr_pin pin = { intr_cb, NULL };

	snprintf(disk, sizeof(disk), "/tmp/vmmsim-pc-XXXXXX");
	int fd = mkstemp(disk);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, 64 * 512), 0);
	close(fd);
	struct pc_config cfg = { .serial_out = tmpfile(), .disks = { disk, NULL } };
	insns = 0;
	intr = 0;
	bus_init(&bus);
	clock_init(&clk, &insns);
	cr_assert_eq(phys_init(&mem, 64u << 20, 0, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(pc_devices_init(&pc, &bus, &clk, &mem, &cfg, &pin, err, sizeof(err)), 0,
		     "%s", err);
}

static void teardown(void)
{
	pc_devices_free(&pc);
	phys_free(&mem);
	unlink(disk);
}

TestSuite(pc, .init = setup, .fini = teardown);

static bool has_region(const char *name, uint32_t base)
{
	for (int i = 0; i < bus.pio.n; i++)
		if (!strcmp(bus.pio.r[i].name, name) && bus.pio.r[i].base == base)
			return true;
	return false;
}

/* Every device sits at QEMU's ports under its own counter name. */
Test(pc, port_map)
{
	cr_assert(has_region("pic-master", 0x20));
	cr_assert(has_region("pic-slave", 0xa0));
	cr_assert(has_region("elcr", 0x4d0));
	cr_assert(has_region("pit", 0x40));
	cr_assert(has_region("port61", 0x61));
	cr_assert(has_region("kbc-data", 0x60));
	cr_assert(has_region("kbc-cmd", 0x64));
	cr_assert(has_region("cmos", 0x70));
	cr_assert(has_region("post", 0x80));
	cr_assert(has_region("port92", 0x92));
	cr_assert(has_region("debug-exit", 0xf4));
	cr_assert(has_region("ide", 0x1f0));
	cr_assert(has_region("ide-ctl", 0x3f6));
	cr_assert(has_region("com1", 0x3f8));
	cr_assert(has_region("pci-addr", 0xcf8));
	cr_assert(has_region("pci-data", 0xcfc));
	cr_assert(has_region("ide-bm", IDE_BM_BASE));
	cr_assert(has_region("imcr", 0x22));
	cr_assert(has_region("crtc", 0x3d4));
	cr_assert(has_region("vga-status", 0x3da));
}

/* The APICs at QEMU's addresses; the CGA buffer stays RAM (no MMIO claims it). */
Test(pc, mmio_map)
{
	cr_assert_str_eq(bus_mmio_find(&bus, 0xfee00000)->name, "lapic");
	cr_assert_str_eq(bus_mmio_find(&bus, 0xfec00000)->name, "ioapic");
	cr_assert_null(bus_mmio_find(&bus, 0xb8000));
	cr_assert_null(bus_mmio_find(&bus, 0xfee01000), "4 KiB of APIC registers, no MSI window");
}

/* The CRTC as the VGA BIOS leaves it: index 0x0f, cursor at row 8. */
Test(pc, crtc_firmware_state)
{
	cr_assert_eq(in(0x3d4), 0x0f);
	out(0x3d4, 0x0e);
	cr_assert_eq(in(0x3d5), 0x02);
	out(0x3d4, 0x0f);
	cr_assert_eq(in(0x3d5), 0x80);
	out(0x3d4, 0x0a);
	cr_assert_eq(in(0x3d5), 0x0d, "cursor start line");
	cr_assert_eq(cga_cursor(&pc.cga), 0x0280);
}

/* Cursor registers read back; a 16-bit OUT is index then data. */
Test(pc, crtc_cursor_write)
{
	out(0x3d4, 0x0e);
	out(0x3d5, 0x07);
	bus_pio_write(&bus, 0x3d4, 2, 0xd00f);
	cr_assert_eq(cga_cursor(&pc.cga), 0x07d0);
	cr_assert_eq(in(0x3d5), 0xd0);
	out(0x3d4, 0x3f);
	cr_assert_eq(in(0x3d4), 0x3f, "all 8 index bits read back");
	out(0x3d5, 0x12);
	cr_assert_eq(in(0x3d5), 0x00, "no register beyond 0x18");
}

/* Register 0x11 bit 7 protects registers 0-7 except bit 4 of register 7. */
Test(pc, crtc_protect)
{
	out(0x3d4, 0x01);
	out(0x3d5, 0x27);
	cr_assert_eq(in(0x3d5), 0x4f);
	out(0x3d4, 0x07);
	out(0x3d5, 0x00);
	cr_assert_eq(in(0x3d5), 0x0f, "only the line-compare bit changed");
	out(0x3d4, 0x11);
	out(0x3d5, 0x0e);
	out(0x3d4, 0x01);
	out(0x3d5, 0x27);
	cr_assert_eq(in(0x3d5), 0x27);
}

/* Input status 1 toggles retrace and display enable, first read 0x09. */
Test(pc, vga_status_toggles)
{
	cr_assert_eq(in(0x3da), 0x09);
	cr_assert_eq(in(0x3da), 0x00);
	cr_assert_eq(in(0x3da), 0x09);
}

/* With the firmware's LINT0 (ExtINT) every PIC vector above still arrives;
 * masking LINT0 cuts the virtual wire. */
Test(pc, virtual_wire)
{
	bus_mmio_write(&bus, 0xfee00350, 4, 0x10700);
	insns = pit_clock_ns(65536);
	clock_run_due(&clk);
	cr_assert_eq(intr, 0);
	cr_assert_eq(in(0x20) & 1, 1, "the PIC holds IRQ0");
	bus_mmio_write(&bus, 0xfee00350, 4, 0x00700);
	cr_assert_eq(intr, 1);
	cr_assert_eq(pc_intr_ack(&pc), 0x08);
}

/* SeaBIOS's PIT and PIC state: IRQ0 at 18.2 Hz arrives as vector 0x08. */
Test(pc, timer_interrupt_vector)
{
	insns = pit_clock_ns(65536) - 1;
	clock_run_due(&clk);
	cr_assert_eq(intr, 0);
	insns++;
	clock_run_due(&clk);
	cr_assert_eq(intr, 1);
	cr_assert_eq(pc_intr_ack(&pc), 0x08);
	cr_assert_eq(intr, 0);
}

/* COM1 on IRQ4 is masked by the firmware until the guest unmasks it. */
Test(pc, uart_interrupt_vector)
{
	out(0x3f9, UART_IER_ETBEI);
	cr_assert_eq(intr, 0);
	cr_assert_eq(pc.isa_levels & (1u << 4), 1u << 4, "the line itself is up");
	out(0x21, 0xa8);
	cr_assert_eq(intr, 1);
	cr_assert_eq(pc_intr_ack(&pc), 0x0c);
}

/* IRQ14 reaches the CPU through the slave: vector 0x76. */
Test(pc, ide_interrupt_vector)
{
	out(0x1f7, ATA_CMD_IDENTIFY);
	insns += IDE_CMD_NS;
	clock_run_due(&clk);
	cr_assert_eq(intr, 1);
	cr_assert_eq(pc_intr_ack(&pc), 0x76);
}

/* An extra sink sees the same ISA levels as the PICs and the I/O APIC. */
Test(pc, irq_sink)
{
	pc_set_irq_sink(&pc, sink, NULL);
	out(0x3f9, UART_IER_ETBEI);
	cr_assert_eq(sink_irq, 4);
	cr_assert_eq(sink_level, 1);
}

/* The debug-exit port ends the run with the written value. */
Test(pc, exit_request)
{
	uint32_t v = 0;

	cr_assert(!pc_exit_requested(&pc, &v));
	bus_pio_write(&bus, 0xf4, 4, 0x2a);
	cr_assert(pc_exit_requested(&pc, &v));
	cr_assert_eq(v, 0x2a);
}

/* CMOS carries the 64 MiB of this machine; PCI shows BAR4 at 0xc041. */
Test(pc, cmos_and_pci)
{
	out(0x70, 0x34);
	cr_assert_eq(in(0x71), 0x00);
	out(0x70, 0x35);
	cr_assert_eq(in(0x71), 0x03);
	bus_pio_write(&bus, 0xcf8, 4, 0x80000920);
	cr_assert_eq(bus_pio_read(&bus, 0xcfc, 4), 0xc041);
	bus_pio_write(&bus, 0xcf8, 4, 0x80000904);
	cr_assert_eq(bus_pio_read(&bus, 0xcfc, 4), 0x02800103);
}

/* COM1 as SeaBIOS leaves it: 115200 baud 8N1, FIFOs on, OUT2. */
Test(pc, uart_firmware_state)
{
	cr_assert_eq(in(0x3fb), 0x03);
	cr_assert_eq(in(0x3fc), 0x08);
	cr_assert_eq(in(0x3fa), 0xc1);
	out(0x3fb, 0x83);
	cr_assert_eq(in(0x3f8), 0x01);
	cr_assert_eq(in(0x3f9), 0x00);
}

/* A device added on a taken port is refused, naming the owner. */
Test(pc, overlap_refused)
{
	char err[160];
	static const struct bus_ops none = { NULL, NULL };

	cr_assert_eq(bus_add_pio(&bus, "com1-again", 0x3fc, 2, BUS_1, &none, NULL, err,
				 sizeof(err)), -1);
	cr_assert(strstr(err, "com1-again") && strstr(err, "of com1"), "%s", err);
}

static void fill_image(const char *path, uint8_t tag)
{
	uint8_t b[512];
	FILE *f = fopen(path, "wb");

	cr_assert(f);
	for (unsigned n = 0; n < 8; n++) {
		memset(b, tag ^ n, sizeof(b));
		cr_assert_eq(fwrite(b, sizeof(b), 1, f), 1);
	}
	fclose(f);
}

static void read_sector(struct bus *b, uint8_t *buf)
{
	for (unsigned i = 0; i < 512; i += 2) {
		uint16_t w = (uint16_t)bus_pio_read(b, 0x1f0, 2);
		buf[i] = (uint8_t)w;
		buf[i + 1] = (uint8_t)(w >> 8);
	}
}

/* Two --disk images: master and slave on one channel, both on IRQ14;
 * the slave reads and writes its own image through the ports. */
Test(pc, slave_disk_pio)
{
	char err[256], img[2][64];
	struct pc_devices two;
	struct bus b2;
	uint8_t buf[512];

	for (int i = 0; i < 2; i++) {
		snprintf(img[i], sizeof(img[i]), "/tmp/vmmsim-pc2-XXXXXX");
		close(mkstemp(img[i]));
		fill_image(img[i], i ? 0xb0 : 0xa0);
	}
	struct pc_config cfg = { .disks = { img[0], img[1] } };
	struct intr_pin pin = { intr_cb, NULL };
	bus_init(&b2);
	cr_assert_eq(pc_devices_init(&two, &b2, &clk, &mem, &cfg, &pin, err, sizeof(err)), 0,
		     "%s", err);
	bus_pio_write(&b2, 0xa1, 1, 0x8e & ~0x40);
	bus_pio_write(&b2, 0x1f6, 1, 0xf0);
	bus_pio_write(&b2, 0x1f2, 1, 1);
	bus_pio_write(&b2, 0x1f3, 1, 3);
	bus_pio_write(&b2, 0x1f4, 1, 0);
	bus_pio_write(&b2, 0x1f5, 1, 0);
	bus_pio_write(&b2, 0x1f7, 1, ATA_CMD_READ_SECTORS);
	insns += IDE_CMD_NS;
	clock_run_due(&clk);
	cr_assert_eq(intr, 1);
	cr_assert_eq(pc_intr_ack(&two), 0x76, "IRQ14 through the slave PIC");
	read_sector(&b2, buf);
	cr_assert_eq(buf[0], 0xb3, "sector 3 of the slave's image");
	cr_assert_eq(buf[511], 0xb3);

	bus_pio_write(&b2, 0x1f6, 1, 0xf0);
	bus_pio_write(&b2, 0x1f3, 1, 5);
	bus_pio_write(&b2, 0x1f2, 1, 1);
	bus_pio_write(&b2, 0x1f7, 1, ATA_CMD_WRITE_SECTORS);
	for (unsigned i = 0; i < 256; i++)
		bus_pio_write(&b2, 0x1f0, 2, 0x5a5a);
	insns += IDE_CMD_NS;
	clock_run_due(&clk);
	bus_pio_write(&b2, 0x1f6, 1, 0xe0);
	bus_pio_write(&b2, 0x1f3, 1, 5);
	bus_pio_write(&b2, 0x1f2, 1, 1);
	bus_pio_write(&b2, 0x1f7, 1, ATA_CMD_READ_SECTORS);
	insns += IDE_CMD_NS;
	clock_run_due(&clk);
	read_sector(&b2, buf);
	cr_assert_eq(buf[0], 0xa5, "the master's sector 5 is untouched");
	pc_devices_free(&two);

	FILE *f = fopen(img[1], "rb");
	cr_assert(f);
	cr_assert_eq(fseek(f, 5 * 512, SEEK_SET), 0);
	cr_assert_eq(fread(buf, 1, 512, f), 512);
	fclose(f);
	cr_assert_eq(buf[0], 0x5a, "the slave's write reached its image");
	unlink(img[0]);
	unlink(img[1]);
}

/* A missing disk fails the whole platform with the file named. */
Test(pc, bad_disk)
{
	char err[256];
	struct pc_devices other;
	struct bus b2;
	struct clock c2;
	struct pc_config cfg = { .disks = { "/tmp/vmmsim-pc-missing", NULL } };

	bus_init(&b2);
	clock_init(&c2, &insns);
	cr_assert_eq(pc_devices_init(&other, &b2, &c2, &mem, &cfg, NULL, err, sizeof(err)), -1);
	cr_assert(strstr(err, "/tmp/vmmsim-pc-missing"), "%s", err);
}
