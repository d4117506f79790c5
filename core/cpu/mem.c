/*
 * Memory slow paths: translation through the modeled TLB and the page-table
 * walker, soft-TLB refills, page-straddling accesses, MMIO, and writes to
 * pages that hold decoded code (self-modifying code, SDM vol. 3A 8.1.3: the
 * new bytes run, even in the same block).
 *
 * Invariant: a soft-TLB tag is present only while the modeled TLB holds the
 * translation it came from (tlb_model.evicted clears it), so that soft-TLB
 * hits are exactly modeled-TLB hits. With paging off there is no modeled
 * TLB and the soft TLB maps identity. A write tag is given only to pages
 * that are writable at that privilege, already dirty, in RAM, and hold no
 * decoded code, so every other write comes here.
 *
 * Nested paging (cpu_set_nested) adds a second dimension: the guest's
 * tables hold guest-physical addresses, and each of them, every entry the
 * guest walk reads included, goes through the nested table first, so a
 * cold 2-level walk over a 2-level nested table reads (2+1)(2+1)-1 = 8
 * entries (Bhargava et al., ASPLOS 2008). The TLB caches the composed
 * translation, at 4 KiB (the nested table's page size). A guest-physical
 * address the nested table does not map is a nested fault for the monitor
 * (npt_fault); device memory is never mapped, never cached, and faults on
 * every access, as device emulation needs.
 */
#include "core/cpu/code.h"
#include "core/cpu/exec.h"

static bool pt_read(void *opaque, uint32_t pa, uint32_t *val)
{
	struct cpu *c = opaque;

	if (pa > c->phys->size - 4)
		return false;
	memcpy(val, c->phys->ram + pa, 4);
	return true;
}

static void pt_set_bits(void *opaque, uint32_t pa, uint32_t bits)
{
	struct cpu *c = opaque;
	uint32_t v;

	memcpy(&v, c->phys->ram + pa, 4);
	v |= bits;
	memcpy(c->phys->ram + pa, &v, 4);
	if (code_page_has_code(c->cc, pa))
		code_invalidate_page(c, pa);
}

static struct walk_mode walk_mode_of(const struct cpu *c)
{
	return (struct walk_mode){ .cr3 = c->cr3, .pse = c->cr4 & CR4_PSE,
				   .pge = c->cr4 & CR4_PGE, .wp = c->cr0 & CR0_WP,
				   .set_ad = true };
}

void stlb_flush_all(struct cpu *c)
{
	c->chain_epoch++;
	for (int t = 0; t < 2; t++)
		for (unsigned i = 0; i < STLB_SIZE; i++)
			c->stlb_tab[t][i].tag_r = c->stlb_tab[t][i].tag_w =
				c->stlb_tab[t][i].tag_x = 1;
}

/* Clears the data or fetch tags of every soft entry inside [page, +len). */
static void stlb_clear_range(struct cpu *c, uint32_t page, uint32_t len, bool fetch)
{
	uint32_t n = len >> PAGE_SHIFT;

	if (n > STLB_SIZE)
		n = STLB_SIZE;
	for (int t = 0; t < 2; t++) {
		for (uint32_t k = 0; k < n; k++) {
			struct stlb_entry *e = stlb_slot(c->stlb_tab[t], page + (k << PAGE_SHIFT));
			if (fetch) {
				if (e->tag_x - page < len)
					e->tag_x = 1;
			} else {
				if (e->tag_r - page < len)
					e->tag_r = 1;
				if (e->tag_w - page < len)
					e->tag_w = 1;
			}
		}
	}
}

static void dtlb_evicted(void *opaque, const struct tlb_entry *e, unsigned shift)
{
	stlb_clear_range(opaque, e->vpn << shift, 1u << shift, false);
}

static void itlb_evicted(void *opaque, const struct tlb_entry *e, unsigned shift)
{
	struct cpu *c = opaque;

	c->chain_epoch++;
	stlb_clear_range(c, e->vpn << shift, 1u << shift, true);
}

void mem_init_tlbs(struct cpu *c)
{
	c->dtlb.evicted = c->dtlb4m.evicted = dtlb_evicted;
	c->itlb.evicted = c->itlb4m.evicted = itlb_evicted;
	c->dtlb.opaque = c->dtlb4m.opaque = c->itlb.opaque = c->itlb4m.opaque = c;
	stlb_flush_all(c);
}

