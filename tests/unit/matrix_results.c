/*
 * The matrix's result handling without running guests: the JSON reader
 * on what a run writes (and on what it must refuse), the CSV reader, a
 * worker's files and wait status turned into a row and its status,
 * repeats folded into median/min/max with the consistency check, and
 * overhead/output_ok against the native row. The command line is not a
 * library, so its files are compiled into this test.
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/csv.c"
#include "cli/jsonread.c"
#include "cli/mx_load.c"

/* Numbers keep their literal: a counter near 2^64 comes back exact. */
Test(matrix_results, json_numbers_exact)
{
	char err[128];
	struct jv *v = jv_parse("{\"a\": 18446744073709551615, \"b\": -2.5e3, \"c\": [1, 2]}",
				err, sizeof(err));

	cr_assert(v, "%s", err);
	cr_expect_eq(jv_u64(jv_get(v, "a"), 0), 18446744073709551615ull);
	cr_expect_eq(jv_num(jv_get(v, "b"), 0), -2500.0);
	cr_expect_eq(jv_u64(jv_get(v, "b"), 7), 7, "a negative is not a u64");
	cr_expect_eq(jv_get(v, "c")->n, 2);
	cr_expect_null(jv_get(v, "missing"));
	cr_expect_null(jv_get(jv_get(v, "missing"), "deeper"), "lookups chain through NULL");
	jv_free(v);
}

/* Escapes decode to UTF-8, surrogate pairs included. */
Test(matrix_results, json_strings)
{
	char err[128];
	struct jv *v = jv_parse("[\"a\\\"b\\\\c\\n\", \"\\u00e9\", \"\\ud83d\\ude00\"]", err,
				sizeof(err));

	cr_assert(v, "%s", err);
	cr_expect_str_eq(jv_str(&v->kids[0]), "a\"b\\c\n");
	cr_expect_str_eq(jv_str(&v->kids[1]), "\xc3\xa9");
	cr_expect_str_eq(jv_str(&v->kids[2]), "\xf0\x9f\x98\x80");
	jv_free(v);
}

/* Malformed input is refused with the line it broke on. */
Test(matrix_results, json_refuses)
{
	static const char *const bad[] = {
		"{\"a\": 1,}", "{\"a\" 1}", "[1 2]", "\"open", "{\"a\": 01}", "[1.]", "nul",
		"{} x", "", "[\"tab\there\"]",
	};
	char err[128];

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		struct jv *v = jv_parse(bad[k], err, sizeof(err));
		cr_expect_null(v, "accepted: %s", bad[k]);
		jv_free(v);
	}
	cr_expect_null(jv_parse("{\n\"a\":\n[}", err, sizeof(err)));
	cr_expect(strstr(err, "line 3"), "%s", err);
	char deep[300];
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = 0;
	cr_expect_null(jv_parse(deep, err, sizeof(err)), "nesting is bounded");
}

static char dir[] = "/tmp/matrix_results.XXXXXX";

static void put(const char *name, const char *text)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/runs/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
}

