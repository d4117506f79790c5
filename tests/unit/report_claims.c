/*
 * The lecture-claim verdicts (cli/claims.c, cli/claims_x86.c) on synthetic
 * matrix rows: a result set where every claim holds, then one broken
 * number at a time, each of which must turn its claim to FAIL; N/A exactly
 * while a needed strategy is missing, PASS once it exists. The claim code
 * is compiled into this test, since the command line is not a library.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/claims.c"
#include "cli/claims_x86.c"

#define MAXROWS 64

static struct mx_row rows[MAXROWS];
static size_t nrows;
static struct host_ref host;
static struct claim_result res[CLAIMS_MAX];
static const struct strategy fake = { "fake", "a stand-in", NULL, NULL, "native" };
static bool have_later;	/* do hwassist+nested and binxlate+shadow "exist"? */

static const struct strategy *find(const char *name)
{
	if (!strcmp(name, "native") || !strcmp(name, "fullsim") || !strcmp(name, "trap+shadow"))
		return &fake;
	if (have_later && (!strcmp(name, "hwassist+nested") || !strcmp(name, "binxlate+shadow")))
		return &fake;
	return NULL;
}

static struct mx_row *add(const char *w, const char *s, const char *isa, double cycles,
			  const char *out)
{
	struct mx_row *r = &rows[nrows++];

	memset(r, 0, sizeof(*r));
	r->workload = (char *)w;
	r->strategy = (char *)s;
	r->isa = (char *)isa;
	r->cost = (char *)"era2006";
	r->append = (char *)"";
	strcpy(r->status, "ok");
	r->message = (char *)"";
	r->has_result = true;
	r->cycles = cycles;
	r->guest_insns = 1000000;
	r->repeats = 1;
	r->consistent = true;
	r->output_ok = 1;
	r->out_text = (char *)out;
	r->out_len = strlen(out);
	return r;
}

static void set_ctr(struct mx_row *r, const char *name, uint64_t v)
{
	r->ctr = realloc(r->ctr, (r->nctr + 1) * sizeof(*r->ctr));
	r->ctr[r->nctr].name = (char *)name;
	r->ctr[r->nctr++].value = v;
}

static struct mx_row *get(const char *w, const char *s, const char *isa)
{
	for (size_t i = 0; i < nrows; i++)
		if (!strcmp(rows[i].workload, w) && !strcmp(rows[i].strategy, s) &&
		    !strcmp(rows[i].isa, isa))
			return &rows[i];
	cr_assert_fail("no synthetic row %s %s %s", w, s, isa);
	return NULL;
}

static const char compute_out[] = "compute: iters=30\nrounds: 30 failed checks: 0\n"
	"sort: 0x1 crc32: 0x2 fnv1a: 0x3 matmul: 0x4\nresult: ok\n";
static const char redpill_native[] = "ring0 sgdt base=0x00111800 limit=0x002f\n"
	"ring0 mov cs -> rpl 0, mov ss -> rpl 0\nrevealing values: 0\nresult: ok\n";
static const char redpill_trap[] = "ring0 sgdt base=0xffc00000 limit=0xffff\n"
	"ring0 mov cs -> rpl 1, mov ss -> rpl 1\nrevealing values: 27\nresult: FAIL x\n";

static void reset_rows(void)
{
	for (size_t i = 0; i < nrows; i++)
		free(rows[i].ctr);
	memset(rows, 0, sizeof(rows));
	nrows = 0;
}

