/*
 * Guest workloads by name. The table is generated from workloads/WORKLOADS
 * (cli/CMakeLists.txt); the kernels are found in the build's guest
 * directory, or in $VMMSIM_WORKLOADS when set.
 */
#ifndef VMM_CLI_WORKLOADS_H
#define VMM_CLI_WORKLOADS_H

#include <stddef.h>

struct workload {
	const char *name;
	const char *desc;
};

extern const struct workload workloads[];

const char *workload_dir(void);
const struct workload *workload_find(const char *name);
/* Path of a workload's kernel into buf. */
void workload_path(const char *name, char *buf, size_t len);
/* -w argument: a workload name, or a path to an ELF file (contains '/' or
 * ends in .elf). Fills path; *name is the workload name or the basename. */
int workload_resolve(const char *arg, char *path, size_t len, const char **name,
		     char *err, size_t errlen);

#endif