void mmu_flush(struct cpu *c, bool keep_global)
{
	c->ctr.tlb_flushes++;
	tlb_flush(&c->dtlb, keep_global);
	tlb_flush(&c->dtlb4m, keep_global);
	tlb_flush(&c->itlb, keep_global);
	tlb_flush(&c->itlb4m, keep_global);
	if (!(c->cr0 & CR0_PG))
		stlb_flush_all(c);
}

void mmu_invlpg(struct cpu *c, uint32_t lin)
{
	c->ctr.invlpg++;
	tlb_invalidate(&c->dtlb, lin);
	tlb_invalidate(&c->dtlb4m, lin);
	tlb_invalidate(&c->itlb, lin);
	tlb_invalidate(&c->itlb4m, lin);
	if (c->nested) {
		tlb_invalidate_large(&c->dtlb, lin);
		tlb_invalidate_large(&c->itlb, lin);
	}
}

static void stlb_fill(struct cpu *c, uint32_t lin, uint32_t pa, uint8_t flags, unsigned acc)
{
	uint32_t page = lin & PAGE_MASK, ppage = pa >> PAGE_SHIFT;
	struct stlb_entry *e = stlb_slot(c->stlb_tab[(acc & ACC_U) ? 1 : 0], lin);
	bool wp = c->cr0 & CR0_WP;

	if (pa >= c->ram_limit)
		return;		/* MMIO and holes always take the slow path */
	if (e->ppage != ppage || (e->tag_r != page && e->tag_w != page && e->tag_x != page))
		e->tag_r = e->tag_w = e->tag_x = 1;
	e->ppage = ppage;
	e->addend = (uintptr_t)(c->phys->ram + (pa & PAGE_MASK)) - page;
	if (acc & ACC_X) {
		e->tag_x = page;
		return;
	}
	if (walk_allows(flags, acc & ~ACC_W, wp))
		e->tag_r = page;
	if (walk_allows(flags, acc | ACC_W, wp) && (flags & TLBF_D) &&
	    !code_page_has_code(c->cc, pa))
		e->tag_w = page;
}

/* A TLB entry that covers this access: its physical address, the soft TLB
 * refilled from it. A miss (no entry) is counted by the caller. */
static inline bool tlb_covers(struct cpu *c, const struct tlb_entry *e, unsigned shift,
			      uint32_t lin, unsigned acc, uint32_t *pa)
{
	if (!e || !walk_allows(e->flags, acc, c->cr0 & CR0_WP) ||
	    ((acc & ACC_W) && !(e->flags & TLBF_D)))
		return false;
	*pa = (e->pfn << shift) | (lin & ((1u << shift) - 1));
	stlb_fill(c, lin, *pa, e->flags, acc);
	return true;
}

static inline void count_miss(struct cpu *c, bool fetch)
{
	if (fetch)
		c->ctr.itlb_misses++;
	else
		c->ctr.dtlb_misses++;
}

/* ---- nested paging ---- */

/*
 * Guest-physical to machine through the nested table, counting its reads
 * in *refs; *device when gpa is device memory (or nothing): the access then
 * goes to the bus at gpa.
 */
static uint32_t npt_translate(struct cpu *c, uint32_t gpa, bool write, uint64_t *refs,
			      bool *device)
{
	for (unsigned tries = 0;; tries++) {
		if (gpa < c->ram_limit) {
			struct pt_access pt = { .read = pt_read, .opaque = c };
			struct walk_mode m = { .cr3 = c->ncr3, .wp = true };
			struct walk w;
			bool ok = walk32(&pt, &m, gpa, write ? ACC_W : 0, &w);
			*refs += pt.refs;
			if (ok)
				return w.pa;
		}
		if (tries || !c->hooks.npt_fault ||
		    c->hooks.npt_fault(c->hooks.monitor, c, gpa, write) == NPT_DEVICE) {
			*device = true;
			return gpa;
		}
	}
}

/* The guest's page-table entries, read and updated at guest-physical
 * addresses. */
struct npt_walk {
	struct cpu *c;
	uint64_t refs;		/* nested-table entries read on the way */
};

static bool npt_pt_read(void *opaque, uint32_t gpa, uint32_t *val)
{
	struct npt_walk *n = opaque;
	bool device = false;
	uint32_t ma = npt_translate(n->c, gpa, false, &n->refs, &device);

	if (device) {
		*val = 0;	/* a "table" in device memory maps nothing */
		return true;
	}
	return pt_read(n->c, ma, val);
}

