/*
 * divzero: divide errors (#DE, a fault) raised in ring 3, handled by the
 * kernel, and resumed. The process divides by zero, and also divides with
 * a quotient too large for 32 bits, which raises the same fault. The
 * kernel's handler recognises the faulting DIV ECX, gives it a saturated
 * result (EAX all ones, EDX zero) and resumes after it, as a runtime with
 * checked arithmetic might. Ordinary divisions in between check that the
 * divider still works.
 *
 * Parameters: iters (default 100000) faulting divisions.
 * Prints: the numbers of divisions and faults and a checksum of the
 * quotients.
 */
#include "kernel.h"
#include "user.h"

static uint32_t iters;
static const struct param params[] = {
	{ "iters", &iters, 100000, 1, 100000000 },
	{ 0 },
};

static uint32_t de_count;

/* DIV ECX is F7 /6 with ModRM 0xf1. */
static int de_hook(struct trapframe *tf)
{
	const uint8_t *ip = (const uint8_t *)tf->eip;

	if (!trap_from_user(tf) || !vm_user_ok(current->pgdir, tf->eip, 2, 0) ||
	    ip[0] != 0xf7 || ip[1] != 0xf1)
		return 0;
	tf->eax = 0xffffffffu;
	tf->edx = 0;
	tf->eip += 2;
	de_count++;
	return 1;
}

static inline uint32_t div_ecx(uint32_t hi, uint32_t lo, uint32_t d, uint32_t *rem)
{
	uint32_t q, r;

	__asm__ volatile("divl %%ecx" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "c"(d));
	*rem = r;
	return q;
}

static int u_main(uint32_t n)
{
	uint32_t i, q, r, sum = 0, wrong = 0, divs = 0;

	for (i = 0; i < n; i++) {
		if (i % 2 == 0)
			q = div_ecx(0, i + 1, 0, &r);
		else
			q = div_ecx(i | 8, i, 7, &r);
		wrong += q != 0xffffffffu || r != 0;
		q = div_ecx(i % 5, 0x89abcdefu ^ i, 5 + i % 9, &r);
		wrong += (uint64_t)q * (5 + i % 9) + r !=
			 ((uint64_t)(i % 5) << 32 | (0x89abcdefu ^ i));
		sum = sum * 31 + q;
		divs += 2;
	}
	u_printf("divisions: %u wrong: %u checksum: 0x%08x\n", divs, wrong, sum);
	return wrong != 0;
}

static int divzero_main(void)
{
	int pid, status;

	trap_set_hook(X86_EXC_DE, de_hook);
	pid = proc_spawn(u_main, iters);
	if (proc_join(pid, &status))
		return 1;
	printk("#DE handled: %u\n", de_count);
	if (status != 0)
		return fail("child exit status %d", status);
	if (de_count != iters)
		return fail("%u divide errors for %u faulting divisions", de_count, iters);
	return 0;
}

WORKLOAD("divzero", params, divzero_main);
