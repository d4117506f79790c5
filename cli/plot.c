/*
 * vmmsim plot DIR: DIR/results.csv -> DIR/plots/NAME.dat -> gnuplot ->
 * DIR/plots/NAME.png and .svg. The scripts live in bench/plots (found via
 * the source tree, or $VMMSIM_PLOTS); this file only reshapes the results
 * into one table per plot (rows: workloads, columns: series) and runs
 * gnuplot with the data file and the few numbers a script needs (series
 * count, whether the y axis should be logarithmic) set on its command line.
 *
 * Plots: modeled overhead per cost model; exits by reason per strategy
 * that has any; TLB misses and walk references; host speed (guest MIPS).
 * Counts (exits, misses, walks) do not depend on the cost model, so those
 * plots use the rows of the first cost model in the file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/csv.h"
#include "cli/matrix.h"
#include "cli/plot.h"

#define MAXX 64
#define MAXS 40
/* A y axis spanning more than this factor is drawn logarithmic. */
#define LOG_RANGE 100.0

struct table {
	char x[MAXX][64], s[MAXS][96];
	size_t nx, ns;
	double v[MAXX][MAXS][3];	/* value, min, max */
	int width;			/* 1, or 3 for value/min/max */
};

static void tbl_init(struct table *t, int width)
{
	memset(t, 0, sizeof(*t));
	t->width = width;
	for (size_t i = 0; i < MAXX; i++)
		for (size_t k = 0; k < MAXS; k++)
			t->v[i][k][0] = t->v[i][k][1] = t->v[i][k][2] = NAN;
}

static int slot(char *names, size_t width, size_t *n, size_t max, const char *name)
{
	for (size_t k = 0; k < *n; k++)
		if (!strcmp(names + k * width, name))
			return (int)k;
	if (*n == max)
		return -1;
	snprintf(names + *n * width, width, "%s", name);
	return (int)(*n)++;
}

static void tbl_set(struct table *t, const char *x, const char *s, double v, double lo,
		    double hi)
{
	int i = slot(t->x[0], sizeof(t->x[0]), &t->nx, MAXX, x);
	int k = slot(t->s[0], sizeof(t->s[0]), &t->ns, MAXS, s);

	if (i < 0 || k < 0)
		return;
	t->v[i][k][0] = v;
	t->v[i][k][1] = lo;
	t->v[i][k][2] = hi;
}

static bool tbl_logy(const struct table *t)
{
	double lo = INFINITY, hi = 0;

	for (size_t i = 0; i < t->nx; i++)
		for (size_t k = 0; k < t->ns; k++)
			for (int w = 0; w < t->width; w++) {
				double v = t->v[i][k][w];
				if (v > 0 && v < lo)
					lo = v;
				if (v > hi)
					hi = v;
			}
	return hi > 0 && hi / lo > LOG_RANGE;
}

/*
 * Every name from results.csv (workload, strategy, ISA, cost model, exit
 * reason) reaches gnuplot through this one mapping, in a data file or a
 * script. gnuplot's double-quoted data-file fields have no escape for '"'
 * ("c\"d" is read as "c") and treat '\' as one, version-dependently (5.4
 * reads "a\b" as "ab"), and a control character would end a data row or a
 * script string, so none of them is written as is: each gets a stand-in
 * that still reads as the name. vmmsim never writes such names, so this
 * only keeps a hand-edited file's plots well-formed and legible.
 */
static char label_char(char c)
{
	if (c == '"')
		return '\'';
	if (c == '\\')
		return '/';
	if ((unsigned char)c < 0x20 || c == 0x7f)
		return '?';
	return c;
}

static void label_text(char *buf, size_t len, const char *s)
{
	size_t k = 0;

	for (; *s && k + 1 < len; s++)
		buf[k++] = label_char(*s);
	buf[k] = 0;
}

/* A name in a data file: double-quoted, so spaces stay in one field. */
static void put_name(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++)
		fputc(label_char(*s), f);
	fputc('"', f);
}

/* On a log axis a zero bar has no height: it is written as missing. */
static int tbl_write(const struct table *t, const char *path, bool logy)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	put_name(f, "workload");
	for (size_t k = 0; k < t->ns; k++) {
		fputc(' ', f);
		put_name(f, t->s[k]);
		if (t->width == 3) {
			char minmax[sizeof(t->s[k]) + 8];
			snprintf(minmax, sizeof(minmax), "%s min", t->s[k]);
			fputc(' ', f);
			put_name(f, minmax);
			snprintf(minmax, sizeof(minmax), "%s max", t->s[k]);
			fputc(' ', f);
			put_name(f, minmax);
		}
	}
	fputc('\n', f);
	for (size_t i = 0; i < t->nx; i++) {
		put_name(f, t->x[i]);
		for (size_t k = 0; k < t->ns; k++)
			for (int w = 0; w < t->width; w++) {
				double v = t->v[i][k][w];
				if (isnan(v) || (logy && v <= 0))
					fputs(" NaN", f);
				else
					fprintf(f, " %.9g", v);
			}
		fputc('\n', f);
	}
	return fclose(f);
}

