/*
 * Plots of a matrix's results (vmmsim plot DIR, also used by the report):
 * DIR/results.csv becomes data files DIR/plots/NAME.dat, and the gnuplot
 * scripts in bench/plots render each as PNG and (where gnuplot has the
 * terminal) SVG beside them.
 */
#ifndef VMM_CLI_PLOT_H
#define VMM_CLI_PLOT_H

#include <stdbool.h>
#include <stddef.h>

#define PLOT_MAX 16

struct plot_set {
	char name[PLOT_MAX][96];	/* DIR/plots/NAME.png (and .svg) */
	char what[PLOT_MAX][160];	/* one-line caption */
	size_t n;
	bool svg;			/* SVG files were written too */
};

/* Is gnuplot on PATH? */
bool plot_have_gnuplot(void);
/* Renders every plot of dir; 0, or EXIT_USAGE after a one-line message
 * prefixed "vmmsim CMD:". */
int plot_render(const char *dir, const char *cmd, struct plot_set *out);

#endif
