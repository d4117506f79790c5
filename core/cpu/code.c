/* The decoded-code cache; see code.h. */
#include "core/cpu/code.h"

#include <stdlib.h>

#include "core/cpu/exec.h"

#define HASH_BITS 16

static unsigned hash_of(uint32_t pa, uint8_t mode)
{
	return ((pa ^ mode) * 2654435761u) >> (32 - HASH_BITS);
}

static unsigned fast_of(uint32_t pa)
{
	return (pa ^ (pa >> 12)) & 4095;
}

struct code_cache *code_cache_new(uint32_t ram_size, size_t arena_bytes)
{
	struct code_cache *cc = calloc(1, sizeof(*cc));

	if (!cc)
		return NULL;
	cc->npages = ram_size >> PAGE_SHIFT;
	cc->cap = arena_bytes;
	cc->arena = malloc(arena_bytes);
	cc->hash_mask = (1u << HASH_BITS) - 1;
	cc->hash = calloc(1u << HASH_BITS, sizeof(*cc->hash));
	cc->page_head = calloc(cc->npages, sizeof(*cc->page_head));
	cc->has_code = calloc((cc->npages + 7) / 8, 1);
	if (!cc->arena || !cc->hash || !cc->page_head || !cc->has_code) {
		code_cache_free(cc);
		return NULL;
	}
	return cc;
}

void code_cache_free(struct code_cache *cc)
{
	if (!cc)
		return;
	free(cc->arena);
	free(cc->hash);
	free(cc->page_head);
	free(cc->has_code);
	free(cc);
}

void code_flush(struct cpu *c)
{
	struct code_cache *cc = c->cc;

	c->ctr.code_flushes++;
	cc->used = 0;
	memset(cc->hash, 0, (cc->hash_mask + 1) * sizeof(*cc->hash));
	memset(cc->page_head, 0, cc->npages * sizeof(*cc->page_head));
	memset(cc->has_code, 0, (cc->npages + 7) / 8);
	memset(cc->fast, 0, sizeof(cc->fast));
	/* Pages lost their code mark: they may be written fast again, but the
	 * soft TLB only learns that on its next refill, which is harmless. */
}

static void unhash(struct code_cache *cc, struct block *b)
{
	struct block **p = &cc->hash[hash_of(b->phys, b->mode)];

	while (*p && *p != b)
		p = &(*p)->hash_next;
	if (*p)
		*p = b->hash_next;
	if (cc->fast[fast_of(b->phys)] == b)
		cc->fast[fast_of(b->phys)] = NULL;
}

void code_invalidate_page(struct cpu *c, uint32_t pa)
{
	struct code_cache *cc = c->cc;
	uint32_t pg = pa >> PAGE_SHIFT;

	if (pg >= cc->npages)
		return;
	for (struct block *b = cc->page_head[pg]; b; b = b->page_next) {
		b->valid = false;
		unhash(cc, b);
		/* A store into the running block: the rest of it is stale. */
		if (c->blk_start == b->insns)
			cpu_end_block(c);
	}
	cc->page_head[pg] = NULL;
	cc->has_code[pg >> 3] &= (uint8_t)~(1u << (pg & 7));
	c->ctr.smc_invalidations++;
}

void code_invalidate_range(struct cpu *c, uint32_t pa, uint32_t len)
{
	if (!len)
		return;
	for (uint32_t pg = pa >> PAGE_SHIFT; pg <= (pa + len - 1) >> PAGE_SHIFT; pg++)
		if (code_page_has_code(c->cc, pg << PAGE_SHIFT))
			code_invalidate_page(c, pg << PAGE_SHIFT);
}

static struct block *block_alloc(struct cpu *c, unsigned ninsn)
{
	struct code_cache *cc = c->cc;
	size_t need = sizeof(struct block) + ninsn * sizeof(struct insn);

	if (cc->used + need > cc->cap)
		code_flush(c);
	struct block *b = (struct block *)(cc->arena + cc->used);
	return b;
}

/*
 * An instruction that straddles two pages is decoded from a private copy
 * of its bytes every time it runs (rare), never cached: the second page's
 * mapping may change under it.
 */
static struct block *decode_straddling(struct cpu *c, uint32_t lin, uint32_t pa, uint8_t mode)
{
	static _Thread_local struct {
		struct block b;
		struct insn i;
	} tmp;
	uint8_t buf[16];
	unsigned first = PAGE_SIZE - (pa & 0xfff);
	uint32_t pa2 = mmu_translate(c, (lin | 0xfff) + 1, ACC_X | acc_user(c));

	memcpy(buf, c->phys->ram + pa, first);
	for (unsigned k = first; k < sizeof(buf); k++)
		buf[k] = pa2 + (k - first) < c->phys->size ? c->phys->ram[pa2 + k - first] : 0xff;
	decode_one(c, &tmp.i, buf, sizeof(buf), mode);
	tmp.b = (struct block){ .phys = pa, .bytes = tmp.i.len, .mode = mode, .valid = true,
				.n = 1 };
	return &tmp.b;	/* not cached: never linked */
}

struct block *code_lookup(struct cpu *c, uint32_t lin, uint32_t pa, uint8_t mode)
{
	struct code_cache *cc = c->cc;
	struct block *b = cc->fast[fast_of(pa)];

	if (b && b->phys == pa && b->mode == mode)
		return b;
	for (b = cc->hash[hash_of(pa, mode)]; b; b = b->hash_next)
		if (b->phys == pa && b->mode == mode) {
			cc->fast[fast_of(pa)] = b;
			return b;
		}

	if (pa >= c->phys->size) {
		/* Executing outside RAM: fetches read all-ones, as the bus does. */
		static const uint8_t ones[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
						  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
		static _Thread_local struct {
			struct block b;
			struct insn i;
		} tmp;
		decode_one(c, &tmp.i, ones, sizeof(ones), mode);
		tmp.b = (struct block){ .phys = pa, .mode = mode, .valid = true, .n = 1 };
		return &tmp.b;
	}

	b = block_alloc(c, BLOCK_MAX);
	unsigned avail = PAGE_SIZE - (pa & 0xfff);
	bool more;
	uint32_t bytes;
	unsigned n = decode_block(c, b->insns, BLOCK_MAX, c->phys->ram + pa, avail, mode, &more,
				  &bytes);
	if (n == 0)
		return decode_straddling(c, lin, pa, mode);

	uint32_t pg = pa >> PAGE_SHIFT;
	b->phys = pa;
	b->bytes = bytes;
	b->mode = mode;
	b->valid = true;
	b->cached = true;
	b->n = (uint16_t)n;
	b->link[0] = b->link[1] = NULL;
	cc->used += (sizeof(struct block) + n * sizeof(struct insn) + 7) & ~(size_t)7;
	b->hash_next = cc->hash[hash_of(pa, mode)];
	cc->hash[hash_of(pa, mode)] = b;
	b->page_next = cc->page_head[pg];
	cc->page_head[pg] = b;
	cc->fast[fast_of(pa)] = b;
	if (!code_page_has_code(cc, pa)) {
		cc->has_code[pg >> 3] |= (uint8_t)(1u << (pg & 7));
		/* Writes to this page must now come through the slow path. */
		for (int t = 0; t < 2; t++)
			for (unsigned k = 0; k < STLB_SIZE; k++)
				if (c->stlb_tab[t][k].ppage == pg)
					c->stlb_tab[t][k].tag_w = 1;
	}
	c->ctr.blocks_decoded++;
	if (c->hooks.block_decoded)
		c->hooks.block_decoded(c->hooks.monitor, c, pa, n);
	return b;
}
