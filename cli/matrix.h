/*
 * The benchmark matrix, shared by `vmmsim matrix` and `vmmsim report`.
 * A matrix is a list of combinations (workload x strategy x ISA x cost
 * model), each run --repeat times by worker processes (`vmmsim run -q
 * --no-baseline --json`); every run's JSON is read back into a row, the
 * repeats of a combination are folded into one row, and rows are written
 * as results.csv and results.json. A row exists for every combination,
 * whatever happened to its runs: a failure is a status, never a crash.
 *
 *   plan     mx_plan_add (matrix.c, report.c)
 *   execute  mx_execute (mx_exec.c): parallel workers, progress, Ctrl-C
 *   collect  mx_collect (mx_load.c): JSON -> rows, repeats, baselines
 *   write    mx_write_csv, mx_write_json (mx_write.c)
 */
#ifndef VMM_CLI_MATRIX_H
#define VMM_CLI_MATRIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/mon/exits.h"

/* The modeled-cycle components of a run (core/mon/model.h), in order. */
#define MX_COMPONENTS(X) X(guest) X(memory) X(walks) X(events) X(devices) \
	X(transitions) X(emulation) X(shadow) X(translation)
enum {
#define X(n) MX_COMP_##n,
	MX_COMPONENTS(X)
#undef X
	MX_NCOMP
};
extern const char *const mx_comp_names[MX_NCOMP];

struct mx_counter {
	char *name;		/* the run JSON's counter path, vm.cpu.insns... */
	uint64_t value;
};

/* One combination's results (or one run's, before repeats are folded). */
struct mx_row {
	/* What ran. */
	char *workload, *strategy, *isa;
	char *cost;		/* the cost model's name */
	char *append;		/* guest command line, "" for none */
	bool baseline_only;	/* native added for the overhead, not asked for */
	/* How it went: ok, diverged, guest-fail, budget, triple-fault,
	 * unsupported, failed, crashed, timeout. */
	char status[16];
	char *message;		/* first line of stderr, else the run's message */
	bool has_result;	/* the run wrote its JSON: the numbers below hold */
	bool has_exit_value;
	uint32_t exit_value;
	bool diverged;
	double cycles;
	double comp[MX_NCOMP];
	uint64_t guest_insns, exits, guest_faults, hidden_faults;
	uint64_t exit_n[EXIT_COUNT];
	double exit_cyc[EXIT_COUNT];
	struct mx_counter *ctr;
	size_t nctr;
	/* Host side: medians over the repeats, with their extremes. */
	double host_s, host_s_min, host_s_max;
	double mips, mips_min, mips_max;
	unsigned repeats;
	bool consistent;	/* modeled numbers and output equal in every repeat */
	/* Against the native run of the same workload and cost model. */
	bool has_overhead;
	double overhead;
	int output_ok;		/* 1 equal, 0 differs, -1 no native output */
	char *out_text;		/* the guest's stdout (first repeat) */
	size_t out_len;
	char *stem;		/* DIR/runs/STEM.{json,out,err} of the first repeat */
};

static inline uint64_t mx_counter(const struct mx_row *r, const char *name, bool *found)
{
	for (size_t k = 0; k < r->nctr; k++)
		if (!strcmp(r->ctr[k].name, name)) {
			if (found)
				*found = true;
			return r->ctr[k].value;
		}
	if (found)
		*found = false;
	return 0;
}

static inline bool mx_row_ok(const struct mx_row *r)
{
	return !strcmp(r->status, "ok");
}

/* What to run; filled by the commands. */
struct mx_combo {
	const char *workload, *strategy, *isa;
	const char *cost_arg;	/* --cost as given: a name or an .ini path */
	const char *cost_name;	/* its [model] name */
	const char *append;	/* NULL: none */
	bool baseline_only;
	unsigned repeat;	/* runs of this combination; 0: the config's --repeat */
};

struct mx_config {
	const char *cmd;	/* "matrix" or "report", for messages */
	const char *dir;	/* results directory (exists) */
	unsigned jobs, repeat;
	uint64_t max_insns, mem_mib;	/* 0: the run's defaults */
	unsigned timeout;		/* seconds per run, 0: none */
	unsigned disk_mib;
};

