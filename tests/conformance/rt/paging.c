/*
 * A 32-bit identity map of the first 16 MiB in 4 KiB pages (SDM vol. 3, 4.3),
 * enough for the kernel image, its stacks and the test areas kernels pick
 * above 4 MiB. Kernels edit rt_pd/rt_pt entries for their own experiments.
 */
#include "rt.h"

u32 rt_pd[1024] __attribute__((aligned(4096)));
u32 rt_pt[4][1024] __attribute__((aligned(4096)));

void rt_paging_identity(u32 pte_flags)
{
	u32 i, j;

	rt_memset(rt_pd, 0, sizeof(rt_pd));
	for (i = 0; i < 4; i++) {
		for (j = 0; j < 1024; j++)
			rt_pt[i][j] = ((i << 22) | (j << 12)) | pte_flags;
		rt_pd[i] = (u32)rt_pt[i] | PTE_P | PTE_W | PTE_U;
	}
	write_cr3((u32)rt_pd);
	write_cr0(read_cr0() | CR0_PG);
}

void rt_paging_off(void)
{
	write_cr0(read_cr0() & ~CR0_PG);
	write_cr4(read_cr4() & ~(CR4_PSE | CR4_PGE));
}