bool plot_have_gnuplot(void)
{
	const char *path = getenv("PATH");
	char buf[4200];

	if (!path)
		return false;
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, ":");
		snprintf(buf, sizeof(buf), "%.*s/gnuplot", (int)n, n ? p : ".");
		if (access(buf, X_OK) == 0)
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

static const char *scripts_dir(void)
{
	const char *d = getenv("VMMSIM_PLOTS");
	return d && *d ? d : VMMSIM_SOURCE_DIR "/bench/plots";
}

/* gnuplot string literal: single quotes, a quote doubled. Paths only:
 * a name from results.csv goes through gp_label. */
static void gp_str(char *buf, size_t len, const char *s)
{
	size_t k = 0;

	if (len < 3)
		return;
	buf[k++] = '\'';
	for (; *s && k + 3 < len; s++) {
		if (*s == '\'')
			buf[k++] = '\'';
		buf[k++] = *s;
	}
	buf[k++] = '\'';
	buf[k] = 0;
}

/* A name from results.csv as a gnuplot string literal. */
static void gp_label(char *buf, size_t len, const char *s)
{
	char text[512];

	label_text(text, sizeof(text), s);
	gp_str(buf, len, text);
}

struct ctx {
	const char *dir, *cmd;
	char plots[4200], log[4300];
	bool pngcairo, svg;
	struct plot_set *out;
};

static void detect_terminals(struct ctx *c)
{
	FILE *p = popen("gnuplot -e 'print GPVAL_TERMINALS' 2>&1", "r");
	char buf[4096];
	size_t n = p ? fread(buf, 1, sizeof(buf) - 1, p) : 0;

	buf[n] = 0;
	if (p)
		pclose(p);
	c->pngcairo = strstr(buf, " pngcairo ") != NULL;
	c->svg = strstr(buf, " svg ") != NULL;
}

