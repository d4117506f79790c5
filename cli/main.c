/*
 * vmmsim: the command line (ARCHITECTURE section 5). One table of
 * commands; each command parses its own options and returns the process
 * exit status: 0 done, 2 bad usage or input, 3 a guest that wedged.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *synopsis;
};

static const struct command commands[] = {
	{ "run", cmd_run, "run one guest under one strategy" },
	{ "list", cmd_list, "list workloads, strategies or cost models" },
	{ "matrix", cmd_matrix, "run workloads x strategies in parallel into CSV and JSON" },
	{ "plot", cmd_plot, "draw a matrix's results with gnuplot (PNG, SVG)" },
	{ "report", cmd_report, "run the lecture's claim experiments, write report.md/.tex" },
	{ NULL, NULL, NULL },
};

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vmmsim%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

bool parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: vmmsim COMMAND [options]   (vmmsim COMMAND --help for its options)\n\n"
		   "A research simulator of virtual machine monitors: one simulated 32-bit x86\n"
		   "PC runs guest kernels under interchangeable virtualization strategies and\n"
		   "counts what each costs.\n\ncommands:\n");
	for (const struct command *c = commands; c->name; c++)
		fprintf(f, "  %-8s %s\n", c->name, c->synopsis);
	fprintf(f, "\nexit status: 0 done; 2 bad usage or input; 3 the guest wedged\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("vmmsim %s (%s, %s)\n", VMMSIM_VERSION, vmmsim_commit(), VMMSIM_BUILD_TYPE);
		return EXIT_OK;
	}
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->fn(argc - 1, argv + 1);
	return usage_error(NULL, "unknown command '%s' (see vmmsim --help)", argv[1]);
}
