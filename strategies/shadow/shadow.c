/*
 * Shadow paging: the lecture's "trick: use the hardware MMU to simulate the
 * virtual MMU". The physical CPU walks shadow page tables that map guest
 * linear addresses straight to machine addresses; the monitor builds them
 * lazily from the guest's own tables and keeps them coherent.
 *
 * - Roots: one shadow page directory per guest CR3 value, kept in a cache
 *   of roots (LRU, size configurable); a CR3 write that finds its root is a
 *   root hit, one that must build a new root a miss. Paging off is one more
 *   root that maps guest-physical identity.
 * - Hidden faults: a physical #PF where the guest's tables do map the page
 *   is filled by the monitor (one shadow PTE, and its page table if new);
 *   where they do not, the fault is the guest's own and is reflected with
 *   the error code the guest's tables give.
 * - Accessed/dirty: the guest's A and D bits are set as a CPU would set
 *   them when the monitor walks for a fill; a page whose guest PTE is not
 *   yet dirty is mapped read-only, so the first write faults and sets D.
 * - Tracing: every guest page directory and page table that a shadow
 *   mirrors is write-protected in all shadows. A guest write to one faults;
 *   the monitor lets that instruction run one step with the page writable
 *   (MMU_PF_STEP), then compares the page with a snapshot and invalidates
 *   the shadow entries of the entries that changed (lazy resync: they are
 *   refilled by the next hidden fault).
 * - Write floods: a traced page written again and again with no hidden
 *   fault in between is being reused as data (a kernel zeroing or filling
 *   a freed page table). After --shadow-flood such writes in a row the
 *   monitor stops shadowing it: the shadow tables that mirror it are
 *   dropped and the page is mapped writable; if the guest uses it as a page
 *   table again, the next fill mirrors and traces it anew. (KVM's "write
 *   flooding" heuristic; never for the current root's directory or a page
 *   the CPU strategy traces.)
 * - Isolation: shadow entries only ever map guest RAM; the top page-
 *   directory slot maps the monitor's own window, supervisor-only, which
 *   the CPU strategy protects with segment limits.
 * - The guest's own last 4 MiB (a directory that maps itself in its last
 *   slot, say) are shadowed like any other 4 MiB, in a table the directory
 *   slot points to only while the CPU strategy lends the window to the
 *   guest for one instruction (lend_window); the TLB entries of whichever
 *   mapping leaves the slot are flushed.
 * - Device memory is never mapped, so every access to it faults and the
 *   CPU strategy emulates it; for an instruction it does not emulate, the
 *   device page (and only a page beyond all machine memory) is mapped for
 *   that one step (mmio_step), so the access reaches the device model.
 * - CR0.WP = 0: a supervisor write to a read-only guest page is mapped
 *   writable for the supervisor only (fill), so a later user access
 *   faults again and gets the page back read-only.
 * Not modelled: guest PAT/PCD bits.
 */
#include <stdlib.h>
#include <string.h>

#include "core/cpu/emu.h"
#include "core/mmu/tlb.h"
#include "core/mon/gmem.h"
#include "core/mon/model.h"
#include "core/mon/u32map.h"
#include "core/mon/vm.h"
#include "strategies/shadow/shadow.h"

#define NOPAGING 0xffffffffu
#define NONE 0xffffffffu
#define WINDOW_PDE 1023u
#define POOL_BYTES (16u << 20)

enum { PG_FREE, PG_PD, PG_PT };

struct sh_page {
	uint8_t kind;
	uint16_t root, pde;
	uint32_t src;		/* guest page number mirrored, or NONE */
};

struct sh_root {
	bool used;
	uint32_t gcr3;		/* guest page directory (physical), or NOPAGING */
	uint32_t pd;		/* pool index of the shadow directory */
	uint32_t pt[1024];	/* pool index of each shadow page table, 0: none */
	uint64_t stamp;
};

