/*
 * The trap-and-emulate monitor with shadow paging, on guest kernels: exits
 * by reason, reflected guest faults, shadow consistency and isolation, CR3
 * switches through the root cache, the virtualizable ISA, determinism of
 * every counter, and the end of a guest that triple-faults.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/mon/stats.h"
#include "strategies/shadow/shadow.h"
#include "tests/unit/helpers_vm.h"

TestSuite(mon_trap, .init = load_cost, .fini = NULL);

/* Every event class the monitor kernel exercises exits with its own reason,
 * and the guest sees exactly what it sees natively. */
Test(mon_trap, exits_by_reason_and_native_output)
{
	struct run n, t;

	run(&n, GUEST("conformance/monitor.elf"), "native", false, NULL);
	run(&t, GUEST("conformance/monitor.elf"), "trap+shadow", false, NULL);
	cr_assert_eq(t.res.outcome, VM_EXITED, "%s", t.res.msg);
	cr_assert_eq(t.res.exit_value, 0);
	cr_assert_eq(t.outlen, n.outlen);
	cr_assert(!memcmp(t.out, n.out, n.outlen), "trap+shadow output differs:\n%s", t.out);

	const struct exit_stat *e = t.vm->ctr.exit;
	cr_assert_geq(e[EXIT_IO_INSTRUCTION].count, 10);
	cr_assert_geq(e[EXIT_CR_ACCESS].count, 10);
	cr_assert_geq(e[EXIT_DR_ACCESS].count, 5);
	cr_assert_geq(e[EXIT_INVLPG].count, 7);
	cr_assert_eq(e[EXIT_WBINVD].count, 5);
	cr_assert_eq(e[EXIT_MSR_READ].count, 5);
	cr_assert_eq(e[EXIT_RDTSC].count, 5);
	cr_assert_geq(e[EXIT_GDTR_IDTR_ACCESS].count, 5);
	cr_assert_geq(e[EXIT_LDTR_TR_ACCESS].count, 2);
	cr_assert_geq(e[EXIT_INTERRUPT_FLAG].count, 15);
	cr_assert_geq(e[EXIT_HLT].count, 1);
	cr_assert_geq(e[EXIT_EXTERNAL_INTERRUPT].count, 5);
	cr_assert_geq(e[EXIT_SOFTWARE_INT].count, 10);
	cr_assert_geq(e[EXIT_IRET].count, 10);
	cr_assert_geq(e[EXIT_EXCEPTION_NMI].count, 10);
	cr_assert_gt(e[EXIT_SHADOW_HIDDEN_PF].count, 0);
	cr_assert_gt(e[EXIT_SHADOW_PTE_WRITE].count, 0);
	/* The runtime's GDT shares its page with data it writes: those writes
	 * are descriptor-table traces, not page-table writes. */
	cr_assert_gt(e[EXIT_DESC_TABLE_WRITE].count, 0);
	cr_assert_eq(e[EXIT_DESC_TABLE_WRITE].count, t.vm->ctr.desc_traced_writes);
	cr_assert_eq(e[EXIT_SHADOW_PTE_WRITE].count, t.vm->ctr.traced_writes);
	/* Every exit was priced: transition plus emulation at least. */
	for (unsigned r = 0; r < EXIT_COUNT; r++)
		if (e[r].count)
			cr_assert_geq(e[r].min, cost.trap_exit, "%s", exit_reason_names[r]);
	done(&n);
	done(&t);
}

/* Guest page faults are reflected with the guest's error code and CR2 (the
 * kernel checks both), shadow entries follow PTE rewrites and INVLPG, CR3
 * switches use the root cache, and no shadow entry maps monitor memory. */
Test(mon_trap, faults_shadow_and_roots)
{
	struct run t;

	run(&t, GUEST("conformance/monitor.elf"), "trap+shadow", false, NULL);
	cr_assert_eq(t.res.outcome, VM_EXITED, "%s", t.res.msg);
	cr_assert(strstr(t.out, "PASS read of an unmapped page: CR2"), "%s", t.out);
	cr_assert(strstr(t.out, "PASS rewritten PTE plus INVLPG maps frame B"), "%s", t.out);
	cr_assert(strstr(t.out, "PASS CR3 switches alternate frame A and B"), "%s", t.out);
	cr_assert(strstr(t.out, "monitor: 25 passed, 0 failed"), "%s", t.out);
	cr_assert_geq(t.vm->ctr.guest_faults, 5);
	cr_assert_gt(t.vm->ctr.traced_writes, 0);
	cr_assert_gt(t.vm->ctr.shadow_syncs, 0);
	cr_assert_geq(t.vm->ctr.shadow_root_misses, 2);
	cr_assert_geq(t.vm->ctr.shadow_root_hits, 8);
	cr_assert(shadow_maps_only_guest_ram(t.vm));
	done(&t);
}