struct mx_plan {
	struct mx_combo *c;
	size_t n, cap;
};

/* Adds a combination unless an identical one is planned; -1 out of memory. */
int mx_plan_add(struct mx_plan *p, const struct mx_combo *c);
void mx_plan_free(struct mx_plan *p);
/* Adds native (x86) for every workload and cost model lacking it; returns
 * how many workloads needed one. */
int mx_plan_add_baselines(struct mx_plan *p);

/* Workloads that need a scratch disk: they fail without one, by design. */
static inline bool mx_needs_disk(const char *workload)
{
	return !strcmp(workload, "diskpio") || !strcmp(workload, "diskdma");
}

/* Runs every combination (its repeat, or cfg->repeat times). rows[i]
 * answers plan c[i].
 * 0 done (whatever the runs did), 130 interrupted, 2 could not start. */
int mx_execute(const struct mx_plan *p, const struct mx_config *cfg, struct mx_row **rows);
void mx_rows_free(struct mx_row *rows, size_t n);

/* Loads one run: its JSON, stdout and stderr at DIR/runs/STEM.*, and how
 * the worker ended (wait status, or timed out). */
void mx_load_run(struct mx_row *r, const struct mx_combo *c, const char *dir,
		 const char *stem, int wstatus, bool timed_out);
/* Folds n repeats (rs[0] keeps the result, the others are freed). */
void mx_fold_repeats(struct mx_row *rs, size_t n);
/* Overhead and output_ok of every row against its native row. */
void mx_compare_baselines(struct mx_row *rows, size_t n);

/* The column set of results.csv: fixed columns, then per exit reason, then
 * every counter any row has, in first-seen order. */
struct mx_columns {
	char **ctr;
	size_t nctr;
};
void mx_columns_build(struct mx_columns *c, const struct mx_row *rows, size_t n);
void mx_columns_free(struct mx_columns *c);

struct cost_model;
struct mx_provenance {
	int argc;
	char **argv;			/* the whole command line, "vmmsim" first */
	const struct cost_model *models;	/* every cost model used */
	size_t nmodels;
	const char *const *notes;	/* things the run decided for the user */
	size_t nnotes;
};
int mx_write_csv(const char *path, const struct mx_row *rows, size_t n);
/* Both files into cfg->dir, with the command line as given (argv of the
 * command, argv[0] its name); note, if not empty, recorded in results.json. */
int mx_write_results(const struct mx_config *cfg, const struct mx_row *rows, size_t n,
		     int argc, char **argv, const struct cost_model *models, int nmodels,
		     const char *note);
/* "model name" of /proc/cpuinfo, or "unknown". */
void mx_cpu_model(char *buf, size_t len);
int mx_write_json(const char *path, const struct mx_row *rows, size_t n,
		  const struct mx_config *cfg, const struct mx_provenance *prov);

/* Options both matrix and report take; returns 1 when ch was one of them,
 * 0 when not, EXIT_USAGE (after the message) on a bad value. */
int mx_common_option(int ch, const char *arg, struct mx_config *cfg);
#define MX_COMMON_LONGOPTS \
	{ "jobs", required_argument, 0, 'j' }, \
	{ "max-insns", required_argument, 0, 0x4d01 }, \
	{ "mem", required_argument, 0, 0x4d02 }, \
	{ "timeout", required_argument, 0, 0x4d03 }, \
	{ "disk-mib", required_argument, 0, 0x4d04 }

/* The --append-for NAME=ARGS table. */
struct mx_appends {
	char **name, **args;
	size_t n;
};
int mx_appends_add(struct mx_appends *a, const char *cmd, const char *spec);
const char *mx_appends_get(const struct mx_appends *a, const char *workload);
void mx_appends_free(struct mx_appends *a);

/* mkdir -p; -1 with errno. */
int mx_mkdirs(const char *path);
/* The default results/<timestamp> directory name into buf. */
void mx_default_dir(char *buf, size_t len);

#endif
