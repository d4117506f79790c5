/*
 * Descriptor tables, the exception dispatcher, the 8259A setup and an
 * identity page map.
 *
 * GDT slots 0-6 are the runtime's (null, ring-0 code/data, ring-3 code/data,
 * TSS, LDT); kernels build their own descriptors from GDT_FREE on. Every IDT
 * vector starts as a DPL-0 interrupt gate to its stub, except the ring-3 exit
 * vector, a DPL-3 interrupt gate (SDM vol. 3, 6.11 and 6.12.1).
 *
 * The default handler records the exception (vector, error code, saved
 * CS:EIP, EFLAGS, CR2 and the outer SS:ESP on a privilege change) and, when
 * a kernel armed rt_resume, continues there; an exception nobody expected is
 * a failed check and ends the run.
 *
 * The PICs are remapped to 0x20/0x28 and fully masked: the firmware leaves
 * IRQ0 on vector 8, which would look like #DF once a kernel sets IF.
 *
 * rt_paging_identity() maps the first 16 MiB one to one in 4 KiB pages
 * (SDM vol. 3, 4.3): the kernel image, its stacks and the test areas that
 * kernels pick above 4 MiB; kernels edit rt_pd/rt_pt for their experiments.
 */
#include "rt.h"

u64 rt_gdt[GDT_ENTRIES] __attribute__((aligned(8)));
u64 rt_ldt[LDT_ENTRIES] __attribute__((aligned(8)));
u64 rt_idt[256] __attribute__((aligned(8)));
struct rt_tss rt_tss __attribute__((aligned(128)));
volatile struct rt_trap rt_trap;
volatile u32 rt_resume;
u32 rt_pd[1024] __attribute__((aligned(4096)));
u32 rt_pt[4][1024] __attribute__((aligned(4096)));
static rt_handler_t handlers[256];

extern void rt_user_exit(void);

u64 rt_seg_desc(u32 base, u32 limit, u32 access, u32 flags)
{
	u64 d;

	d = limit & 0xffff;
	d |= (u64)(base & 0xffffff) << 16;
	d |= (u64)(access & 0xff) << 40;
	d |= (u64)((limit >> 16) & 0xf) << 48;
	d |= (u64)(flags & 0xf) << 52;
	d |= (u64)(base >> 24) << 56;
	return d;
}

/* Call, interrupt, trap and task gates share one layout (SDM vol. 3, 5.8.3). */
u64 rt_gate_desc(u16 sel, u32 offset, u32 type, u32 dpl, u32 params)
{
	u64 d;

	d = offset & 0xffff;
	d |= (u64)sel << 16;
	d |= (u64)(params & 0x1f) << 32;
	d |= (u64)(DESC_P | DESC_DPL(dpl) | type) << 40;
	d |= (u64)(offset >> 16) << 48;
	return d;
}

void rt_set_gate(int vec, u32 type, u32 dpl, u16 sel, u32 offset)
{
	rt_idt[vec] = rt_gate_desc(sel, offset, type, dpl, 0);
}

void rt_set_isr_gate(int vec, u32 type, u32 dpl)
{
	rt_set_gate(vec, type, dpl, SEL_KCODE, (u32)rt_isr_stubs + 16 * vec);
}

void rt_set_handler(int vec, rt_handler_t h)
{
	handlers[vec] = h;
}

void rt_trap_reset(void)
{
	rt_trap.count = 0;
	rt_trap.vector = ~0u;
	rt_trap.err = ~0u;
	rt_trap.eip = 0;
}

void rt_load_ldt(u32 entries)
{
	rt_gdt[SEL_LDT >> 3] = rt_seg_desc((u32)rt_ldt, entries * 8 - 1,
					   DESC_P | SYS_LDT, 0);
	asm volatile("lldt %w0" : : "r"(SEL_LDT) : "memory");
}

/* LTR faults on a busy TSS, so a reload first marks the descriptor available. */
void rt_reload_tr(void)
{
	rt_gdt[SEL_TSS >> 3] = rt_seg_desc((u32)&rt_tss, sizeof(rt_tss) - 1,
					   DESC_P | SYS_TSS32, 0);
	asm volatile("ltr %w0" : : "r"(SEL_TSS) : "memory");
}