static void npt_pt_set_bits(void *opaque, uint32_t gpa, uint32_t bits)
{
	struct npt_walk *n = opaque;
	uint64_t refs = 0;
	bool device = false;
	uint32_t ma = npt_translate(n->c, gpa, true, &refs, &device);

	if (!device)
		pt_set_bits(n->c, ma, bits);
}

static __attribute__((noinline)) uint32_t nested_translate(struct cpu *c, uint32_t lin,
							   unsigned acc)
{
	bool fetch = acc & ACC_X, device = false;
	struct tlb_model *t4k = fetch ? &c->itlb : &c->dtlb;
	struct tlb_entry *e = tlb_lookup(t4k, lin);
	uint32_t pa;

	if (tlb_covers(c, e, 12, lin, acc, &pa))
		return pa;
	if (!e)
		count_miss(c, fetch);
	c->ctr.walks++;
	uint32_t gpa = lin;
	uint8_t flags = TLBF_RW | TLBF_US | TLBF_D;
	struct npt_walk n = { .c = c };
	if (c->cr0 & CR0_PG) {
		struct pt_access pt = { .read = npt_pt_read, .set_bits = npt_pt_set_bits,
					.opaque = &n };
		struct walk_mode m = walk_mode_of(c);
		struct walk w;
		bool ok = walk32(&pt, &m, lin, acc, &w);
		c->ctr.walk_refs += pt.refs + n.refs;
		if (!ok) {
			if (e)
				tlb_invalidate(t4k, lin);
			c->cr2 = lin;
			cpu_fault(c, X86_EXC_PF, w.err);
		}
		gpa = w.pa;
		flags = w.flags | (w.shift == 22 ? TLBF_LARGE : 0);
		n.refs = 0;
	}
	pa = npt_translate(c, gpa, acc & ACC_W, &n.refs, &device);
	c->ctr.walk_refs += n.refs;
	if (device) {
		if (e)
			tlb_invalidate(t4k, lin);
		return pa;
	}
	tlb_insert(t4k, lin, pa, flags);
	stlb_fill(c, lin, pa, flags, acc);
	return pa;
}

/*
 * Linear to physical for one access, faulting (#PF, CR2) when the page
 * tables say so; refills the modeled TLB on a miss and the soft TLB always.
 */
uint32_t mmu_translate(struct cpu *c, uint32_t lin, unsigned acc)
{
	if (unlikely(c->nested))
		return nested_translate(c, lin, acc);
	if (!(c->cr0 & CR0_PG)) {
		stlb_fill(c, lin, lin, TLBF_RW | TLBF_US | TLBF_D, acc);
		return lin;
	}

	bool fetch = acc & ACC_X;
	struct tlb_model *t4k = fetch ? &c->itlb : &c->dtlb;
	struct tlb_model *t4m = fetch ? &c->itlb4m : &c->dtlb4m;
	struct tlb_entry *e = tlb_lookup(t4k, lin);
	unsigned shift = 12;
	uint32_t pa;

	if (!e) {
		e = tlb_lookup(t4m, lin);
		shift = 22;
	}
	if (tlb_covers(c, e, shift, lin, acc, &pa))
		return pa;
	/* A miss, or a hit whose rights do not cover this access (the entry
	 * may be stale, or the dirty flag must be set): walk again. */
	if (!e)
		count_miss(c, fetch);
	struct pt_access pt = { .read = pt_read, .set_bits = pt_set_bits, .opaque = c };
	struct walk_mode m = walk_mode_of(c);
	struct walk w;

	c->ctr.walks++;
	bool ok = walk32(&pt, &m, lin, acc, &w);
	c->ctr.walk_refs += pt.refs;
	if (!ok) {
		if (e)
			tlb_invalidate(shift == 12 ? t4k : t4m, lin);
		c->cr2 = lin;
		cpu_fault(c, X86_EXC_PF, w.err);
	}
	tlb_insert(w.shift == 22 ? t4m : t4k, lin, w.pa, w.flags);
	stlb_fill(c, lin, w.pa, w.flags, acc);
	return w.pa;
}

void cpu_set_nested(struct cpu *c, bool on, uint32_t ncr3, uint32_t ram_limit)
{
	c->nested = on;
	c->ncr3 = ncr3;
	c->ram_limit = on ? ram_limit : c->phys->size;
	mmu_flush(c, false);
	stlb_flush_all(c);
}

