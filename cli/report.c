/*
 * vmmsim report: runs the claim experiments (a matrix of its own: the runs
 * claims_needs asks for, plus native baselines), measures C1's host
 * reference, judges every claim (claims.c) and writes DIR/report.md,
 * DIR/report.tex, the plots they cite (DIR/plots) and the matrix results
 * behind them (DIR/results.csv, .json, runs/).
 *
 * C1's reference is bench/native/compute_host32, the guest's compute
 * algorithm as a 32-bit Linux process. Kernels built without IA-32
 * emulation refuse it (ENOEXEC); then compute_host64, the same source
 * for x86-64, stands in, and the report says so. $VMMSIM_COMPUTE_HOST
 * names another program with the same interface.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/claims.h"
#include "cli/cli.h"
#include "cli/matrix.h"
#include "cli/plot.h"
#include "cli/report.h"
#include "core/mon/cost.h"
#include "core/mon/strategy.h"

#define C1_SIM_REPEAT 3		/* fullsim runs of compute; the fastest counts */
#define C1_HOST_REPEAT 5	/* host reference runs; the fastest counts */

const char *costs_dir(void);	/* list.c */
extern char **environ;

static void report_usage(FILE *f)
{
	fprintf(f,
		"usage: vmmsim report [options]\n"
		"Runs the experiments behind the lecture's claims (C1-C10), judges each from the\n"
		"measured numbers (PASS, FAIL, or N/A while a strategy it needs does not exist), and\n"
		"writes DIR/report.md, DIR/report.tex (a LaTeX fragment with booktabs tables), the\n"
		"plots they cite (DIR/plots) and the runs behind them (DIR/results.csv, .json, runs/).\n"
		"  -o, --output DIR         default results/report\n"
		"      --cost MODEL         cost model, a name or an .ini file; default era2006\n"
		"  -j, --jobs N             parallel workers; default the number of online CPUs\n"
		"      --append-for W=ARGS  guest command line for workload W (repeatable), to run\n"
		"                           smaller experiments (the verdicts may then differ)\n"
		"      --max-insns N, --mem MIB, --timeout SEC, --disk-mib N   as for vmmsim matrix\n"
		"C1 times compute under fullsim %d times and the host reference %d times (the fastest\n"
		"of each counts): bench/native/compute_host32, or compute_host64 where the kernel\n"
		"cannot run 32-bit programs, or $VMMSIM_COMPUTE_HOST.\n"
		"Exit status: 0 report written (whatever the verdicts); 2 bad usage or a write\n"
		"error; 130 interrupted.\n", C1_SIM_REPEAT, C1_HOST_REPEAT);
}

