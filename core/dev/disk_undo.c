/* The sector map behind disk_undo.h: open addressing, linear probing. */
#include "core/dev/disk_undo.h"

#include <stdlib.h>
#include <string.h>

static size_t slot_of(const struct sector_map *m, uint64_t lba)
{
	uint64_t h = (lba + 1) * 0x9e3779b97f4a7c15ull;
	size_t i = (size_t)(h >> 32) & (m->cap - 1);

	while (m->keys[i] && m->keys[i] != lba + 1)
		i = (i + 1) & (m->cap - 1);
	return i;
}

const uint8_t *sector_map_get(const struct sector_map *m, uint64_t lba)
{
	if (!m->n)
		return NULL;
	size_t i = slot_of(m, lba);
	return m->keys[i] ? m->data + (size_t)m->index[i] * DISK_SECTOR : NULL;
}

static int grow_slots(struct sector_map *m)
{
	struct sector_map old = *m;
	size_t cap = old.cap ? old.cap * 2 : 256;

	m->keys = calloc(cap, sizeof(*m->keys));
	m->index = calloc(cap, sizeof(*m->index));
	if (!m->keys || !m->index) {
		free(m->keys);
		free(m->index);
		m->keys = old.keys;
		m->index = old.index;
		return -1;
	}
	m->cap = cap;
	for (size_t i = 0; i < old.cap; i++) {
		if (!old.keys[i])
			continue;
		size_t j = slot_of(m, old.keys[i] - 1);
		m->keys[j] = old.keys[i];
		m->index[j] = old.index[i];
	}
	free(old.keys);
	free(old.index);
	return 0;
}

uint8_t *sector_map_put(struct sector_map *m, uint64_t lba)
{
	if ((m->n + 1) * 2 > m->cap && grow_slots(m))
		return NULL;
	size_t i = slot_of(m, lba);
	if (m->keys[i])
		return m->data + (size_t)m->index[i] * DISK_SECTOR;
	if (m->n == m->data_cap) {
		size_t cap = m->data_cap ? m->data_cap * 2 : 64;
		uint8_t *d = realloc(m->data, cap * DISK_SECTOR);
		if (!d)
			return NULL;
		m->data = d;
		m->data_cap = cap;
	}
	m->keys[i] = lba + 1;
	m->index[i] = (uint32_t)m->n;
	return m->data + m->n++ * DISK_SECTOR;
}

void sector_map_free(struct sector_map *m)
{
	free(m->keys);
	free(m->index);
	free(m->data);
	memset(m, 0, sizeof(*m));
}

void disk_undo_free(struct disk_undo *u)
{
	sector_map_free(&u->orig);
	u->overflow = false;
}
