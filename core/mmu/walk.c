/* 32-bit paging walker; see walk.h. */
#include "core/mmu/walk.h"

#include "core/cpu/x86.h"
#include "core/mmu/phys.h"
#include "core/mmu/tlb.h"

bool walk_allows(uint8_t flags, unsigned acc, bool wp)
{
	if (acc & ACC_U) {
		if (!(flags & TLBF_US))
			return false;
		return !(acc & ACC_W) || (flags & TLBF_RW);
	}
	/* Supervisor: writes to read-only pages fault only with CR0.WP. */
	return !(acc & ACC_W) || (flags & TLBF_RW) || !wp;
}

static uint32_t fault_err(unsigned acc, bool present)
{
	/* P6 has no NX, so the I/D bit (4) is never set. */
	return (present ? PF_ERR_P : 0) | (acc & ACC_W ? PF_ERR_W : 0) |
	       (acc & ACC_U ? PF_ERR_U : 0);
}

bool walk32(struct pt_access *pt, const struct walk_mode *m, uint32_t lin,
	    unsigned acc, struct walk *w)
{
	uint32_t pde_pa = (m->cr3 & PAGE_MASK_4K) | ((lin >> 22) << 2);
	uint32_t pde, pte, pte_pa;

	pt->refs++;
	if (!pt->read(pt->opaque, pde_pa, &pde) || !(pde & PTE_P)) {
		w->err = fault_err(acc, false);
		return false;
	}
	if ((pde & PTE_PS) && m->pse) {
		if (pde & PDE_4M_RSVD) {
			w->err = fault_err(acc, true) | PF_ERR_RSVD;
			return false;
		}
		w->flags = (uint8_t)(pde & (PTE_RW | PTE_US | PTE_D)) |
			   (m->pge && (pde & PTE_G) ? TLBF_G : 0);
		if (!walk_allows(w->flags, acc, m->wp)) {
			w->err = fault_err(acc, true);
			return false;
		}
		uint32_t ad = PTE_A | (acc & ACC_W ? PTE_D : 0);
		if (m->set_ad && (pde & ad) != ad)
			pt->set_bits(pt->opaque, pde_pa, ad);
		if (acc & ACC_W)
			w->flags |= TLBF_D;
		w->shift = 22;
		w->page_pa = pde & 0xffc00000u;
		w->pa = w->page_pa | (lin & 0x3fffffu);
		return true;
	}

	pte_pa = (pde & PAGE_MASK_4K) | (((lin >> 12) & 0x3ff) << 2);
	pt->refs++;
	if (!pt->read(pt->opaque, pte_pa, &pte) || !(pte & PTE_P)) {
		w->err = fault_err(acc, false);
		return false;
	}
	w->flags = (uint8_t)((pde & pte & (PTE_RW | PTE_US)) | (pte & PTE_D)) |
		   (m->pge && (pte & PTE_G) ? TLBF_G : 0);
	if (!walk_allows(w->flags, acc, m->wp)) {
		w->err = fault_err(acc, true);
		return false;
	}
	if (m->set_ad) {
		if (!(pde & PTE_A))
			pt->set_bits(pt->opaque, pde_pa, PTE_A);
		uint32_t ad = PTE_A | (acc & ACC_W ? PTE_D : 0);
		if ((pte & ad) != ad)
			pt->set_bits(pt->opaque, pte_pa, ad);
	}
	if (acc & ACC_W)
		w->flags |= TLBF_D;
	w->shift = 12;
	w->page_pa = pte & PAGE_MASK_4K;
	w->pa = w->page_pa | (lin & 0xfffu);
	return true;
}
