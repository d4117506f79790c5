/*
 * Hardware-assisted virtualization with nested paging, on guest kernels:
 * which events exit and which never do, x86's sensitive instructions seen
 * as on the bare machine, nested faults only on first touch, isolation of
 * the nested table, and determinism of every counter.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "strategies/nested/nested.h"
#include "tests/unit/helpers_vm.h"

static void same_output(const struct run *a, const struct run *b)
{
	cr_assert_eq(a->outlen, b->outlen, "%s", b->out);
	cr_assert(!memcmp(a->out, b->out, a->outlen), "%s", b->out);
}

TestSuite(mon_hwassist, .init = load_cost, .fini = NULL);

/* The monitor kernel (I/O, CR writes, INVLPG, CR3 switches, faults): port
 * I/O and first touches exit; CR accesses, INVLPG, faults and shadow
 * events never do; the output is native. */
Test(mon_hwassist, what_exits_and_what_does_not)
{
	struct run n, h;

	run(&n, GUEST("conformance/monitor.elf"), "native", false, NULL);
	run(&h, GUEST("conformance/monitor.elf"), "hwassist+nested", false, NULL);
	cr_assert_eq(h.res.outcome, VM_EXITED, "%s", h.res.msg);
	same_output(&n, &h);
	const struct exit_stat *e = h.vm->ctr.exit;
	cr_assert_gt(e[EXIT_IO_INSTRUCTION].count, 0);
	cr_assert_gt(e[EXIT_EPT_VIOLATION].count, 0);
	cr_assert_eq(e[EXIT_CR_ACCESS].count, 0);
	cr_assert_eq(e[EXIT_INVLPG].count, 0);
	cr_assert_eq(e[EXIT_EXCEPTION_NMI].count, 0);
	cr_assert_eq(e[EXIT_SHADOW_HIDDEN_PF].count + e[EXIT_SHADOW_PTE_WRITE].count, 0);
	cr_assert_eq(h.vm->ctr.hidden_faults + h.vm->ctr.traced_writes, 0);
	cr_assert_eq(h.vm->cpu->ctr.insns_cpl0 + h.vm->cpu->ctr.insns_cpl3 +
			     h.vm->cpu->ctr.insns_cpl1 + h.vm->cpu->ctr.insns_cpl2,
		     n.vm->cpu->insns);
	cr_assert(nested_maps_only_guest_ram(h.vm));
	done(&n);
	done(&h);
}

/* Under hardware assist the sensitive kernel and popf see the bare
 * machine: native output, nothing reported as diverged. */
Test(mon_hwassist, sensitive_instructions_as_on_the_bare_machine)
{
	static const char *const k[] = { "conformance/sensitive.elf", "workloads/popf.elf",
					  "workloads/redpill.elf" };

	for (size_t i = 0; i < 3; i++) {
		struct run n, h;
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", VMMSIM_GUEST_DIR, k[i]);
		run(&n, path, "native", false, i == 1 ? "iters=200" : NULL);
		run(&h, path, "hwassist+nested", false, i == 1 ? "iters=200" : NULL);
		same_output(&n, &h);
		cr_assert_eq(h.vm->ctr.diverged_popf + h.vm->ctr.diverged_reveal +
				     h.vm->ctr.diverged_truncation, 0, "%s", k[i]);
		done(&n);
		done(&h);
	}
}

/* A nested fault maps one guest page once: tlbstress touches its pages
 * over and over, yet exits no more often than it has distinct pages, and
 * its TLB misses walk 2-D (more than 2, at most 8 references each). */
Test(mon_hwassist, nested_faults_once_per_page_and_2d_walks)
{
	struct run h;

	run(&h, GUEST("workloads/tlbstress.elf"), "hwassist+nested", false, "pages=1024 iters=100000");
	cr_assert_eq(h.res.outcome, VM_EXITED, "%s", h.res.msg);
	cr_assert(strstr(h.out, "result: ok"), "%s", h.out);
	uint64_t faults = h.vm->ctr.exit[EXIT_EPT_VIOLATION].count;
	cr_assert_gt(faults, 1024);
	cr_assert_leq(faults, h.vm->phys.guest_size / 4096);
	double per = (double)h.vm->cpu->ctr.walk_refs / (double)h.vm->cpu->ctr.walks;
	cr_assert(per > 6.0 && per <= 8.5, "%.2f references per walk", per);
	done(&h);
}

/* The same guest twice gives the same counters, exits and cycles. */
Test(mon_hwassist, counters_are_deterministic)
{
	struct run a, b;

	run(&a, GUEST("workloads/forkwait.elf"), "hwassist+nested", false, "procs=20");
	run(&b, GUEST("workloads/forkwait.elf"), "hwassist+nested", false, "procs=20");
	cr_assert_eq(a.vm->cpu->insns, b.vm->cpu->insns);
	cr_assert(!memcmp(&a.vm->cpu->ctr, &b.vm->cpu->ctr, sizeof(a.vm->cpu->ctr)));
	cr_assert(!memcmp(&a.vm->ctr, &b.vm->ctr, sizeof(a.vm->ctr)));
	done(&a);
	done(&b);
}
