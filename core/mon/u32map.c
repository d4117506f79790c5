/* A small multimap; see u32map.h. */
#include "core/mon/u32map.h"

#include <stdlib.h>
#include <string.h>

void u32map_init(struct u32map *m)
{
	memset(m, 0, sizeof(*m));
}

void u32map_free(struct u32map *m)
{
	for (uint32_t i = 0; i < m->cap; i++)
		free(m->slots[i].v);
	free(m->slots);
	u32map_init(m);
}

void u32map_clear(struct u32map *m)
{
	for (uint32_t i = 0; i < m->cap; i++)
		m->slots[i].n = 0;
}

static uint32_t hash(uint32_t k)
{
	return k * 2654435761u;
}

static struct u32list *find(struct u32map *m, uint32_t key, bool create)
{
	if (!m->cap)
		return NULL;
	for (uint32_t i = hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct u32list *l = &m->slots[i];
		if (!l->used) {
			if (!create)
				return NULL;
			l->used = true;
			l->key = key;
			m->used++;
			return l;
		}
		if (l->key == key)
			return l;
	}
}

static bool grow(struct u32map *m)
{
	struct u32map n = { .cap = m->cap ? 2 * m->cap : 256 };

	n.slots = calloc(n.cap, sizeof(*n.slots));
	if (!n.slots)
		return false;
	for (uint32_t i = 0; i < m->cap; i++) {
		struct u32list *o = &m->slots[i];
		if (!o->used)
			continue;
		struct u32list *l = find(&n, o->key, true);
		*l = *o;
	}
	free(m->slots);
	*m = n;
	return true;
}

struct u32list *u32map_get(struct u32map *m, uint32_t key)
{
	struct u32list *l = find(m, key, false);
	return l && l->n ? l : NULL;
}

bool u32map_add(struct u32map *m, uint32_t key, uint32_t value)
{
	if (4 * (m->used + 1) > 3 * m->cap && !grow(m))
		return false;
	struct u32list *l = find(m, key, true);
	for (uint32_t k = 0; k < l->n; k++)
		if (l->v[k] == value)
			return true;
	if (l->n == l->cap) {
		uint32_t cap = l->cap ? 2 * l->cap : 4;
		uint32_t *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return false;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = value;
	return true;
}

void u32map_remove(struct u32map *m, uint32_t key, uint32_t value)
{
	struct u32list *l = find(m, key, false);

	if (!l)
		return;
	for (uint32_t k = 0; k < l->n; k++)
		if (l->v[k] == value) {
			l->v[k] = l->v[--l->n];
			return;
		}
}
