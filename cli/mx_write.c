/*
 * results.csv and results.json. Both come from one column list, so they
 * cannot disagree: the fixed columns, the modeled-cycle components, one
 * column per exit reason (samples, then modeled cycles), then every counter
 * of the runs (mx_columns). The CSV quotes per RFC 4180; an empty cell is
 * "not applicable" (no result, no native baseline). The JSON holds the
 * same rows, typed, beside the provenance a result needs to be trusted
 * and rerun: version and commit, build type, date, host CPU and kernel,
 * the command line and the full text of every cost model used.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/matrix.h"
#include "core/mon/cost.h"
#include "core/mon/json.h"

enum ctype { C_NONE, C_STR, C_U64, C_DBL, C_BOOL };

struct cell {
	enum ctype t;
	const char *s;
	uint64_t u;
	double d;
	bool b;
};

#define FIXED(X) \
	X(workload) X(strategy) X(cost_model) X(status) X(guest_insns) X(modeled_cycles) \
	X(overhead) X(exits) X(guest_faults) X(hidden_faults) X(host_seconds) X(guest_mips) \
	X(output_ok) X(isa) X(append) X(exit_value) X(message) X(repeats) \
	X(host_seconds_min) X(host_seconds_max) X(guest_mips_min) X(guest_mips_max) \
	X(modeled_consistent) X(baseline_only) X(run)

enum {
#define X(n) F_##n,
	FIXED(X)
#undef X
	NFIXED
};

static const char *const fixed_names[NFIXED] = {
#define X(n) #n,
	FIXED(X)
#undef X
};

static size_t ncols(const struct mx_columns *cc)
{
	return NFIXED + MX_NCOMP + 2 * EXIT_COUNT + cc->nctr;
}

static void col_name(const struct mx_columns *cc, size_t k, char *buf, size_t len)
{
	if (k < NFIXED) {
		snprintf(buf, len, "%s", fixed_names[k]);
		return;
	}
	k -= NFIXED;
	if (k < MX_NCOMP) {
		snprintf(buf, len, "cycles.%s", mx_comp_names[k]);
		return;
	}
	k -= MX_NCOMP;
	if (k < EXIT_COUNT) {
		snprintf(buf, len, "exit.%s", exit_reason_names[k]);
		return;
	}
	k -= EXIT_COUNT;
	if (k < EXIT_COUNT) {
		snprintf(buf, len, "exit_cycles.%s", exit_reason_names[k]);
		return;
	}
	snprintf(buf, len, "%s", cc->ctr[k - EXIT_COUNT]);
}

static struct cell S(const char *s) { return (struct cell){ .t = C_STR, .s = s }; }
static struct cell U(uint64_t u) { return (struct cell){ .t = C_U64, .u = u }; }
static struct cell D(double d) { return (struct cell){ .t = C_DBL, .d = d }; }
static struct cell B(bool b) { return (struct cell){ .t = C_BOOL, .b = b }; }
static const struct cell NONE = { .t = C_NONE };

static struct cell fixed_cell(const struct mx_row *r, size_t k)
{
	bool res = r->has_result;

	switch (k) {
	case F_workload: return S(r->workload);
	case F_strategy: return S(r->strategy);
	case F_cost_model: return S(r->cost);
	case F_status: return S(r->status);
	case F_guest_insns: return res ? U(r->guest_insns) : NONE;
	case F_modeled_cycles: return res ? D(r->cycles) : NONE;
	case F_overhead: return r->has_overhead ? D(r->overhead) : NONE;
	case F_exits: return res ? U(r->exits) : NONE;
	case F_guest_faults: return res ? U(r->guest_faults) : NONE;
	case F_hidden_faults: return res ? U(r->hidden_faults) : NONE;
	case F_host_seconds: return res ? D(r->host_s) : NONE;
	case F_guest_mips: return res ? D(r->mips) : NONE;
	case F_output_ok: return r->output_ok < 0 ? NONE : B(r->output_ok);
	case F_isa: return S(r->isa);
	case F_append: return S(r->append);
	case F_exit_value: return r->has_exit_value ? U(r->exit_value) : NONE;
	case F_message: return S(r->message ? r->message : "");
	case F_repeats: return U(r->repeats);
	case F_host_seconds_min: return res ? D(r->host_s_min) : NONE;
	case F_host_seconds_max: return res ? D(r->host_s_max) : NONE;
	case F_guest_mips_min: return res ? D(r->mips_min) : NONE;
	case F_guest_mips_max: return res ? D(r->mips_max) : NONE;
	case F_modeled_consistent: return B(r->consistent);
	case F_baseline_only: return B(r->baseline_only);
	case F_run: return S(r->stem ? r->stem : "");
	}
	return NONE;
}

static struct cell get_cell(const struct mx_row *r, const struct mx_columns *cc, size_t k)
{
	if (k < NFIXED)
		return fixed_cell(r, k);
	k -= NFIXED;
	if (!r->has_result)
		return NONE;
	if (k < MX_NCOMP)
		return D(r->comp[k]);
	k -= MX_NCOMP;
	if (k < EXIT_COUNT)
		return U(r->exit_n[k]);
	k -= EXIT_COUNT;
	if (k < EXIT_COUNT)
		return D(r->exit_cyc[k]);
	bool found;
	uint64_t v = mx_counter(r, cc->ctr[k - EXIT_COUNT], &found);
	return found ? U(v) : NONE;
}

/* Integral values print whole (modeled cycles are sums of whole prices
 * in the shipped models); others with the 9 digits the run JSON has. */
