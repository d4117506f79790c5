/*
 * Keeping a disk image replayable across two runs of one guest.
 *
 * A monitor run is followed by a native baseline run of the same guest
 * for the overhead figure; both must start from the same disk. The first
 * run records, before it overwrites a sector of the image, what the
 * sector held (RECORD). The second run sees the image as it was: its
 * reads come from its own writes, then from those originals, then from
 * the file, and its writes stay in memory (REPLAY). At most
 * DISK_UNDO_MAX_BYTES of originals are kept; beyond that the log gives
 * up and the second run cannot be made.
 */
#ifndef VMMSIM_CORE_DEV_DISK_UNDO_H
#define VMMSIM_CORE_DEV_DISK_UNDO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DISK_SECTOR		512
#define DISK_UNDO_MAX_BYTES	(256u << 20)

/* 512-byte sectors by LBA, in memory. */
struct sector_map {
	uint64_t *keys;		/* LBA + 1; 0: empty slot */
	uint32_t *index;	/* the slot's sector in data */
	size_t cap;		/* slots, a power of two */
	size_t n;		/* sectors held */
	uint8_t *data;
	size_t data_cap;	/* sectors data has room for */
};

const uint8_t *sector_map_get(const struct sector_map *m, uint64_t lba);
/* The sector's 512 bytes, added if new; NULL when out of memory. */
uint8_t *sector_map_put(struct sector_map *m, uint64_t lba);
void sector_map_free(struct sector_map *m);

struct disk_undo {
	struct sector_map orig;	/* what the recording run overwrote */
	bool overflow;		/* gave up: more than DISK_UNDO_MAX_BYTES */
};

void disk_undo_free(struct disk_undo *u);

#endif
