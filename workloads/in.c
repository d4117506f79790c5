/*
 * in: port reads of a harmless device register from the kernel. The IN
 * reads the master 8259A's interrupt mask register (OCW1, port 0x21),
 * whose value the runtime itself programmed, so every read is checked.
 * Under a monitor each IN is an I/O exit that the device model answers.
 *
 * Parameters: iters (default 2000000) reads.
 * Prints: the number of reads, the mask they returned, and how many
 * returned something else (must be 0).
 */
#include "kernel.h"

#define PIC1_IMR 0x21

static uint32_t iters;
static const struct param params[] = {
	{ "iters", &iters, 2000000, 1, 1000000000 },
	{ 0 },
};

static int in_main(void)
{
	uint8_t want = pic_imr_master(), v;
	uint32_t i, wrong = 0, sum = 0;

	for (i = 0; i < iters; i++) {
		v = inb(PIC1_IMR);
		wrong += v != want;
		sum += v;
	}
	printk("reads: %u mask: 0x%02x wrong: %u\n", iters, want, wrong);
	if (wrong)
		return fail("%u reads returned a mask other than 0x%02x", wrong, want);
	if (sum != iters * want)
		return fail("sum of reads 0x%08x, expected 0x%08x", sum, iters * want);
	return 0;
}

WORKLOAD("in", params, in_main);
