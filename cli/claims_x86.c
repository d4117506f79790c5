/*
 * Claims C5-C10: where x86 breaks trap-and-emulate (POPF, MOV from CS),
 * what a virtualizable ISA changes, what shadow paging costs, and the
 * techniques that came later (nested paging, binary translation), which
 * are N/A until their strategies exist. See claims.c for the framework.
 */
#include <stdio.h>
#include <string.h>

#include "cli/claims_impl.h"

/* C5: POPF at CPL 1 drops the guest's IF change; the guest notices. */
static void c5(const struct claim_input *in, struct claim_result *r)
{
	const struct mx_row *t = claim_row(in, "popf", "trap+shadow", "x86");
	const struct mx_row *nat = claim_row(in, "popf", "native", "x86");
	char tl[200] = "", nl[200] = "";

	if (!claim_usable(nat, "popf", "native", true, r) ||
	    !claim_usable(t, "popf", "trap+shadow", false, r))
		return;
	claim_line(t, "result: ", tl, sizeof(tl));
	claim_line(nat, "result: ", nl, sizeof(nl));
	claim_addf(r->measured, sizeof(r->measured),
		   "native: '%s'; trap+shadow: '%s', status %s (%llu POPFs reported losing an "
		   "IF/IOPL change, %llu reads reporting the real flags or privilege)",
		   nl[0] ? nl : "(no result line)", tl[0] ? tl : "(no result line)", t->status,
		   (unsigned long long)mx_counter(t, "vm.mon.diverged_popf", NULL),
		   (unsigned long long)mx_counter(t, "vm.mon.diverged_reveal", NULL));
	bool native_ok = !strcmp(nl, "result: ok");
	bool broke = !strncmp(tl, "result: FAIL", 12) && t->diverged;
	r->verdict = native_ok && broke ? VERDICT_PASS : VERDICT_FAIL;
	if (!native_ok)
		claim_addf(r->why, sizeof(r->why), "the native run did not print 'result: ok'. ");
	if (!broke)
		claim_addf(r->why, sizeof(r->why), "trap+shadow did not both fail the guest's "
			   "check and report the divergence. ");
	if (r->verdict == VERDICT_PASS)
		claim_addf(r->why, sizeof(r->why), "POPF broke the guest under trap-and-emulate, "
			   "and vmmsim reported it. ");
}

/* C6: ring-0 guest code reads its real privilege level (1) from CS. */
static void c6(const struct claim_input *in, struct claim_result *r)
{
	const struct mx_row *t = claim_row(in, "redpill", "trap+shadow", "x86");
	const struct mx_row *nat = claim_row(in, "redpill", "native", "x86");
	unsigned trpl, nrpl, trev, nrev;
	char tg[200] = "?", ng[200] = "?";

	if (!claim_usable(nat, "redpill", "native", true, r) ||
	    !claim_usable(t, "redpill", "trap+shadow", false, r))
		return;
	if (!claim_uint_after(t, "ring0 mov cs -> rpl ", &trpl) ||
	    !claim_uint_after(nat, "ring0 mov cs -> rpl ", &nrpl) ||
	    !claim_uint_after(t, "revealing values: ", &trev) ||
	    !claim_uint_after(nat, "revealing values: ", &nrev)) {
		claim_addf(r->why, sizeof(r->why), "the output lacks the 'ring0 mov cs -> rpl' "
			   "or 'revealing values:' lines. ");
		return;
	}
	claim_line(t, "ring0 sgdt ", tg, sizeof(tg));
	claim_line(nat, "ring0 sgdt ", ng, sizeof(ng));
	uint64_t rev = mx_counter(t, "vm.mon.diverged_reveal", NULL);
	claim_addf(r->measured, sizeof(r->measured),
		   "ring-0 MOV from CS: RPL %u under trap+shadow, %u native; '%s' vs '%s'; "
		   "revealing values %u vs %u; %llu revealing reads reported, status %s",
		   trpl, nrpl, tg, ng, trev, nrev, (unsigned long long)rev, t->status);
	bool pass = trpl != 0 && nrpl == 0 && trev > 0 && nrev == 0 && t->diverged;
	r->verdict = pass ? VERDICT_PASS : VERDICT_FAIL;
	claim_addf(r->why, sizeof(r->why), pass ?
		   "the deprivileged kernel saw its real ring and the monitor's tables; "
		   "native saw nothing. " :
		   "the monitor did not show through as expected (or native revealed "
		   "something). ");
}

/* C7: with every sensitive instruction trapping, the same guests run
 * unmodified and unaware. */
