/*
 * compute: integer-heavy ring-3 code with little kernel time. Each round
 * sorts 1024 pseudo-random keys (heapsort), hashes 4 KiB of data three
 * ways (bitwise CRC-32, the runtime's nibble-table CRC-32, FNV-1a), and
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

#define NKEYS 1024
#define NBYTES 4096
#define MAT 32

static uint32_t iters;
static const struct param params[] = {
	{ "iters", &iters, 30, 1, 1000000 },
	{ 0 },
};

struct work {
	uint32_t keys[NKEYS];
	uint8_t bytes[NBYTES];
	uint32_t a[MAT][MAT], b[MAT][MAT], c[MAT][MAT];
	uint32_t r[MAT], br[MAT], abr[MAT], cr[MAT];
};

static uint32_t lcg(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s;
}

static void sift_down(uint32_t *v, uint32_t root, uint32_t n)
{
	uint32_t child, t;

	while ((child = 2 * root + 1) < n) {
		if (child + 1 < n && v[child + 1] > v[child])
			child++;
		if (v[root] >= v[child])
			return;
		t = v[root];
		v[root] = v[child];
		v[child] = t;
		root = child;
	}
}

static void heapsort(uint32_t *v, uint32_t n)
{
	uint32_t i, t;

	for (i = n / 2; i-- > 0;)
		sift_down(v, i, n);
	for (i = n - 1; i > 0; i--) {
		t = v[0];
		v[0] = v[i];
		v[i] = t;
		sift_down(v, 0, i);
	}
}

static uint32_t crc32_bitwise(const uint8_t *p, uint32_t n)
{
	uint32_t crc = ~0u, k;

	while (n--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
	}
	return ~crc;
}

static uint32_t fnv1a(const uint8_t *p, uint32_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

/* Returns 0 when sorted and the keys' sum and XOR survived the sort. */
static int sort_round(struct work *w, uint32_t *seed, uint32_t *out)
{
	uint32_t i, sum = 0, x = 0, sum2 = 0, x2 = 0;

	*out = 0;
	for (i = 0; i < NKEYS; i++) {
		w->keys[i] = lcg(seed);
		sum += w->keys[i];
		x ^= w->keys[i];
	}
	heapsort(w->keys, NKEYS);
	for (i = 0; i < NKEYS; i++) {
		if (i && w->keys[i - 1] > w->keys[i])
			return 1;
		sum2 += w->keys[i];
		x2 ^= w->keys[i];
	}
	*out = w->keys[NKEYS / 2] ^ w->keys[NKEYS / 3];
	return sum != sum2 || x != x2;
}

static int hash_round(struct work *w, uint32_t *seed, uint32_t *crc, uint32_t *fnv)
{
	uint32_t i;

	for (i = 0; i < NBYTES; i++)
		w->bytes[i] = (uint8_t)(lcg(seed) >> 24);
	*crc = crc32_bitwise(w->bytes, NBYTES);
	*fnv = fnv1a(w->bytes, NBYTES);
	return *crc != crc32_update(0, w->bytes, NBYTES);
}

static void matvec(uint32_t m[MAT][MAT], const uint32_t *v, uint32_t *out)
{
	uint32_t i, j, s;

	for (i = 0; i < MAT; i++) {
		for (s = 0, j = 0; j < MAT; j++)
			s += m[i][j] * v[j];
		out[i] = s;
	}
}

static int matmul_round(struct work *w, uint32_t *seed, uint32_t *out)
{
	uint32_t i, j, k, s, trace = 0;

	for (i = 0; i < MAT; i++)
		for (j = 0; j < MAT; j++) {
			w->a[i][j] = lcg(seed) >> 20;
			w->b[i][j] = lcg(seed) >> 20;
		}
	for (i = 0; i < MAT; i++)
		for (j = 0; j < MAT; j++) {
			for (s = 0, k = 0; k < MAT; k++)
				s += w->a[i][k] * w->b[k][j];
			w->c[i][j] = s;
		}
	for (i = 0; i < MAT; i++) {
		w->r[i] = lcg(seed);
		trace += w->c[i][i];
	}
	matvec(w->b, w->r, w->br);
	matvec(w->a, w->br, w->abr);
	matvec(w->c, w->r, w->cr);
	*out = trace;
	return memcmp(w->abr, w->cr, sizeof(w->cr)) != 0;
}

static int u_main(uint32_t rounds)
{
	struct work *w = USER_HEAP;
	uint32_t k, seed, v, crc, fnv, bad = 0;
	uint32_t sort_sum = 0, crc_sum = 0, fnv_sum = 0, mat_sum = 0;

	if (crc32_bitwise((const uint8_t *)"123456789", 9) != 0xcbf43926u ||
	    crc32_update(0, "123456789", 9) != 0xcbf43926u) {
		u_printf("crc32 check value wrong\n");
		return 1;
	}
	for (k = 0; k < rounds; k++) {
		seed = k * 0x9e3779b9u + 1;
		bad += sort_round(w, &seed, &v);
		sort_sum = sort_sum * 31 + v;
		bad += hash_round(w, &seed, &crc, &fnv);
		crc_sum = crc_sum * 31 + crc;
		fnv_sum = fnv_sum * 31 + fnv;
		bad += matmul_round(w, &seed, &v);
		mat_sum = mat_sum * 31 + v;
	}
	u_printf("rounds: %u failed checks: %u\n", rounds, bad);
	u_printf("sort: 0x%08x crc32: 0x%08x fnv1a: 0x%08x matmul: 0x%08x\n",
		 sort_sum, crc_sum, fnv_sum, mat_sum);
	return bad != 0;
}

static int compute_main(void)
{
	int pid, status;

	pid = proc_spawn(u_main, iters);
	if (pid < 0)
		return fail("cannot create a process");
	if (proc_wait(&status) != pid)
		return fail("wait did not return the child");
	if (status != 0)
		return fail("child exit status %d", status);
	return 0;
}

WORKLOAD("compute", params, compute_main);
