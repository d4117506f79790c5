/*
 * Memory: physical pages and address spaces (SDM 4.3, 32-bit paging, 4 KiB
 * pages only).
 *
 * Physical pages come from a LIFO free list threaded through the frames
 * themselves; it holds the RAM the loader reported as available, above the
 * kernel image and below KERNEL_MAP_LIMIT, handed out lowest address first.
 *
 * Every address space has its own page directory. Its kernel half maps
 * that RAM one to one, supervisor-only, through page tables shared by all
 * directories, except the image's code and constants (read-only for ring 3
 * too, since user code lives in the image) and page 0 (unmapped, to catch
 * null pointers). The user half, USER_BASE to USER_TOP, is private and
 * demand-zero: a not-present fault there gets a fresh zeroed page.
 * PTE_AVL0 marks a frame the address space borrows and must not free.
 */
#include "kernel.h"

struct free_page {
	struct free_page *next;
};

extern char __image_start[], __user_shared_end[];

uint32_t *kernel_pgdir;
uint32_t vm_zero_fills;
static uint32_t *active_pgdir;
static struct free_page *free_list;
static uint32_t nfree;
static uint32_t ram_top;

void mm_init(uint32_t kernel_end, const uint64_t (*ranges)[2], int nranges)
{
	uint32_t lo, hi, pa;
	int i;

	/* Pushed from the top down, so that the lowest frame comes out first. */
	for (i = nranges - 1; i >= 0; i--) {
		uint64_t start = ranges[i][0], end = ranges[i][1];

		if (end > KERNEL_MAP_LIMIT)
			end = KERNEL_MAP_LIMIT;
		if (start < kernel_end)
			start = kernel_end;
		if (start >= end)
			continue;
		lo = PAGE_ROUND_UP((uint32_t)start);
		hi = PAGE_ROUND_DOWN((uint32_t)end);
		if (hi > ram_top)
			ram_top = hi;
		for (pa = hi; pa > lo; pa -= PAGE_SIZE)
			page_free((void *)(pa - PAGE_SIZE));
	}
}

void *page_alloc(void)
{
	struct free_page *p = free_list;

	if (!p)
		return NULL;
	free_list = p->next;
	nfree--;
	return p;
}

void *page_zalloc(void)
{
	void *p = page_alloc();

	if (p)
		memset(p, 0, PAGE_SIZE);
	return p;
}

void page_free(void *p)
{
	struct free_page *f = p;

	if ((uint32_t)p & (PAGE_SIZE - 1))
		panic("page_free of unaligned 0x%08x", (uint32_t)p);
	f->next = free_list;
	free_list = f;
	nfree++;
}

uint32_t mm_free_pages(void)
{
	return nfree;
}

uint32_t mm_ram_top(void)
{
	return ram_top;
}

uint32_t *vm_pte(uint32_t *pd, uint32_t va, int alloc)
{
	uint32_t *pde = &pd[PDX(va)], *pt;

	if (!(*pde & PTE_P)) {
		if (!alloc || !(pt = page_zalloc()))
			return NULL;
		/* The PTEs decide; the PDE allows everything they may allow. */
		*pde = (uint32_t)pt | PTE_P | PTE_W | PTE_U;
	}
	pt = (uint32_t *)(*pde & PTE_ADDR);
	return &pt[PTX(va)];
}

void vm_init(void)
{
	uint32_t pa, *pte, flags;

	kernel_pgdir = page_zalloc();
	if (!kernel_pgdir)
		panic("no memory for the kernel page directory");
	for (pa = PAGE_SIZE; pa < ram_top; pa += PAGE_SIZE) {
		pte = vm_pte(kernel_pgdir, pa, 1);
		if (!pte)
			panic("no memory for kernel page tables");
		flags = PTE_P | PTE_W;
		if (pa >= (uint32_t)__image_start && pa < (uint32_t)__user_shared_end)
			flags = PTE_P | PTE_U;
		*pte = pa | flags;
	}
	active_pgdir = kernel_pgdir;
	cr_init((uint32_t)kernel_pgdir);
}

void vm_activate(uint32_t *pd)
{
	if (pd != active_pgdir) {
		active_pgdir = pd;
		write_cr3((uint32_t)pd);
	}
}

uint32_t *vm_create(void)
{
	uint32_t *pd = page_zalloc();

	if (pd)
		memcpy(pd, kernel_pgdir, PDX(KERNEL_MAP_LIMIT) * sizeof(*pd));
	return pd;
}