static void setup(void)
{
	char path[256];

	cr_assert(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/runs", dir);
	cr_assert_eq(mkdir(path, 0755), 0);
}

static void teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

static const char run_json[] =
	"{\"result\": {\"outcome\": \"%s\", \"exit_value\": %s, \"message\": \"m\", "
	"\"diverged\": %s},\n \"modeled\": {\"cycles\": 1234, \"components\": {\"guest\": 1000, "
	"\"shadow\": 234}, \"exits\": {\"IO_INSTRUCTION\": {\"samples\": 7, \"cycles\": 99}}},\n"
	" \"host\": {\"seconds\": 0.5, \"guest_mips\": 20},\n \"counters\": {\"vm.cpu.insns\": 10000000,"
	" \"vm.mon.exits\": 7, \"vm.mon.hidden_faults\": 3, \"vm.mon.guest_faults\": 2}}\n";

static void load(struct mx_row *r, const char *stem, int ws, bool timed_out)
{
	struct mx_combo c = { .workload = "w", .strategy = "trap+shadow", .isa = "x86",
			      .cost_arg = "era2006", .cost_name = "era2006" };
	mx_load_run(r, &c, dir, stem, ws, timed_out);
}

static void json_run(const char *stem, const char *outcome, const char *ev, const char *div)
{
	char text[2048], name[128];

	snprintf(text, sizeof(text), run_json, outcome, ev, div);
	snprintf(name, sizeof(name), "%s.json", stem);
	put(name, text);
	snprintf(name, sizeof(name), "%s.out", stem);
	put(name, "result: ok\n");
	snprintf(name, sizeof(name), "%s.err", stem);
	put(name, "");
}

/* A worker's JSON, wait status and stderr give the row's status. */
Test(matrix_results, run_status, .init = setup, .fini = teardown)
{
	static const struct { const char *outcome, *ev, *div; int ws; const char *status; } t[] = {
		{ "exited", "0", "false", W_EXITCODE(0, 0), "ok" },
		{ "halted", "null", "false", W_EXITCODE(0, 0), "ok" },
		{ "exited", "1", "false", W_EXITCODE(0, 0), "guest-fail" },
		{ "exited", "1", "true", W_EXITCODE(0, 0), "diverged" },
		{ "budget", "null", "false", W_EXITCODE(3, 0), "budget" },
		{ "triple-fault", "null", "false", W_EXITCODE(3, 0), "triple-fault" },
		{ "exited", "0", "false", W_EXITCODE(0, SIGSEGV), "crashed" },
		{ "exited", "0", "false", W_EXITCODE(1, 0), "crashed" },
	};
	struct mx_row r;

	for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		json_run("a", t[k].outcome, t[k].ev, t[k].div);
		load(&r, "a", t[k].ws, false);
		cr_expect_str_eq(r.status, t[k].status, "case %zu", k);
		mx_rows_free(&r, 1);
	}
	json_run("a", "exited", "0", "false");
	load(&r, "a", W_EXITCODE(0, 0), false);
	cr_expect(r.has_result);
	cr_expect_eq(r.guest_insns, 10000000);
	cr_expect_eq(r.exits, 7);
	cr_expect_eq(r.hidden_faults, 3);
	cr_expect_eq(r.guest_faults, 2);
	cr_expect_eq(r.cycles, 1234);
	cr_expect_eq(r.comp[MX_COMP_shadow], 234);
	cr_expect_eq(r.exit_n[EXIT_IO_INSTRUCTION], 7);
	cr_expect_eq(r.exit_cyc[EXIT_IO_INSTRUCTION], 99);
	cr_expect_eq(r.nctr, 4);
	cr_expect_str_eq(r.out_text, "result: ok\n");
	mx_rows_free(&r, 1);
	load(&r, "a", W_EXITCODE(0, 0), true);
	cr_expect_str_eq(r.status, "timeout");
	mx_rows_free(&r, 1);
}

/* A run that could not start is a failed row carrying its stderr line. */
Test(matrix_results, failed_run_keeps_message, .init = setup, .fini = teardown)
{
	struct mx_row r;

	put("b.err", "vmmsim run: /x/popf.elf: cannot open: No such file\nmore\n");
	put("b.json", "");
	load(&r, "b", W_EXITCODE(2, 0), false);
	cr_expect_str_eq(r.status, "failed");
	cr_expect_str_eq(r.message, "vmmsim run: /x/popf.elf: cannot open: No such file");
	cr_expect(!r.has_result);
	mx_rows_free(&r, 1);
}

static struct mx_row mk(const char *s, double cycles, double host, const char *out)
{
	struct mx_row r = { 0 };