struct shadow {
	uint32_t base, npages;
	struct sh_page *pg;
	uint32_t *free;
	uint32_t nfree;
	struct sh_root *roots;
	unsigned nroots, cur;
	uint64_t clock;
	struct u32map mirrors;	/* guest page -> pool pages mirroring it; pool page 0
				   marks a page the CPU strategy traces */
	struct u32map rmap;	/* guest page -> writable shadow PTE slots (pool << 10 | i) */
	uint32_t mode;		/* guest CR0.PG/WP, CR4.PSE/PGE the shadows were built for */
	uint32_t last_lin, last_err, repeats;	/* the same hidden fault over and over */
	uint64_t last_insns;			/* ... with no instruction retired */
	uint32_t flood_gpfn;			/* traced page last written ... */
	unsigned flood_n;			/* ... this many times in a row */
	bool stepping;
	bool lent;				/* the current root's top slot is the guest's */
	uint32_t dev_slot;			/* shadow PTE mapping a device for a step, or NONE */
	uint32_t step_slot, step_gpfn;
	uint8_t snap[PAGE_SIZE];
};

static struct shadow *sh_of(struct vm *vm)
{
	return vm->mmu_priv;
}

static uint32_t *page_ptr(struct vm *vm, struct shadow *sh, uint32_t idx)
{
	return (uint32_t *)(vm->phys.ram + sh->base + idx * PAGE_SIZE);
}

static uint32_t page_ma(const struct shadow *sh, uint32_t idx)
{
	return sh->base + idx * PAGE_SIZE;
}

/* ---- pool ---- */

static uint32_t pool_alloc(struct vm *vm, struct shadow *sh, uint8_t kind, unsigned root,
			   unsigned pde, uint32_t src)
{
	if (!sh->nfree)
		return 0;
	uint32_t idx = sh->free[--sh->nfree];
	sh->pg[idx] = (struct sh_page){ .kind = kind, .root = (uint16_t)root,
					.pde = (uint16_t)pde, .src = src };
	memset(page_ptr(vm, sh, idx), 0, PAGE_SIZE);
	return idx;
}

static void pool_free(struct shadow *sh, uint32_t idx)
{
	if (sh->pg[idx].src != NONE)
		u32map_remove(&sh->mirrors, sh->pg[idx].src, idx);
	sh->pg[idx].kind = PG_FREE;
	sh->free[sh->nfree++] = idx;
}

/* ---- tracing ---- */

static bool traced(struct shadow *sh, uint32_t gpfn)
{
	return u32map_get(&sh->mirrors, gpfn) != NULL;
}

static bool current_root(const struct shadow *sh, unsigned root)
{
	return sh->roots[sh->cur].used && sh->cur == root;
}

/* Write-protects every writable shadow mapping of gpfn. */
static void write_protect(struct vm *vm, struct shadow *sh, uint32_t gpfn)
{
	struct u32list *l = u32map_get(&sh->rmap, gpfn);

	for (uint32_t k = 0; l && k < l->n; k++) {
		uint32_t idx = l->v[k] >> 10, i = l->v[k] & 1023;
		if (idx >= sh->npages || sh->pg[idx].kind != PG_PT)
			continue;
		uint32_t *pte = &page_ptr(vm, sh, idx)[i];
		if ((*pte & PTE_P) && (*pte >> PAGE_SHIFT) == gpfn && (*pte & PTE_RW)) {
			*pte &= ~PTE_RW;
			if (current_root(sh, sh->pg[idx].root))
				cpu_invlpg(vm->cpu, (uint32_t)sh->pg[idx].pde << 22 | i << 12);
		}
	}
	if (l)
		l->n = 0;
}

static void mirror(struct vm *vm, struct shadow *sh, uint32_t gpfn, uint32_t idx)
{
	if (gpfn == NONE)
		return;
	if (!traced(sh, gpfn))
		write_protect(vm, sh, gpfn);
	u32map_add(&sh->mirrors, gpfn, idx);
}