static int gnuplot(struct ctx *c, const char *script, const char *term, const char *out,
		   const char *vars)
{
	char pre[20000], q_out[4300], q_dir[4300], path[4300];
	int st;

	snprintf(path, sizeof(path), "%s/%s", scripts_dir(), script);
	gp_str(q_out, sizeof(q_out), out);
	snprintf(pre, sizeof(pre), "%s/", scripts_dir());
	gp_str(q_dir, sizeof(q_dir), pre);
	snprintf(pre, sizeof(pre), "set terminal %s; set output %s; dir=%s; %s", term, q_out,
		 q_dir, vars);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return usage_error(c->cmd, "cannot start gnuplot: %s", strerror(errno));
	if (pid == 0) {
		int fd = open(c->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execlp("gnuplot", "gnuplot", "-e", pre, path, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		return usage_error(c->cmd, "gnuplot failed on %s for %s (see %s)", path, out,
				   c->log);
	}
	struct stat sb;
	if (stat(out, &sb) || sb.st_size == 0)
		return usage_error(c->cmd, "gnuplot wrote nothing to %s (see %s)", out, c->log);
	return 0;
}

/* NAME.dat is written; render NAME.png and NAME.svg from SCRIPT. */
static int render(struct ctx *c, const char *script, const char *name, const char *vars,
		  const char *what, int width, int height)
{
	char term[160], out[4400];
	int rc;

	snprintf(term, sizeof(term), "%s size %d,%d noenhanced font 'sans,10'",
		 c->pngcairo ? "pngcairo" : "png", width, height);
	snprintf(out, sizeof(out), "%s/%s.png", c->plots, name);
	if ((rc = gnuplot(c, script, term, out, vars)))
		return rc;
	if (c->svg) {
		snprintf(term, sizeof(term), "svg size %d,%d noenhanced font 'sans,10'", width,
			 height);
		snprintf(out, sizeof(out), "%s/%s.svg", c->plots, name);
		if ((rc = gnuplot(c, script, term, out, vars)))
			return rc;
	}
	if (c->out->n < PLOT_MAX) {
		snprintf(c->out->name[c->out->n], sizeof(c->out->name[0]), "%s", name);
		snprintf(c->out->what[c->out->n++], sizeof(c->out->what[0]), "%s", what);
	}
	c->out->svg = c->svg;
	return 0;
}

static void safe_name(char *buf, size_t len, const char *prefix, const char *s)
{
	int n = snprintf(buf, len, "%s", prefix);

	for (; *s && (size_t)n + 1 < len; s++)
		buf[n++] = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			   (*s >= '0' && *s <= '9') || *s == '-' ? *s : '_';
	buf[n] = 0;
}

static const char *label(const struct csv *t, size_t i, char *buf, size_t len)
{
	const char *isa = csv_get(t, i, "isa");
	char raw[256];

	if (*isa && strcmp(isa, "x86"))
		snprintf(raw, sizeof(raw), "%s (%s ISA)", csv_get(t, i, "strategy"), isa);
	else
		snprintf(raw, sizeof(raw), "%s", csv_get(t, i, "strategy"));
	label_text(buf, len, raw);
	return buf;
}

static int write_and_render(struct ctx *c, struct table *t, const char *script,
			    const char *name, const char *vars_fmt, const char *extra,
			    const char *what)
{
	char path[4400], q[4400], vars[8192];
	bool logy = tbl_logy(t);

	snprintf(path, sizeof(path), "%s/%s.dat", c->plots, name);
	if (tbl_write(t, path, logy))
		return usage_error(c->cmd, "%s: cannot write: %s", path, strerror(errno));
	gp_str(q, sizeof(q), path);
	snprintf(vars, sizeof(vars), vars_fmt, q, t->ns, logy ? 1 : 0, extra);
	return render(c, script, name, vars, what, 1000, 560);
}

static int plot_overhead(struct ctx *c, const struct csv *t)
{
	static struct table tb;
	char name[96], q[200], extra[256], what[160], lab[96];
	int rc;

	for (size_t i = 0; i < t->nrows; i++) {
		const char *model = csv_get(t, i, "cost_model");
		bool done = false;
		for (size_t j = 0; j < i; j++)
			done |= !strcmp(csv_get(t, j, "cost_model"), model);
		if (done)
			continue;
		tbl_init(&tb, 1);
		for (size_t j = i; j < t->nrows; j++) {
			double v;
			if (strcmp(csv_get(t, j, "cost_model"), model) ||
			    !strcmp(csv_get(t, j, "strategy"), "native") ||
			    !csv_num(t, j, "overhead", &v))
				continue;
			tbl_set(&tb, csv_get(t, j, "workload"),
				label(t, j, lab, sizeof(lab)), v, v, v);
		}
		if (!tb.ns)
			continue;
		char shown[64];
		safe_name(name, sizeof(name), "overhead-", model);
		label_text(shown, sizeof(shown), model);
		gp_label(q, sizeof(q), shown);
		snprintf(extra, sizeof(extra), "model=%s", q);
		snprintf(what, sizeof(what), "modeled overhead against native per workload and "
			 "strategy, cost model %s", shown);
		if ((rc = write_and_render(c, &tb, "overhead.gp", name,
					   "datafile=%s; ns=%zu; logy=%d; %s", extra, what)))
			return rc;
	}
	return 0;
}

static bool first_model(const struct csv *t, size_t i)
{
	return !strcmp(csv_get(t, i, "cost_model"), csv_get(t, 0, "cost_model"));
}

static int plot_exits(struct ctx *c, const struct csv *t)
{
	static struct table tb;
	char name[96], q[200], extra[256], what[160], lab[96];
	int rc;

	for (size_t i = 0; i < t->nrows; i++) {
		if (!first_model(t, i))
			continue;
		label(t, i, lab, sizeof(lab));
		bool done = false;
		for (size_t j = 0; j < i; j++) {
			char other[96];
			done |= first_model(t, j) && !strcmp(label(t, j, other, sizeof(other)), lab);
		}
		if (done)
			continue;
		tbl_init(&tb, 1);
		for (size_t k = 0; k < t->ncols; k++) {
			const char *col = t->head[k];
			if (strncmp(col, "exit.", 5))
				continue;
			bool any = false;
			for (size_t j = i; j < t->nrows; j++) {
				char other[96];
				double v;
				any |= first_model(t, j) &&
				       !strcmp(label(t, j, other, sizeof(other)), lab) &&
				       csv_num(t, j, col, &v) && v > 0;
			}
			if (!any)
				continue;
			for (size_t j = i; j < t->nrows; j++) {
				char other[96];
				double v;
				if (first_model(t, j) &&
				    !strcmp(label(t, j, other, sizeof(other)), lab) &&
				    csv_num(t, j, col, &v))
					tbl_set(&tb, csv_get(t, j, "workload"), col + 5, v, v, v);
			}
		}
		if (!tb.ns)
			continue;
		char stem[96];
		const char *isa = csv_get(t, i, "isa");
		snprintf(stem, sizeof(stem), "%s%s%s", csv_get(t, i, "strategy"),
			 *isa && strcmp(isa, "x86") ? "-" : "", strcmp(isa, "x86") ? isa : "");
		safe_name(name, sizeof(name), "exits-", stem);
		gp_label(q, sizeof(q), lab);
		snprintf(extra, sizeof(extra), "strategy=%s", q);
		snprintf(what, sizeof(what), "monitor exits by reason per workload under %s", lab);
		if ((rc = write_and_render(c, &tb, "exits.gp", name,
					   "datafile=%s; ns=%zu; logy=%d; %s", extra, what)))
			return rc;
	}
	return 0;
}

static int plot_tlb(struct ctx *c, const struct csv *t)
{
	static struct table miss, walk;
	char path[2][4400], q[2][4400], vars[9000], lab[96];

	tbl_init(&miss, 1);
	tbl_init(&walk, 1);
	for (size_t i = 0; i < t->nrows; i++) {
		double im, dm, wr;
		if (!first_model(t, i) || !csv_num(t, i, "vm.cpu.itlb_misses", &im) ||
		    !csv_num(t, i, "vm.cpu.dtlb_misses", &dm) ||
		    !csv_num(t, i, "vm.cpu.walk_refs", &wr))
			continue;
		label(t, i, lab, sizeof(lab));
		tbl_set(&miss, csv_get(t, i, "workload"), lab, im + dm, 0, 0);
		tbl_set(&walk, csv_get(t, i, "workload"), lab, wr, 0, 0);
	}
	if (!miss.ns)
		return 0;
	bool l1 = tbl_logy(&miss), l2 = tbl_logy(&walk);
	snprintf(path[0], sizeof(path[0]), "%s/tlb-misses.dat", c->plots);
	snprintf(path[1], sizeof(path[1]), "%s/tlb-walkrefs.dat", c->plots);
	if (tbl_write(&miss, path[0], l1) || tbl_write(&walk, path[1], l2))
		return usage_error(c->cmd, "%s: cannot write: %s", c->plots, strerror(errno));
	gp_str(q[0], sizeof(q[0]), path[0]);
	gp_str(q[1], sizeof(q[1]), path[1]);
	snprintf(vars, sizeof(vars), "missfile=%s; walkfile=%s; ns=%zu; logy1=%d; logy2=%d",
		 q[0], q[1], miss.ns, l1, l2);
	return render(c, "tlb.gp", "tlb", vars,
		      "TLB misses and page-walk references per workload and strategy", 1000, 800);
}

static int plot_mips(struct ctx *c, const struct csv *t)
{
	static struct table tb;
	char lab[96];

	tbl_init(&tb, 3);
	for (size_t i = 0; i < t->nrows; i++) {
		double v, lo, hi;
		if (!first_model(t, i) || !csv_num(t, i, "guest_mips", &v))
			continue;
		if (!csv_num(t, i, "guest_mips_min", &lo) || !csv_num(t, i, "guest_mips_max", &hi))
			lo = hi = v;
		tbl_set(&tb, csv_get(t, i, "workload"),
			label(t, i, lab, sizeof(lab)), v, lo, hi);
	}
	if (!tb.ns)
		return 0;
	return write_and_render(c, &tb, "mips.gp", "mips", "datafile=%s; ns=%zu; logy=%d; %s", "",
				"host speed (guest MIPS) per workload and strategy");
}

/*
 * Every cell a plot reads as a number must be empty (no result: the bar is
 * left out, as mx_write intends) or a finite number. vmmsim writes nothing
 * else there, so anything else means the file was edited or damaged;
 * dropping that bar quietly would pass off part of the results as all of
 * them, so the file is refused, naming the cell. csv.c keeps no line
 * numbers (a quoted field may span lines), so the row is named by its
 * number and its run instead.
 */
static bool numeric_col(const char *col)
{
	static const char *const cols[] = {
		"overhead", "guest_mips", "guest_mips_min", "guest_mips_max",
		"vm.cpu.itlb_misses", "vm.cpu.dtlb_misses", "vm.cpu.walk_refs",
	};

	if (!strncmp(col, "exit.", 5))
		return true;
	for (size_t k = 0; k < sizeof(cols) / sizeof(cols[0]); k++)
		if (!strcmp(col, cols[k]))
			return true;
	return false;
}

static int check_numbers(const struct csv *t, const char *path, const char *cmd)
{
	for (size_t i = 0; i < t->nrows; i++)
		for (size_t k = 0; k < t->ncols; k++) {
			const char *col = t->head[k], *cell = t->rows[i][k];
			char w[64], s[64], c[64], v[64];
			double d;
			if (!numeric_col(col) || !*cell || csv_num(t, i, col, &d))
				continue;
			label_text(w, sizeof(w), csv_get(t, i, "workload"));
			label_text(s, sizeof(s), csv_get(t, i, "strategy"));
			label_text(c, sizeof(c), col);
			label_text(v, sizeof(v), cell);
			return usage_error(cmd, "%s: data row %zu (%s under %s): %s: '%s' is not a "
					   "finite number", path, i + 1, w, s, c, v);
		}
	return 0;
}

int plot_render(const char *dir, const char *cmd, struct plot_set *out)
{
	struct ctx c = { .dir = dir, .cmd = cmd, .out = out };
	struct csv t;
	char path[4300], err[600];
	int rc;

	memset(out, 0, sizeof(*out));
	if (!plot_have_gnuplot())
		return usage_error(cmd, "gnuplot not found on PATH: install it (Debian: "
				   "apt-get install gnuplot-nox) to draw plots");
	snprintf(path, sizeof(path), "%s/overhead.gp", scripts_dir());
	if (access(path, R_OK))
		return usage_error(cmd, "plot scripts not found: %s is missing (set VMMSIM_PLOTS "
				   "to the bench/plots directory)", path);
	snprintf(path, sizeof(path), "%s/results.csv", dir);
	/* stat, not open: opening a FIFO would wait for a writer. */
	struct stat sb;
	if (!stat(path, &sb) && !S_ISREG(sb.st_mode))
		return usage_error(cmd, "%s: not a regular file", path);
	if (csv_read(path, &t, err, sizeof(err)))
		return usage_error(cmd, "%s", err);
	for (const char *need = "workload\0strategy\0cost_model\0guest_insns\0"; *need;
	     need += strlen(need) + 1)
		if (csv_col(&t, need) < 0) {
			csv_free(&t);
			return usage_error(cmd, "%s: no column '%s': not a vmmsim results file",
					   path, need);
		}
	if ((rc = check_numbers(&t, path, cmd))) {
		csv_free(&t);
		return rc;
	}
	snprintf(c.plots, sizeof(c.plots), "%s/plots", dir);
	snprintf(c.log, sizeof(c.log), "%s/gnuplot.log", c.plots);
	if (mx_mkdirs(c.plots)) {
		csv_free(&t);
		return usage_error(cmd, "%s: cannot create: %s", c.plots, strerror(errno));
	}
	unlink(c.log);
	detect_terminals(&c);
	if (!(rc = plot_overhead(&c, &t)) && !(rc = plot_exits(&c, &t)) &&
	    !(rc = plot_tlb(&c, &t)) && !(rc = plot_mips(&c, &t)) && !out->n)
		rc = usage_error(cmd, "%s: no run with results to plot", path);
	csv_free(&t);
	return rc;
}

int cmd_plot(int argc, char **argv)
{
	struct plot_set ps;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: vmmsim plot DIR\n"
		       "Draws the results of 'vmmsim matrix -o DIR' (DIR/results.csv) with gnuplot\n"
		       "into DIR/plots/: NAME.dat (the data), NAME.png and NAME.svg:\n"
		       "  overhead-MODEL  modeled overhead against native per workload and strategy\n"
		       "  exits-STRATEGY  monitor exits by reason per workload (stacked)\n"
		       "  tlb             TLB misses and page-walk references per workload and strategy\n"
		       "  mips            host speed (guest MIPS) per workload and strategy\n"
		       "A y axis spanning over %gx is logarithmic. The gnuplot scripts are read from\n"
		       "%s/bench/plots, or $VMMSIM_PLOTS.\n"
		       "Exit status: 0 done; 2 bad usage, unreadable results, no gnuplot.\n",
		       LOG_RANGE, VMMSIM_SOURCE_DIR);
		return EXIT_OK;
	}
	if (argc != 2)
		return usage_error("plot", argc < 2 ? "no results directory: vmmsim plot DIR"
						    : "one results directory only: vmmsim plot DIR");
	int rc = plot_render(argv[1], "plot", &ps);
	if (rc)
		return rc;
	fprintf(stderr, "vmmsim plot: %zu plots (PNG%s) in %s/plots:", ps.n, ps.svg ? ", SVG" : "",
		argv[1]);
	for (size_t k = 0; k < ps.n; k++)
		fprintf(stderr, " %s", ps.name[k]);
	fputc('\n', stderr);
	return EXIT_OK;
}
