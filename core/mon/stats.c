/* Named statistics; see stats.h. */
#include "core/mon/stats.h"

#include <stdlib.h>
#include <string.h>

void stats_init(struct stats *s)
{
	memset(s, 0, sizeof(*s));
}

void stats_free(struct stats *s)
{
	free(s->rows);
	stats_init(s);
}

void stats_add(struct stats *s, const char *path, const char *unit, const char *desc,
	       uint64_t value)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 128;
		struct stat_row *r = realloc(s->rows, cap * sizeof(*r));
		if (!r)
			return;
		s->rows = r;
		s->cap = cap;
	}
	struct stat_row *r = &s->rows[s->n++];
	snprintf(r->path, sizeof(r->path), "%s", path);
	r->unit = unit;
	r->desc = desc;
	r->value = value;
}

void stats_add_table(struct stats *s, const char *prefix, const struct ctr_desc *d,
		     const void *base)
{
	char path[96];

	for (; d->name; d++) {
		uint64_t v;
		memcpy(&v, (const char *)base + d->offset, sizeof(v));
		snprintf(path, sizeof(path), "%s.%s", prefix, d->name);
		stats_add(s, path, d->unit, d->desc, v);
	}
}

uint64_t stats_get(const struct stats *s, const char *path, int *found)
{
	for (size_t k = 0; k < s->n; k++)
		if (!strcmp(s->rows[k].path, path)) {
			if (found)
				*found = 1;
			return s->rows[k].value;
		}
	if (found)
		*found = 0;
	return 0;
}

void stats_write_text(const struct stats *s, FILE *f)
{
	for (size_t k = 0; k < s->n; k++)
		fprintf(f, "%-48s %16llu  %-10s # %s\n", s->rows[k].path,
			(unsigned long long)s->rows[k].value, s->rows[k].unit, s->rows[k].desc);
}