/* ---- roots ---- */

/* What the top directory slot of root r holds: the monitor's window, or,
 * while the current root lends it, the shadow of the guest's last 4 MiB. */
static uint32_t window_slot(struct vm *vm, const struct shadow *sh, const struct sh_root *r)
{
	if (!sh->lent || r != &sh->roots[sh->cur])
		return vm->window_pt | PTE_P | PTE_RW;
	return r->pt[WINDOW_PDE] ? page_ma(sh, r->pt[WINDOW_PDE]) | PTE_P | PTE_RW | PTE_US : 0;
}

static void drop_pt(struct vm *vm, struct shadow *sh, struct sh_root *r, unsigned pde)
{
	if (!r->pt[pde])
		return;
	pool_free(sh, r->pt[pde]);
	r->pt[pde] = 0;
	page_ptr(vm, sh, r->pd)[pde] = pde == WINDOW_PDE ? window_slot(vm, sh, r) : 0;
}

static void drop_root(struct vm *vm, struct shadow *sh, struct sh_root *r)
{
	if (!r->used)
		return;
	for (unsigned p = 0; p <= WINDOW_PDE; p++)
		drop_pt(vm, sh, r, p);
	pool_free(sh, r->pd);
	r->used = false;
	vm->ctr.shadow_flushes++;
}

static void drop_all(struct vm *vm, struct shadow *sh)
{
	for (unsigned k = 0; k < sh->nroots; k++)
		drop_root(vm, sh, &sh->roots[k]);
	u32map_clear(&sh->rmap);
}

static uint32_t guest_root_of(const struct vm *vm)
{
	return (vm->vcpu.cr0 & CR0_PG) ? vm->vcpu.cr3 & PAGE_MASK : NOPAGING;
}

static uint32_t mode_of(const struct vm *vm)
{
	return (vm->vcpu.cr0 & (CR0_PG | CR0_WP)) | (vm->vcpu.cr4 & (CR4_PSE | CR4_PGE));
}

/* Makes the root for the guest's current CR3 the physical one. */
static void switch_root(struct vm *vm, struct shadow *sh)
{
	uint32_t g = guest_root_of(vm);
	unsigned victim = 0;

	sh->clock++;
	for (unsigned k = 0; k < sh->nroots; k++) {
		struct sh_root *r = &sh->roots[k];
		if (r->used && r->gcr3 == g) {
			r->stamp = sh->clock;
			sh->cur = k;
			vm->ctr.shadow_root_hits++;
			vm->cyc_shadow += vm->cfg.cost ? vm->cfg.cost->shadow.root_hit : 0;
			cpu_write_cr3(vm->cpu, page_ma(sh, r->pd));
			return;
		}
		if (!r->used || (sh->roots[victim].used && r->stamp < sh->roots[victim].stamp))
			victim = k;
	}
	struct sh_root *r = &sh->roots[victim];
	drop_root(vm, sh, r);
	uint32_t pd = pool_alloc(vm, sh, PG_PD, victim, 0, g == NOPAGING ? NONE : g >> PAGE_SHIFT);
	if (!pd) {
		drop_all(vm, sh);
		pd = pool_alloc(vm, sh, PG_PD, victim, 0, g == NOPAGING ? NONE : g >> PAGE_SHIFT);
	}
	memset(r, 0, sizeof(*r));
	r->used = true;
	r->gcr3 = g;
	r->pd = pd;
	r->stamp = sh->clock;
	/* (The new root has no table for the guest's last 4 MiB yet.) */
	page_ptr(vm, sh, pd)[WINDOW_PDE] = sh->lent ? 0 : vm->window_pt | PTE_P | PTE_RW;
	mirror(vm, sh, sh->pg[pd].src, pd);
	sh->cur = victim;
	vm->ctr.shadow_root_misses++;
	vm->cyc_shadow += vm->cfg.cost ? vm->cfg.cost->shadow.root_miss : 0;
	cpu_write_cr3(vm->cpu, page_ma(sh, pd));
}

