/* vmmsim list [workloads|strategies|costs] */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/workloads.h"
#include "core/mon/strategy.h"

const char *costs_dir(void)
{
	const char *d = getenv("VMMSIM_COSTS");
	return d && *d ? d : VMMSIM_SOURCE_DIR "/bench/costs";
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_costs(void)
{
	DIR *d = opendir(costs_dir());
	char *names[256];
	int n = 0;

	if (!d)
		return usage_error("list", "cannot open the cost-model directory %s", costs_dir());
	for (struct dirent *e; (e = readdir(d)) && n < 256;) {
		size_t len = strlen(e->d_name);
		if (len > 4 && !strcmp(e->d_name + len - 4, ".ini"))
			names[n++] = strndup(e->d_name, len - 4);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof(names[0]), cmp_str);
	for (int k = 0; k < n; k++) {
		printf("%s\t%s/%s.ini\n", names[k], costs_dir(), names[k]);
		free(names[k]);
	}
	return EXIT_OK;
}

int cmd_list(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "workloads";
	char path[4096];

	if (argc > 2)
		return usage_error("list", "unexpected argument '%s'", argv[2]);
	if (!strcmp(what, "--help") || !strcmp(what, "-h")) {
		printf("usage: vmmsim list [workloads|strategies|costs]\n"
		       "  workloads   NAME<TAB>PATH-TO-ELF<TAB>description, one per line\n"
		       "  strategies  NAME<TAB>description\n"
		       "  costs       NAME<TAB>PATH-TO-INI (cost models for --cost)\n");
		return EXIT_OK;
	}
	if (!strcmp(what, "workloads")) {
		for (const struct workload *w = workloads; w->name; w++) {
			workload_path(w->name, path, sizeof(path));
			printf("%s\t%s\t%s\n", w->name, path, w->desc);
		}
		return EXIT_OK;
	}
	if (!strcmp(what, "strategies")) {
		for (const struct strategy *s = strategies; s->name; s++)
			printf("%s\t%s\n", s->name, s->description);
		return EXIT_OK;
	}
	if (!strcmp(what, "costs"))
		return list_costs();
	return usage_error("list", "unknown list '%s' (workloads, strategies or costs)", what);
}
