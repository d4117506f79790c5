/*
 * vmmsim matrix: every workload x strategy x ISA x cost model, run in
 * parallel worker processes, into DIR/results.csv and DIR/results.json
 * (matrix.h has the pipeline). Also the planning helpers and the options
 * that `vmmsim report` shares with it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/matrix.h"
#include "cli/workloads.h"
#include "core/mon/cost.h"
#include "core/mon/strategy.h"

#define MAX_LIST 64

const char *costs_dir(void);	/* list.c */

static bool same_combo(const struct mx_combo *a, const struct mx_combo *b)
{
	return !strcmp(a->workload, b->workload) && !strcmp(a->strategy, b->strategy) &&
	       !strcmp(a->isa, b->isa) && !strcmp(a->cost_name, b->cost_name);
}

int mx_plan_add(struct mx_plan *p, const struct mx_combo *c)
{
	for (size_t i = 0; i < p->n; i++)
		if (same_combo(&p->c[i], c))
			return 0;
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 32;
		struct mx_combo *nc = realloc(p->c, cap * sizeof(*nc));
		if (!nc)
			return -1;
		p->c = nc;
		p->cap = cap;
	}
	p->c[p->n++] = *c;
	return 0;
}

void mx_plan_free(struct mx_plan *p)
{
	free(p->c);
	*p = (struct mx_plan){ 0 };
}

int mx_plan_add_baselines(struct mx_plan *p)
{
	size_t n = p->n;
	int added = 0;

	for (size_t i = 0; i < n; i++) {
		struct mx_combo b = p->c[i];
		b.strategy = "native";
		b.isa = "x86";
		b.baseline_only = true;
		b.repeat = 0;
		size_t before = p->n;
		if (mx_plan_add(p, &b))
			return -1;
		if (p->n == before)
			continue;
		/* Count workloads, not workload x cost pairs. */
		bool seen = false;
		for (size_t k = n; k < before; k++)
			seen |= !strcmp(p->c[k].workload, b.workload);
		added += !seen;
	}
	return added;
}

int mx_common_option(int ch, const char *arg, struct mx_config *cfg)
{
	uint64_t v;

	switch (ch) {
	case 'j':
		if (!parse_u64(arg, &v) || v < 1 || v > 256)
			return usage_error(cfg->cmd, "-j: '%s' is not a number of workers (1-256)",
					   arg);
		cfg->jobs = (unsigned)v;
		return 1;
	case 0x4d01:
		if (!parse_u64(arg, &v) || !v)
			return usage_error(cfg->cmd, "--max-insns: '%s' is not a positive number",
					   arg);
		cfg->max_insns = v;
		return 1;
	case 0x4d02:
		if (!parse_u64(arg, &v) || v < 2 || v > 3072)
			return usage_error(cfg->cmd, "--mem: '%s' is not a number of MiB (2-3072)",
					   arg);
		cfg->mem_mib = v;
		return 1;
	case 0x4d03:
		if (!parse_u64(arg, &v) || v > 86400)
			return usage_error(cfg->cmd, "--timeout: '%s' is not a number of seconds",
					   arg);
		cfg->timeout = (unsigned)v;
		return 1;
	case 0x4d04:
		if (!parse_u64(arg, &v) || v < 1 || v > 4096)
			return usage_error(cfg->cmd, "--disk-mib: '%s' is not a size in MiB (1-4096)",
					   arg);
		cfg->disk_mib = (unsigned)v;
		return 1;
	}
	return 0;
}

int mx_appends_add(struct mx_appends *a, const char *cmd, const char *spec)
{
	const char *eq = strchr(spec, '=');

	if (!eq || eq == spec)
		return usage_error(cmd, "--append-for '%s': use NAME=ARGS, e.g. compute=iters=2",
				   spec);
	char *name = strndup(spec, (size_t)(eq - spec));
	if (!name || !workload_find(name)) {
		usage_error(cmd, "--append-for %s: no such workload (see 'vmmsim list workloads')",
			    name ? name : spec);
		free(name);
		return EXIT_USAGE;
	}
	for (size_t k = 0; k < a->n; k++)
		if (!strcmp(a->name[k], name)) {
			free(name);
			return usage_error(cmd, "--append-for: workload %s given twice", a->name[k]);
		}
	char **nn = realloc(a->name, (a->n + 1) * sizeof(char *));
	if (nn)
		a->name = nn;
	char **na = realloc(a->args, (a->n + 1) * sizeof(char *));
	if (na)
		a->args = na;
	if (!nn || !na) {
		free(name);
		return usage_error(cmd, "out of memory");
	}
	a->name[a->n] = name;
	a->args[a->n++] = strdup(eq + 1);
	return 0;
}