	r.workload = strdup("w");
	r.strategy = strdup(s);
	r.isa = strdup("x86");
	r.cost = strdup("era2006");
	r.append = strdup("");
	strcpy(r.status, "ok");
	r.has_result = true;
	r.cycles = cycles;
	r.host_s = r.host_s_min = r.host_s_max = host;
	r.mips = 10 / host;
	r.consistent = true;
	r.output_ok = -1;
	r.out_text = strdup(out);
	r.out_len = strlen(out);
	return r;
}

/* Host times fold to median, min and max; modeled numbers must agree. */
Test(matrix_results, repeats_fold)
{
	struct mx_row rs[3] = { mk("fullsim", 100, 0.9, "x"), mk("fullsim", 100, 0.3, "x"),
				mk("fullsim", 100, 0.5, "x") };

	mx_fold_repeats(rs, 3);
	cr_expect_eq(rs[0].repeats, 3);
	cr_expect_eq(rs[0].host_s, 0.5);
	cr_expect_eq(rs[0].host_s_min, 0.3);
	cr_expect_eq(rs[0].host_s_max, 0.9);
	cr_expect(rs[0].consistent);
	mx_rows_free(rs, 1);

	struct mx_row ds[2] = { mk("fullsim", 100, 0.9, "x"), mk("fullsim", 101, 0.3, "x") };
	mx_fold_repeats(ds, 2);
	cr_expect(!ds[0].consistent, "differing modeled cycles are flagged");
	mx_rows_free(ds, 1);
	struct mx_row os[2] = { mk("fullsim", 100, 0.9, "x"), mk("fullsim", 100, 0.3, "y") };
	mx_fold_repeats(os, 2);
	cr_expect(!os[0].consistent, "differing output is flagged");
	mx_rows_free(os, 1);
}

/* Overhead and output_ok come from the native row; none without one. */
Test(matrix_results, baselines)
{
	struct mx_row rows[3] = { mk("trap+shadow", 300, 1, "same\n"), mk("native", 100, 1, "same\n"),
				  mk("fullsim", 4000, 1, "other\n") };

	mx_compare_baselines(rows, 3);
	cr_expect(rows[0].has_overhead);
	cr_expect_float_eq(rows[0].overhead, 3.0, 1e-12);
	cr_expect_eq(rows[0].output_ok, 1);
	cr_expect_float_eq(rows[2].overhead, 40.0, 1e-12);
	cr_expect_eq(rows[2].output_ok, 0);
	cr_expect_float_eq(rows[1].overhead, 1.0, 1e-12);
	mx_rows_free(rows, 3);

	struct mx_row nb[2] = { mk("trap+shadow", 300, 1, "same\n"), mk("native", 100, 1, "same\n") };
	strcpy(nb[1].status, "budget");
	mx_compare_baselines(nb, 2);
	cr_expect(!nb[0].has_overhead, "a native run that did not finish is no baseline");
	cr_expect_eq(nb[0].output_ok, -1);
	mx_rows_free(nb, 2);
}

/* The CSV reader takes quoted commas, quotes and line breaks. */
Test(matrix_results, csv_quoting, .init = setup, .fini = teardown)
{
	struct csv t;
	char path[256], err[256];

	put("t.csv", "workload,message,n\ncompute,\"a, \"\"b\"\"\nc\",3\nin,,\n");
	snprintf(path, sizeof(path), "%s/runs/t.csv", dir);
	cr_assert_eq(csv_read(path, &t, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(t.nrows, 2);
	cr_expect_str_eq(csv_get(&t, 0, "message"), "a, \"b\"\nc");
	double v;
	cr_expect(csv_num(&t, 0, "n", &v) && v == 3);
	cr_expect(!csv_num(&t, 1, "n", &v), "an empty cell is no number");
	cr_expect_str_eq(csv_get(&t, 1, "nosuch"), "");
	csv_free(&t);
	put("u.csv", "a,b\n1,2,3\n");
	snprintf(path, sizeof(path), "%s/runs/u.csv", dir);
	cr_expect_eq(csv_read(path, &t, err, sizeof(err)), -1);
	cr_expect(strstr(err, "3 fields"), "%s", err);
}
