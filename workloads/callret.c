/*
 * callret: deep call/return chains in kernel code. Three mutually recursive
 * functions, kept out of line and out of the optimiser's reach (noipa),
 * descend to the requested depth and fold a value on the way back, so that
 * every level depends on the return address, the stack frame and the
 * callee-saved registers being intact. Each chain is checked against the
 * same fold computed with a loop. Return-address prediction, shadow stacks
 * and a binary translator's handling of RET are what this stresses.
 *
 * Parameters: iters (default 50000) chains; depth (default 64) calls each.
 * Prints: the number of chains and calls and a checksum of the results.
 */
#include "kernel.h"

#define MAX_DEPTH 4096

static uint32_t iters, depth;
static const struct param params[] = {
	{ "iters", &iters, 50000, 1, 100000000 },
	{ "depth", &depth, 64, 1, MAX_DEPTH },
	{ 0 },
};

static uint32_t down(uint32_t d, uint32_t x)
{
	return x * 33 + d;
}

static uint32_t up(uint32_t d, uint32_t r)
{
	return r + (r >> 7) + (d ^ (r << 3));
}

static uint32_t chain_a(uint32_t d, uint32_t x);
static uint32_t chain_b(uint32_t d, uint32_t x);
static uint32_t chain_c(uint32_t d, uint32_t x);

static uint32_t (*const next[3])(uint32_t, uint32_t) = { chain_a, chain_b, chain_c };

static uint32_t __attribute__((noipa)) chain_a(uint32_t d, uint32_t x)
{
	uint32_t r;

	if (!d)
		return x ^ 0x5bd1e995u;
	r = chain_b(d - 1, down(d, x));
	return up(d, r);
}

static uint32_t __attribute__((noipa)) chain_b(uint32_t d, uint32_t x)
{
	uint32_t r;

	if (!d)
		return x ^ 0x5bd1e995u;
	r = chain_c(d - 1, down(d, x));
	return up(d, r);
}

/* An indirect call, as through a function table, every third level. */
static uint32_t __attribute__((noipa)) chain_c(uint32_t d, uint32_t x)
{
	uint32_t r;

	if (!d)
		return x ^ 0x5bd1e995u;
	r = next[x % 2](d - 1, down(d, x));
	return up(d, r);
}

static uint32_t fold_with_loop(uint32_t n, uint32_t x)
{
	uint32_t d, r;

	for (d = n; d > 0; d--)
		x = down(d, x);
	r = x ^ 0x5bd1e995u;
	for (d = 1; d <= n; d++)
		r = up(d, r);
	return r;
}

static int callret_main(void)
{
	uint32_t i, r, sum = 0, wrong = 0;

	for (i = 0; i < iters; i++) {
		r = chain_a(depth, i);
		if (i % 1024 == 0 && r != fold_with_loop(depth, i))
			wrong++;
		sum = (sum << 5 | sum >> 27) ^ r;
	}
	printk("chains: %u calls: %u wrong: %u checksum: 0x%08x\n",
	       iters, iters * (depth + 1), wrong, sum);
	if (wrong)
		return fail("%u chains returned a wrong value", wrong);
	return 0;
}

WORKLOAD("callret", params, callret_main);