const char *mx_appends_get(const struct mx_appends *a, const char *workload)
{
	for (size_t k = 0; k < a->n; k++)
		if (!strcmp(a->name[k], workload))
			return a->args[k];
	return NULL;
}

void mx_appends_free(struct mx_appends *a)
{
	for (size_t k = 0; k < a->n; k++) {
		free(a->name[k]);
		free(a->args[k]);
	}
	free(a->name);
	free(a->args);
	*a = (struct mx_appends){ 0 };
}

int mx_mkdirs(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, n + 1);
	for (char *s = buf + 1; ; s++) {
		if (*s != '/' && *s)
			continue;
		char c = *s;
		*s = 0;
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -1;
		*s = c;
		if (!c)
			break;
	}
	struct stat st;
	if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

void mx_default_dir(char *buf, size_t len)
{
	time_t t = time(NULL);
	char stamp[32];

	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&t));
	snprintf(buf, len, "results/%s", stamp);
}

static void matrix_usage(FILE *f)
{
	fprintf(f,
		"usage: vmmsim matrix [options]\n"
		"Runs every workload x strategy (x ISA x cost model) combination, each as a worker\n"
		"process 'vmmsim run -q --no-baseline --json', in parallel, and writes DIR/results.csv\n"
		"and DIR/results.json (one row per combination, with its status) and DIR/runs/ (each\n"
		"run's JSON, guest stdout and stderr).\n"
		"  -w, --workloads all|LIST   comma-separated workloads (vmmsim list workloads); default all\n"
		"  -s, --strategies all|LIST  comma-separated strategies (vmmsim list strategies); default all\n"
		"      --isa LIST             x86 and/or virtualizable (comma-separated); default x86;\n"
		"                             virtualizable runs only monitor strategies\n"
		"      --cost MODEL[,MODEL]   cost models, names or .ini files; default era2006\n"
		"  -j, --jobs N               parallel workers; default the number of online CPUs\n"
		"  -o, --output DIR           results directory (created); default results/<timestamp>\n"
		"      --repeat K             run each combination K times: host times are the median\n"
		"                             (with min and max); modeled numbers must not differ\n"
		"      --append-for W=ARGS    guest command line for workload W (repeatable), such as\n"
		"                             compute=iters=2 for a small run\n"
		"      --max-insns N          instruction budget of every run; default vmmsim run's\n"
		"      --mem MIB              guest RAM of every run; default vmmsim run's\n"
		"      --timeout SEC          kill a run after SEC host seconds (status timeout); default none\n"
		"      --disk-mib N           size of the fresh zeroed scratch disk given to diskpio and\n"
		"                             diskdma; default 4\n"
		"Every workload also runs natively (added when -s lacks native): overhead is modeled\n"
		"cycles over the native run's, output_ok compares the guest's stdout with the native\n"
		"run's byte for byte. A row's status: ok, diverged, guest-fail (the guest's own checks\n"
		"failed), budget, triple-fault, unsupported, failed (the run could not start), crashed,\n"
		"timeout. A progress line goes to stderr. Ctrl-C stops the workers; no results are written.\n"
		"Exit status: 0 the matrix ran (whatever its rows say); 2 bad usage; 130 interrupted.\n");
}

/* Splits a comma list in place; "all" is left to the caller. */
static int split(char *s, const char **out, int max)
{
	int n = 0;

	for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ","))
		if (n < max)
			out[n++] = tok;
		else
			return -1;
	return n;
}

struct matrix_opts {
	char *w, *s, *isa, *cost;
	const char *dir;
	uint64_t repeat;
	struct mx_appends app;
};

