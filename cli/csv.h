/*
 * Reading results.csv back (RFC 4180: quoted fields, doubled quotes,
 * line breaks inside quotes), for `vmmsim plot`: a header row naming the
 * columns, then rows of strings, every row as wide as the header.
 */
#ifndef VMM_CLI_CSV_H
#define VMM_CLI_CSV_H

#include <stdbool.h>
#include <stddef.h>

struct csv {
	char **head;
	size_t ncols;
	char ***rows;		/* rows[i][k]: column k of row i, never NULL */
	size_t nrows;
};

/* 0, or -1 with "PATH: reason" (line number where it helps) in err. */
int csv_read(const char *path, struct csv *t, char *err, size_t errlen);
void csv_free(struct csv *t);
/* Column index by name, or -1. */
int csv_col(const struct csv *t, const char *name);
/* Row i, column named name; "" when the column is absent. */
const char *csv_get(const struct csv *t, size_t i, const char *name);
/* The cell as a number: false when empty or not a number. */
bool csv_num(const struct csv *t, size_t i, const char *name, double *v);

#endif
