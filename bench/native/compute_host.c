/*
 * compute_host ROUNDS: the compute workload's algorithm run directly on
 * the host CPU, for claim C1 of `vmmsim report`. Prints the same two
 * result lines the guest prints (so the report can check that both did
 * the same work), then "nanoseconds: N", the wall-clock time of the
 * computation alone (CLOCK_MONOTONIC around it; process start-up and
 * printing excluded, as the simulator's host time excludes loading).
 * Exit status: 0, 1 if a self-check failed, 2 for a bad argument.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

uint32_t ref_compute(uint32_t rounds, uint32_t out[4]);

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	uint32_t out[4], bad;
	char *end;
	unsigned long rounds;

	if (argc != 2 || (rounds = strtoul(argv[1], &end, 10)) < 1 || *end ||
	    rounds > 1000000) {
		fprintf(stderr, "usage: compute_host ROUNDS   (1-1000000, the guest's iters)\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	bad = ref_compute((uint32_t)rounds, out);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("rounds: %lu failed checks: %u\n", rounds, bad);
	printf("sort: 0x%08x crc32: 0x%08x fnv1a: 0x%08x matmul: 0x%08x\n", out[0], out[1],
	       out[2], out[3]);
	printf("nanoseconds: %lld\n", (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL +
					  (t1.tv_nsec - t0.tv_nsec));
	return bad != 0;
}
