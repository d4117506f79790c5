/* Machine memory; see phys.h. */
#include "core/mmu/phys.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

int phys_init(struct phys *p, uint32_t guest_size, uint32_t monitor_size,
	      char *err, size_t errlen)
{
	uint64_t total = (uint64_t)guest_size + monitor_size;

	memset(p, 0, sizeof(*p));
	if (total == 0 || total > 0xfe000000ull) {
		snprintf(err, errlen, "machine memory of %llu bytes does not fit below the MMIO hole",
			 (unsigned long long)total);
		return -1;
	}
	void *m = mmap(NULL, total, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED) {
		snprintf(err, errlen, "cannot map %llu MiB of machine memory",
			 (unsigned long long)(total >> 20));
		return -1;
	}
	/* Guests touch all of their RAM early (page allocators, zeroing): huge
	 * pages turn thousands of host page faults into a few dozen. Only a
	 * hint; without transparent huge pages nothing changes. */
	madvise(m, total, MADV_HUGEPAGE);
	p->ram = m;
	p->size = (uint32_t)total;
	p->guest_size = guest_size;
	return 0;
}

void phys_free(struct phys *p)
{
	if (p->ram)
		munmap(p->ram, p->size);
	p->ram = NULL;
}

int phys_dma_read(struct phys *p, uint32_t pa, void *buf, uint32_t len)
{
	if (!phys_guest_range(p, pa, len))
		return -1;
	memcpy(buf, p->ram + pa, len);
	return 0;
}

int phys_dma_write(struct phys *p, uint32_t pa, const void *buf, uint32_t len)
{
	if (!phys_guest_range(p, pa, len))
		return -1;
	memcpy(p->ram + pa, buf, len);
	if (p->written)
		p->written(p->written_opaque, pa, len);
	return 0;
}