static void c7(const struct claim_input *in, struct claim_result *r)
{
	static const char *const ws[] = { "popf", "redpill" };
	bool pass = true;

	for (size_t k = 0; k < 2; k++) {
		const struct mx_row *t = claim_row(in, ws[k], "trap+shadow", "virtualizable");
		if (!claim_usable(t, ws[k], "trap+shadow --isa virtualizable", false, r)) {
			pass = false;
			continue;
		}
		claim_addf(r->measured, sizeof(r->measured),
			   "%s%s: status %s, output %s, %llu SENSITIVE + %llu INTERRUPT_FLAG exits",
			   r->measured[0] ? "; " : "", ws[k], t->status,
			   t->output_ok == 1 ? "= native" : t->output_ok == 0 ? "DIFFERS" : "unchecked",
			   (unsigned long long)t->exit_n[EXIT_SENSITIVE],
			   (unsigned long long)t->exit_n[EXIT_INTERRUPT_FLAG]);
		if (!mx_row_ok(t) || t->output_ok != 1) {
			pass = false;
			claim_addf(r->why, sizeof(r->why), "%s still differs from native. ", ws[k]);
		}
	}
	r->verdict = pass ? VERDICT_PASS : VERDICT_FAIL;
	if (pass)
		claim_addf(r->why, sizeof(r->why), "both print their native output. ");
}

/* What the claim is about, per million guest instructions: guest
 * page-table writes the shadow MMU had to trace, and address-space
 * switches it had to serve. Hidden faults are left out: most are the
 * shadow filling in at boot, the same in every run, which would make any
 * short workload look shadow-heavy. */
static double shadow_rate(const struct mx_row *t)
{
	uint64_t ev = mx_counter(t, "vm.mon.traced_writes", NULL) +
		      mx_counter(t, "vm.mon.shadow_root_hits", NULL) +
		      mx_counter(t, "vm.mon.shadow_root_misses", NULL);

	return t->guest_insns ? 1e6 * (double)ev / (double)t->guest_insns : 0;
}

/* C8: guest page-table writes and address-space switches cost the
 * shadow MMU work that a computation does not. */
static void c8(const struct claim_input *in, struct claim_result *r)
{
	static const char *const ws[] = { "ptemod", "forkwait", "ctxswitch" };
	const struct mx_row *base = claim_row(in, "compute", "trap+shadow", "x86");
	bool pass = true;

	if (!claim_usable(base, "compute", "trap+shadow", true, r) || !base->has_overhead) {
		if (base && !base->has_overhead)
			claim_addf(r->why, sizeof(r->why), "compute has no native baseline. ");
		return;
	}
	double b = shadow_rate(base);
	for (size_t k = 0; k < 3; k++) {
		const struct mx_row *t = claim_row(in, ws[k], "trap+shadow", "x86");
		if (!claim_usable(t, ws[k], "trap+shadow", true, r) || !t->has_overhead) {
			pass = false;
			continue;
		}
		double rate = shadow_rate(t);
		claim_addf(r->measured, sizeof(r->measured),
			   "%s: %.0f/M insns (%llu traced page-table writes, %llu CR3 switches, "
			   "%llu of them new roots; %llu hidden faults), overhead %.1fx; ", ws[k],
			   rate, (unsigned long long)mx_counter(t, "vm.mon.traced_writes", NULL),
			   (unsigned long long)(mx_counter(t, "vm.mon.shadow_root_hits", NULL) +
						mx_counter(t, "vm.mon.shadow_root_misses", NULL)),
			   (unsigned long long)mx_counter(t, "vm.mon.shadow_root_misses", NULL),
			   (unsigned long long)t->hidden_faults, t->overhead);
		if (rate <= b || t->overhead <= base->overhead) {
			pass = false;
			claim_addf(r->why, sizeof(r->why), "%s is not above compute. ", ws[k]);
		}
	}
	claim_addf(r->measured, sizeof(r->measured),
		   "compute: %.1f/M insns, overhead %.1fx", b, base->overhead);
	r->verdict = pass ? VERDICT_PASS : VERDICT_FAIL;
	if (pass)
		claim_addf(r->why, sizeof(r->why), "all three above compute in both traced "
			   "writes and switches per instruction and overhead. ");
}

/* C9: nested paging: no shadow exits on page-table writes, but each TLB
 * miss walks two dimensions. */
