/*
 * QEMU's isa-debug-exit device (iobase 0xf4, iosize 4). See debugexit.c.
 */
#ifndef VMM_DEV_DEBUGEXIT_H
#define VMM_DEV_DEBUGEXIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bus;

struct debugexit {
	bool requested;
	uint32_t value;
	/* Optional: lets the machine stop the CPU at the writing instruction. */
	void (*on_exit)(void *opaque, uint32_t value);
	void *opaque;
};

void debugexit_init(struct debugexit *d, void (*on_exit)(void *opaque, uint32_t value),
		    void *opaque);
int debugexit_register(struct debugexit *d, struct bus *b, uint16_t base, char *err,
		       size_t errlen);

#endif