int vm_map(uint32_t *pd, uint32_t va, uint32_t pa, uint32_t flags)
{
	uint32_t *pte = vm_pte(pd, va, 1), old;

	if (!pte)
		return -1;
	old = *pte;
	*pte = (pa & PTE_ADDR) | flags | PTE_P;
	if ((old & PTE_P) && pd == active_pgdir)
		invlpg((void *)va);
	return 0;
}

uint32_t vm_unmap(uint32_t *pd, uint32_t va)
{
	uint32_t *pte = vm_pte(pd, va, 0), old;

	if (!pte || !(*pte & PTE_P))
		return 0;
	old = *pte;
	*pte = 0;
	if (pd == active_pgdir)
		invlpg((void *)va);
	return old & PTE_ADDR;
}

int vm_demand_zero(uint32_t *pd, uint32_t va)
{
	uint32_t *pte;
	void *page;

	if (pd == kernel_pgdir || va < USER_BASE || va >= USER_TOP)
		return -1;
	pte = vm_pte(pd, va, 1);
	if (!pte || (*pte & PTE_P) || !(page = page_zalloc()))
		return -1;
	*pte = (uint32_t)page | PTE_P | PTE_W | PTE_U;
	vm_zero_fills++;
	return 0;
}

static void free_user_half(uint32_t *pd)
{
	uint32_t i, j, *pt;

	for (i = PDX(USER_BASE); i < PDX(USER_TOP); i++) {
		if (!(pd[i] & PTE_P))
			continue;
		pt = (uint32_t *)(pd[i] & PTE_ADDR);
		for (j = 0; j < 1024; j++)
			if ((pt[j] & (PTE_P | PTE_AVL0)) == PTE_P)
				page_free((void *)(pt[j] & PTE_ADDR));
		page_free(pt);
		pd[i] = 0;
	}
}

void vm_free(uint32_t *pd)
{
	if (pd == active_pgdir || pd == kernel_pgdir)
		panic("vm_free of a page directory in use");
	free_user_half(pd);
	page_free(pd);
}

/* The fork-style copy: every present user page gets a private duplicate. */
uint32_t *vm_copy(const uint32_t *src)
{
	uint32_t *dst = vm_create(), i, j, *spt, *dpt;
	void *page;

	if (!dst)
		return NULL;
	for (i = PDX(USER_BASE); i < PDX(USER_TOP); i++) {
		if (!(src[i] & PTE_P))
			continue;
		spt = (uint32_t *)(src[i] & PTE_ADDR);
		if (!(dpt = page_zalloc()))
			goto oom;
		dst[i] = (uint32_t)dpt | (src[i] & ~PTE_ADDR);
		for (j = 0; j < 1024; j++) {
			if (!(spt[j] & PTE_P))
				continue;
			if (!(page = page_alloc()))
				goto oom;
			memcpy(page, (void *)(spt[j] & PTE_ADDR), PAGE_SIZE);
			dpt[j] = (uint32_t)page | (spt[j] & ~(PTE_ADDR | PTE_AVL0));
		}
	}
	return dst;
oom:
	vm_free(dst);
	return NULL;
}

/* Checks a user buffer page by page, faulting in demand-zero pages. */
int vm_user_ok(uint32_t *pd, uint32_t va, uint32_t len, int write)
{
	uint32_t need = PTE_P | PTE_U | (write ? PTE_W : 0), end = va + len, *pte;

	if (end < va)
		return 0;
	for (va = PAGE_ROUND_DOWN(va); va < end; va += PAGE_SIZE) {
		if (va >= USER_TOP)
			return 0;
		pte = vm_pte(pd, va, 0);
		if ((!pte || !(*pte & PTE_P)) && vm_demand_zero(pd, va) == 0)
			continue;
		if (!pte || (*pte & need) != need || !(pd[PDX(va)] & PTE_U))
			return 0;
	}
	return 1;
}

uint32_t vm_user_pages(const uint32_t *pd)
{
	uint32_t i, j, n = 0, *pt;

	for (i = PDX(USER_BASE); i < PDX(USER_TOP); i++) {
		if (!(pd[i] & PTE_P))
			continue;
		pt = (uint32_t *)(pd[i] & PTE_ADDR);
		for (j = 0; j < 1024; j++)
			n += pt[j] & PTE_P;
	}
	return n;
}