/* A result set in which every claim that can be judged holds. */
static void good_world(void)
{
	struct mx_row *r;

	reset_rows();
	have_later = false;
	/* C1: 0.5 s simulated vs 2.5 ms direct: 200x. */
	r = add("compute", "fullsim", "x86", 40e6, compute_out);
	r->host_s = r->host_s_min = 0.5;
	add("compute", "native", "x86", 1e6, compute_out);
	host = (struct host_ref){ .ran = true, .rounds = 30, .seconds = 0.0025, .reps = 5,
				  .what = "a stand-in" };
	strcpy(host.output, "rounds: 30 failed checks: 0\nsort: 0x1 crc32: 0x2 fnv1a: 0x3 "
			    "matmul: 0x4\n");
	/* C2: device-bound runs, 1.1x. */
	for (int k = 0; k < 3; k++) {
		const char *w = k == 0 ? "in" : k == 1 ? "diskpio" : "diskdma";
		add(w, "fullsim", "x86", 110e6, "ok\n");
		r = add(w, "native", "x86", 100e6, "ok\n");
		r->comp[MX_COMP_devices] = 95e6;
	}
	/* C3 and C4: few exits; the privileged ones present. */
	static const char *const t[] = { "compute", "callret", "syscall", "cr3wr", "ptemod",
					 "forkwait", "ctxswitch" };
	for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		if (strcmp(t[k], "compute"))
			add(t[k], "native", "x86", 1e6, "ok\n");
		r = add(t[k], "trap+shadow", "x86", 3e6, "ok\n");
		r->exits = 1000;
		r->has_overhead = true;
		r->overhead = 3;
	}
	r = add("in", "trap+shadow", "x86", 90e6, "ok\n");
	r->exits = 1000;
	r->exit_n[EXIT_IO_INSTRUCTION] = 1000;
	get("cr3wr", "trap+shadow", "x86")->exit_n[EXIT_CR_ACCESS] = 500;
	get("ptemod", "trap+shadow", "x86")->exit_n[EXIT_INVLPG] = 500;
	/* C5 and C6: x86 shows through. */
	add("popf", "native", "x86", 1e6, "result: ok\n");
	r = add("popf", "trap+shadow", "x86", 1e6, "result: FAIL 240 interrupts\n");
	strcpy(r->status, "diverged");
	r->diverged = true;
	r->output_ok = 0;
	add("redpill", "native", "x86", 1e6, redpill_native);
	r = add("redpill", "trap+shadow", "x86", 1e6, redpill_trap);
	strcpy(r->status, "diverged");
	r->diverged = true;
	r->output_ok = 0;
	/* C7: a virtualizable ISA hides it. */
	add("popf", "trap+shadow", "virtualizable", 1e6, "result: ok\n");
	add("redpill", "trap+shadow", "virtualizable", 1e6, redpill_native);
	/* C8: shadow work per instruction: compute 500/M, the others more. */
	set_ctr(get("compute", "trap+shadow", "x86"), "vm.mon.traced_writes", 500);
	set_ctr(get("ptemod", "trap+shadow", "x86"), "vm.mon.traced_writes", 50000);
	set_ctr(get("forkwait", "trap+shadow", "x86"), "vm.mon.traced_writes", 20000);
	set_ctr(get("ctxswitch", "trap+shadow", "x86"), "vm.mon.shadow_root_hits", 900);
	get("ptemod", "trap+shadow", "x86")->overhead = 100;
	get("forkwait", "trap+shadow", "x86")->overhead = 60;
	get("ctxswitch", "trap+shadow", "x86")->overhead = 6;
	get("compute", "trap+shadow", "x86")->overhead = 2.5;
}

/* The later strategies, as they should behave once they exist. */
static void later_world(void)
{
	struct mx_row *r;

	have_later = true;
	add("ptemod", "hwassist+nested", "x86", 2e6, "ok\n");
	r = get("ptemod", "trap+shadow", "x86");
	r->exit_n[EXIT_SHADOW_PTE_WRITE] = 1000;
	add("tlbstress", "native", "x86", 1e6, "ok\n");
	set_ctr(get("tlbstress", "native", "x86"), "vm.cpu.walks", 1000);
	set_ctr(get("tlbstress", "native", "x86"), "vm.cpu.walk_refs", 2000);
	r = add("tlbstress", "hwassist+nested", "x86", 1e6, "ok\n");
	set_ctr(r, "vm.cpu.walks", 1000);
	set_ctr(r, "vm.cpu.walk_refs", 8000);
	add("popf", "binxlate+shadow", "x86", 1e6, "result: ok\n");
	add("redpill", "binxlate+shadow", "x86", 1e6, redpill_native);
}

static const struct claim_result *judge(const char *id)
{
	struct claim_input in = { .rows = rows, .n = nrows, .cost = "era2006",
				  .cost_arg = "era2006", .disk_mib = 4, .host = &host,
				  .find = find };
	size_t n = claims_evaluate(&in, res, CLAIMS_MAX);

	cr_assert_geq(n, 10, "all ten claims are judged");
	for (size_t k = 0; k < n; k++)
		if (!strcmp(res[k].id, id))
			return &res[k];
	cr_assert_fail("no claim %s", id);
	return NULL;
}

#define EXPECT(id, v) do { \
	const struct claim_result *c_ = judge(id); \
	cr_expect_eq(c_->verdict, v, "%s: %s, expected %s (measured: %s; why: %s)", id, \
		     verdict_name(c_->verdict), verdict_name(v), c_->measured, c_->why); \
} while (0)

/* The good world passes C1-C8; C9 and C10 are N/A, naming the strategy. */
Test(report_claims, all_hold)
{
	static const char *const ids[] = { "C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8" };

	good_world();
	for (size_t k = 0; k < 8; k++)
		EXPECT(ids[k], VERDICT_PASS);
	EXPECT("C9", VERDICT_NA);
	cr_expect(strstr(judge("C9")->why, "hwassist+nested"));
	EXPECT("C10", VERDICT_NA);
	cr_expect(strstr(judge("C10")->why, "binxlate+shadow"));
	cr_expect(strstr(judge("C1")->measured, "200x"), "C1 says %s", judge("C1")->measured);
}

/* Once the strategies exist, C9 and C10 are judged from their rows. */
Test(report_claims, later_strategies_pass)
{
	good_world();
	later_world();
	EXPECT("C9", VERDICT_PASS);
	EXPECT("C10", VERDICT_PASS);
	get("tlbstress", "hwassist+nested", "x86")->ctr[1].value = 1500;	/* shorter walks */
	EXPECT("C9", VERDICT_FAIL);
	good_world();
	later_world();
	get("redpill", "binxlate+shadow", "x86")->output_ok = 0;
	EXPECT("C10", VERDICT_FAIL);
}

