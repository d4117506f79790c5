/*
 * Machine memory: one host mapping backs machine addresses [0, size).
 * The guest's RAM is [0, guest_size); above it a monitor may keep its own
 * memory (shadow page tables, shadow descriptor tables), which the guest
 * and its devices can never reach. Pages are committed by the host on first
 * touch, so resident size follows what the guest uses.
 *
 * Device DMA and the loader go through phys_dma_read/phys_dma_write, which
 * are bounded by guest RAM and tell the CPU about writes so that decoded
 * code on those pages is dropped (DMA over code is self-modifying code too).
 */
#ifndef VMM_MMU_PHYS_H
#define VMM_MMU_PHYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE 4096u
#define PAGE_MASK 0xfffff000u
#define PAGE_MASK_4K PAGE_MASK

struct phys {
	uint8_t *ram;
	uint32_t size;		/* machine RAM, guest RAM + monitor memory */
	uint32_t guest_size;	/* guest-physical RAM */
	/* Called after a DMA/loader write to [pa, pa+len); set by the CPU. */
	void (*written)(void *opaque, uint32_t pa, uint32_t len);
	void *written_opaque;
};

/* Maps guest_size + monitor_size bytes; -1 with a reason on failure. */
int phys_init(struct phys *p, uint32_t guest_size, uint32_t monitor_size,
	      char *err, size_t errlen);
void phys_free(struct phys *p);

static inline bool phys_guest_range(const struct phys *p, uint32_t pa, uint32_t len)
{
	return pa <= p->guest_size && len <= p->guest_size - pa;
}

/* DMA into guest RAM; -1 (nothing transferred) if the range leaves it. */
int phys_dma_read(struct phys *p, uint32_t pa, void *buf, uint32_t len);
int phys_dma_write(struct phys *p, uint32_t pa, const void *buf, uint32_t len);

#endif
