/*
 * ctxswitch: two processes ping-pong through the kernel. A parent forks a
 * child, and the two pass a value back and forth through the kernel's
 * one-value mailboxes (SYS_SEND/SYS_RECV): each receive blocks until the
 * other side has sent, so every message is a context switch with a CR3
 * write. Each side transforms the value, and each checks what it got
 * against what the other must have sent.
 *
 * Parameters: iters (default 20000) round trips (two switches each).
 * Prints: the number of round trips and the final value.
 */
#include "kernel.h"
#include "user.h"

static uint32_t iters;
static const struct param params[] = {
	{ "iters", &iters, 20000, 1, 100000000 },
	{ 0 },
};

static uint32_t ping(uint32_t v)
{
	return v * 2654435761u + 1;
}

static uint32_t pong(uint32_t v)
{
	return (v ^ (v >> 13)) + 0x7f4a7c15u;
}

static int u_child(uint32_t n, int parent)
{
	uint32_t i, v, want = 1;
	int from, bad = 0;

	for (i = 0; i < n; i++) {
		v = sys_recv(&from);
		want = ping(want);
		bad += v != want || from != parent;
		want = pong(v);
		if (sys_send(parent, want))
			return 2;
	}
	return bad != 0;
}

static int u_main(uint32_t n)
{
	int32_t me = sys_getpid(), pid;
	uint32_t i, v = 1, got, bad = 0;
	int from, status;

	pid = sys_fork();
	if (pid == 0)
		return u_child(n, me);
	if (pid < 0)
		return 3;
	for (i = 0; i < n; i++) {
		v = ping(v);
		if (sys_send(pid, v))
			return 4;
		got = sys_recv(&from);
		v = pong(v);
		bad += got != v || from != pid;
	}
	if (sys_wait(&status) != pid || status != 0)
		bad++;
	u_printf("round trips: %u final value: 0x%08x bad: %u\n", n, v, bad);
	return bad != 0;
}

static int ctxswitch_main(void)
{
	uint32_t free_before = mm_free_pages();
	int pid, status;

	pid = proc_spawn(u_main, iters);
	if (proc_join(pid, &status))
		return 1;
	if (status != 0)
		return fail("child exit status %d", status);
	return check_no_leak(free_before);
}

WORKLOAD("ctxswitch", params, ctxswitch_main);
