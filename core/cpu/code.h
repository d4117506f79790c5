/*
 * The decoded-code cache: blocks of pre-decoded instructions keyed by the
 * physical address (and CS.D) they were decoded from. Blocks live in one
 * arena that is emptied when full; a physical page that holds blocks is
 * marked in a bitmap so that writes to it (by the CPU, by DMA, by the
 * walker's A/D updates) drop them.
 */
#ifndef VMM_CPU_CODE_H
#define VMM_CPU_CODE_H

#include "core/cpu/insn.h"

struct code_cache {
	uint8_t *arena;
	size_t used, cap;
	struct block **hash;		/* by phys address */
	unsigned hash_mask;
	struct block **page_head;	/* blocks of each RAM page */
	uint8_t *has_code;		/* bitmap over RAM pages */
	uint32_t npages;
	struct block *fast[4096];	/* direct-mapped front of the hash */
};

struct code_cache *code_cache_new(uint32_t ram_size, size_t arena_bytes);
void code_cache_free(struct code_cache *cc);

static inline bool code_page_has_code(const struct code_cache *cc, uint32_t pa)
{
	uint32_t pg = pa >> PAGE_SHIFT;
	return pg < cc->npages && (cc->has_code[pg >> 3] >> (pg & 7) & 1);
}

/* Drops every block decoded from the page holding pa. */
void code_invalidate_page(struct cpu *c, uint32_t pa);
/* Drops blocks on every page in [pa, pa + len) (DMA, loader). */
void code_invalidate_range(struct cpu *c, uint32_t pa, uint32_t len);
/* Drops everything. */
void code_flush(struct cpu *c);

/* The block starting at physical address pa with mode, decoding it from
 * linear address lin if needed. May fault (instruction fetch). */
struct block *code_lookup(struct cpu *c, uint32_t lin, uint32_t pa, uint8_t mode);

/* Decoder (decode.c): fills at most max instructions from the bytes at
 * host pointer code (avail bytes valid), linear address lin. Returns the
 * number decoded; stops at a terminator. *need_more is set when the next
 * instruction runs past avail (it straddles a page). */
unsigned decode_block(struct cpu *c, struct insn *out, unsigned max, const uint8_t *code,
		      unsigned avail, uint8_t mode, bool *need_more, uint32_t *bytes);
/* Decodes exactly one instruction from buf (a straddling instruction). */
bool decode_one(struct cpu *c, struct insn *out, const uint8_t *buf, unsigned avail,
		uint8_t mode);
void decode_init(void);

/* mem.c */
uint32_t mmu_translate(struct cpu *c, uint32_t lin, unsigned acc);
void mmu_flush(struct cpu *c, bool keep_global);
void mmu_invlpg(struct cpu *c, uint32_t lin);
void mem_init_tlbs(struct cpu *c);
void stlb_flush_all(struct cpu *c);

#endif
