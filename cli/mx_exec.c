/*
 * Matrix execution: every planned combination, --repeat times, each run a
 * worker process `vmmsim run -q --no-baseline --json` (fork and exec of
 * /proc/self/exe, so workers are exactly this build), at most cfg->jobs at
 * a time. A worker's stdout (the guest's serial output) and stderr go to
 * DIR/runs/STEM.out and .err; disk workloads get a fresh sparse image of
 * zeros, the same for every strategy, removed when the run ends.
 *
 * The parent sleeps in sigtimedwait for SIGCHLD (blocked, so no child's
 * end is missed between checks) with a short timeout that drives the
 * progress line and the per-run timeout. SIGINT/SIGTERM/SIGHUP only set a
 * flag; the loop then kills the workers it started, by pid, and reaps them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/matrix.h"

struct job {
	size_t combo;
	unsigned rep;
	char stem[256];
	char disk[4200];
	pid_t pid;
	double start, end;
	int wstatus;
	bool timed_out, done;
	struct mx_row row;	/* loaded as soon as the worker ends */
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void make_stem(char *buf, size_t len, const struct mx_combo *c, unsigned rep,
		      unsigned repeats)
{
	int n = snprintf(buf, len, "%s.%s", c->workload, c->strategy);

	if (strcmp(c->isa, "x86"))
		n += snprintf(buf + n, len - (size_t)n, ".%s", c->isa);
	n += snprintf(buf + n, len - (size_t)n, ".%s", c->cost_name);
	if (repeats > 1)
		snprintf(buf + n, len - (size_t)n, ".r%u", rep + 1);
	for (char *s = buf; *s; s++)
		if (*s == '/' || *s == ' ')
			*s = '_';
}

static int make_disk(const char *path, unsigned mib)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return -1;
	/* A sparse file reads as zeros: the same fresh disk for every run. */
	int rc = ftruncate(fd, (off_t)mib << 20);
	close(fd);
	return rc;
}

/* In the child: never returns. Errors go to the run's .err file, where
 * the parent finds them as the row's message. */
static void exec_worker(const struct mx_config *cfg, const struct mx_combo *c, struct job *j,
			const sigset_t *oldmask)
{
	char path[4200], json[4200], num[32], mem[32];
	const char *argv[32];
	int a = 0;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	snprintf(path, sizeof(path), "%s/runs/%s.out", cfg->dir, j->stem);
	int out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	snprintf(path, sizeof(path), "%s/runs/%s.err", cfg->dir, j->stem);
	int err = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(127);
	close(out);
	close(err);
	int in = open("/dev/null", O_RDONLY);
	if (in >= 0 && in != 0) {
		dup2(in, 0);
		close(in);
	}
	snprintf(json, sizeof(json), "%s/runs/%s.json", cfg->dir, j->stem);
	argv[a++] = "vmmsim";
	argv[a++] = "run";
	argv[a++] = "-q";
	argv[a++] = "--no-baseline";
	argv[a++] = "--json";
	argv[a++] = json;
	argv[a++] = "-w";
	argv[a++] = c->workload;
	argv[a++] = "-s";
	argv[a++] = c->strategy;
	argv[a++] = "--isa";
	argv[a++] = c->isa;
	argv[a++] = "--cost";
	argv[a++] = c->cost_arg;
	if (c->append) {
		argv[a++] = "--append";
		argv[a++] = c->append;
	}
	if (j->disk[0]) {
		argv[a++] = "--disk";
		argv[a++] = j->disk;
	}
	if (cfg->max_insns) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)cfg->max_insns);
		argv[a++] = "--max-insns";
		argv[a++] = num;
	}
	if (cfg->mem_mib) {
		snprintf(mem, sizeof(mem), "%llu", (unsigned long long)cfg->mem_mib);
		argv[a++] = "--mem";
		argv[a++] = mem;
	}
	argv[a] = NULL;
	execv("/proc/self/exe", (char *const *)argv);
	fprintf(stderr, "vmmsim %s: cannot start a worker: %s\n", cfg->cmd, strerror(errno));
	_exit(127);
}

