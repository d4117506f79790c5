/* Workload lookup; see workloads.h. */
#include "cli/workloads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *workload_dir(void)
{
	const char *d = getenv("VMMSIM_WORKLOADS");
	return d && *d ? d : VMMSIM_WORKLOAD_DIR;
}

const struct workload *workload_find(const char *name)
{
	for (const struct workload *w = workloads; w->name; w++)
		if (!strcmp(w->name, name))
			return w;
	return NULL;
}

void workload_path(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.elf", workload_dir(), name);
}

int workload_resolve(const char *arg, char *path, size_t len, const char **name,
		     char *err, size_t errlen)
{
	size_t n = strlen(arg);

	if (strchr(arg, '/') || (n > 4 && !strcmp(arg + n - 4, ".elf"))) {
		if (n >= len) {
			snprintf(err, errlen, "-w %.40s...: a path of %zu bytes is longer than %zu",
				 arg, n, len - 1);
			return -1;
		}
		snprintf(path, len, "%s", arg);
		const char *slash = strrchr(arg, '/');
		*name = slash ? slash + 1 : arg;
		return 0;
	}
	const struct workload *w = workload_find(arg);
	if (!w) {
		snprintf(err, errlen,
			 "-w %s: no such workload (see 'vmmsim list workloads'; a kernel file needs a '/' or .elf)",
			 arg);
		return -1;
	}
	workload_path(w->name, path, len);
	*name = w->name;
	return 0;
}