static void c9(const struct claim_input *in, struct claim_result *r)
{
	const struct mx_row *np = claim_row(in, "ptemod", "hwassist+nested", "x86");
	const struct mx_row *sp = claim_row(in, "ptemod", "trap+shadow", "x86");
	const struct mx_row *nt = claim_row(in, "tlbstress", "hwassist+nested", "x86");
	const struct mx_row *na = claim_row(in, "tlbstress", "native", "x86");

	if (!claim_usable(np, "ptemod", "hwassist+nested", true, r) ||
	    !claim_usable(sp, "ptemod", "trap+shadow", true, r) ||
	    !claim_usable(nt, "tlbstress", "hwassist+nested", true, r) ||
	    !claim_usable(na, "tlbstress", "native", true, r))
		return;
	uint64_t shadow_n = np->exit_n[EXIT_SHADOW_HIDDEN_PF] + np->exit_n[EXIT_SHADOW_PTE_WRITE] +
			    np->hidden_faults + mx_counter(np, "vm.mon.traced_writes", NULL);
	uint64_t shadow_s = sp->exit_n[EXIT_SHADOW_HIDDEN_PF] + sp->exit_n[EXIT_SHADOW_PTE_WRITE];
	double wn = mx_counter(nt, "vm.cpu.walks", NULL), wa = mx_counter(na, "vm.cpu.walks", NULL);
	double rn = wn ? mx_counter(nt, "vm.cpu.walk_refs", NULL) / wn : 0;
	double ra = wa ? mx_counter(na, "vm.cpu.walk_refs", NULL) / wa : 0;
	claim_addf(r->measured, sizeof(r->measured),
		   "ptemod shadow exits and faults: %llu under hwassist+nested, %llu under "
		   "trap+shadow; tlbstress references per walk: %.2f nested, %.2f native",
		   (unsigned long long)shadow_n, (unsigned long long)shadow_s, rn, ra);
	bool pass = shadow_n == 0 && shadow_s > 0 && rn > ra && np->output_ok == 1;
	r->verdict = pass ? VERDICT_PASS : VERDICT_FAIL;
	claim_addf(r->why, sizeof(r->why), pass ? "the exits are gone and the walks are longer. "
						: "not both: exits gone, walks longer. ");
}

/* The lines of a row's output that start with prefix, in order, each ended
 * by a newline, into out (truncated to len); their count. */
static unsigned lines_with(const struct mx_row *r, const char *prefix, char *out, size_t len)
{
	const char *t = r && r->out_text ? r->out_text : "";
	size_t n = strlen(prefix), used = 0;
	unsigned count = 0;

	out[0] = 0;
	for (const char *l = t; *l; l += strcspn(l, "\n"), l += *l == '\n') {
		size_t ll = strcspn(l, "\n");
		if (strncmp(l, prefix, n))
			continue;
		count++;
		if (used + ll + 2 <= len) {
			memcpy(out + used, l, ll);
			used += ll;
			out[used++] = '\n';
			out[used] = 0;
		}
	}
	return count;
}

/* C10: translated kernel code replaces POPF and MOV from CS: popf prints
 * its native output, and so do redpill's ring-0 probes; its ring-3
 * probes run untranslated, as VMware ran user code, and still see the
 * monitor (Robin & Irvine's red pill), which must be reported. */
static void c10(const struct claim_input *in, struct claim_result *r)
{
	const struct mx_row *p = claim_row(in, "popf", "binxlate+shadow", "x86");
	const struct mx_row *t = claim_row(in, "redpill", "binxlate+shadow", "x86");
	const struct mx_row *nat = claim_row(in, "redpill", "native", "x86");
	static char tl[8192], nl[8192];

	if (!claim_usable(p, "popf", "binxlate+shadow", true, r) ||
	    !claim_usable(t, "redpill", "binxlate+shadow", false, r) ||
	    !claim_usable(nat, "redpill", "native", true, r))
		return;
	unsigned nt = lines_with(t, "ring0 ", tl, sizeof(tl));
	unsigned nn = lines_with(nat, "ring0 ", nl, sizeof(nl));
	bool popf_ok = mx_row_ok(p) && p->output_ok == 1;
	bool ring0_ok = nn > 0 && nt == nn && !strcmp(tl, nl);
	bool user_reported = t->output_ok == 1 || t->diverged;
	claim_addf(r->measured, sizeof(r->measured),
		   "popf: status %s, output %s, %llu BT_CALLOUT exits; redpill: %u of %u ring-0 "
		   "lines as native (MOV from CS shows RPL 0), ring-3 probes %s, status %s",
		   p->status, p->output_ok == 1 ? "= native" : "DIFFERS",
		   (unsigned long long)p->exit_n[EXIT_BT_CALLOUT], ring0_ok ? nn : 0, nn,
		   t->output_ok == 1 ? "as native" : "still see the monitor", t->status);
	r->verdict = popf_ok && ring0_ok && user_reported ? VERDICT_PASS : VERDICT_FAIL;
	if (!popf_ok)
		claim_addf(r->why, sizeof(r->why), "popf differs from native. ");
	if (!ring0_ok)
		claim_addf(r->why, sizeof(r->why), "redpill's ring-0 probes differ from native. ");
	if (!user_reported)
		claim_addf(r->why, sizeof(r->why), "redpill's user-mode reveals went unreported. ");
	if (r->verdict == VERDICT_PASS)
		claim_addf(r->why, sizeof(r->why), "the kernel's POPF and MOV from CS behave as "
			   "natively; user code, untranslated, can still tell (reported). ");
}