static void put_dbl(FILE *f, double d)
{
	if (d == (double)(int64_t)d && d > -1e15 && d < 1e15)
		fprintf(f, "%.0f", d);
	else
		fprintf(f, "%.9g", d);
}

static void csv_str(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

int mx_write_csv(const char *path, const struct mx_row *rows, size_t n)
{
	struct mx_columns cc;
	char name[160];
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	mx_columns_build(&cc, rows, n);
	for (size_t k = 0; k < ncols(&cc); k++) {
		col_name(&cc, k, name, sizeof(name));
		if (k)
			fputc(',', f);
		csv_str(f, name);
	}
	fputc('\n', f);
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < ncols(&cc); k++) {
			struct cell c = get_cell(&rows[i], &cc, k);
			if (k)
				fputc(',', f);
			switch (c.t) {
			case C_NONE: break;
			case C_STR: csv_str(f, c.s); break;
			case C_U64: fprintf(f, "%llu", (unsigned long long)c.u); break;
			case C_DBL: put_dbl(f, c.d); break;
			case C_BOOL: fputs(c.b ? "yes" : "no", f); break;
			}
		}
		fputc('\n', f);
	}
	mx_columns_free(&cc);
	return fclose(f) ? -1 : 0;
}

void mx_cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		if (strncmp(line, "model name", 10) || !colon)
			continue;
		colon += 1 + strspn(colon + 1, " \t");
		colon[strcspn(colon, "\n")] = 0;
		snprintf(buf, len, "%s", colon);
		break;
	}
	fclose(f);
}

static void write_provenance(struct json *j, const struct mx_config *cfg,
			     const struct mx_provenance *prov)
{
	char buf[512], date[64];
	struct utsname un;
	time_t t = time(NULL);

	json_obj(j, "vmmsim");
	json_str(j, "version", VMMSIM_VERSION);
	json_str(j, "commit", vmmsim_commit());
	json_str(j, "build", VMMSIM_BUILD_TYPE);
	json_obj_end(j);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	json_str(j, "date", date);
	json_obj(j, "host");
	mx_cpu_model(buf, sizeof(buf));
	json_str(j, "cpu_model", buf);
	json_i64(j, "cpus_online", sysconf(_SC_NPROCESSORS_ONLN));
	if (uname(&un) == 0) {
		snprintf(buf, sizeof(buf), "%s %s %s", un.sysname, un.release, un.version);
		json_str(j, "kernel", buf);
		json_str(j, "machine", un.machine);
	}
	json_obj_end(j);
	json_arr(j, "command_line");
	for (int k = 0; k < prov->argc; k++)
		json_str(j, NULL, prov->argv[k]);
	json_arr_end(j);
	json_obj(j, "config");
	json_str(j, "dir", cfg->dir);
	json_u64(j, "jobs", cfg->jobs);
	json_u64(j, "repeat", cfg->repeat);
	json_u64(j, "max_insns", cfg->max_insns);
	json_u64(j, "mem_mib", cfg->mem_mib);
	json_u64(j, "timeout_s", cfg->timeout);
	json_u64(j, "disk_mib", cfg->disk_mib);
	json_obj_end(j);
	json_arr(j, "notes");
	for (size_t k = 0; k < prov->nnotes; k++)
		json_str(j, NULL, prov->notes[k]);
	json_arr_end(j);
	json_arr(j, "cost_models");
	for (size_t k = 0; k < prov->nmodels; k++) {
		json_obj(j, NULL);
		json_str(j, "name", prov->models[k].name);
		json_str(j, "path", prov->models[k].path);
		json_str(j, "contents", prov->models[k].text);
		json_obj_end(j);
	}
	json_arr_end(j);
}

int mx_write_json(const char *path, const struct mx_row *rows, size_t n,
		  const struct mx_config *cfg, const struct mx_provenance *prov)
{
	struct mx_columns cc;
	struct json j;
	char name[160], file[4300];
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	mx_columns_build(&cc, rows, n);
	json_begin(&j, f);
	json_obj(&j, NULL);
	write_provenance(&j, cfg, prov);
	json_arr(&j, "columns");
	for (size_t k = 0; k < ncols(&cc); k++) {
		col_name(&cc, k, name, sizeof(name));
		json_str(&j, NULL, name);
	}
	json_arr_end(&j);
	json_arr(&j, "rows");
	for (size_t i = 0; i < n; i++) {
		json_obj(&j, NULL);
		for (size_t k = 0; k < ncols(&cc); k++) {
			struct cell c = get_cell(&rows[i], &cc, k);
			col_name(&cc, k, name, sizeof(name));
			switch (c.t) {
			case C_NONE: json_null(&j, name); break;
			case C_STR: json_str(&j, name, c.s); break;
			case C_U64: json_u64(&j, name, c.u); break;
			case C_DBL:
				/* json_dbl keeps 9 digits; cycle counts need all. */
				if (c.d == (double)(int64_t)c.d && c.d > -1e15 && c.d < 1e15)
					json_i64(&j, name, (int64_t)c.d);
				else
					json_dbl(&j, name, c.d);
				break;
			case C_BOOL: json_bool(&j, name, c.b); break;
			}
		}
		json_obj(&j, "files");
		static const char *const ext[] = { "json", "out", "err" };
		static const char *const key[] = { "json", "stdout", "stderr" };
		for (int e = 0; e < 3; e++) {
			snprintf(file, sizeof(file), "runs/%s.%s", rows[i].stem, ext[e]);
			json_str(&j, key[e], file);
		}
		json_obj_end(&j);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	json_end(&j);
	mx_columns_free(&cc);
	return fclose(f) ? -1 : 0;
}
