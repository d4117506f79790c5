/*
 * The platform bus: port I/O (64 KiB of ports) and MMIO (32-bit physical
 * addresses outside RAM), after kvmtool's and Firecracker's device buses.
 *
 * A device registers a range with one ops table; its handlers receive the
 * offset into the range, never the absolute address, so the same device
 * code serves any base. Registration names the range, the device and the
 * access sizes it accepts; an overlap is refused with a message naming both
 * devices. An access of a size the device does not accept is split into
 * byte accesses, as an ISA bus splits a 16-bit IN on 8-bit ports. An
 * unclaimed port read returns all-ones (the floating ISA bus); an unclaimed
 * MMIO read returns zeros, as QEMU's pc machine answers for memory no
 * device or RAM backs (so a kernel that probes past the end of RAM sees
 * what it sees there). Every unclaimed access is counted.
 * Every region counts its reads and writes (the "device accesses by device"
 * counters).
 */
#ifndef VMM_DEV_BUS_H
#define VMM_DEV_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BUS_MAX_REGIONS 48

/* Accepted access sizes, or-ed together. */
enum { BUS_1 = 1, BUS_2 = 2, BUS_4 = 4 };

struct bus_ops {
	uint32_t (*read)(void *dev, uint32_t offset, unsigned size);
	void (*write)(void *dev, uint32_t offset, unsigned size, uint32_t value);
};

struct bus_region {
	const char *name;
	uint32_t base, len;
	unsigned sizes;
	const struct bus_ops *ops;
	void *dev;
	uint64_t reads, writes;
};

struct bus_space {
	struct bus_region r[BUS_MAX_REGIONS];
	int n;
	uint64_t unclaimed_reads, unclaimed_writes;
};

struct bus {
	struct bus_space pio, mmio;
	/* Port -> region index + 1 (0: unclaimed), so port dispatch is O(1). */
	uint8_t pio_map[65536];
};

void bus_init(struct bus *b);

/*
 * Returns 0, or -1 with a one-line reason in err (an overlap names both
 * devices). Ranges for port I/O must lie within 0..0xffff.
 */
int bus_add_pio(struct bus *b, const char *name, uint32_t base, uint32_t len,
		unsigned sizes, const struct bus_ops *ops, void *dev, char *err,
		size_t errlen);
int bus_add_mmio(struct bus *b, const char *name, uint32_t base, uint32_t len,
		 unsigned sizes, const struct bus_ops *ops, void *dev, char *err,
		 size_t errlen);

uint32_t bus_pio_read(struct bus *b, uint16_t port, unsigned size);
void bus_pio_write(struct bus *b, uint16_t port, unsigned size, uint32_t value);

/* The MMIO region holding addr, or NULL. */
struct bus_region *bus_mmio_find(struct bus *b, uint32_t addr);
uint32_t bus_mmio_read(struct bus *b, uint32_t addr, unsigned size);
void bus_mmio_write(struct bus *b, uint32_t addr, unsigned size, uint32_t value);

#endif
