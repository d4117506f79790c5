/*
 * Nested paging (AMD's Nested Page Tables, Intel's EPT; the lecture's
 * "AMD's Nested Page Tables"): the guest keeps its own page tables and
 * its own CR3, which the hardware walks, and the monitor keeps a second
 * table from guest-physical to machine addresses that the hardware walks
 * for every guest-physical address, those of the guest's page-table
 * entries included (core/cpu/mem.c). Nothing about the guest's tables is
 * shadowed, traced or synchronized: CR3 loads, INVLPG and page-table
 * writes never exit. The price moves to TLB misses: a cold walk of the
 * guest's 2-level table over this 2-level nested table reads
 * (2+1)(2+1)-1 = 8 entries instead of 2 (Bhargava et al., ASPLOS 2008).
 *
 * The nested table is built lazily, as KVM builds its EPT: a guest page's
 * first touch is a nested fault (exit EPT_VIOLATION) that maps it, one
 * 4 KiB page at a time (so the TLB holds 4 KiB translations even of the
 * guest's 4 MiB pages). Guest RAM sits at its own guest-physical address
 * in machine memory; the table maps nothing else, so neither monitor
 * memory nor another guest's can be reached. Device memory is never
 * mapped: each access to it faults and is emulated (exit MMIO) through the
 * same device models.
 * Not modelled: the nested table's own accessed/dirty bits, large nested
 * pages, page-walk caches.
 */
#include <stdlib.h>
#include <string.h>

#include "core/cpu/emu.h"
#include "core/mon/model.h"
#include "core/mon/vm.h"
#include "strategies/nested/nested.h"

#define NPT_PTS (VM_MAX_MIB / 4)		/* one table per 4 MiB of guest RAM */
#define NPT_BYTES ((1u + NPT_PTS) * PAGE_SIZE)

struct nested {
	uint32_t root;			/* machine address of the nested directory */
	uint32_t next;			/* next free table page */
};

static uint32_t *npt_page(struct vm *vm, uint32_t ma)
{
	return (uint32_t *)(vm->phys.ram + ma);
}

static enum npt_result on_npt_fault(void *monitor, struct cpu *c, uint32_t gpa, bool write)
{
	struct vm *vm = monitor;
	struct nested *n = vm->mmu_priv;
	uint32_t *pd = npt_page(vm, n->root);

	(void)c;
	if (gpa >= vm->phys.guest_size) {
		exit_account(vm, EXIT_MMIO, 0, "gpa=%#x %s", gpa, write ? "write" : "read");
		return NPT_DEVICE;
	}
	unsigned pde = gpa >> 22, pte = (gpa >> 12) & 1023;
	if (!(pd[pde] & PTE_P)) {
		memset(npt_page(vm, n->next), 0, PAGE_SIZE);
		pd[pde] = n->next | PTE_P | PTE_RW | PTE_US;
		n->next += PAGE_SIZE;
	}
	npt_page(vm, pd[pde] & PAGE_MASK)[pte] = (gpa & PAGE_MASK) | PTE_P | PTE_RW | PTE_US;
	exit_account(vm, EXIT_EPT_VIOLATION, 0, "gpa=%#x", gpa);
	return NPT_RETRY;
}

static int np_attach(struct vm *vm, char *err, size_t errlen)
{
	struct nested *n = calloc(1, sizeof(*n));

	if (!n) {
		snprintf(err, errlen, "out of memory for the nested MMU");
		return -1;
	}
	if (!vm->cpu->hooks.monitor) {
		free(n);
		snprintf(err, errlen, "nested paging needs a hardware-assisted CPU strategy");
		return -1;
	}
	n->root = vm->mon_mmu_base;
	n->next = n->root + PAGE_SIZE;
	memset(npt_page(vm, n->root), 0, PAGE_SIZE);
	vm->mmu_priv = n;
	vm->cpu->hooks.npt_fault = on_npt_fault;
	cpu_set_nested(vm->cpu, true, n->root, vm->phys.guest_size);
	return 0;
}

static void np_detach(struct vm *vm)
{
	free(vm->mmu_priv);
	vm->mmu_priv = NULL;
}

bool nested_maps_only_guest_ram(struct vm *vm)
{
	const struct nested *n = vm->mmu_priv;
	const uint32_t *pd = npt_page(vm, n->root);

	for (unsigned i = 0; i < 1024; i++) {
		if (!(pd[i] & PTE_P))
			continue;
		uint32_t t = pd[i] & PAGE_MASK;
		if (t <= n->root || t >= n->next || (pd[i] & PTE_PS))
			return false;
		const uint32_t *pt = npt_page(vm, t);
		for (unsigned k = 0; k < 1024; k++)
			if ((pt[k] & PTE_P) && (pt[k] & PAGE_MASK) != (i << 22 | k << 12))
				return false;
		if (i << 22 >= vm->phys.guest_size)
			return false;
	}
	return true;
}

const struct mmu_virt_ops nested_mmu = {
	.name = "nested",
	.monitor_bytes = NPT_BYTES,
	.attach = np_attach,
	.detach = np_detach,
};