/* ---- the guest's view ---- */

static bool sh_guest_translate(struct vm *vm, uint32_t lin, bool write, bool user,
			       uint32_t *gpa, uint32_t *pf_err)
{
	uint8_t fl;
	unsigned shift;
	const struct vcpu *v = &vm->vcpu;

	return guest_walk(vm, v->cr0, v->cr3, v->cr4, lin, write, user, true, gpa, &fl, &shift,
			  pf_err);
}

/* Invalidates the shadow entries that mirror entry i of guest page gpfn. */
static unsigned invalidate_entry(struct vm *vm, struct shadow *sh, uint32_t gpfn, unsigned i)
{
	struct u32list *l = u32map_get(&sh->mirrors, gpfn);
	unsigned n = 0;

	for (uint32_t k = 0; l && k < l->n; k++) {
		uint32_t idx = l->v[k];
		struct sh_page *p = &sh->pg[idx];
		struct sh_root *r = &sh->roots[p->root];
		if (idx == 0) {
			if (vm->traced_write)
				vm->traced_write(vm, gpfn << PAGE_SHIFT | i << 2, 4);
		} else if (p->kind == PG_PT) {
			uint32_t *pte = &page_ptr(vm, sh, idx)[i];
			if (*pte) {
				*pte = 0;
				n++;
				if (current_root(sh, p->root))
					cpu_invlpg(vm->cpu, (uint32_t)p->pde << 22 | i << 12);
			}
		} else if (p->kind == PG_PD && r->pt[i]) {
			drop_pt(vm, sh, r, i);
			n++;
			if (current_root(sh, p->root))
				cpu_write_cr3(vm->cpu, vm->cpu->cr3);
			/* l may have moved if drop_pt removed a mirror of this page. */
			l = u32map_get(&sh->mirrors, gpfn);
		}
	}
	return n;
}

static void sh_wrote(struct vm *vm, uint32_t gpa, uint32_t len)
{
	struct shadow *sh = sh_of(vm);

	for (uint32_t a = gpa & ~3u; a < gpa + len; a += 4)
		if (traced(sh, a >> PAGE_SHIFT))
			vm->ctr.shadow_syncs += invalidate_entry(vm, sh, a >> PAGE_SHIFT,
								 (a & 0xfff) >> 2);
}

/* ---- hidden faults ---- */

/* The current root's shadow table for directory slot pde, made (empty) if
 * it has none; 0 when the pool ran out, which empties every root. */
static uint32_t table_for(struct vm *vm, struct shadow *sh, unsigned pde)
{
	struct sh_root *r = &sh->roots[sh->cur];
	const struct vcpu *v = &vm->vcpu;

	if (r->pt[pde])
		return r->pt[pde];
	/* The page table this shadow table mirrors: a 4 MiB guest page or
	 * paging off has none, they are synthesized from the PDE. */
	uint32_t gpde = 0, src = NONE;
	if ((v->cr0 & CR0_PG) && gphys_read32(vm, (v->cr3 & PAGE_MASK) + pde * 4, &gpde) &&
	    !((gpde & PTE_PS) && (v->cr4 & CR4_PSE)))
		src = gpde >> PAGE_SHIFT;
	uint32_t idx = pool_alloc(vm, sh, PG_PT, sh->cur, pde, src);
	if (!idx) {
		drop_all(vm, sh);
		switch_root(vm, sh);
		return 0;
	}
	r->pt[pde] = idx;
	page_ptr(vm, sh, r->pd)[pde] = page_ma(sh, idx) | PTE_P | PTE_RW | PTE_US;
	mirror(vm, sh, src, idx);
	vm->ctr.shadow_syncs++;
	return idx;
}

