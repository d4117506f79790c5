/*
 * syscall: system-call round trips from ring 3. One process alternates
 * two calls through int 0x80: getpid, which takes no argument, and a
 * workload call that mixes three register arguments into its result, so
 * that arguments and results are checked both ways on every call.
 *
 * Parameters: iters (default 300000) system calls.
 * Prints: the number of calls and a checksum of their results.
 */
#include "kernel.h"
#include "user.h"

#define SYS_MIX SYS_WORKLOAD

static uint32_t iters;
static const struct param params[] = {
	{ "iters", &iters, 300000, 1, 100000000 },
	{ 0 },
};

static inline uint32_t mix(uint32_t a, uint32_t b, uint32_t c)
{
	return (a * 2654435761u) ^ (b + (c << 7 | c >> 25));
}

static int32_t sys_mix(struct trapframe *tf)
{
	return (int32_t)mix(tf->ebx, tf->ecx, tf->edx);
}

static int u_main(uint32_t n)
{
	int32_t pid = sys_getpid(), r;
	uint32_t i, sum = 0, bad = 0;

	for (i = 0; i < n; i++) {
		if (i & 1) {
			r = sys_call3(SYS_MIX, i, sum, 0x9e3779b9u);
			bad += (uint32_t)r != mix(i, sum, 0x9e3779b9u);
		} else {
			r = sys_getpid();
			bad += r != pid;
		}
		sum = sum * 31 + (uint32_t)r;
	}
	u_printf("calls: %u wrong results: %u checksum: 0x%08x\n", n, bad, sum);
	return bad != 0;
}

static int syscall_main(void)
{
	uint32_t free_before = mm_free_pages();
	int pid, status;

	syscall_register(SYS_MIX, sys_mix);
	pid = proc_spawn(u_main, iters);
	if (proc_join(pid, &status))
		return 1;
	if (status != 0)
		return fail("child exit status %d", status);
	return check_no_leak(free_before);
}

WORKLOAD("syscall", params, syscall_main);
