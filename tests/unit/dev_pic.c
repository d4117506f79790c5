/* 8259A pair through the bus, as a guest drives it. */
#include <criterion/criterion.h>

#include "core/dev/bus.h"
#include "core/dev/pic.h"

static struct bus bus;
static struct pic pic;
static int cpu_intr;

static void intr_cb(void *cpu, int level)
{
	*(int *)cpu = level;
}

static void out(uint16_t port, uint8_t v) { bus_pio_write(&bus, port, 1, v); }
static uint8_t in(uint16_t port) { return (uint8_t)bus_pio_read(&bus, port, 1); }

/* The init sequence Linux and xv6 use: vectors 0x20/0x28, cascade on IR2. */
static void init_pair(uint8_t icw4)
{
	out(0x20, 0x11); out(0x21, 0x20); out(0x21, 0x04); out(0x21, icw4);
	out(0xa0, 0x11); out(0xa1, 0x28); out(0xa1, 0x02); out(0xa1, icw4);
	out(0x21, 0x00); out(0xa1, 0x00);
}

static void setup(void)
{
	char err[128];
	struct intr_pin pin = { intr_cb, &cpu_intr };

	cpu_intr = 0;
	bus_init(&bus);
	pic_init(&pic, &pin);
	cr_assert_eq(pic_register(&pic, &bus, err, sizeof(err)), 0, "%s", err);
	init_pair(0x01);
}

static uint8_t read_isr(uint16_t base) { out(base, 0x0b); return in(base); }
static uint8_t read_irr(uint16_t base) { out(base, 0x0a); return in(base); }

TestSuite(pic, .init = setup);

/* ICW2 sets the vector base; INTA moves the request from IRR to ISR. */
Test(pic, vector_and_isr)
{
	pic_set_irq(&pic, 3, 1);
	cr_assert_eq(cpu_intr, 1);
	cr_assert_eq(read_irr(0x20), 0x08);
	cr_assert_eq(pic_intr_ack(&pic), 0x23);
	cr_assert_eq(read_isr(0x20), 0x08);
	cr_assert_eq(read_irr(0x20), 0x00);
	cr_assert_eq(cpu_intr, 0);
}

/* Fixed priority: IRQ3 before IRQ5; IRQ5 waits for the EOI of IRQ3. */
Test(pic, fixed_priority_and_eoi)
{
	pic_set_irq(&pic, 5, 1);
	pic_set_irq(&pic, 3, 1);
	cr_assert_eq(pic_intr_ack(&pic), 0x23);
	cr_assert_eq(cpu_intr, 0, "a lower priority must not interrupt IRQ3's service");
	out(0x20, 0x20);
	cr_assert_eq(cpu_intr, 1);
	cr_assert_eq(pic_intr_ack(&pic), 0x25);
}

/* A higher priority request interrupts a lower one in service (nesting). */
Test(pic, nesting)
{
	pic_set_irq(&pic, 5, 1);
	cr_assert_eq(pic_intr_ack(&pic), 0x25);
	pic_set_irq(&pic, 1, 1);
	cr_assert_eq(cpu_intr, 1);
	cr_assert_eq(pic_intr_ack(&pic), 0x21);
	cr_assert_eq(read_isr(0x20), 0x22);
	/* Non-specific EOI ends the highest priority in service: IRQ1. */
	out(0x20, 0x20);
	cr_assert_eq(read_isr(0x20), 0x20);
}

/* OCW1 masks hold a request in IRR without signalling the CPU. */
Test(pic, masking)
{
	out(0x21, 0x10);
	cr_assert_eq(in(0x21), 0x10);
	pic_set_irq(&pic, 4, 1);
	cr_assert_eq(cpu_intr, 0);
	cr_assert_eq(read_irr(0x20), 0x10);
	out(0x21, 0x00);
	cr_assert_eq(cpu_intr, 1);
	cr_assert_eq(pic_intr_ack(&pic), 0x24);
}

/* A slave request goes through IR2: slave vector, ISR bit 2 on the master. */
Test(pic, cascade)
{
	pic_set_irq(&pic, 10, 1);
	cr_assert_eq(cpu_intr, 1);
	cr_assert_eq(pic_intr_ack(&pic), 0x2a);
	cr_assert_eq(read_isr(0x20), 0x04);
	cr_assert_eq(read_isr(0xa0), 0x04);
	pic_set_irq(&pic, 10, 0);
	pic_set_irq(&pic, 9, 1);
	cr_assert_eq(cpu_intr, 0, "IR2 in service blocks the whole slave");
	out(0xa0, 0x20);
	out(0x20, 0x20);
	cr_assert_eq(cpu_intr, 1);
	cr_assert_eq(pic_intr_ack(&pic), 0x29);
}

