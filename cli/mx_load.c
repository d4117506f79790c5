/*
 * Matrix rows from worker results: one run's JSON, stdout and stderr read
 * into a row and given a status; the repeats of a combination folded into
 * one row (host times as median, min and max; modeled numbers and output
 * checked equal, since a run is deterministic); overhead and output_ok
 * computed against the successful native run of the same workload, guest
 * command line and cost model.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cli/cli.h"
#include "cli/jsonread.h"
#include "cli/matrix.h"

#define MAX_OUTPUT (4u << 20)

const char *const mx_comp_names[MX_NCOMP] = {
#define X(n) #n,
	MX_COMPONENTS(X)
#undef X
};

static char *read_file(const char *path, size_t cap, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, got;

	*len = 0;
	if (!f)
		return NULL;
	buf = malloc(cap + 1);
	if (buf) {
		while (n < cap && (got = fread(buf + n, 1, cap - n, f)) > 0)
			n += got;
		buf[n] = 0;
		*len = n;
	}
	fclose(f);
	return buf;
}

static char *first_line(const char *text)
{
	if (!text)
		return strdup("");
	return strndup(text, strcspn(text, "\n"));
}

static void load_json(struct mx_row *r, const struct jv *root)
{
	const struct jv *res = jv_get(root, "result"), *mod = jv_get(root, "modeled");
	const struct jv *host = jv_get(root, "host"), *ctr = jv_get(root, "counters");
	const struct jv *comp = jv_get(mod, "components"), *ex = jv_get(mod, "exits");

	r->has_result = true;
	r->diverged = jv_bool(jv_get(res, "diverged"), false);
	const struct jv *ev = jv_get(res, "exit_value");
	if (ev && ev->type == JV_NUM) {
		r->has_exit_value = true;
		r->exit_value = (uint32_t)jv_u64(ev, 0);
	}
	r->cycles = jv_num(jv_get(mod, "cycles"), 0);
	for (int k = 0; k < MX_NCOMP; k++)
		r->comp[k] = jv_num(jv_get(comp, mx_comp_names[k]), 0);
	for (unsigned e = 0; e < EXIT_COUNT; e++) {
		const struct jv *x = jv_get(ex, exit_reason_names[e]);
		r->exit_n[e] = jv_u64(jv_get(x, "samples"), 0);
		r->exit_cyc[e] = jv_num(jv_get(x, "cycles"), 0);
	}
	r->host_s = r->host_s_min = r->host_s_max = jv_num(jv_get(host, "seconds"), 0);
	r->mips = r->mips_min = r->mips_max = jv_num(jv_get(host, "guest_mips"), 0);
	if (ctr && ctr->type == JV_OBJ && (r->ctr = calloc(ctr->n ? ctr->n : 1, sizeof(*r->ctr)))) {
		for (size_t k = 0; k < ctr->n; k++) {
			r->ctr[k].name = strdup(ctr->kids[k].key);
			r->ctr[k].value = jv_u64(&ctr->kids[k], 0);
		}
		r->nctr = ctr->n;
	}
	r->guest_insns = mx_counter(r, "vm.cpu.insns", NULL);
	r->exits = mx_counter(r, "vm.mon.exits", NULL);
	r->guest_faults = mx_counter(r, "vm.mon.guest_faults", NULL);
	r->hidden_faults = mx_counter(r, "vm.mon.hidden_faults", NULL);
}

static const char *status_of_outcome(const struct mx_row *r, const char *outcome)
{
	if (!outcome)
		return "failed";
	if (!strcmp(outcome, "exited") || !strcmp(outcome, "halted") ||
	    !strcmp(outcome, "input-done")) {
		if (r->diverged)
			return "diverged";
		return r->has_exit_value && r->exit_value ? "guest-fail" : "ok";
	}
	return outcome;	/* budget, triple-fault, unsupported */
}

