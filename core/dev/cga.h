/*
 * The CGA-compatible text console's I/O side: the 6845-style CRT
 * controller at 0x3d4/0x3d5 and input status 1 at 0x3da. The text buffer
 * at 0xb8000 is ordinary guest RAM. See cga.c.
 */
#ifndef VMM_DEV_CGA_H
#define VMM_DEV_CGA_H

#include <stddef.h>
#include <stdint.h>

struct bus;

#define CGA_CRTC_INDEX		0x3d4
#define CGA_CRTC_DATA		0x3d5
#define CGA_INPUT_STATUS	0x3da

#define CRTC_NREGS		0x19
#define CRTC_CURSOR_START	0x0a
#define CRTC_CURSOR_END		0x0b
#define CRTC_START_HI		0x0c
#define CRTC_START_LO		0x0d
#define CRTC_CURSOR_HI		0x0e
#define CRTC_CURSOR_LO		0x0f
#define CRTC_OVERFLOW		0x07
#define CRTC_VSYNC_END		0x11
#define CRTC_VSYNC_END_PROTECT	0x80	/* registers 0-7 read-only */

struct cga {
	uint8_t index;
	uint8_t crtc[CRTC_NREGS];
	uint8_t status;		/* input status 1 */
};

/* The registers as the VGA BIOS leaves them in mode 3 under QEMU. */
void cga_init(struct cga *c);
int cga_register(struct cga *c, struct bus *b, char *err, size_t errlen);

/* Cursor position in characters (row * 80 + column). */
uint16_t cga_cursor(const struct cga *c);

#endif