/* C1 outside 10x-1000x, or not the same computation, fails. */
Test(report_claims, c1_fails)
{
	good_world();
	host.seconds = 0.5 / 5000;
	EXPECT("C1", VERDICT_FAIL);
	good_world();
	host.seconds = 0.5 / 5;
	EXPECT("C1", VERDICT_FAIL);
	good_world();
	strcpy(host.output, "rounds: 30 failed checks: 0\nsort: 0x9 crc32: 0x2 fnv1a: 0x3 "
			    "matmul: 0x4\n");
	EXPECT("C1", VERDICT_FAIL);
	cr_expect(strstr(judge("C1")->why, "not the same computation"));
	good_world();
	host.ran = false;
	EXPECT("C1", VERDICT_FAIL);
	good_world();
	strcpy(get("compute", "fullsim", "x86")->status, "failed");
	EXPECT("C1", VERDICT_FAIL);
}

/* One number on the wrong side of each remaining claim fails it. */
Test(report_claims, each_claim_can_fail)
{
	good_world();
	get("diskpio", "fullsim", "x86")->cycles = 250e6;	/* 2.5x */
	EXPECT("C2", VERDICT_FAIL);
	good_world();
	get("syscall", "trap+shadow", "x86")->exits = 60000;	/* 6% */
	EXPECT("C3", VERDICT_FAIL);
	good_world();
	get("cr3wr", "trap+shadow", "x86")->output_ok = 0;
	EXPECT("C4", VERDICT_FAIL);
	good_world();
	get("ptemod", "trap+shadow", "x86")->exit_n[EXIT_INVLPG] = 0;
	EXPECT("C4", VERDICT_FAIL);
	good_world();
	get("popf", "trap+shadow", "x86")->diverged = false;
	EXPECT("C5", VERDICT_FAIL);
	good_world();
	get("popf", "native", "x86")->out_text = (char *)"result: FAIL 3 interrupts\n";
	EXPECT("C5", VERDICT_FAIL);
	good_world();
	get("redpill", "native", "x86")->out_text = (char *)redpill_trap;
	EXPECT("C6", VERDICT_FAIL);
	good_world();
	get("redpill", "trap+shadow", "virtualizable")->output_ok = 0;
	EXPECT("C7", VERDICT_FAIL);
	good_world();
	get("ctxswitch", "trap+shadow", "x86")->ctr[0].value = 100;	/* below compute */
	EXPECT("C8", VERDICT_FAIL);
}

/* A claim whose runs are missing fails, saying which run is missing. */
Test(report_claims, missing_rows_fail)
{
	reset_rows();
	for (const char *const *id = (const char *const[]){ "C1", "C2", "C3", "C4", "C5", "C6",
							     "C7", "C8", NULL }; *id; id++) {
		EXPECT(*id, VERDICT_FAIL);
		cr_expect(strstr(judge(*id)->why, "no run of"), "%s: %s", *id, judge(*id)->why);
	}
}

/* The runs asked for follow the strategies that exist. */
Test(report_claims, needs_follow_strategies)
{
	struct claim_need need[64];
	size_t n;
	bool nested = false, virt = false;

	have_later = false;
	n = claims_needs(need, 64, find);
	for (size_t k = 0; k < n; k++) {
		nested |= !strcmp(need[k].strategy, "hwassist+nested");
		virt |= !strcmp(need[k].isa, "virtualizable");
	}
	cr_expect(!nested && virt);
	have_later = true;
	n = claims_needs(need, 64, find);
	nested = false;
	for (size_t k = 0; k < n; k++)
		nested |= !strcmp(need[k].strategy, "hwassist+nested");
	cr_expect(nested);
}

/* Every judged claim names its cost model and gives rerun commands. */
Test(report_claims, rows_say_how_to_rerun)
{
	good_world();
	judge("C1");
	for (size_t k = 0; k < 8; k++) {
		cr_expect(strstr(res[k].experiment, "era2006"), "%s", res[k].id);
		cr_expect(strstr(res[k].commands, "vmmsim run -w "), "%s", res[k].id);
	}
	cr_expect(strstr(judge("C2")->commands, "--disk disk.img"));
	cr_expect(strstr(judge("C7")->commands, "--isa virtualizable"));
}

/* C8 counts traced writes and CR3 switches, not hidden faults: most of
 * those fill the shadow in at boot, whatever the workload does. */
Test(report_claims, c8_ignores_boot_faults)
{
	good_world();
	get("compute", "trap+shadow", "x86")->hidden_faults = 16000;
	EXPECT("C8", VERDICT_PASS);
	cr_expect(strstr(judge("C8")->measured, "16000 hidden faults") == NULL,
		  "compute's hidden faults are not part of its rate");
	get("ctxswitch", "trap+shadow", "x86")->overhead = 2;
	EXPECT("C8", VERDICT_FAIL);
}