static enum mmu_pf fill(struct vm *vm, struct shadow *sh, uint32_t lin, bool write, bool user,
			uint32_t *guest_err)
{
	struct sh_root *r = &sh->roots[sh->cur];
	unsigned pde = lin >> 22, pti = (lin >> 12) & 1023;
	uint32_t gpa, err = 0;
	uint8_t fl;
	unsigned shift;
	const struct vcpu *v = &vm->vcpu;

	if (pde == WINDOW_PDE && !sh->lent) {
		cpu_request_stop(vm->cpu, CPU_STOP_UNSUPPORTED,
				 "a page fault in the monitor's window (the top 4 MiB) while the "
				 "guest did not hold it");
		return MMU_PF_HIDDEN;
	}
	if (!guest_walk(vm, v->cr0, v->cr3, v->cr4, lin, write, user, true, &gpa, &fl, &shift,
			&err)) {
		*guest_err = err;
		return MMU_PF_GUEST;
	}
	if (gpa >= vm->phys.guest_size)
		return MMU_PF_MMIO;

	if (!table_for(vm, sh, pde))
		return MMU_PF_HIDDEN;	/* retry: the fault comes back into an empty root */

	uint32_t gpfn = gpa >> PAGE_SHIFT;
	bool may_write = (fl & TLBF_RW) && (fl & TLBF_D);
	/* CR0.WP = 0: the guest kernel may write read-only pages. Map the page
	 * writable for the supervisor only; a user access then faults again and
	 * gets the page back read-only. (The walk set D for this write.) */
	if (write && !user && !(v->cr0 & CR0_WP) && !(fl & TLBF_RW)) {
		may_write = true;
		fl &= (uint8_t)~TLBF_US;
	}
	if (write && may_write && traced(sh, gpfn)) {
		/* A guest write to one of its own page tables. */
		uint32_t *pte = &page_ptr(vm, sh, r->pt[pde])[pti];
		*pte = (gpa & PAGE_MASK) | PTE_P | PTE_RW | ((fl & TLBF_US) ? PTE_US : 0);
		cpu_invlpg(vm->cpu, lin);
		memcpy(sh->snap, vm->phys.ram + (gpfn << PAGE_SHIFT), PAGE_SIZE);
		sh->stepping = true;
		sh->step_slot = r->pt[pde] << 10 | pti;
		sh->step_gpfn = gpfn;
		return MMU_PF_STEP;
	}
	uint32_t pte = (gpa & PAGE_MASK) | PTE_P | ((fl & TLBF_US) ? PTE_US : 0);
	if (may_write && !traced(sh, gpfn)) {
		pte |= PTE_RW;
		u32map_add(&sh->rmap, gpfn, r->pt[pde] << 10 | pti);
	}
	page_ptr(vm, sh, r->pt[pde])[pti] = pte;
	vm->ctr.shadow_syncs++;
	cpu_invlpg(vm->cpu, lin);
	return MMU_PF_HIDDEN;
}

static enum mmu_pf sh_page_fault(struct vm *vm, uint32_t lin, uint32_t err, uint32_t *guest_err)
{
	struct shadow *sh = sh_of(vm);

	/* A fill that does not let the instruction proceed would loop for
	 * ever: stop with a message instead of hanging. */
	if (lin == sh->last_lin && err == sh->last_err && vm->cpu->insns == sh->last_insns) {
		if (++sh->repeats > 64) {
			char msg[128];
			snprintf(msg, sizeof(msg),
				 "shadow MMU made no progress on the fault at %#x (error %#x)", lin, err);
			cpu_request_stop(vm->cpu, CPU_STOP_UNSUPPORTED, msg);
			return MMU_PF_HIDDEN;
		}
	} else {
		sh->last_lin = lin;
		sh->last_err = err;
		sh->last_insns = vm->cpu->insns;
		sh->repeats = 0;
	}
	enum mmu_pf rc = fill(vm, sh, lin, err & PF_ERR_W, err & PF_ERR_U, guest_err);

