/*
 * A multimap from 32-bit keys to short lists of 32-bit values (open
 * addressing, lists grown in place): the monitor's reverse maps, such as
 * "which shadow entries map this guest page". Deleting a key's last value
 * leaves an empty list that is reused.
 */
#ifndef VMM_MON_U32MAP_H
#define VMM_MON_U32MAP_H

#include <stdbool.h>
#include <stdint.h>

struct u32list {
	uint32_t key;
	uint32_t n, cap;
	uint32_t *v;
	bool used;
};

struct u32map {
	struct u32list *slots;
	uint32_t cap, used;
};

void u32map_init(struct u32map *m);
void u32map_free(struct u32map *m);
/* The list for key, or NULL. */
struct u32list *u32map_get(struct u32map *m, uint32_t key);
bool u32map_add(struct u32map *m, uint32_t key, uint32_t value);
void u32map_remove(struct u32map *m, uint32_t key, uint32_t value);
void u32map_clear(struct u32map *m);

#endif