static int start_job(const struct mx_config *cfg, const struct mx_combo *c, struct job *j,
		     const sigset_t *oldmask)
{
	if (mx_needs_disk(c->workload)) {
		snprintf(j->disk, sizeof(j->disk), "%s/runs/%s.img", cfg->dir, j->stem);
		if (make_disk(j->disk, cfg->disk_mib))
			return usage_error(cfg->cmd, "%s: cannot create the scratch disk: %s",
					   j->disk, strerror(errno));
	}
	fflush(NULL);
	j->start = now();
	j->pid = fork();
	if (j->pid < 0)
		return usage_error(cfg->cmd, "cannot fork a worker: %s", strerror(errno));
	if (j->pid == 0)
		exec_worker(cfg, c, j, oldmask);
	return 0;
}

struct progress {
	bool tty;
	size_t total, done;
	double t0;
	int width;
};

static void fmt_time(char *buf, size_t len, double s)
{
	unsigned t = s > 0 ? (unsigned)(s + 0.5) : 0;

	snprintf(buf, len, "%u:%02u", t / 60, t % 60);
}

static void progress_tty(struct progress *pg, const struct job *jobs, size_t njobs,
			 const struct mx_plan *p)
{
	char el[16], eta[16] = "?", names[96] = "";
	size_t running = 0, k = 0;
	double t = now() - pg->t0;

	for (size_t i = 0; i < njobs; i++)
		if (jobs[i].pid > 0 && !jobs[i].done) {
			running++;
			if (k < sizeof(names) - 1)
				k += (size_t)snprintf(names + k, sizeof(names) - k, "%s%s/%s",
						      k ? " " : "", p->c[jobs[i].combo].workload,
						      p->c[jobs[i].combo].strategy);
		}
	if (k >= sizeof(names) - 1)
		memcpy(names + sizeof(names) - 4, "...", 4);
	fmt_time(el, sizeof(el), t);
	if (pg->done)
		fmt_time(eta, sizeof(eta), t / pg->done * (pg->total - pg->done));
	fprintf(stderr, "\r\033[K[%zu/%zu] running %zu, elapsed %s, ETA %s  %s", pg->done,
		pg->total, running, el, eta, names);
	fflush(stderr);
}

static void progress_done(struct progress *pg, const struct job *j, const struct mx_combo *c)
{
	pg->done++;
	if (pg->tty)
		return;
	fprintf(stderr, "vmmsim: [%*zu/%zu] %s %s%s%s %s: %s, %.1f s\n", pg->width, pg->done,
		pg->total, c->workload, c->strategy, strcmp(c->isa, "x86") ? " --isa " : "",
		strcmp(c->isa, "x86") ? c->isa : "", c->cost_name, j->row.status, j->end - j->start);
}

static void reap(struct job *jobs, size_t njobs, struct progress *pg, const struct mx_plan *p,
		 const struct mx_config *cfg)
{
	int ws;
	pid_t pid;

	while ((pid = waitpid(-1, &ws, WNOHANG)) > 0) {
		for (size_t i = 0; i < njobs; i++) {
			struct job *j = &jobs[i];
			if (j->pid != pid || j->done)
				continue;
			j->done = true;
			j->wstatus = ws;
			j->end = now();
			if (j->disk[0])
				unlink(j->disk);
			mx_load_run(&j->row, &p->c[j->combo], cfg->dir, j->stem, ws, j->timed_out);
			progress_done(pg, j, &p->c[j->combo]);
		}
	}
}

static void kill_all(struct job *jobs, size_t njobs)
{
	for (size_t i = 0; i < njobs; i++)
		if (jobs[i].pid > 0 && !jobs[i].done)
			kill(jobs[i].pid, SIGKILL);
	for (size_t i = 0; i < njobs; i++)
		if (jobs[i].pid > 0 && !jobs[i].done) {
			waitpid(jobs[i].pid, NULL, 0);
			jobs[i].done = true;
			if (jobs[i].disk[0])
				unlink(jobs[i].disk);
		}
}

