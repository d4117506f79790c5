/*
 * compute: integer-heavy ring-3 code with little kernel time. Each round
 * sorts 1024 pseudo-random keys (heapsort), hashes 4 KiB of data three
 * ways (bitwise CRC-32, a nibble-table CRC-32, FNV-1a), and
 * multiplies two 32x32 matrices; all of it in one user process, whose only
 * system calls are its final report and exit. Every result is checked: the
 * sort for order and for the sum and XOR of its keys, the two CRCs against
 * each other (and the standard check value), the product with Freivalds'
 * test (A(Br) = (AB)r, exact in arithmetic modulo 2^32).
 *
 * Parameters: iters (default 30) rounds.
 * Prints: the number of rounds and a checksum per kind of work.
 */
#include "kernel.h"
#include "user.h"

#include "../compute_core.h"

static uint32_t iters;
static const struct param params[] = {
	{ "iters", &iters, 30, 1, 1000000 },
	{ 0 },
};

static int u_main(uint32_t rounds)
{
	struct compute_work *w = USER_HEAP;
	uint32_t sums[4], bad;

	if (crc32_bitwise((const uint8_t *)"123456789", 9) != 0xcbf43926u ||
	    crc32_nibble((const uint8_t *)"123456789", 9) != 0xcbf43926u) {
		u_printf("crc32 check value wrong\n");
		return 1;
	}
	bad = compute_run(w, rounds, sums);
	u_printf("rounds: %u failed checks: %u\n", rounds, bad);
	u_printf("sort: 0x%08x crc32: 0x%08x fnv1a: 0x%08x matmul: 0x%08x\n",
		 sums[0], sums[1], sums[2], sums[3]);
	return bad != 0;
}

static int compute_main(void)
{
	int pid, status;

	pid = proc_spawn(u_main, iters);
	if (proc_join(pid, &status))
		return 1;
	if (status != 0)
		return fail("child exit status %d", status);
	return 0;
}

WORKLOAD("compute", params, compute_main);
