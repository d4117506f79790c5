/*
 * vmmsim report's writers (report_out.c): the claim table as Markdown
 * (report.md) and as a LaTeX fragment with booktabs tables (report.tex),
 * both citing the plots drawn into DIR/plots.
 */
#ifndef VMM_CLI_REPORT_H
#define VMM_CLI_REPORT_H

#include <stddef.h>

#include "cli/claims.h"
#include "cli/plot.h"

struct report_doc {
	const char *dir;
	const char *cost;		/* cost model name */
	const char *commit, *build, *date, *cpu;
	const char *cmdline;		/* how this report was made */
	const struct claim_result *claims;
	size_t nclaims;
	const struct plot_set *plots;	/* NULL: no plots (why in no_plots) */
	const char *no_plots;
	const struct host_ref *host;
};

int report_write_md(const char *path, const struct report_doc *d);
int report_write_tex(const char *path, const struct report_doc *d);

#endif