/* On x86 the sensitive kernel sees ring 1 and the monitor's tables; on the
 * virtualizable ISA those instructions trap and it sees the bare machine. */
Test(mon_trap, virtualizable_isa)
{
	struct run n, x, v;

	run(&n, GUEST("conformance/sensitive.elf"), "native", false, NULL);
	run(&x, GUEST("conformance/sensitive.elf"), "trap+shadow", false, NULL);
	run(&v, GUEST("conformance/sensitive.elf"), "trap+shadow", true, NULL);
	cr_assert(x.outlen != n.outlen || memcmp(x.out, n.out, n.outlen));
	cr_assert_gt(x.vm->ctr.diverged_reveal + x.vm->ctr.diverged_popf, 0);
	cr_assert_eq(v.outlen, n.outlen);
	cr_assert(!memcmp(v.out, n.out, n.outlen), "%s", v.out);
	cr_assert_gt(v.vm->ctr.exit[EXIT_SENSITIVE].count, 0);
	cr_assert_eq(v.vm->ctr.diverged_reveal + v.vm->ctr.diverged_popf, 0);
	done(&n);
	done(&x);
	done(&v);
}

/* The popf workload catches the lost interrupt-disable on x86 (its PUSHF
 * saves the real IF, its POPF cannot restore IF = 0), and not on the
 * virtualizable ISA. */
Test(mon_trap, popf_breaks_trap_and_emulate)
{
	struct run x, v;

	run(&x, GUEST("workloads/popf.elf"), "trap+shadow", false, "iters=10");
	run(&v, GUEST("workloads/popf.elf"), "trap+shadow", true, "iters=10");
	cr_assert(strstr(x.out, "result: FAIL"), "%s", x.out);
	cr_assert_gt(x.vm->ctr.diverged_popf + x.vm->ctr.diverged_reveal, 0);
	cr_assert(strstr(v.out, "result: ok"), "%s", v.out);
	cr_assert_eq(v.vm->ctr.diverged_popf + v.vm->ctr.diverged_reveal, 0);
	done(&x);
	done(&v);
}

static void stats_of(struct vm *vm, struct stats *s)
{
	stats_init(s);
	vm_collect_stats(vm, s);
}

/* The same guest, strategy and cost model give the same counters, every
 * one of them, and the same modeled cycles. */
Test(mon_trap, counters_are_deterministic)
{
	struct run a, b;
	struct stats sa, sb;

	run(&a, GUEST("workloads/forkwait.elf"), "trap+shadow", false, "procs=20");
	run(&b, GUEST("workloads/forkwait.elf"), "trap+shadow", false, "procs=20");
	stats_of(a.vm, &sa);
	stats_of(b.vm, &sb);
	cr_assert_eq(sa.n, sb.n);
	for (size_t k = 0; k < sa.n; k++) {
		cr_assert_str_eq(sa.rows[k].path, sb.rows[k].path);
		cr_assert_eq(sa.rows[k].value, sb.rows[k].value, "%s", sa.rows[k].path);
	}
	cr_assert_gt(a.vm->ctr.exits, 100);
	cr_assert_eq(a.vm->cyc_transitions, b.vm->cyc_transitions);
	cr_assert_eq(a.vm->cyc_shadow, b.vm->cyc_shadow);
	stats_free(&sa);
	stats_free(&sb);
	done(&a);
	done(&b);
}

/* A guest that triple-faults under the monitor ends the run as a triple
 * fault, and the dump shows both the virtual and the physical CPU. */