int64_t cpu_debug_translate(struct cpu *c, uint32_t lin)
{
	if (c->nested) {
		/* Side-effect free: the walks' tables are read in machine
		 * memory, where guest RAM sits at its guest-physical address. */
		uint32_t gpa = lin;
		struct pt_access pt = { .read = pt_read, .opaque = c };
		struct walk_mode m = walk_mode_of(c);
		struct walk w;
		m.set_ad = false;
		m.wp = false;
		if ((c->cr0 & CR0_PG) && !walk32(&pt, &m, lin, 0, &w))
			return -1;
		return (c->cr0 & CR0_PG) ? w.pa : gpa;
	}
	if (!(c->cr0 & CR0_PG))
		return lin;
	struct pt_access pt = { .read = pt_read, .opaque = c };
	struct walk_mode m = walk_mode_of(c);
	struct walk w;

	m.set_ad = false;
	m.wp = false;
	return walk32(&pt, &m, lin, 0, &w) ? (int64_t)w.pa : -1;
}

static uint32_t phys_read(struct cpu *c, uint32_t pa, unsigned size)
{
	if (pa <= c->ram_limit - size)
		return load_host((uintptr_t)(c->phys->ram + pa), size);
	c->ctr.mmio_reads++;
	c->ctr.lapic_accesses += (pa & PAGE_MASK) == APIC_BASE_DEFAULT;
	return c->hooks.mmio_read ? c->hooks.mmio_read(c->hooks.platform, pa, size)
				  : 0xffffffffu >> (32 - 8 * size);
}

static void phys_write(struct cpu *c, uint32_t pa, unsigned size, uint32_t v)
{
	if (pa <= c->ram_limit - size) {
		store_host((uintptr_t)(c->phys->ram + pa), size, v);
		if (unlikely(code_page_has_code(c->cc, pa)))
			code_invalidate_page(c, pa);
		return;
	}
	c->ctr.mmio_writes++;
	c->ctr.lapic_accesses += (pa & PAGE_MASK) == APIC_BASE_DEFAULT;
	if (c->hooks.mmio_write)
		c->hooks.mmio_write(c->hooks.platform, pa, size, v);
	cpu_kick(c);
}

/*
 * Both pages of a straddling access are translated before any byte moves,
 * so a fault on the second page leaves memory untouched.
 */
uint32_t mem_read_slow(struct cpu *c, uint32_t lin, unsigned size, unsigned acc)
{
	if ((lin & 0xfff) + size <= PAGE_SIZE)
		return phys_read(c, mmu_translate(c, lin, acc), size);

	uint32_t second = (lin | 0xfff) + 1, pa1 = mmu_translate(c, lin, acc);
	uint32_t pa2 = mmu_translate(c, second, acc), v = 0;
	unsigned n1 = second - lin;

	for (unsigned k = 0; k < size; k++)
		v |= phys_read(c, k < n1 ? pa1 + k : pa2 + (k - n1), 1) << (8 * k);
	return v;
}

void mem_write_slow(struct cpu *c, uint32_t lin, unsigned size, uint32_t v, unsigned acc)
{
	if ((lin & 0xfff) + size <= PAGE_SIZE) {
		phys_write(c, mmu_translate(c, lin, acc), size, v);
		return;
	}

	uint32_t second = (lin | 0xfff) + 1, pa1 = mmu_translate(c, lin, acc);
	uint32_t pa2 = mmu_translate(c, second, acc);
	unsigned n1 = second - lin;

	for (unsigned k = 0; k < size; k++)
		phys_write(c, k < n1 ? pa1 + k : pa2 + (k - n1), 1, (v >> (8 * k)) & 0xff);
}

uint32_t sys_read(struct cpu *c, uint32_t lin, unsigned size)
{
	const struct stlb_entry *e = stlb_slot(c->stlb_tab[0], lin);

	c->ctr.mem_reads++;
	if (likely(e->tag_r == stlb_tag(lin, size)))
		return load_host(e->addend + lin, size);
	return mem_read_slow(c, lin, size, 0);
}

void sys_write(struct cpu *c, uint32_t lin, unsigned size, uint32_t v)
{
	const struct stlb_entry *e = stlb_slot(c->stlb_tab[0], lin);

	c->ctr.mem_writes++;
	if (likely(e->tag_w == stlb_tag(lin, size))) {
		store_host(e->addend + lin, size, v);
		return;
	}
	mem_write_slow(c, lin, size, v, ACC_W);
}
