/*
 * Small ISA pieces, as QEMU's pc machine presents them after SeaBIOS.
 *
 * Port 0x80: the POST diagnostic port; writes are kept (a debugging aid)
 * and have no effect, reads return 0xff as on QEMU.
 *
 * Port 0x92 (PIIX3 datasheet, "Port 92 register"): bit 1 is fast A20 and
 * reads back as written, bit 0 is fast reset, requested on its rising
 * edge. SeaBIOS leaves A20 enabled (0x02). A20 masking itself is not
 * modelled: guests here start in protected mode with A20 on.
 *
 * Port 0x60/0x64, 8042 keyboard controller (IBM PS/2 technical reference):
 * an idle controller with no keyboard data ever pending. Status reads as
 * QEMU's after SeaBIOS, 0x1c (system flag, not inhibited, last write was a
 * command) with OBF set only to answer the commands that return a byte:
 * 0x20 read command byte, 0xaa self test (0x55), 0xab interface test (0),
 * 0xd0 read output port. 0x60 writes the command byte and 0xd1 the output
 * port (bit 1: A20, bit 0 low: reset); 0xfe pulses reset. Keyboard and
 * mouse devices, scan codes and the aux port are not modelled.
 *
 * Ports 0x22/0x23, the IMCR (MP specification 1.4 section 3.6.2.1): a
 * write of 0x70 to 0x22 selects it, bit 0 of the next write to 0x23
 * routes INTR and NMI through the APIC (1) or straight to the CPU (0).
 * QEMU's pc has no IMCR: it is always in virtual wire mode, its MP
 * floating pointer says so (IMCRP clear), and both ports read 0xff. The
 * writes are kept here so kernels that set it anyway (as xv6 does when
 * IMCRP is set) find ports that accept them, and they route nothing:
 * the 8259A reaches the CPU through LINT0 in either setting, as on QEMU.
 */
#include "core/dev/misc.h"

#include <string.h>

#include "core/dev/bus.h"

#define KBC_CMD_READ_CCB	0x20
#define KBC_CMD_WRITE_CCB	0x60
#define KBC_CMD_SELF_TEST	0xaa
#define KBC_CMD_IFACE_TEST	0xab
#define KBC_CMD_READ_OUTPORT	0xd0
#define KBC_CMD_WRITE_OUTPORT	0xd1
#define KBC_CMD_RESET		0xfe
#define KBC_OUTPORT_RESET	0x01
#define KBC_OUTPORT_A20		0x02

static uint32_t post_read(void *dev, uint32_t off, unsigned size)
{
	return 0xff;
}

static void post_write(void *dev, uint32_t off, unsigned size, uint32_t value)
{
	struct misc *m = dev;
	m->post_code = (uint8_t)value;
}

static uint32_t port92_read(void *dev, uint32_t off, unsigned size)
{
	struct misc *m = dev;
	return m->port92;
}

static void port92_write(void *dev, uint32_t off, unsigned size, uint32_t value)
{
	struct misc *m = dev;

	if ((value & 1) && !(m->port92 & 1))
		m->reset_requested = true;
	m->port92 = (uint8_t)value & 0x03;
	m->a20 = value & 0x02;
}

static void kbc_reply(struct misc *m, uint8_t v)
{
	m->kbc_data = v;
	m->kbc_status |= KBC_STAT_OBF;
}

static uint8_t kbc_outport(const struct misc *m)
{
	return (uint8_t)(KBC_OUTPORT_RESET | (m->a20 ? KBC_OUTPORT_A20 : 0));
}

static void kbc_command(struct misc *m, uint8_t cmd)
{
	switch (cmd) {
	case KBC_CMD_READ_CCB: kbc_reply(m, m->kbc_ccb); break;
	case KBC_CMD_SELF_TEST: kbc_reply(m, 0x55); break;
	case KBC_CMD_IFACE_TEST: kbc_reply(m, 0x00); break;
	case KBC_CMD_READ_OUTPORT: kbc_reply(m, kbc_outport(m)); break;
	case KBC_CMD_WRITE_CCB:
	case KBC_CMD_WRITE_OUTPORT:
		m->kbc_pending_cmd = cmd;
		break;
	case KBC_CMD_RESET: m->reset_requested = true; break;
	default: break;
	}
}