/* Edge mode latches a pulse; level mode follows the line. */
Test(pic, edge_versus_level)
{
	pic_set_irq(&pic, 11, 1);
	pic_set_irq(&pic, 11, 0);
	cr_assert_eq(read_irr(0xa0), 0x08, "an edge stays latched after the line falls");
	cr_assert_eq(pic_intr_ack(&pic), 0x2b);
	out(0xa0, 0x20); out(0x20, 0x20);

	out(0x4d1, 0x08);
	cr_assert_eq(in(0x4d1), 0x08);
	pic_set_irq(&pic, 11, 1);
	cr_assert_eq(cpu_intr, 1);
	pic_set_irq(&pic, 11, 0);
	cr_assert_eq(read_irr(0xa0), 0x00, "a level request disappears with its line");
	pic_set_irq(&pic, 11, 1);
	cr_assert_eq(pic_intr_ack(&pic), 0x2b);
	out(0xa0, 0x20); out(0x20, 0x20);
	cr_assert_eq(read_irr(0xa0), 0x08, "a line still high requests again after EOI");
	cr_assert_eq(cpu_intr, 1);
}

/* ELCR bits for IRQ0-2, 8 and 13 are hard-wired to edge. */
Test(pic, elcr_mask)
{
	out(0x4d0, 0xff);
	out(0x4d1, 0xff);
	cr_assert_eq(in(0x4d0), 0xf8);
	cr_assert_eq(in(0x4d1), 0xde);
}

/* INTA with nothing pending answers IR7, and sets no ISR bit. */
Test(pic, spurious_master)
{
	cr_assert_eq(pic_intr_ack(&pic), 0x27);
	cr_assert_eq(read_isr(0x20), 0x00);
	cr_assert_eq(pic.spurious, 1);
}

/* A slave request gone before INTA: IR15 from the slave, master ISR2 set. */
Test(pic, spurious_slave)
{
	out(0x4d1, 0x04);
	pic_set_irq(&pic, 10, 1);
	pic_set_irq(&pic, 10, 0);
	cr_assert_eq(pic_intr_ack(&pic), 0x2f);
	cr_assert_eq(read_isr(0xa0), 0x00);
	cr_assert_eq(read_isr(0x20), 0x04);
}

/* ICW4 AEOI: the acknowledge itself ends the service. */
Test(pic, auto_eoi)
{
	init_pair(0x03);
	pic_set_irq(&pic, 6, 1);
	cr_assert_eq(pic_intr_ack(&pic), 0x26);
	cr_assert_eq(read_isr(0x20), 0x00);
	pic_set_irq(&pic, 7, 1);
	cr_assert_eq(cpu_intr, 1);
}

/* OCW3 poll: the read returns 0x80|level and acknowledges it. */
Test(pic, poll)
{
	pic_set_irq(&pic, 5, 1);
	out(0x20, 0x0c);
	cr_assert_eq(in(0x20), 0x85);
	cr_assert_eq(read_isr(0x20), 0x20);
	out(0x20, 0x0c);
	cr_assert_eq(in(0x20), 0x00, "nothing left to poll");
}

/* OCW2 set priority: with IR4 lowest, IR5 ranks highest and IR1 below IR6. */
Test(pic, set_priority_and_specific_eoi)
{
	out(0x20, 0xc4);
	pic_set_irq(&pic, 1, 1);
	pic_set_irq(&pic, 6, 1);
	cr_assert_eq(pic_intr_ack(&pic), 0x26);
	/* Specific EOI of IR6 while IR1 is pending. */
	out(0x20, 0x66);
	cr_assert_eq(read_isr(0x20), 0x00);
	cr_assert_eq(pic_intr_ack(&pic), 0x21);
}

/* Rotate on non-specific EOI makes the serviced level the lowest. */
Test(pic, rotate_on_eoi)
{
	pic_set_irq(&pic, 0, 1);
	cr_assert_eq(pic_intr_ack(&pic), 0x20);
	out(0x20, 0xa0);
	pic_set_irq(&pic, 0, 0);
	pic_set_irq(&pic, 0, 1);
	pic_set_irq(&pic, 7, 1);
	cr_assert_eq(pic_intr_ack(&pic), 0x27, "IR0 was rotated to lowest priority");
}

/* Special mask mode: masking the in-service level lets lower ones in. */
Test(pic, special_mask_mode)
{
	pic_set_irq(&pic, 3, 1);
	cr_assert_eq(pic_intr_ack(&pic), 0x23);
	pic_set_irq(&pic, 5, 1);
	cr_assert_eq(cpu_intr, 0);
	out(0x21, 0x08);
	out(0x20, 0x68);
	cr_assert_eq(cpu_intr, 1);
	cr_assert_eq(pic_intr_ack(&pic), 0x25);
}

/* The firmware hand-off state is QEMU's after SeaBIOS. */
Test(pic, firmware_state)
{
	pic_firmware_state(&pic);
	cr_assert_eq(in(0x21), 0xb8);
	cr_assert_eq(in(0xa1), 0x8e);
	cr_assert_eq(in(0x4d1), 0x0c);
	pic_set_irq(&pic, 0, 1);
	cr_assert_eq(pic_intr_ack(&pic), 0x08);
	pic_set_irq(&pic, 14, 1);
	out(0x20, 0x20);
	cr_assert_eq(pic_intr_ack(&pic), 0x76);
}