Test(mon_trap, triple_fault_dumps_both_cpus)
{
	struct run t;
	char *dump = NULL;
	size_t len = 0;

	run(&t, GUEST("conformance/triple.elf"), "trap+shadow", false, NULL);
	cr_assert_eq(t.res.outcome, VM_TRIPLE_FAULT, "%s", t.res.msg);
	FILE *f = open_memstream(&dump, &len);
	vm_dump(t.vm, f);
	fclose(f);
	cr_assert(strstr(dump, "virtual CPU"), "%s", dump);
	cr_assert(strstr(dump, "physical CPU"), "%s", dump);
	cr_assert(strstr(dump, "cs=0008"), "virtual CS must show ring 0: %s", dump);
	cr_assert(strstr(dump, "cs   0009"), "physical CS must show ring 1: %s", dump);
	free(dump);
	done(&t);
}

/* A kernel that maps its page directory into its own last slot, and puts
 * data, a stack, ring-3 pages and code in the top 4 MiB where the monitor
 * keeps its tables: the window is lent for each access, so every check
 * passes but the one LSL that takes its selector from there (it would read
 * the monitor's GDT), which is reported as a truncation divergence; the
 * shadow never maps anything but guest RAM. */
Test(mon_trap, window_lent_to_the_guest)
{
	struct run n, t;

	run(&n, GUEST("conformance/toplinear.elf"), "native", false, NULL);
	run(&t, GUEST("conformance/toplinear.elf"), "trap+shadow", false, NULL);
	cr_assert_eq(t.res.outcome, VM_EXITED, "%s", t.res.msg);
	cr_assert(strstr(n.out, "toplinear: 34 passed, 0 failed"), "%s", n.out);
	cr_assert(strstr(t.out, "toplinear: 33 passed, 1 failed"), "%s", t.out);
	cr_assert(strstr(t.out, "PASS code at 0xffc08100 runs and returns"), "%s", t.out);
	cr_assert(strstr(t.out, "PASS lfs loads a far pointer from 0xffc09000"), "%s", t.out);
	cr_assert(strstr(t.out, "PASS a PDE written through the window lands in the directory"),
		  "%s", t.out);
	cr_assert(!strstr(t.out, "PASS lsl of a selector at 0xffc09010"), "%s", t.out);
	cr_assert_gt(t.vm->ctr.exit[EXIT_WINDOW_ACCESS].count, 1000);
	cr_assert_eq(t.vm->ctr.diverged_truncation, 1);
	cr_assert(shadow_maps_only_guest_ram(t.vm));
	done(&n);
	done(&t);
}

/* Binary translation: the kernel's POPF, PUSHF, CLI, STI and port I/O
 * become callouts (no trap round trip, no SENSITIVE or INTERRUPT_FLAG
 * exits) that work on the virtual CPU, so popf prints its native output
 * and nothing diverges; kernel code is translated, once per block. */
Test(mon_trap, binary_translation_fixes_popf)
{
	struct run n, b;

	run(&n, GUEST("workloads/popf.elf"), "native", false, "iters=200");
	run(&b, GUEST("workloads/popf.elf"), "binxlate+shadow", false, "iters=200");
	cr_assert_eq(b.res.outcome, VM_EXITED, "%s", b.res.msg);
	cr_assert_eq(b.outlen, n.outlen, "%s", b.out);
	cr_assert(!memcmp(b.out, n.out, n.outlen), "%s", b.out);
	const struct exit_stat *e = b.vm->ctr.exit;
	cr_assert_gt(e[EXIT_BT_CALLOUT].count, 600);
	cr_assert_eq(e[EXIT_SENSITIVE].count + e[EXIT_INTERRUPT_FLAG].count +
			     e[EXIT_IO_INSTRUCTION].count, 0);
	cr_assert_eq(b.vm->ctr.diverged_popf + b.vm->ctr.diverged_reveal, 0);
	/* A callout costs its work and the call, never a trap's round trip. */
	cr_assert_eq(e[EXIT_BT_CALLOUT].min,
		     cost.emulate[EXIT_BT_CALLOUT] + cost.emulate[EXIT_INTERRUPT_FLAG]);
	cr_assert_gt(b.vm->ctr.bt_blocks, 10);
	cr_assert_geq(b.vm->ctr.bt_insns, b.vm->ctr.bt_blocks);
	cr_assert_lt(b.vm->ctr.bt_blocks, 10000, "translated once, not on every run");
	done(&n);
	done(&b);
}