	if (rc != MMU_PF_STEP)
		sh->flood_n = 0;	/* the guest went on to other work */
	if (rc == MMU_PF_HIDDEN) {
		vm->ctr.hidden_faults++;
		exit_account(vm, EXIT_SHADOW_HIDDEN_PF,
			     vm->cfg.cost ? vm->cfg.cost->shadow.hidden_fault +
						    vm->cfg.cost->shadow.sync_entry : 0,
			     "lin=%#x error=%#x", lin, err);
	}
	return rc;
}

/*
 * Stops shadowing gpfn (see "Write floods" above): drops every shadow
 * table mirroring it. Returns the tables dropped, 0 when it must stay.
 */
static unsigned unshadow(struct vm *vm, struct shadow *sh, uint32_t gpfn)
{
	struct u32list *l = u32map_get(&sh->mirrors, gpfn);
	unsigned n = 0;
	bool flush = false;

	for (uint32_t k = 0; l && k < l->n; k++) {
		const struct sh_page *p = &sh->pg[l->v[k]];
		if (l->v[k] == 0 || (p->kind == PG_PD && current_root(sh, p->root)))
			return 0;
	}
	while ((l = u32map_get(&sh->mirrors, gpfn)) && l->n) {
		uint32_t idx = l->v[l->n - 1];
		struct sh_page *p = &sh->pg[idx];
		struct sh_root *r = &sh->roots[p->root];
		flush |= current_root(sh, p->root);
		if (p->kind == PG_PD) {
			drop_root(vm, sh, r);
		} else if (p->kind == PG_PT && r->pt[p->pde] == idx) {
			drop_pt(vm, sh, r, p->pde);
			vm->ctr.shadow_flushes++;
		} else {
			pool_free(sh, idx);
		}
		n++;
	}
	if (flush)
		cpu_write_cr3(vm->cpu, vm->cpu->cr3);
	vm->ctr.unshadowed++;
	return n;
}

static bool sh_mmio_step(struct vm *vm, uint32_t lin, bool write, bool user)
{
	struct shadow *sh = sh_of(vm);
	const struct vcpu *v = &vm->vcpu;
	unsigned pde = lin >> 22, pti = (lin >> 12) & 1023, shift;
	uint32_t gpa, err, idx;
	uint8_t fl;

	if ((pde == WINDOW_PDE && !sh->lent) || sh->dev_slot != NONE ||
	    !guest_walk(vm, v->cr0, v->cr3, v->cr4, lin, write, user, true, &gpa, &fl, &shift,
			&err) ||
	    gpa < vm->phys.size || !(idx = table_for(vm, sh, pde)))
		return false;
	page_ptr(vm, sh, idx)[pti] = (gpa & PAGE_MASK) | PTE_P | ((fl & TLBF_US) ? PTE_US : 0) |
				     ((fl & TLBF_RW) ? PTE_RW : 0);
	cpu_invlpg(vm->cpu, lin);
	sh->dev_slot = idx << 10 | pti;
	return true;
}

/* The device page mapped for the step is taken away again. */
static void unmap_device(struct vm *vm, struct shadow *sh)
{
	uint32_t idx = sh->dev_slot >> 10, i = sh->dev_slot & 1023;

	sh->dev_slot = NONE;
	if (sh->pg[idx].kind != PG_PT)
		return;
	page_ptr(vm, sh, idx)[i] = 0;
	if (current_root(sh, sh->pg[idx].root))
		cpu_invlpg(vm->cpu, (uint32_t)sh->pg[idx].pde << 22 | i << 12);
}