void mx_load_run(struct mx_row *r, const struct mx_combo *c, const char *dir, const char *stem,
		 int ws, bool timed_out)
{
	char path[4300], err[512];
	size_t len;

	memset(r, 0, sizeof(*r));
	r->workload = strdup(c->workload);
	r->strategy = strdup(c->strategy);
	r->isa = strdup(c->isa);
	r->cost = strdup(c->cost_name);
	r->append = strdup(c->append ? c->append : "");
	r->baseline_only = c->baseline_only;
	r->stem = strdup(stem);
	r->repeats = 1;
	r->consistent = true;
	r->output_ok = -1;

	snprintf(path, sizeof(path), "%s/runs/%s.err", dir, stem);
	char *errtext = read_file(path, 1 << 16, &len);
	char *errline = first_line(errtext);
	free(errtext);
	snprintf(path, sizeof(path), "%s/runs/%s.out", dir, stem);
	r->out_text = read_file(path, MAX_OUTPUT, &r->out_len);

	snprintf(path, sizeof(path), "%s/runs/%s.json", dir, stem);
	struct jv *root = NULL;
	const char *outcome = NULL, *msg = NULL;
	if (!timed_out && WIFEXITED(ws) &&
	    (WEXITSTATUS(ws) == EXIT_OK || WEXITSTATUS(ws) == EXIT_WEDGED) &&
	    (root = jv_parse_file(path, err, sizeof(err)))) {
		load_json(r, root);
		outcome = jv_str(jv_get(jv_get(root, "result"), "outcome"));
		msg = jv_str(jv_get(jv_get(root, "result"), "message"));
	}

	if (timed_out) {
		snprintf(r->status, sizeof(r->status), "timeout");
		free(errline);
		errline = strdup("killed when the per-run --timeout ran out");
	} else if (WIFSIGNALED(ws)) {
		snprintf(r->status, sizeof(r->status), "crashed");
		snprintf(err, sizeof(err), "killed by signal %d (%s)%s%s", WTERMSIG(ws),
			 strsignal(WTERMSIG(ws)), *errline ? ": " : "", errline);
		free(errline);
		errline = strdup(err);
	} else if (WEXITSTATUS(ws) != EXIT_OK && WEXITSTATUS(ws) != EXIT_WEDGED) {
		/* 2 is the run refusing its input (no kernel, bad disk...);
		 * anything else is the worker dying (a sanitizer report). */
		snprintf(r->status, sizeof(r->status), "%s",
			 WEXITSTATUS(ws) == EXIT_USAGE ? "failed" : "crashed");
		if (!*errline) {
			snprintf(err, sizeof(err), "worker exit status %d", WEXITSTATUS(ws));
			free(errline);
			errline = strdup(err);
		}
	} else if (!root) {
		snprintf(r->status, sizeof(r->status), "failed");
		if (!*errline) {
			free(errline);
			errline = strdup("the run wrote no result");
		}
	} else {
		snprintf(r->status, sizeof(r->status), "%s", status_of_outcome(r, outcome));
	}
	r->message = *errline || !msg ? errline : (free(errline), strdup(msg));
	jv_free(root);
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void stats3(double *v, size_t n, double *med, double *min, double *max)
{
	if (!n) {
		*med = *min = *max = 0;
		return;
	}
	qsort(v, n, sizeof(*v), cmp_dbl);
	*min = v[0];
	*max = v[n - 1];
	*med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static bool same_modeled(const struct mx_row *a, const struct mx_row *b)
{
	if (strcmp(a->status, b->status) || a->has_result != b->has_result)
		return false;
	if (a->cycles != b->cycles || a->nctr != b->nctr || a->out_len != b->out_len)
		return false;
	if (a->out_len && memcmp(a->out_text, b->out_text, a->out_len))
		return false;
	for (size_t k = 0; k < a->nctr; k++)
		if (a->ctr[k].value != b->ctr[k].value || strcmp(a->ctr[k].name, b->ctr[k].name))
			return false;
	for (unsigned e = 0; e < EXIT_COUNT; e++)
		if (a->exit_n[e] != b->exit_n[e] || a->exit_cyc[e] != b->exit_cyc[e])
			return false;
	return true;
}

void mx_fold_repeats(struct mx_row *rs, size_t n)
{
	double *hs = calloc(n, sizeof(double)), *mi = calloc(n, sizeof(double));
	size_t k = 0;

	if (!hs || !mi)
		goto out;
	rs[0].repeats = (unsigned)n;
	for (size_t i = 0; i < n; i++) {
		if (i && !same_modeled(&rs[0], &rs[i]))
			rs[0].consistent = false;
		if (rs[i].has_result) {
			hs[k] = rs[i].host_s;
			mi[k++] = rs[i].mips;
		}
	}
	stats3(hs, k, &rs[0].host_s, &rs[0].host_s_min, &rs[0].host_s_max);
	stats3(mi, k, &rs[0].mips, &rs[0].mips_min, &rs[0].mips_max);
out:
	free(hs);
	free(mi);
	mx_rows_free(rs + 1, n - 1);
}

static const struct mx_row *native_of(const struct mx_row *rows, size_t n, const struct mx_row *r)
{
	for (size_t i = 0; i < n; i++) {
		const struct mx_row *b = &rows[i];
		if (!strcmp(b->strategy, "native") && !strcmp(b->isa, "x86") &&
		    !strcmp(b->workload, r->workload) && !strcmp(b->cost, r->cost) &&
		    !strcmp(b->append, r->append))
			return mx_row_ok(b) ? b : NULL;
	}
	return NULL;
}

void mx_compare_baselines(struct mx_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct mx_row *r = &rows[i];
		const struct mx_row *b = native_of(rows, n, r);
		if (!b || !r->has_result)
			continue;
		if (b->cycles > 0) {
			r->has_overhead = true;
			r->overhead = r->cycles / b->cycles;
		}
		r->output_ok = r->out_len == b->out_len &&
			       (!r->out_len || !memcmp(r->out_text, b->out_text, r->out_len));
	}
}

void mx_columns_build(struct mx_columns *c, const struct mx_row *rows, size_t n)
{
	size_t cap = 0;

	c->ctr = NULL;
	c->nctr = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < rows[i].nctr; k++) {
			const char *name = rows[i].ctr[k].name;
			size_t j;
			for (j = 0; j < c->nctr && strcmp(c->ctr[j], name); j++)
				;
			if (j < c->nctr)
				continue;
			if (c->nctr == cap) {
				cap = cap ? 2 * cap : 128;
				char **nc = realloc(c->ctr, cap * sizeof(*nc));
				if (!nc)
					return;
				c->ctr = nc;
			}
			c->ctr[c->nctr++] = strdup(name);
		}
}

void mx_columns_free(struct mx_columns *c)
{
	for (size_t k = 0; k < c->nctr; k++)
		free(c->ctr[k]);
	free(c->ctr);
	c->ctr = NULL;
	c->nctr = 0;
}

void mx_rows_free(struct mx_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct mx_row *r = &rows[i];
		free(r->workload);
		free(r->strategy);
		free(r->isa);
		free(r->cost);
		free(r->append);
		free(r->message);
		free(r->out_text);
		free(r->stem);
		for (size_t k = 0; k < r->nctr; k++)
			free(r->ctr[k].name);
		free(r->ctr);
		memset(r, 0, sizeof(*r));
	}
}
