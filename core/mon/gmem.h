/*
 * Guest memory as a monitor sees it: guest-linear accesses translated by
 * the guest's own page tables (through the MMU strategy), guest-physical
 * accesses bounded by guest RAM. Nothing here goes through the physical
 * CPU, so a monitor can read and write the guest inside its exit handlers
 * and get a fault back as a value (to reflect), never an unwind.
 */
#ifndef VMM_MON_GMEM_H
#define VMM_MON_GMEM_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

struct gfault {
	uint32_t lin;		/* CR2 the guest must see */
	uint32_t err;		/* #PF error code */
};

/* Guest-linear access of len bytes (may cross pages); false: *f says the
 * #PF the guest would take. Outside guest RAM reads 0xff, ignores writes. */
bool gmem_read(struct vm *vm, uint32_t lin, void *buf, unsigned len, bool user,
	       struct gfault *f);
bool gmem_write(struct vm *vm, uint32_t lin, const void *buf, unsigned len, bool user,
		struct gfault *f);

/* Guest-physical 32-bit access (page-table walks); false outside RAM. */
bool gphys_read32(struct vm *vm, uint32_t gpa, uint32_t *v);
void gphys_write32(struct vm *vm, uint32_t gpa, uint32_t v);

/* The walker over the guest's 32-bit page tables, with the guest's
 * CR0/CR3/CR4 (the virtual ones under a monitor). */
bool guest_walk(struct vm *vm, uint32_t cr0, uint32_t cr3, uint32_t cr4, uint32_t lin,
		bool write, bool user, bool set_ad, uint32_t *gpa, uint8_t *flags,
		unsigned *shift, uint32_t *pf_err);

#endif