static void sh_step_done(struct vm *vm)
{
	struct shadow *sh = sh_of(vm);
	uint32_t idx = sh->step_slot >> 10, i = sh->step_slot & 1023;
	const uint32_t *now = (const uint32_t *)(vm->phys.ram + (sh->step_gpfn << PAGE_SHIFT));
	const uint32_t *old = (const uint32_t *)sh->snap;
	unsigned synced = 0;

	if (sh->dev_slot != NONE)
		unmap_device(vm, sh);
	if (!sh->stepping)
		return;
	sh->stepping = false;
	/* Back to read-only (if the slot still maps the traced page). */
	if (sh->pg[idx].kind == PG_PT) {
		uint32_t *pte = &page_ptr(vm, sh, idx)[i];
		if ((*pte >> PAGE_SHIFT) == sh->step_gpfn) {
			*pte &= ~PTE_RW;
			if (current_root(sh, sh->pg[idx].root))
				cpu_invlpg(vm->cpu, (uint32_t)sh->pg[idx].pde << 22 | i << 12);
		}
	}
	/* One store changes a few bytes: find them a cache line at a time. */
	for (unsigned line = 0; line < 1024; line += 16) {
		if (!memcmp(now + line, old + line, 64))
			continue;
		for (unsigned k = line; k < line + 16; k++)
			if (now[k] != old[k])
				synced += invalidate_entry(vm, sh, sh->step_gpfn, k);
	}
	/* A page traced for the CPU strategy's descriptor tables alone: the
	 * write is no page-table write (it may not touch a descriptor either,
	 * when the tables share their page with other data). */
	const struct u32list *l = u32map_get(&sh->mirrors, sh->step_gpfn);
	if (l && l->n == 1 && l->v[0] == 0) {
		vm->ctr.desc_traced_writes++;
		exit_account(vm, EXIT_DESC_TABLE_WRITE, 0, "page=%#x", sh->step_gpfn << PAGE_SHIFT);
		return;
	}
	vm->ctr.traced_writes++;
	vm->ctr.shadow_syncs += synced;
	if (sh->step_gpfn != sh->flood_gpfn) {
		sh->flood_gpfn = sh->step_gpfn;
		sh->flood_n = 0;
	}
	unsigned dropped = 0;
	if (shadow_flood_config && ++sh->flood_n >= shadow_flood_config) {
		dropped = unshadow(vm, sh, sh->step_gpfn);
		sh->flood_n = 0;
	}
	exit_account(vm, EXIT_SHADOW_PTE_WRITE,
		     vm->cfg.cost ? vm->cfg.cost->shadow.pte_write +
					    (synced + dropped) * vm->cfg.cost->shadow.sync_entry : 0,
		     "page=%#x entries_resynced=%u tables_dropped=%u",
		     sh->step_gpfn << PAGE_SHIFT, synced, dropped);
}

static void sh_paging_changed(struct vm *vm)
{
	struct shadow *sh = sh_of(vm);
	uint32_t mode = mode_of(vm);

	if (mode != sh->mode) {
		drop_all(vm, sh);
		sh->mode = mode;
	}
	switch_root(vm, sh);
}

static void sh_invlpg(struct vm *vm, uint32_t lin)
{
	struct shadow *sh = sh_of(vm);
	struct sh_root *r = &sh->roots[sh->cur];
	unsigned pde = lin >> 22;

	if (!r->pt[pde])
		return;
	page_ptr(vm, sh, r->pt[pde])[(lin >> 12) & 1023] = 0;
	if (pde != WINDOW_PDE || sh->lent)
		cpu_invlpg(vm->cpu, lin);
}

/* Flushes the TLB entries of the present pages of the page table at pt_ma,
 * mapped by the top directory slot. */
static void flush_window(struct vm *vm, uint32_t pt_ma)
{
	const uint32_t *e = (const uint32_t *)(vm->phys.ram + pt_ma);

	for (unsigned i = 0; i < 1024; i++)
		if (e[i] & PTE_P)
			cpu_invlpg(vm->cpu, WINDOW_PDE << 22 | i << 12);
}

static void sh_lend_window(struct vm *vm, bool lent)
{
	struct shadow *sh = sh_of(vm);
	struct sh_root *r = &sh->roots[sh->cur];
	uint32_t *slot = &page_ptr(vm, sh, r->pd)[WINDOW_PDE];

	if (sh->lent == lent)
		return;
	if (*slot & PTE_P)
		flush_window(vm, *slot & PAGE_MASK);
	sh->lent = lent;
	*slot = window_slot(vm, sh, r);
}

