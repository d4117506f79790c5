/*
 * I/O APIC on the assembled pc: registers as QEMU shows them, ISA IRQs
 * routed to pins and on to the local APIC, masking, and level-triggered
 * remote IRR with the EOI broadcast. Registers go through the bus at
 * 0xfec00000; interrupts come from the ISA lines and the real devices.
 */
#include <criterion/criterion.h>
#include <stdio.h>

#include "core/dev/bus.h"
#include "core/dev/pc.h"
#include "core/mmu/phys.h"

static struct bus bus;
static struct clock clk;
static uint64_t insns;
static struct phys mem;
static struct pc_devices pc;
static int intr;

static void intr_cb(void *cpu, int level) { intr = level; }

static void setup(void)
{
	char err[256];
	struct intr_pin pin = { intr_cb, NULL };
	struct pc_config cfg = { .serial_out = NULL };

	insns = 0;
	intr = 0;
	bus_init(&bus);
	clock_init(&clk, &insns);
	cr_assert_eq(phys_init(&mem, 16u << 20, 0, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(pc_devices_init(&pc, &bus, &clk, &mem, &cfg, &pin, err, sizeof(err)), 0,
		     "%s", err);
	/* Mask both PICs, as a kernel does before it switches to the I/O APIC. */
	bus_pio_write(&bus, 0x21, 1, 0xff);
	bus_pio_write(&bus, 0xa1, 1, 0xff);
}

static void teardown(void)
{
	pc_devices_free(&pc);
	phys_free(&mem);
}

TestSuite(ioapic, .init = setup, .fini = teardown);

static uint32_t io_rd(uint8_t reg)
{
	bus_mmio_write(&bus, IOAPIC_BASE + IOAPIC_IOREGSEL, 4, reg);
	return bus_mmio_read(&bus, IOAPIC_BASE + IOAPIC_IOWIN, 4);
}

static void io_wr(uint8_t reg, uint32_t v)
{
	bus_mmio_write(&bus, IOAPIC_BASE + IOAPIC_IOREGSEL, 4, reg);
	bus_mmio_write(&bus, IOAPIC_BASE + IOAPIC_IOWIN, 4, v);
}

static void route(unsigned pin, uint32_t lo, uint8_t dest)
{
	io_wr(IOREDTBL + 2 * pin + 1, (uint32_t)dest << 24);
	io_wr(IOREDTBL + 2 * pin, lo);
}

static uint32_t entry_lo(unsigned pin) { return io_rd(IOREDTBL + 2 * pin); }

static void eoi(void) { bus_mmio_write(&bus, LAPIC_BASE + APIC_EOI, 4, 0); }

static void isa(unsigned irq, int level) { irq_set(&pc.isa_irq[irq], level); }

/* ID, version and arbitration as QEMU reads them; every pin masked. */
Test(ioapic, registers)
{
	cr_assert_eq(io_rd(IOAPICID), 0);
	cr_assert_eq(io_rd(IOAPICVER), 0x00170020);
	cr_assert_eq(io_rd(IOAPICARB), 0);
	for (unsigned pin = 0; pin < IOAPIC_NPINS; pin++) {
		cr_assert_eq(entry_lo(pin), 0x00010000, "pin %u", pin);
		cr_assert_eq(io_rd(IOREDTBL + 2 * pin + 1), 0);
	}
	io_wr(IOAPICID, 0xffffffff);
	cr_assert_eq(io_rd(IOAPICID), 0x0f000000, "a 4-bit ID");
	cr_assert_eq(io_rd(IOAPICARB), 0x0f000000, "arbitration reads as the ID");
	io_wr(IOAPICVER, 0);
	cr_assert_eq(io_rd(IOAPICVER), 0x00170020, "read-only");
	bus_mmio_write(&bus, IOAPIC_BASE, 4, 0x1ff);
	cr_assert_eq(bus_mmio_read(&bus, IOAPIC_BASE, 4), 0xff, "IOREGSEL holds 8 bits");
	cr_assert_eq(io_rd(0x40), 0, "an unknown register reads 0");
	bus_mmio_write(&bus, IOAPIC_BASE, 4, IOAPICVER);
	cr_assert_eq(bus_mmio_read(&bus, IOAPIC_BASE + IOAPIC_IOWIN, 2), 0, "narrow IOWIN reads 0");
}

/* Delivery status and remote IRR ignore writes. */
Test(ioapic, read_only_bits)
{
	io_wr(IOREDTBL + 10, 0xffffffff);
	io_wr(IOREDTBL + 11, 0xffffffff);
	cr_assert_eq(entry_lo(5), 0xffffafff);
	cr_assert_eq(io_rd(IOREDTBL + 11), 0xffffffff);
}

/* COM1's IRQ4 reaches the CPU as the vector of pin 4. */
Test(ioapic, isa_irq4)
{
	route(4, 0x34, 0);
	bus_pio_write(&bus, 0x3f9, 1, UART_IER_ETBEI);
	cr_assert_eq(intr, 1);
	cr_assert_eq(pc_intr_ack(&pc), 0x34);
}

/* The PIT's IRQ0 arrives on pin 2, nothing on pin 0, as the MP table says. */
Test(ioapic, pit_on_pin2)
{
	route(0, 0x30, 0);
	route(2, 0x32, 0);
	insns = pit_clock_ns(65536);
	clock_run_due(&clk);
	cr_assert_eq(intr, 1);
	cr_assert_eq(pc_intr_ack(&pc), 0x32);
	cr_assert_eq(intr, 0, "pin 0 got nothing");
}

/* An edge on a masked pin is lost; unmasking does not bring it back. */
Test(ioapic, masked_edge_lost)
{
	route(3, IOART_MASKED | 0x43, 0);
	isa(3, 1);
	isa(3, 0);
	route(3, 0x43, 0);
	cr_assert_eq(intr, 0);
	isa(3, 1);
	cr_assert_eq(intr, 1, "the next edge is delivered");
	cr_assert_eq(pc_intr_ack(&pc), 0x43);
}

/* Level: remote IRR holds further messages until the EOI; a line still
 * high then sends again, a line gone low does not. */
Test(ioapic, level_remote_irr)
{
	route(10, IOART_LEVEL | 0x5a, 0);
	isa(10, 1);
	cr_assert(entry_lo(10) & IOART_REM_IRR);
	cr_assert_eq(pc_intr_ack(&pc), 0x5a);
	eoi();
	cr_assert(entry_lo(10) & IOART_REM_IRR, "still high: sent again at EOI");
	cr_assert_eq(intr, 1);
	cr_assert_eq(pc_intr_ack(&pc), 0x5a);
	isa(10, 0);
	eoi();
	cr_assert_eq(entry_lo(10) & IOART_REM_IRR, 0);
	cr_assert_eq(intr, 0);
	cr_assert_eq(pc.ioapic.messages, 2);
}

/* While remote IRR is set, the pin sends nothing more, whatever the line does. */
Test(ioapic, level_no_resend_before_eoi)
{
	route(11, IOART_LEVEL | 0x5b, 0);
	isa(11, 1);
	cr_assert_eq(pc_intr_ack(&pc), 0x5b);
	isa(11, 0);
	isa(11, 1);
	cr_assert_eq(intr, 0);
	cr_assert_eq(pc.ioapic.messages, 1);
}

/* The EOI register (version 0x20) clears remote IRR like a broadcast. */
Test(ioapic, eoi_register)
{
	route(9, IOART_LEVEL | 0x59, 0);
	isa(9, 1);
	isa(9, 0);
	bus_mmio_write(&bus, IOAPIC_BASE + IOAPIC_EOI, 4, 0x58);
	cr_assert(entry_lo(9) & IOART_REM_IRR, "another vector's EOI");
	bus_mmio_write(&bus, IOAPIC_BASE + IOAPIC_EOI, 4, 0x59);
	cr_assert_eq(entry_lo(9) & IOART_REM_IRR, 0);
}

/* A masked level pin held high sends when unmasked. */
Test(ioapic, level_unmask_sends)
{
	route(14, IOART_MASKED | IOART_LEVEL | 0x6e, 0);
	isa(14, 1);
	cr_assert_eq(intr, 0);
	route(14, IOART_LEVEL | 0x6e, 0);
	cr_assert_eq(pc_intr_ack(&pc), 0x6e);
}

/* Switching a pin to edge clears a stuck remote IRR. */
Test(ioapic, edge_clears_remote_irr)
{
	route(12, IOART_LEVEL | 0x6c, 0);
	isa(12, 1);
	cr_assert(entry_lo(12) & IOART_REM_IRR);
	route(12, IOART_MASKED | 0x6c, 0);
	cr_assert_eq(entry_lo(12) & IOART_REM_IRR, 0);
}

/* Physical ID 1 is nobody; logical destinations match the LDR. */
Test(ioapic, destinations)
{
	route(6, 0x46, 1);
	isa(6, 1);
	cr_assert_eq(intr, 0, "no APIC with ID 1");
	isa(6, 0);
	bus_mmio_write(&bus, LAPIC_BASE + APIC_LDR, 4, 0x01u << 24);
	route(6, IOART_DEST_LOGICAL | 0x46, 0x01);
	isa(6, 1);
	cr_assert_eq(pc_intr_ack(&pc), 0x46);
	eoi();
	isa(6, 0);
	route(6, 0x47, 0xff);
	isa(6, 1);
	cr_assert_eq(pc_intr_ack(&pc), 0x47, "physical broadcast");
}

/* The PICs still hear every ISA line: unmasked again, they deliver. */
Test(ioapic, pic_still_wired)
{
	bus_pio_write(&bus, 0x21, 1, 0xef);
	bus_pio_write(&bus, 0x3f9, 1, UART_IER_ETBEI);
	cr_assert_eq(intr, 1);
	cr_assert_eq(pc_intr_ack(&pc), 0x0c, "through LINT0 as ExtINT");
}