void rt_trap_dispatch(struct rt_frame *f)
{
	u32 vec = f->vector & 0xff;

	if (handlers[vec] && handlers[vec](f))
		return;
	rt_trap.count++;
	rt_trap.vector = vec;
	rt_trap.err = f->err;
	rt_trap.eip = f->eip;
	rt_trap.cs = f->cs & 0xffff;
	rt_trap.eflags = f->eflags;
	rt_trap.cr2 = read_cr2();
	if (f->cs & 3) {
		rt_trap.esp = f->esp;
		rt_trap.ss = f->ss & 0xffff;
	}
	if (rt_resume) {
		f->eip = rt_resume;
		rt_resume = 0;
		return;
	}
	rt_fail("unexpected exception %u error 0x%x at %x:%x", vec, f->err,
		f->cs & 0xffff, f->eip);
	rt_done();
}

#define PIC1	0x20
#define PIC2	0xa0

static void pic_init(void)
{
	outb(PIC1, 0x11);		/* ICW1: edge, cascade, ICW4 */
	outb(PIC2, 0x11);
	outb(PIC1 + 1, RT_VEC_PIC1);	/* ICW2: vector base */
	outb(PIC2 + 1, RT_VEC_PIC2);
	outb(PIC1 + 1, 0x04);		/* ICW3: slave on IR2 */
	outb(PIC2 + 1, 0x02);
	outb(PIC1 + 1, 0x01);		/* ICW4: 8086 mode */
	outb(PIC2 + 1, 0x01);
	outb(PIC1 + 1, 0xff);
	outb(PIC2 + 1, 0xff);
}

void rt_pic_unmask(int irq)
{
	u16 port = irq < 8 ? PIC1 + 1 : PIC2 + 1;

	outb(port, inb(port) & ~(1 << (irq & 7)));
	if (irq >= 8)
		outb(PIC1 + 1, inb(PIC1 + 1) & ~(1 << 2));
}

void rt_pic_eoi(int irq)
{
	if (irq >= 8)
		outb(PIC2, 0x20);
	outb(PIC1, 0x20);
}

void rt_init(u32 magic)
{
	struct rt_dtr gdtr = { sizeof(rt_gdt) - 1, (u32)rt_gdt };
	struct rt_dtr idtr = { sizeof(rt_idt) - 1, (u32)rt_idt };
	int i;

	rt_printf("conformance %s\n", rt_name);
	rt_check(magic, 0x2badb002, "boot: EAX holds the Multiboot magic");

	rt_gdt[SEL_KCODE >> 3] = rt_seg_desc(0, 0xfffff,
		DESC_P | DESC_S | SEG_CODE_XR, DESC_G | DESC_DB);
	rt_gdt[SEL_KDATA >> 3] = rt_seg_desc(0, 0xfffff,
		DESC_P | DESC_S | SEG_DATA_RW, DESC_G | DESC_DB);
	rt_gdt[SEL_UCODE >> 3] = rt_seg_desc(0, 0xfffff,
		DESC_P | DESC_DPL(3) | DESC_S | SEG_CODE_XR, DESC_G | DESC_DB);
	rt_gdt[SEL_UDATA >> 3] = rt_seg_desc(0, 0xfffff,
		DESC_P | DESC_DPL(3) | DESC_S | SEG_DATA_RW, DESC_G | DESC_DB);
	asm volatile("lgdt %0\n\t"
		     "ljmp %1, $1f\n"
		     "1:\tmovw %w2, %%ds\n\t"
		     "movw %w2, %%es\n\t"
		     "movw %w2, %%fs\n\t"
		     "movw %w2, %%gs\n\t"
		     "movw %w2, %%ss"
		     : : "m"(gdtr), "i"(SEL_KCODE), "r"(SEL_KDATA) : "memory");

	rt_memset(&rt_tss, 0, sizeof(rt_tss));
	rt_tss.esp0 = (u32)rt_kstack0_top;
	rt_tss.ss0 = SEL_KDATA;
	rt_tss.iomap_base = __builtin_offsetof(struct rt_tss, iomap);
	/* Deny every port at CPL > IOPL; the final byte ends the map (SDM 20.5.2). */
	rt_memset(rt_tss.iomap, 0xff, sizeof(rt_tss.iomap));
	rt_reload_tr();
	asm volatile("lldt %w0" : : "r"(0));

	for (i = 0; i < 256; i++)
		rt_set_isr_gate(i, SYS_INT_GATE32, 0);
	rt_set_gate(RT_VEC_USER_EXIT, SYS_INT_GATE32, 3, SEL_KCODE,
		    (u32)rt_user_exit);
	asm volatile("lidt %0" : : "m"(idtr));
	pic_init();
	rt_trap_reset();
}

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