static void sh_trace(struct vm *vm, uint32_t gpfn, bool on)
{
	struct shadow *sh = sh_of(vm);

	if (on) {
		if (!traced(sh, gpfn))
			write_protect(vm, sh, gpfn);
		u32map_add(&sh->mirrors, gpfn, 0);
	} else {
		u32map_remove(&sh->mirrors, gpfn, 0);
	}
}

/* ---- attach ---- */

unsigned shadow_roots_config = 8;
unsigned shadow_flood_config = SHADOW_FLOOD_DEFAULT;

static int sh_attach(struct vm *vm, char *err, size_t errlen)
{
	struct shadow *sh = calloc(1, sizeof(*sh));

	if (!sh || !vm->window_pt || !vm->vcpu.active) {
		free(sh);
		snprintf(err, errlen, "shadow paging needs a deprivileging CPU strategy");
		return -1;
	}
	sh->base = vm->mon_mmu_base;
	sh->npages = POOL_BYTES / PAGE_SIZE;
	sh->pg = calloc(sh->npages, sizeof(*sh->pg));
	sh->free = calloc(sh->npages, sizeof(*sh->free));
	sh->nroots = shadow_roots_config ? shadow_roots_config : 1;
	sh->roots = calloc(sh->nroots, sizeof(*sh->roots));
	if (!sh->pg || !sh->free || !sh->roots) {
		snprintf(err, errlen, "out of memory for the shadow MMU");
		free(sh->pg);
		free(sh->free);
		free(sh->roots);
		free(sh);
		return -1;
	}
	/* Pool page 0 stands for "none" and is never handed out. */
	for (uint32_t k = sh->npages; k-- > 1;)
		sh->free[sh->nfree++] = k;
	u32map_init(&sh->mirrors);
	u32map_init(&sh->rmap);
	sh->dev_slot = NONE;
	vm->mmu_priv = sh;
	sh->mode = mode_of(vm);
	switch_root(vm, sh);
	return 0;
}

static void sh_detach(struct vm *vm)
{
	struct shadow *sh = sh_of(vm);

	u32map_free(&sh->mirrors);
	u32map_free(&sh->rmap);
	free(sh->pg);
	free(sh->free);
	free(sh->roots);
	free(sh);
	vm->mmu_priv = NULL;
}

bool shadow_maps_only_guest_ram(struct vm *vm)
{
	struct shadow *sh = sh_of(vm);

	for (uint32_t idx = 1; idx < sh->npages; idx++) {
		if (sh->pg[idx].kind == PG_FREE)
			continue;
		const uint32_t *e = page_ptr(vm, sh, idx);
		for (unsigned i = 0; i < 1024; i++) {
			if (!(e[i] & PTE_P))
				continue;
			if (sh->pg[idx].kind == PG_PD) {
				bool own = (e[i] & PAGE_MASK) >= sh->base &&
					   (e[i] & PAGE_MASK) < sh->base + POOL_BYTES;
				if (!(own || (i == WINDOW_PDE && (e[i] & PAGE_MASK) == vm->window_pt)))
					return false;
			} else if ((e[i] & PAGE_MASK) >= vm->phys.guest_size) {
				return false;
			}
		}
	}
	return true;
}

const struct mmu_virt_ops shadow_mmu = {
	.name = "shadow",
	.monitor_bytes = POOL_BYTES,
	.attach = sh_attach,
	.detach = sh_detach,
	.paging_changed = sh_paging_changed,
	.invlpg = sh_invlpg,
	.page_fault = sh_page_fault,
	.step_done = sh_step_done,
	.guest_translate = sh_guest_translate,
	.wrote = sh_wrote,
	.trace = sh_trace,
	.lend_window = sh_lend_window,
	.mmio_step = sh_mmio_step,
};
