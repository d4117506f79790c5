/*
 * Descriptor tables and control registers (SDM 3.4.5, 6.10-6.11, 7.2): a flat
 * GDT with ring-0 and ring-3 code and data segments and one 32-bit TSS
 * whose SS0:ESP0 is the current process's kernel stack; an IDT of 32-bit
 * interrupt gates (so every handler starts with IF=0), DPL 3 only for INT3,
 * INTO and the system-call vector. No LDT, no I/O bitmap. CR0 and CR4 are
 * written whole, never read-modify-written, so that what the firmware or
 * loader left in them cannot show through.
 */
#include "kernel.h"

struct __attribute__((packed)) tss {
	uint32_t link;
	uint32_t esp0, ss0, esp1, ss1, esp2, ss2;
	uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint32_t es, cs, ss, ds, fs, gs, ldt;
	uint16_t trap, iomap_base;
};

/*
 * The tables fill a page of their own: a monitor that shadows them traces
 * that page, and nothing written often (such as TSS.ESP0, on every context
 * switch) may share it.
 */
struct desc_tables dt __attribute__((aligned(PAGE_SIZE)));
uint32_t cr0_value;
static struct tss tss __attribute__((aligned(16)));

extern const uint32_t trap_vectors[];

static uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t access,
			 uint8_t flags)
{
	return (uint64_t)(limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 |
	       (uint64_t)access << 40 | (uint64_t)((limit >> 16) & 0xf) << 48 |
	       (uint64_t)(flags & 0xf) << 52 | (uint64_t)(base >> 24) << 56;
}

static uint64_t gate_desc(uint32_t offset, uint16_t sel, int dpl)
{
	uint8_t access = DESC_P | DESC_DPL(dpl) | DESC_INTGATE32;

	return (uint64_t)(offset & 0xffff) | (uint64_t)sel << 16 |
	       (uint64_t)access << 40 | (uint64_t)(offset >> 16) << 48;
}

uint32_t tss_size(void)
{
	return sizeof(tss);
}

void tss_set_esp0(uint32_t esp0)
{
	tss.esp0 = esp0;
}

static void reload_segments(void)
{
	__asm__ volatile("ljmp %0, $1f\n1:\n\t"
			 "mov %1, %%ds\n\tmov %1, %%es\n\tmov %1, %%fs\n\t"
			 "mov %1, %%gs\n\tmov %1, %%ss"
			 : : "i"(KERNEL_CS), "r"(KERNEL_DS) : "memory");
}

void desc_init(void)
{
	/* G=1 (4 KiB units), D/B=1 (32-bit): flags nibble 0xc. */
	const uint8_t flat = 0xc;
	struct dtr d;
	int v;

	/*
	 * Accessed bits are preset: the CPU would otherwise set them on the
	 * first load, and LAR would then read differently before and after.
	 */
	dt.gdt[0] = 0;
	dt.gdt[GDT_KCODE] = seg_desc(0, 0xfffff, DESC_P | DESC_S | DESC_CODE_XRA, flat);
	dt.gdt[GDT_KDATA] = seg_desc(0, 0xfffff, DESC_P | DESC_S | DESC_DATA_RWA, flat);
	dt.gdt[GDT_UCODE] = seg_desc(0, 0xfffff,
				  DESC_P | DESC_DPL(3) | DESC_S | DESC_CODE_XRA, flat);
	dt.gdt[GDT_UDATA] = seg_desc(0, 0xfffff,
				  DESC_P | DESC_DPL(3) | DESC_S | DESC_DATA_RWA, flat);
	dt.gdt[GDT_TSS] = seg_desc((uint32_t)&tss, sizeof(tss) - 1,
				DESC_P | DESC_TSS32_AVAIL, 0);
	tss.ss0 = KERNEL_DS;
	tss.esp0 = 0;
	tss.iomap_base = sizeof(tss);

	d.limit = sizeof(dt.gdt) - 1;
	d.base = (uint32_t)dt.gdt;
	lgdt(&d);
	reload_segments();
	lldt(0);
	ltr(TSS_SEL);

	for (v = 0; v < 48; v++)
		dt.idt[v] = gate_desc(trap_vectors[v], KERNEL_CS,
				   v == X86_EXC_BP || v == X86_EXC_OF ? 3 : 0);
	dt.idt[SYSCALL_VECTOR] = gate_desc(trap_vectors[48], KERNEL_CS, 3);
	d.limit = sizeof(dt.idt) - 1;
	d.base = (uint32_t)dt.idt;
	lidt(&d);
}

/* Paging is turned on here because CR0 is only ever written whole. */
void cr_init(uint32_t pgdir)
{
	write_cr4(0);
	write_cr3(pgdir);
	cr0_value = CR0_PG | CR0_WP | CR0_ET | CR0_PE;
	write_cr0(cr0_value);
}