static int parse(int argc, char **argv, struct matrix_opts *o, struct mx_config *cfg)
{
	enum { O_ISA = 256, O_COST, O_REPEAT, O_APPEND_FOR };
	static const struct option longs[] = {
		{ "workloads", required_argument, 0, 'w' }, { "strategies", required_argument, 0, 's' },
		{ "output", required_argument, 0, 'o' }, { "isa", required_argument, 0, O_ISA },
		{ "cost", required_argument, 0, O_COST }, { "repeat", required_argument, 0, O_REPEAT },
		{ "append-for", required_argument, 0, O_APPEND_FOR },
		{ "help", no_argument, 0, 'h' }, MX_COMMON_LONGOPTS, { 0, 0, 0, 0 },
	};
	int ch, rc;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":w:s:j:o:h", longs, NULL)) != -1) {
		if ((rc = mx_common_option(ch, optarg, cfg)))
			if (rc != 1)
				return rc;
		if (rc == 1)
			continue;
		switch (ch) {
		case 'w': o->w = optarg; break;
		case 's': o->s = optarg; break;
		case 'o': o->dir = optarg; break;
		case O_ISA: o->isa = optarg; break;
		case O_COST: o->cost = optarg; break;
		case 'h': matrix_usage(stdout); return -1;
		case O_REPEAT:
			if (!parse_u64(optarg, &o->repeat) || o->repeat < 1 || o->repeat > 100)
				return usage_error("matrix", "--repeat: '%s' is not a count (1-100)",
						   optarg);
			break;
		case O_APPEND_FOR:
			if ((rc = mx_appends_add(&o->app, "matrix", optarg)))
				return rc;
			break;
		case ':':
			return usage_error("matrix", "option %s needs a value", argv[optind - 1]);
		default:
			return usage_error("matrix", "unknown option '%s' (see vmmsim matrix --help)",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("matrix", "unexpected argument '%s'", argv[optind]);
	return 0;
}

/* Builds the plan from the option lists; EXIT_USAGE with a message. */
static int plan(struct matrix_opts *o, struct mx_plan *p, struct cost_model *models, int *nmodels)
{
	const char *ws[MAX_LIST], *ss[MAX_LIST], *is[4], *cs[8];
	int nw = 0, ns = 0, ni, nc;
	char err[600];

	if (!o->w || !strcmp(o->w, "all")) {
		for (const struct workload *w = workloads; w->name && nw < MAX_LIST; w++)
			ws[nw++] = w->name;
	} else if ((nw = split(o->w, ws, MAX_LIST)) <= 0) {
		return usage_error("matrix", "-w: give workload names separated by commas, or all");
	}
	for (int k = 0; k < nw; k++)
		if (!workload_find(ws[k]))
			return usage_error("matrix", "-w %s: no such workload (see 'vmmsim list "
				   "workloads')", ws[k]);
	if (!o->s || !strcmp(o->s, "all")) {
		for (const struct strategy *s = strategies; s->name && ns < MAX_LIST; s++)
			ss[ns++] = s->name;
	} else if ((ns = split(o->s, ss, MAX_LIST)) <= 0) {
		return usage_error("matrix", "-s: give strategy names separated by commas, or all");
	}
	for (int k = 0; k < ns; k++)
		if (!strategy_find(ss[k]))
			return usage_error("matrix", "-s %s: no such strategy (see 'vmmsim list "
				   "strategies')", ss[k]);
	if ((ni = split(o->isa, is, 2)) <= 0)
		return usage_error("matrix", "--isa: give x86, virtualizable or both");
	for (int k = 0; k < ni; k++)
		if (strcmp(is[k], "x86") && strcmp(is[k], "virtualizable"))
			return usage_error("matrix", "--isa %s: use x86 or virtualizable", is[k]);
	if ((nc = split(o->cost, cs, 8)) <= 0)
		return usage_error("matrix", "--cost: give up to 8 cost models separated by commas");
	for (int k = 0; k < nc; k++) {
		if (cost_load(&models[k], cs[k], costs_dir(), err, sizeof(err)))
			return usage_error("matrix", "%s", err);
		*nmodels = k + 1;
		for (int m = 0; m < k; m++)
			if (!strcmp(models[m].name, models[k].name))
				return usage_error("matrix", "--cost: two models named %s",
						   models[k].name);
	}
	for (int c = 0; c < nc; c++)
		for (int w = 0; w < nw; w++)
			for (int i = 0; i < ni; i++)
				for (int s = 0; s < ns; s++) {
					const struct strategy *st = strategy_find(ss[s]);
					/* The ISA variant only changes what traps into a monitor. */
					if (strcmp(is[i], "x86") && !(st->cpu && st->cpu->attach))
						continue;
					struct mx_combo cb = {
						.workload = ws[w], .strategy = st->name, .isa = is[i],
						.cost_arg = cs[c], .cost_name = models[c].name,
						.append = mx_appends_get(&o->app, ws[w]),
					};
					if (mx_plan_add(p, &cb))
						return usage_error("matrix", "out of memory");
				}
	if (!p->n)
		return usage_error("matrix", "nothing to run: --isa virtualizable needs a monitor "
				   "strategy (such as trap+shadow) in -s");
	return 0;
}

static void summary(const struct mx_row *rows, size_t n, const char *dir, double secs)
{
	static const char *const kinds[] = { "ok", "diverged", "guest-fail", "budget",
		"triple-fault", "unsupported", "failed", "crashed", "timeout" };
	char buf[400];
	int k = 0;

	for (size_t s = 0; s < sizeof(kinds) / sizeof(kinds[0]); s++) {
		size_t c = 0;
		for (size_t i = 0; i < n; i++)
			c += !strcmp(rows[i].status, kinds[s]);
		if (c)
			k += snprintf(buf + k, sizeof(buf) - (size_t)k, "%s%zu %s", k ? ", " : "",
				      c, kinds[s]);
	}
	fprintf(stderr, "vmmsim matrix: %zu rows (%s) in %.1f s: %s/results.csv, %s/results.json\n",
		n, k ? buf : "none", secs, dir, dir);
	for (size_t i = 0; i < n; i++)
		if (!rows[i].consistent)
			fprintf(stderr, "vmmsim matrix: %s under %s: repeats differ in modeled "
				"numbers or output (modeled_consistent = no)\n", rows[i].workload,
				rows[i].strategy);
}

int mx_write_results(const struct mx_config *cfg, const struct mx_row *rows, size_t n,
		     int argc, char **argv, const struct cost_model *models, int nmodels,
		     const char *note)
{
	char **cmdline = calloc((size_t)argc + 2, sizeof(char *)), path[4200];
	const char *notes[1] = { note };
	int rc = 0;

	if (!cmdline)
		return usage_error(cfg->cmd, "out of memory");
	cmdline[0] = "vmmsim";
	memcpy(cmdline + 1, argv, (size_t)argc * sizeof(char *));
	struct mx_provenance prov = { .argc = argc + 1, .argv = cmdline, .models = models,
				      .nmodels = (size_t)nmodels, .notes = notes,
				      .nnotes = note[0] ? 1 : 0 };
	snprintf(path, sizeof(path), "%s/results.csv", cfg->dir);
	if (mx_write_csv(path, rows, n))
		rc = usage_error(cfg->cmd, "%s: cannot write: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/results.json", cfg->dir);
	if (!rc && mx_write_json(path, rows, n, cfg, &prov))
		rc = usage_error(cfg->cmd, "%s: cannot write: %s", path, strerror(errno));
	free(cmdline);
	return rc;
}

int cmd_matrix(int argc, char **argv)
{
	struct matrix_opts o = { .repeat = 1 };
	struct mx_config cfg = { .cmd = "matrix", .disk_mib = 4 };
	struct mx_plan p = { 0 };
	struct cost_model models[8];
	int nmodels = 0, rc;
	char dir[4096], note[512];
	struct mx_row *rows = NULL;
	struct timespec t0, t1;

	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	cfg.jobs = cpus > 0 ? (unsigned)cpus : 1;
	rc = parse(argc, argv, &o, &cfg);
	if (rc)
		goto out;
	cfg.repeat = (unsigned)o.repeat;
	/* The plan points into these (split cuts them in place): they live as
	 * long as the command. */
	char isa_default[] = "x86", cost_default[] = "era2006";
	if (!o.isa)
		o.isa = isa_default;
	if (!o.cost)
		o.cost = cost_default;
	if ((rc = plan(&o, &p, models, &nmodels)))
		goto out;
	int added = mx_plan_add_baselines(&p);
	if (added < 0) {
		rc = usage_error("matrix", "out of memory");
		goto out;
	}
	if (o.dir)
		snprintf(dir, sizeof(dir), "%s", o.dir);
	else
		mx_default_dir(dir, sizeof(dir));
	if (mx_mkdirs(dir)) {
		rc = usage_error("matrix", "-o %s: cannot create the directory: %s", dir,
				 strerror(errno));
		goto out;
	}
	cfg.dir = dir;
	note[0] = 0;
	if (added) {
		snprintf(note, sizeof(note), "native runs added for %d workload%s: the baseline of "
			 "overhead and output_ok", added, added > 1 ? "s" : "");
		fprintf(stderr, "vmmsim matrix: %s\n", note);
	}
	fprintf(stderr, "vmmsim matrix: %zu combinations x %u repeat%s, %u workers, into %s\n",
		p.n, cfg.repeat, cfg.repeat > 1 ? "s" : "", cfg.jobs, dir);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((rc = mx_execute(&p, &cfg, &rows)))
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &t1);

	if ((rc = mx_write_results(&cfg, rows, p.n, argc, argv, models, nmodels, note)))
		goto out;
	summary(rows, p.n, dir, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
out:
	if (rows)
		mx_rows_free(rows, p.n);
	free(rows);
	for (int k = 0; k < nmodels; k++)
		cost_free(&models[k]);
	mx_plan_free(&p);
	mx_appends_free(&o.app);
	return rc < 0 ? EXIT_OK : rc;
}
