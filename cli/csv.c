/* results.csv reader; see csv.h. */
#define _GNU_SOURCE
#include "cli/csv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct strbuf {
	char *s;
	size_t n, cap;
};

static int sb_put(struct strbuf *b, char c)
{
	if (b->n + 1 >= b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		char *s = realloc(b->s, cap);
		if (!s)
			return -1;
		b->s = s;
		b->cap = cap;
	}
	b->s[b->n++] = c;
	b->s[b->n] = 0;
	return 0;
}

struct fields {
	char **v;
	size_t n, cap;
};

static int push_field(struct fields *f, struct strbuf *b)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 64;
		char **v = realloc(f->v, cap * sizeof(*v));
		if (!v)
			return -1;
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n] = b->s ? b->s : strdup("");
	*b = (struct strbuf){ 0 };
	return f->v[f->n++] ? 0 : -1;
}

/* One record (which may span lines inside quotes); 1 read, 0 at EOF,
 * -1 malformed. */
static int read_record(FILE *in, struct fields *f, unsigned *line)
{
	struct strbuf b = { 0 };
	int c = getc(in);
	bool quoted = false, any = false;

	f->n = 0;
	f->v = NULL;
	f->cap = 0;
	if (c == EOF)
		return 0;
	for (;; c = getc(in)) {
		if (quoted) {
			if (c == EOF)
				goto bad;
			if (c == '"') {
				int d = getc(in);
				if (d != '"') {
					quoted = false;
					ungetc(d, in);
					continue;
				}
			}
			if (c == '\n')
				(*line)++;
			if (sb_put(&b, (char)c))
				goto bad;
			continue;
		}
		if (c == '"' && !b.n && !any) {
			quoted = any = true;
			continue;
		}
		if (c == ',' || c == '\n' || c == EOF) {
			if (push_field(f, &b))
				goto bad;
			any = false;
			if (c == ',')
				continue;
			(*line)++;
			return 1;
		}
		if (c == '\r')
			continue;
		if (sb_put(&b, (char)c))
			goto bad;
	}
bad:
	free(b.s);
	for (size_t k = 0; k < f->n; k++)
		free(f->v[k]);
	free(f->v);
	f->v = NULL;
	f->n = 0;
	return -1;
}

int csv_read(const char *path, struct csv *t, char *err, size_t errlen)
{
	FILE *in = fopen(path, "r");
	struct fields f;
	unsigned line = 1;
	size_t cap = 0;
	int rc;

	memset(t, 0, sizeof(*t));
	err[0] = 0;
	if (!in) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (read_record(in, &f, &line) != 1 || f.n < 2) {
		snprintf(err, errlen, "%s: no header line", path);
		fclose(in);
		return -1;
	}
	t->head = f.v;
	t->ncols = f.n;
	while ((rc = read_record(in, &f, &line)) == 1) {
		if (f.n == 1 && !f.v[0][0]) {	/* a blank line */
			free(f.v[0]);
			free(f.v);
			continue;
		}
		if (f.n != t->ncols) {
			snprintf(err, errlen, "%s:%u: %zu fields where the header has %zu", path,
				 line - 1, f.n, t->ncols);
			for (size_t k = 0; k < f.n; k++)
				free(f.v[k]);
			free(f.v);
			rc = -1;
			break;
		}
		if (t->nrows == cap) {
			cap = cap ? 2 * cap : 64;
			char ***r = realloc(t->rows, cap * sizeof(*r));
			if (!r) {
				rc = -1;
				snprintf(err, errlen, "%s: out of memory", path);
				break;
			}
			t->rows = r;
		}
		t->rows[t->nrows++] = f.v;
	}
	fclose(in);
	if (rc < 0) {
		if (rc == -1 && !err[0])
			snprintf(err, errlen, "%s:%u: unterminated quoted field", path, line);
		csv_free(t);
		return -1;
	}
	return 0;
}

void csv_free(struct csv *t)
{
	for (size_t i = 0; i < t->nrows; i++) {
		for (size_t k = 0; k < t->ncols; k++)
			free(t->rows[i][k]);
		free(t->rows[i]);
	}
	for (size_t k = 0; k < t->ncols; k++)
		free(t->head[k]);
	free(t->rows);
	free(t->head);
	memset(t, 0, sizeof(*t));
}

int csv_col(const struct csv *t, const char *name)
{
	for (size_t k = 0; k < t->ncols; k++)
		if (!strcmp(t->head[k], name))
			return (int)k;
	return -1;
}

const char *csv_get(const struct csv *t, size_t i, const char *name)
{
	int k = csv_col(t, name);

	return k < 0 || i >= t->nrows ? "" : t->rows[i][k];
}

bool csv_num(const struct csv *t, size_t i, const char *name, double *v)
{
	const char *s = csv_get(t, i, name);
	char *end;

	if (!*s)
		return false;
	errno = 0;
	*v = strtod(s, &end);
	return !errno && !*end && isfinite(*v);
}
