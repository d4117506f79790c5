/*
 * forkwait: process creation, fork-style address-space copy, exit and wait.
 * A first process fills a few pages with a pattern, then forks children in
 * batches and waits for each batch. A child checks that its copy holds
 * exactly what the parent had at the fork (including a word the parent
 * changed just before it), scribbles over its copy, and exits with a
 * status derived from what it saw; the parent checks every status and that
 * its own pages never saw a child's writes. The kernel then checks that
 * every page came back to the allocator.
 *
 * Parameters: procs (default 500) children; batch (default 4) children
 * alive at once; pages (default 4) pages of data copied by each fork.
 * Prints: the numbers of forks and waits, bad copies or statuses, and the
 * sum of all exit statuses (a sum: children end in any order).
 */
#include "kernel.h"
#include "user.h"

#define MAX_PAGES 256

static uint32_t procs, batch, npages;
static const struct param params[] = {
	{ "procs", &procs, 500, 1, 1000000 },
	{ "batch", &batch, 4, 1, NPROC - 2 },
	{ "pages", &npages, 4, 1, MAX_PAGES },
	{ 0 },
};

struct u_args {
	uint32_t procs, batch, pages;
};

static uint32_t pattern(uint32_t i)
{
	return i * 0x9e3779b9u ^ 0xa5a5a5a5u;
}

static uint32_t expected_status(uint32_t n)
{
	return (n * 37 + 11) & 0x7f;
}

/* The child: verify the inherited copy, dirty it, report through the status. */
static int child(uint32_t *data, uint32_t words, uint32_t n)
{
	uint32_t i;

	if (data[0] != n)
		return 0xff;
	for (i = 1; i < words; i++)
		if (data[i] != pattern(i))
			return 0xfe;
	for (i = 0; i < words; i++)
		data[i] = ~data[i];
	return (int)expected_status(n);
}

static int u_main(uint32_t arg)
{
	const struct u_args *a = (const struct u_args *)arg;
	uint32_t *data = USER_HEAP, words = a->pages * PAGE_SIZE / 4;
	uint32_t i, n = 0, forks = 0, waits = 0, sum = 0, want, bad = 0;
	int32_t pid;
	int status;

	for (i = 1; i < words; i++)
		data[i] = pattern(i);
	while (n < a->procs) {
		want = 0;
		for (i = 0; i < a->batch && n < a->procs; i++, n++) {
			data[0] = n;
			pid = sys_fork();
			if (pid == 0)
				sys_exit(child(data, words, n));
			if (pid < 0) {
				u_printf("fork %u failed\n", n);
				return 1;
			}
			forks++;
			want += expected_status(n);
		}
		/* Statuses come back in any order; their sum does not. */
		while ((pid = sys_wait(&status)) > 0) {
			waits++;
			want -= (uint32_t)status;
			sum += (uint32_t)status;
		}
		bad += want != 0;
		for (i = 1; i < words; i++)
			bad += data[i] != pattern(i);
	}
	u_printf("forks: %u waits: %u bad: %u status sum: %u\n", forks, waits, bad, sum);
	return bad != 0 || forks != waits;
}

static int forkwait_main(void)
{
	uint32_t free_before = mm_free_pages();
	struct u_args args = { procs, batch, npages };
	int pid, status;

	pid = proc_spawn_block(u_main, &args, sizeof(args));
	if (pid < 0)
		return fail("cannot create a process");
	if (proc_wait(&status) != pid)
		return fail("wait did not return the first process");
	if (status != 0)
		return fail("first process exit status %d", status);
	if (proc_count() != 1)
		return fail("%u processes left behind", proc_count() - 1);
	return check_no_leak(free_before);
}

WORKLOAD("forkwait", params, forkwait_main);