static const struct claim_def x86_defs[] = {
	{ "C5", "\"All unsafe/privileged operations should trap ... x86 problem: POPF "
		"(different semantics in different rings)\"", { "trap+shadow" },
	  { { "popf", "trap+shadow", "x86" } },
	  "popf (pushf/cli/popf critical sections under a fast timer) under trap+shadow "
	  "and natively: the guest's own verdict line and the monitor's divergence report.",
	  "native 'result: ok'; trap+shadow 'result: FAIL', reported as diverged", c5 },
	{ "C6", "\"Privilege level should not be visible to software ... x86 problem: MOV "
		"ax, cs\"", { "trap+shadow" },
	  { { "redpill", "trap+shadow", "x86" } },
	  "redpill (Robin and Irvine's sensitive instructions from ring 0 and 3) under "
	  "trap+shadow and natively: the RPL ring-0 code reads from CS, the descriptor "
	  "tables SGDT shows, the guest's count of revealing values.",
	  "trap+shadow: RPL 1 and the monitor's tables visible, divergence reported; "
	  "native: RPL 0, no revealing value", c6 },
	{ "C7", "\"CPU Virtualization Requirements: ... All unsafe/privileged operations "
		"should trap\" (\"Lost art. Re-found - Intel's VT\")", { "trap+shadow" },
	  { { "popf", "trap+shadow", "virtualizable" },
	    { "redpill", "trap+shadow", "virtualizable" } },
	  "popf and redpill under trap+shadow with --isa virtualizable (every sensitive "
	  "instruction traps at CPL > 0), stdout against native.",
	  "both print exactly their native output, status ok", c7 },
	{ "C8", "\"Trick: Monitor keeps shadow of VM's page table\" (the cost of keeping "
		"it: guest page-table writes and CR3 switches)", { "trap+shadow" },
	  { { "ptemod", "trap+shadow", "x86" }, { "forkwait", "trap+shadow", "x86" },
	    { "ctxswitch", "trap+shadow", "x86" }, { "compute", "trap+shadow", "x86" } },
	  "guest page-table writes the shadow MMU traced plus CR3 switches it served "
	  "(shadow-root hits and misses), per million guest instructions, and modeled "
	  "overhead, under trap+shadow on ptemod, forkwait and ctxswitch against compute. "
	  "Hidden faults are shown, not counted: most fill the shadow in at boot, the same "
	  "in every run.",
	  "each of ptemod, forkwait, ctxswitch above compute in both", c8 },
	{ "C9", "\"AMD's Nested Page Tables\" (no shadow to keep; 2-D walks on TLB misses)",
	  { "hwassist+nested", "trap+shadow" },
	  { { "ptemod", "hwassist+nested", "x86" }, { "tlbstress", "hwassist+nested", "x86" },
	    { "ptemod", "trap+shadow", "x86" } },
	  "ptemod under hwassist+nested against trap+shadow (shadow exits and faults), "
	  "tlbstress under hwassist+nested against native (page-walk references per walk).",
	  "no shadow exits under nested paging; more references per walk than native", c9 },
	{ "C10", "\"x86 problem: POPF\", \"x86 problem: MOV ax, cs\" (fixed by binary "
		 "translation of guest kernel code)", { "binxlate+shadow" },
	  { { "popf", "binxlate+shadow", "x86" }, { "redpill", "binxlate+shadow", "x86" } },
	  "popf and redpill under binxlate+shadow (kernel code translated, user code run "
	  "directly), stdout against native.",
	  "popf prints its native output, status ok; redpill's ring-0 lines are native; its "
	  "ring-3 probes, untranslated, may still see the monitor but then are reported", c10 },
};

const struct claim_def *claim_defs_x86(size_t *n)
{
	*n = sizeof(x86_defs) / sizeof(x86_defs[0]);
	return x86_defs;
}