static int run_jobs(struct job *jobs, size_t njobs, const struct mx_plan *p,
		    const struct mx_config *cfg)
{
	struct sigaction sa = { .sa_handler = on_signal }, old[3];
	sigset_t chld, oldmask;
	struct progress pg = { .tty = isatty(2), .total = njobs, .t0 = now() };
	size_t next = 0, running = 0;
	int rc = 0;

	pg.width = snprintf(NULL, 0, "%zu", njobs);
	interrupted = 0;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &oldmask);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old[0]);
	sigaction(SIGTERM, &sa, &old[1]);
	sigaction(SIGHUP, &sa, &old[2]);

	while (!interrupted && (next < njobs || running)) {
		while (next < njobs && running < cfg->jobs && !interrupted) {
			if ((rc = start_job(cfg, &p->c[jobs[next].combo], &jobs[next], &oldmask)))
				goto stop;
			next++;
			running++;
		}
		if (pg.tty)
			progress_tty(&pg, jobs, njobs, p);
		struct timespec tick = { 0, 250 * 1000 * 1000 };
		sigtimedwait(&chld, NULL, &tick);
		size_t before = pg.done;
		reap(jobs, njobs, &pg, p, cfg);
		running -= pg.done - before;
		if (!cfg->timeout)
			continue;
		double t = now();
		for (size_t i = 0; i < next; i++)
			if (!jobs[i].done && !jobs[i].timed_out &&
			    t - jobs[i].start > cfg->timeout) {
				jobs[i].timed_out = true;
				kill(jobs[i].pid, SIGKILL);
			}
	}
stop:
	if (interrupted || rc)
		kill_all(jobs, njobs);
	if (pg.tty) {
		if (!interrupted && !rc)
			progress_tty(&pg, jobs, njobs, p);
		fputc('\n', stderr);
	}
	sigaction(SIGINT, &old[0], NULL);
	sigaction(SIGTERM, &old[1], NULL);
	sigaction(SIGHUP, &old[2], NULL);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	if (interrupted) {
		fprintf(stderr, "vmmsim %s: interrupted (%s): workers stopped, no results written\n",
			cfg->cmd, strsignal(interrupted));
		return 130;
	}
	return rc;
}

static unsigned reps_of(const struct mx_combo *c, const struct mx_config *cfg)
{
	return c->repeat ? c->repeat : cfg->repeat;
}

int mx_execute(const struct mx_plan *p, const struct mx_config *cfg, struct mx_row **rowsp)
{
	size_t njobs = 0, k = 0;
	unsigned maxrep = 1;
	struct job *jobs = NULL;
	struct mx_row *rows = NULL, *reps = NULL;
	char runs[4200];
	int rc;

	*rowsp = NULL;
	for (size_t i = 0; i < p->n; i++) {
		njobs += reps_of(&p->c[i], cfg);
		if (reps_of(&p->c[i], cfg) > maxrep)
			maxrep = reps_of(&p->c[i], cfg);
	}
	jobs = calloc(njobs ? njobs : 1, sizeof(*jobs));
	rows = calloc(p->n ? p->n : 1, sizeof(*rows));
	reps = calloc(maxrep, sizeof(*reps));
	if (!jobs || !rows || !reps) {
		rc = usage_error(cfg->cmd, "out of memory");
		goto out;
	}
	snprintf(runs, sizeof(runs), "%s/runs", cfg->dir);
	if (mx_mkdirs(runs)) {
		rc = usage_error(cfg->cmd, "%s: cannot create: %s", runs, strerror(errno));
		goto out;
	}
	/* Repeat-major order: a first pass over every combination before any
	 * second, so repeats of one combination do not run side by side. */
	for (unsigned r = 0; r < maxrep; r++)
		for (size_t i = 0; i < p->n; i++) {
			if (r >= reps_of(&p->c[i], cfg))
				continue;
			struct job *j = &jobs[k++];
			j->combo = i;
			j->rep = r;
			make_stem(j->stem, sizeof(j->stem), &p->c[i], r, reps_of(&p->c[i], cfg));
		}
	rc = run_jobs(jobs, njobs, p, cfg);
	if (rc)
		goto out;
	for (size_t i = 0; i < p->n; i++) {
		unsigned n = 0;
		for (size_t j = 0; j < njobs; j++) {
			if (jobs[j].combo != i)
				continue;
			reps[n++] = jobs[j].row;
			memset(&jobs[j].row, 0, sizeof(struct mx_row));
		}
		mx_fold_repeats(reps, n);
		rows[i] = reps[0];
		memset(&reps[0], 0, sizeof(reps[0]));
	}
	mx_compare_baselines(rows, p->n);
	*rowsp = rows;
	rows = NULL;
out:
	for (size_t i = 0; jobs && i < njobs; i++)
		mx_rows_free(&jobs[i].row, 1);
	free(rows);
	free(reps);
	free(jobs);
	return rc;
}