/* Runs prog ROUNDS once; 0 with the output in out, else errno (exec) or -1. */
static int run_host_once(const char *prog, unsigned rounds, const char *outpath, char *out,
			 size_t outlen, long long *ns)
{
	posix_spawn_file_actions_t fa;
	char arg[16], *argv[3] = { (char *)prog, arg, NULL };
	pid_t pid;
	int st, rc;

	snprintf(arg, sizeof(arg), "%u", rounds);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, outpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	rc = posix_spawn(&pid, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		return rc;
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	FILE *f = fopen(outpath, "r");
	if (!f)
		return -1;
	size_t n = fread(out, 1, outlen - 1, f);
	fclose(f);
	out[n] = 0;
	char *t = strstr(out, "nanoseconds: ");
	if (!t || sscanf(t + 13, "%lld", ns) != 1 || *ns <= 0)
		return -1;
	*t = 0;		/* keep the result lines only */
	return 0;
}

/* C1's host reference, timed C1_HOST_REPEAT times with the guest's rounds. */
static void measure_host(struct host_ref *h, const char *dir, unsigned rounds)
{
	const char *env = getenv("VMMSIM_COMPUTE_HOST");
	const char *cands[2] = { VMMSIM_BUILD_DIR "/bench/native/compute_host32",
				 VMMSIM_BUILD_DIR "/bench/native/compute_host64" };
	char out[1024], path[4300], cpu[256], refused[200] = "";
	long long ns, best = 0;
	int rc = ENOENT;

	memset(h, 0, sizeof(*h));
	h->rounds = rounds;
	mx_cpu_model(cpu, sizeof(cpu));
	snprintf(path, sizeof(path), "%s/runs/compute_host.out", dir);
	for (int k = env && *env ? -1 : 0; k < 2; k++) {
		const char *prog = k < 0 ? env : cands[k];
		rc = run_host_once(prog, rounds, path, out, sizeof(out), &ns);
		if (rc == ENOEXEC && k == 0) {
			snprintf(refused, sizeof(refused), "this host's kernel refuses 32-bit "
				 "programs (exec: %s), so ", strerror(rc));
			continue;
		}
		if (rc) {
			snprintf(h->what, sizeof(h->what), "%s did not run: %s", prog,
				 rc > 0 ? strerror(rc) : "it failed or printed no timing");
			if (rc == ENOENT && k >= 0)
				snprintf(h->what, sizeof(h->what), "%s is not built (the build did "
					 "not find workloads/compute_core.h)", prog);
			return;
		}
		best = ns;
		for (unsigned r = 1; r < C1_HOST_REPEAT; r++)
			if (!run_host_once(prog, rounds, path, out, sizeof(out), &ns) && ns < best)
				best = ns;
		h->ran = true;
		h->reps = C1_HOST_REPEAT;
		h->seconds = best / 1e9;
		snprintf(h->output, sizeof(h->output), "%s", out);
		snprintf(h->cmd, sizeof(h->cmd), "%s %u", prog, rounds);
		if (k < 0)
			snprintf(h->what, sizeof(h->what), "%s (named by $VMMSIM_COMPUTE_HOST), run "
				 "directly on the host CPU (%s)", prog, cpu);
		else
			snprintf(h->what, sizeof(h->what), "%s%s, the same source built with the "
				 "guest's code generation (gcc %s -O2 -ffreestanding "
				 "-mgeneral-regs-only, static), "
				 "run directly on the host CPU (%s)", refused, prog,
				 k == 0 ? "-m32 -march=i686" : "-m64", cpu);
		return;
	}
}

struct report_opts {
	const char *dir, *cost;
	struct mx_appends app;
};

static int parse(int argc, char **argv, struct report_opts *o, struct mx_config *cfg)
{
	enum { O_COST = 256, O_APPEND_FOR };
	static const struct option longs[] = {
		{ "output", required_argument, 0, 'o' }, { "cost", required_argument, 0, O_COST },
		{ "append-for", required_argument, 0, O_APPEND_FOR },
		{ "help", no_argument, 0, 'h' }, MX_COMMON_LONGOPTS, { 0, 0, 0, 0 },
	};
	int ch, rc;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":o:j:h", longs, NULL)) != -1) {
		if ((rc = mx_common_option(ch, optarg, cfg)) == 1)
			continue;
		if (rc)
			return rc;
		switch (ch) {
		case 'o': o->dir = optarg; break;
		case O_COST: o->cost = optarg; break;
		case O_APPEND_FOR:
			if ((rc = mx_appends_add(&o->app, "report", optarg)))
				return rc;
			break;
		case 'h': report_usage(stdout); return -1;
		case ':':
			return usage_error("report", "option %s needs a value", argv[optind - 1]);
		default:
			return usage_error("report", "unknown option '%s' (see vmmsim report --help)",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("report", "unexpected argument '%s'", argv[optind]);
	return 0;
}

static int plan(struct mx_plan *p, const struct report_opts *o, const struct cost_model *m)
{
	struct claim_need needs[64];
	size_t n = claims_needs(needs, 64, strategy_find);

	for (size_t k = 0; k < n; k++) {
		struct mx_combo c = {
			.workload = needs[k].workload, .strategy = needs[k].strategy,
			.isa = needs[k].isa, .cost_arg = o->cost, .cost_name = m->name,
			.append = mx_appends_get(&o->app, needs[k].workload),
		};
		if (!strcmp(c.workload, "compute") && !strcmp(c.strategy, "fullsim"))
			c.repeat = C1_SIM_REPEAT;
		if (mx_plan_add(p, &c))
			return -1;
	}
	return mx_plan_add_baselines(p) < 0 ? -1 : 0;
}

static void join_cmdline(char *buf, size_t len, int argc, char **argv)
{
	snprintf(buf, len, "vmmsim");
	for (int k = 0; k < argc; k++) {
		size_t n = strlen(buf);
		snprintf(buf + n, len - n, " %s", argv[k]);
	}
}

static int write_docs(const struct mx_config *cfg, const char *cost, int argc, char **argv,
		      const struct claim_result *cl, size_t ncl, const struct host_ref *h)
{
	struct plot_set ps;
	char date[64], cpu[256], cmdline[2048], path[4300], noplot[200] = "";
	time_t t = time(NULL);
	int rc = 0;

	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", gmtime(&t));
	mx_cpu_model(cpu, sizeof(cpu));
	join_cmdline(cmdline, sizeof(cmdline), argc, argv);
	bool plots = plot_have_gnuplot();
	if (plots && plot_render(cfg->dir, "report", &ps))
		return EXIT_USAGE;
	if (!plots) {
		snprintf(noplot, sizeof(noplot), "gnuplot is not installed (Debian: gnuplot-nox)");
		fprintf(stderr, "vmmsim report: gnuplot not found on PATH: the report has no plots\n");
	}
	struct report_doc d = {
		.dir = cfg->dir, .cost = cost, .commit = vmmsim_commit(),
		.build = VMMSIM_BUILD_TYPE, .date = date, .cpu = cpu, .cmdline = cmdline,
		.claims = cl, .nclaims = ncl, .plots = plots ? &ps : NULL, .no_plots = noplot,
		.host = h,
	};
	snprintf(path, sizeof(path), "%s/report.md", cfg->dir);
	if (report_write_md(path, &d))
		rc = usage_error("report", "%s: cannot write: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/report.tex", cfg->dir);
	if (!rc && report_write_tex(path, &d))
		rc = usage_error("report", "%s: cannot write: %s", path, strerror(errno));
	return rc;
}

int cmd_report(int argc, char **argv)
{
	struct report_opts o = { .dir = "results/report", .cost = "era2006" };
	struct mx_config cfg = { .cmd = "report", .repeat = 1, .disk_mib = 4 };
	struct mx_plan p = { 0 };
	struct cost_model model = { 0 };
	struct mx_row *rows = NULL;
	struct host_ref host;
	static struct claim_result cl[CLAIMS_MAX];
	char err[600];
	int rc;

	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	cfg.jobs = cpus > 0 ? (unsigned)cpus : 1;
	if ((rc = parse(argc, argv, &o, &cfg)))
		goto out;
	if (cost_load(&model, o.cost, costs_dir(), err, sizeof(err))) {
		rc = usage_error("report", "%s", err);
		goto out;
	}
	if (mx_mkdirs(o.dir)) {
		rc = usage_error("report", "-o %s: cannot create the directory: %s", o.dir,
				 strerror(errno));
		goto out;
	}
	cfg.dir = o.dir;
	if (plan(&p, &o, &model)) {
		rc = usage_error("report", "out of memory");
		goto out;
	}
	fprintf(stderr, "vmmsim report: %zu runs for the claims, %u workers, into %s\n", p.n,
		cfg.jobs, o.dir);
	if ((rc = mx_execute(&p, &cfg, &rows)))
		goto out;
	if ((rc = mx_write_results(&cfg, rows, p.n, argc, argv, &model, 1, "")))
		goto out;

	unsigned rounds = 0;
	for (size_t i = 0; i < p.n; i++)
		if (!strcmp(rows[i].workload, "compute") && !strcmp(rows[i].strategy, "fullsim") &&
		    rows[i].out_text && strstr(rows[i].out_text, "rounds: "))
			sscanf(strstr(rows[i].out_text, "rounds: ") + 8, "%u", &rounds);
	measure_host(&host, o.dir, rounds ? rounds : 1);
	struct claim_input in = { .rows = rows, .n = p.n, .cost = model.name, .cost_arg = o.cost,
				  .disk_mib = cfg.disk_mib, .host = &host, .find = strategy_find };
	size_t ncl = claims_evaluate(&in, cl, CLAIMS_MAX);
	if ((rc = write_docs(&cfg, model.name, argc, argv, cl, ncl, &host)))
		goto out;
	for (size_t k = 0; k < ncl; k++)
		fprintf(stderr, "  %-4s %-4s %s\n", cl[k].id, verdict_name(cl[k].verdict), cl[k].why);
	fprintf(stderr, "vmmsim report: %s/report.md, %s/report.tex\n", o.dir, o.dir);
out:
	if (rows)
		mx_rows_free(rows, p.n);
	free(rows);
	mx_plan_free(&p);
	mx_appends_free(&o.app);
	cost_free(&model);
	return rc < 0 ? EXIT_OK : rc;
}
