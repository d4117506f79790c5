/*
 * The compute workload's algorithm, with no dependency on any runtime: the
 * guest kernel (workloads/compute.c) and the host reference of the report's
 * claim C1 (bench/native) are built from this same source, so "the same
 * computation" is literally the same code. Each round sorts 1024
 * pseudo-random keys (heapsort), hashes 4 KiB three ways (bitwise and
 * table-driven CRC-32, FNV-1a), and multiplies two
 * 32x32 matrices, checking every result (sort order and key sum/XOR;
 * Freivalds' test for the product).
 */
#ifndef WORKLOADS_COMPUTE_CORE_H
#define WORKLOADS_COMPUTE_CORE_H

#include <stdint.h>

#define NKEYS 1024
#define NBYTES 4096
#define MAT 32

struct compute_work {
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
static int sort_round(struct compute_work *w, uint32_t *seed, uint32_t *out)
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

/* CRC-32 again, four bits at a time from a table: a second
 * implementation that the bitwise one is checked against. */
static uint32_t crc32_nibble(const uint8_t *p, uint32_t n)
{
	static const uint32_t nibble[16] = {
		0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac,
		0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
		0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
		0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
	};
	uint32_t crc = ~0u;

	while (n--) {
		crc ^= *p++;
		crc = (crc >> 4) ^ nibble[crc & 15];
		crc = (crc >> 4) ^ nibble[crc & 15];
	}
	return ~crc;
}

static int hash_round(struct compute_work *w, uint32_t *seed, uint32_t *crc, uint32_t *fnv)
{
	uint32_t i;

	for (i = 0; i < NBYTES; i++)
		w->bytes[i] = (uint8_t)(lcg(seed) >> 24);
	*crc = crc32_bitwise(w->bytes, NBYTES);
	*fnv = fnv1a(w->bytes, NBYTES);
	return *crc != crc32_nibble(w->bytes, NBYTES);
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

static int matmul_round(struct compute_work *w, uint32_t *seed, uint32_t *out)
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
	for (i = 0; i < MAT; i++)
		if (w->abr[i] != w->cr[i])
			return 1;
	return 0;
}

/*
 * Runs rounds rounds; out[] gets the sort, CRC-32, FNV-1a and matrix
 * checksums. Returns the number of failed checks.
 */
static inline uint32_t compute_run(struct compute_work *w, uint32_t rounds, uint32_t out[4])
{
	uint32_t k, seed, v, crc, fnv, bad = 0;

	out[0] = out[1] = out[2] = out[3] = 0;
	for (k = 0; k < rounds; k++) {
		seed = k * 0x9e3779b9u + 1;
		bad += sort_round(w, &seed, &v);
		out[0] = out[0] * 31 + v;
		bad += hash_round(w, &seed, &crc, &fnv);
		out[1] = out[1] * 31 + crc;
		out[2] = out[2] * 31 + fnv;
		bad += matmul_round(w, &seed, &v);
		out[3] = out[3] * 31 + v;
	}
	return bad;
}

#endif
