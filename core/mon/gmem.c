/* Guest memory for monitors; see gmem.h. */
#include "core/mon/gmem.h"

#include <string.h>

#include "core/mmu/walk.h"
#include "core/mon/vm.h"

bool gphys_read32(struct vm *vm, uint32_t gpa, uint32_t *v)
{
	if (gpa > vm->phys.guest_size - 4)
		return false;
	memcpy(v, vm->phys.ram + gpa, 4);
	return true;
}

void gphys_write32(struct vm *vm, uint32_t gpa, uint32_t v)
{
	if (gpa > vm->phys.guest_size - 4)
		return;
	memcpy(vm->phys.ram + gpa, &v, 4);
}

static bool pt_read(void *opaque, uint32_t pa, uint32_t *val)
{
	return gphys_read32(opaque, pa, val);
}

/* A/D updates the walker makes on the guest's own tables: guest memory
 * written by "hardware", so code on that page is dropped like any write. */
static void pt_set_bits(void *opaque, uint32_t pa, uint32_t bits)
{
	struct vm *vm = opaque;
	uint32_t v;

	if (gphys_read32(vm, pa, &v))
		gphys_write32(vm, pa, v | bits);
}

bool guest_walk(struct vm *vm, uint32_t cr0, uint32_t cr3, uint32_t cr4, uint32_t lin,
		bool write, bool user, bool set_ad, uint32_t *gpa, uint8_t *flags,
		unsigned *shift, uint32_t *pf_err)
{
	if (!(cr0 & CR0_PG)) {
		*gpa = lin;
		*flags = TLBF_RW | TLBF_US | TLBF_D;
		*shift = 12;
		return true;
	}
	struct pt_access pt = { .read = pt_read, .set_bits = pt_set_bits, .opaque = vm };
	struct walk_mode m = { .cr3 = cr3, .pse = cr4 & CR4_PSE, .pge = cr4 & CR4_PGE,
			       .wp = cr0 & CR0_WP, .set_ad = set_ad };
	struct walk w;
	unsigned acc = (write ? ACC_W : 0) | (user ? ACC_U : 0);

	if (!walk32(&pt, &m, lin, acc, &w)) {
		*pf_err = w.err;
		return false;
	}
	*gpa = w.pa;
	*flags = w.flags;
	*shift = w.shift;
	return true;
}

static bool translate(struct vm *vm, uint32_t lin, bool write, bool user, uint32_t *gpa,
		      struct gfault *f)
{
	const struct mmu_virt_ops *mmu = vm->strat ? vm->strat->mmu : NULL;
	uint32_t err = 0;

	if (mmu && mmu->guest_translate) {
		if (mmu->guest_translate(vm, lin, write, user, gpa, &err))
			return true;
	} else {
		uint8_t fl;
		unsigned sh;
		struct cpu *c = vm->cpu;
		if (guest_walk(vm, c->cr0, c->cr3, c->cr4, lin, write, user, true, gpa, &fl, &sh,
			       &err))
			return true;
	}
	f->lin = lin;
	f->err = err;
	return false;
}

static bool access(struct vm *vm, uint32_t lin, void *buf, unsigned len, bool user,
		   struct gfault *f, bool write)
{
	const struct mmu_virt_ops *mmu = vm->strat ? vm->strat->mmu : NULL;
	uint8_t *p = buf;

	/* A store that faults on a later page writes nothing, as the CPU's
	 * (faults are restartable, SDM vol. 3 6.5): every page first. */
	for (uint32_t l = lin, n = len, gpa; write && n;) {
		unsigned chunk = PAGE_SIZE - (l & 0xfff);
		if (chunk > n)
			chunk = n;
		if (!translate(vm, l, true, user, &gpa, f))
			return false;
		l += chunk;
		n -= chunk;
	}
	while (len) {
		unsigned chunk = PAGE_SIZE - (lin & 0xfff);
		uint32_t gpa;
		if (chunk > len)
			chunk = len;
		if (!translate(vm, lin, write, user, &gpa, f))
			return false;
		bool ram = phys_guest_range(&vm->phys, gpa, chunk);
		if (write) {
			if (ram) {
				phys_dma_write(&vm->phys, gpa, p, chunk);
				if (mmu && mmu->wrote)
					mmu->wrote(vm, gpa, chunk);
			}
		} else if (ram) {
			memcpy(p, vm->phys.ram + gpa, chunk);
		} else {
			memset(p, 0xff, chunk);
		}
		p += chunk;
		lin += chunk;
		len -= chunk;
	}
	return true;
}

bool gmem_read(struct vm *vm, uint32_t lin, void *buf, unsigned len, bool user,
	       struct gfault *f)
{
	return access(vm, lin, buf, len, user, f, false);
}

bool gmem_write(struct vm *vm, uint32_t lin, const void *buf, unsigned len, bool user,
		struct gfault *f)
{
	return access(vm, lin, (void *)buf, len, user, f, true);
}
