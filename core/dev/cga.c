/*
 * Text console registers of the VGA in CGA-compatible colour mode, after
 * the IBM VGA technical reference (CRT controller registers) as QEMU's
 * std-vga implements them. Kernels of the xv6/JOS kind write characters
 * into the text buffer at 0xb8000, which is plain guest RAM here, and move
 * the hardware cursor through CRTC registers 0x0e/0x0f, reading them back
 * to learn where the firmware left it.
 *
 * Modelled: the CRTC index (all 8 bits read back) and data ports for
 * registers 0x00-0x18, the write protection of registers 0-7 by bit 7 of
 * register 0x11 (bit 4 of register 7 stays writable), indices beyond 0x18
 * reading 0 and ignoring writes; input status 1 at 0x3da, whose vertical
 * retrace and display enable bits toggle on every read, as QEMU's default
 * retrace emulation does, so that retrace-waiting loops end in modeled
 * time without a video clock.
 *
 * What the QEMU probe showed after SeaBIOS and the VGA BIOS: index 0x0f,
 * registers 0x00-0x18 = 5f 4f 50 82 55 81 bf 1f 00 4f 0d 0e 00 00 02 80 9c
 * 8e 8f 28 1f 96 b9 a3 ff (80x25 text; cursor lines 13-14; the cursor at
 * 0x0280, row 8, below the firmware's banner lines), input status 0x09
 * on the first read.
 *
 * Not modelled: everything that draws (there is no display), the
 * attribute, sequencer and graphics controllers, the monochrome ports at
 * 0x3b4, the BIOS's banner text in the buffer (the buffer starts zeroed).
 */
#include "core/dev/cga.h"

#include <string.h>

#include "core/dev/bus.h"

#define ST01_DISP_ENABLE	0x01
#define ST01_V_RETRACE		0x08
#define CRTC_OVERFLOW_LC8	0x10

static const uint8_t cga_mode3_crtc[CRTC_NREGS] = {
	0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e,
	0x00, 0x00, 0x02, 0x80, 0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3,
	0xff,
};

static uint32_t cga_read(void *dev, uint32_t off, unsigned size)
{
	struct cga *c = dev;

	switch (off) {
	case 0:
		return c->index;
	case 1:
		return c->index < CRTC_NREGS ? c->crtc[c->index] : 0;
	default:
		return 0xff;
	}
}

static void crtc_write(struct cga *c, uint8_t v)
{
	uint8_t i = c->index;

	if (i >= CRTC_NREGS)
		return;
	if ((c->crtc[CRTC_VSYNC_END] & CRTC_VSYNC_END_PROTECT) && i <= CRTC_OVERFLOW) {
		if (i == CRTC_OVERFLOW)
			c->crtc[i] = (uint8_t)((c->crtc[i] & ~CRTC_OVERFLOW_LC8) |
					       (v & CRTC_OVERFLOW_LC8));
		return;
	}
	c->crtc[i] = v;
}

static void cga_write(void *dev, uint32_t off, unsigned size, uint32_t v)
{
	struct cga *c = dev;

	if (off == 0)
		c->index = (uint8_t)v;
	else if (off == 1)
		crtc_write(c, (uint8_t)v);
}

static uint32_t status_read(void *dev, uint32_t off, unsigned size)
{
	struct cga *c = dev;
	uint8_t v = c->status;

	c->status ^= ST01_V_RETRACE | ST01_DISP_ENABLE;
	return v;
}

static const struct bus_ops cga_ops = { cga_read, cga_write };
static const struct bus_ops status_ops = { status_read, NULL };

void cga_init(struct cga *c)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->crtc, cga_mode3_crtc, sizeof(c->crtc));
	c->index = CRTC_CURSOR_LO;
	c->status = ST01_V_RETRACE | ST01_DISP_ENABLE;
}

int cga_register(struct cga *c, struct bus *b, char *err, size_t errlen)
{
	if (bus_add_pio(b, "crtc", CGA_CRTC_INDEX, 2, BUS_1, &cga_ops, c, err, errlen) ||
	    bus_add_pio(b, "vga-status", CGA_INPUT_STATUS, 1, BUS_1, &status_ops, c, err,
			errlen))
		return -1;
	return 0;
}

uint16_t cga_cursor(const struct cga *c)
{
	return (uint16_t)(c->crtc[CRTC_CURSOR_HI] << 8 | c->crtc[CRTC_CURSOR_LO]);
}
