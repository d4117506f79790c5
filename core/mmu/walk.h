/*
 * The 32-bit paging walker (SDM vol. 3A 4.3, 4.6 access rights, 4.7 page-
 * fault error codes, 4.8 accessed and dirty flags): 4 KiB pages through a
 * page table, 4 MiB pages when CR4.PSE and PDE.PS are set; no PAE.
 *
 * The walker reaches paging-structure entries only through struct
 * pt_access, so the same walker serves the CPU (entries in machine memory),
 * a monitor's shadow or nested MMU (each guest-table reference translated
 * through a second walk first), and debugging (no side effects).
 */
#ifndef VMM_MMU_WALK_H
#define VMM_MMU_WALK_H

#include <stdbool.h>
#include <stdint.h>

/* Access kinds */
#define ACC_W 0x1u	/* write */
#define ACC_U 0x2u	/* user-mode access (CPL 3, not an implicit system access) */
#define ACC_X 0x4u	/* instruction fetch */

struct pt_access {
	/* Reads the 32-bit entry at physical address pa; false if none. */
	bool (*read)(void *opaque, uint32_t pa, uint32_t *val);
	/* ORs bits into the entry at pa (accessed and dirty flags). */
	void (*set_bits)(void *opaque, uint32_t pa, uint32_t bits);
	void *opaque;
	uint64_t refs;		/* entry reads made, for the counters */
};

struct walk {
	uint32_t pa;		/* translated address */
	uint32_t page_pa;	/* physical base of the page */
	unsigned shift;		/* 12 or 22 */
	uint8_t flags;		/* TLBF_* effective rights of the translation */
	uint32_t err;		/* #PF error code when the walk faults */
};

struct walk_mode {
	uint32_t cr3;
	bool pse;		/* CR4.PSE */
	bool pge;		/* CR4.PGE: honour G */
	bool wp;		/* CR0.WP */
	bool set_ad;		/* update accessed/dirty flags */
};

/*
 * Walks for an access of kind acc (ACC_*). Returns true with *w filled, or
 * false with w->err holding the page-fault error code. Accessed and dirty
 * flags are set only when the access is allowed, as on the P6 family.
 */
bool walk32(struct pt_access *pt, const struct walk_mode *m, uint32_t lin,
	    unsigned acc, struct walk *w);

/* Whether cached rights allow an access (the TLB-hit check). */
bool walk_allows(uint8_t flags, unsigned acc, bool wp);

#endif
