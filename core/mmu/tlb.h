/*
 * The modeled TLB: set-associative, one structure per page size, FIFO
 * replacement within a set. FIFO is chosen over LRU on purpose: with it the
 * contents of the TLB depend only on the sequence of misses, so the CPU's
 * host-speed software TLB can serve hits without telling the model, and the
 * modeled hit/miss counts stay exact (SDM vol. 3A 4.10 leaves replacement to
 * the implementation). Entries cache the effective permissions of the walk:
 * U/S and R/W are the AND over the paging-structure entries, D and G come
 * from the entry that maps the page.
 */
#ifndef VMM_MMU_TLB_H
#define VMM_MMU_TLB_H

#include <stdbool.h>
#include <stdint.h>

#define TLBF_RW 0x02u
#define TLBF_US 0x04u
#define TLBF_D 0x40u
#define TLBF_G 0x80u
/* A 4 KiB piece of a 4 MiB guest page, cached under nested paging. */
#define TLBF_LARGE 0x01u

struct tlb_entry {
	uint32_t vpn;		/* linear address >> shift */
	uint32_t pfn;		/* physical address >> shift */
	uint8_t flags;
	bool valid;
};

struct tlb_model {
	unsigned sets, ways, shift;
	struct tlb_entry *e;	/* sets * ways */
	uint8_t *victim;	/* FIFO position per set */
	/* Told about every entry that leaves the TLB (evicted or flushed). */
	void (*evicted)(void *opaque, const struct tlb_entry *e, unsigned shift);
	void *opaque;
};

/* entries == 0 gives a TLB that never holds anything. -1 on bad geometry. */
int tlb_model_init(struct tlb_model *t, unsigned entries, unsigned ways, unsigned shift);
void tlb_model_free(struct tlb_model *t);

struct tlb_entry *tlb_lookup(struct tlb_model *t, uint32_t lin);
void tlb_insert(struct tlb_model *t, uint32_t lin, uint32_t pa, uint8_t flags);
void tlb_invalidate(struct tlb_model *t, uint32_t lin);
/* Drops every TLBF_LARGE entry inside the 4 MiB region holding lin. */
void tlb_invalidate_large(struct tlb_model *t, uint32_t lin);
void tlb_flush(struct tlb_model *t, bool keep_global);
#endif