static void kbc_data_write(struct misc *m, uint8_t v)
{
	uint8_t cmd = m->kbc_pending_cmd;

	m->kbc_pending_cmd = 0;
	if (cmd == KBC_CMD_WRITE_CCB) {
		m->kbc_ccb = v;
	} else if (cmd == KBC_CMD_WRITE_OUTPORT) {
		m->a20 = v & KBC_OUTPORT_A20;
		m->port92 = (uint8_t)((m->port92 & ~0x02) | (v & KBC_OUTPORT_A20));
		if (!(v & KBC_OUTPORT_RESET))
			m->reset_requested = true;
	}
	/* Bytes for the keyboard itself go nowhere: no keyboard is attached. */
}

static uint32_t kbc_data_read(void *dev, uint32_t off, unsigned size)
{
	struct misc *m = dev;

	m->kbc_status &= ~KBC_STAT_OBF;
	return m->kbc_data;
}

static void kbc_data_port_write(void *dev, uint32_t off, unsigned size, uint32_t value)
{
	struct misc *m = dev;

	m->kbc_status &= ~KBC_STAT_CMD;
	kbc_data_write(m, (uint8_t)value);
}

static uint32_t kbc_status_read(void *dev, uint32_t off, unsigned size)
{
	struct misc *m = dev;
	return m->kbc_status;
}

static void kbc_command_write(void *dev, uint32_t off, unsigned size, uint32_t value)
{
	struct misc *m = dev;

	m->kbc_status |= KBC_STAT_CMD;
	kbc_command(m, (uint8_t)value);
}

static uint32_t imcr_read(void *dev, uint32_t off, unsigned size)
{
	return 0xff;
}

static void imcr_write(void *dev, uint32_t off, unsigned size, uint32_t value)
{
	struct misc *m = dev;

	if (off == 0)
		m->imcr_select = (uint8_t)value;
	else if (m->imcr_select == IMCR_REG)
		m->imcr = (uint8_t)value & IMCR_APIC;
}

static const struct bus_ops post_ops = { post_read, post_write };
static const struct bus_ops port92_ops = { port92_read, port92_write };
static const struct bus_ops kbc_data_ops = { kbc_data_read, kbc_data_port_write };
static const struct bus_ops kbc_cmd_ops = { kbc_status_read, kbc_command_write };
static const struct bus_ops imcr_ops = { imcr_read, imcr_write };

void misc_init(struct misc *m)
{
	memset(m, 0, sizeof(*m));
	m->port92 = 0x02;
	m->a20 = true;
	m->kbc_status = KBC_STAT_SYS | KBC_STAT_CMD | KBC_STAT_UNLOCK;
	/* Translation, system flag and keyboard interrupt, as SeaBIOS sets them. */
	m->kbc_ccb = 0x61;
}

int misc_register(struct misc *m, struct bus *b, char *err, size_t errlen)
{
	if (bus_add_pio(b, "post", 0x80, 1, BUS_1, &post_ops, m, err, errlen) ||
	    bus_add_pio(b, "port92", 0x92, 1, BUS_1, &port92_ops, m, err, errlen) ||
	    bus_add_pio(b, "kbc-data", 0x60, 1, BUS_1, &kbc_data_ops, m, err, errlen) ||
	    bus_add_pio(b, "kbc-cmd", 0x64, 1, BUS_1, &kbc_cmd_ops, m, err, errlen) ||
	    bus_add_pio(b, "imcr", IMCR_SELECT_PORT, 2, BUS_1, &imcr_ops, m, err, errlen))
		return -1;
	return 0;
}
