/*
 * Named statistics (gem5's habit): every counter of a run becomes a row
 * with a path such as vm.cpu.insns_cpl3, vm.dev.uart.writes or
 * vm.mon.exits.IO_INSTRUCTION, a unit and a description, collected once at
 * the end of a run and written as text, JSON or CSV. Ratios are computed
 * by whoever prints them, never stored.
 */
#ifndef VMM_MON_STATS_H
#define VMM_MON_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/cpu/cpu.h"

struct stat_row {
	char path[96];
	const char *unit, *desc;
	uint64_t value;
};

struct stats {
	struct stat_row *rows;
	size_t n, cap;
};

void stats_init(struct stats *s);
void stats_free(struct stats *s);
void stats_add(struct stats *s, const char *path, const char *unit, const char *desc,
	       uint64_t value);
/* Adds every counter of an X-macro descriptor table under prefix. */
void stats_add_table(struct stats *s, const char *prefix, const struct ctr_desc *d,
		     const void *base);
/* The value at path, or 0 (and *found false) when absent. */
uint64_t stats_get(const struct stats *s, const char *path, int *found);

void stats_write_text(const struct stats *s, FILE *f);

#endif
