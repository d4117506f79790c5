/*
 * Step harness of the differential fuzzer: per-step setup (fz_begin),
 * the report line (fz_report), the handlers a step may reach (capture of an
 * interrupt or call-gate frame, an IRET through a chosen frame, exit from a
 * user step, abort of a step that faulted at an inner ring) and the saved
 * GDT/IDT/TSS that fz_restore_sys puts back after a step that changed them.
 * Built with -DFZ_DUMP, fz_report also lists every changed test-area dword.
 */
#include "fz.h"
struct fz_regs fz_in, fz_out;
u32 fz_saved_esp, fz_cont, fz_at, fz_mode, fz_aborted;
struct fz_cap fz_cap;
u32 fz_iret_frame[5];
u32 fz_segs[3];
u32 fz_farptr[2];
u8 fz_stk1[4096] __attribute__((aligned(4096)));
u8 fz_stk2[4096] __attribute__((aligned(4096)));
u32 fz_pt2[1024] __attribute__((aligned(4096)));
static u64 saved_gdt[GDT_ENTRIES];
static u64 saved_idt[256];
static struct rt_tss saved_tss_head;
u8 fz_kstack[8192] __attribute__((aligned(4096)));
u8 fz_ustack[4096] __attribute__((aligned(4096)));
u32 *fz_pte;
static u32 lcg, fz_seed;

asm(".pushsection .text\n"
    ".globl fz_user_exit\n"
    "fz_user_exit:\n\t"
    "movw $0x10, %ax\n\tmovw %ax, %ds\n\tmovw %ax, %es\n\tmovw %ax, %fs\n\tmovw %ax, %gs\n\t"
    "movl 8(%esp), %eax\n\tmovl %eax, fz_out+32\n\t"
    "movl fz_saved_esp, %esp\n\tpushl $2\n\tpopfl\n\tjmp *fz_cont\n"
    /* abort a user step from an inner ring */
    ".globl fz_abort\n"
    "fz_abort:\n\t"
    "movw $0x10, %ax\n\tmovw %ax, %ds\n\tmovw %ax, %es\n\tmovw %ax, %fs\n\tmovw %ax, %gs\n\tmovw %ax, %ss\n\t"
    "movl fz_saved_esp, %esp\n\tpushl $2\n\tpopfl\n\tjmp *fz_cont\n"
    /* capture handler: runs at whatever ring its gate/segment says; writes through SS */
    ".globl fz_cap_h\n"
    "fz_cap_h:\n\t"
    "pushl %eax\n\t"
    "incl %ss:fz_cap\n\t"
    "leal 4(%esp), %eax\n\tmovl %eax, %ss:fz_cap+4\n\t"
    "movw %ss, %ss:fz_cap+8\n\tmovw %cs, %ss:fz_cap+12\n\t"
    "pushfl\n\tpopl %ss:fz_cap+16\n\t"
    "movw %ds, %ss:fz_cap+20\n\tmovw %es, %ss:fz_cap+24\n\tmovw %fs, %ss:fz_cap+28\n\t"
    "movl 4(%esp), %eax\n\tmovl %eax, %ss:fz_cap+32\n\t"
    "movl 8(%esp), %eax\n\tmovl %eax, %ss:fz_cap+36\n\t"
    "movl 12(%esp), %eax\n\tmovl %eax, %ss:fz_cap+40\n\t"
    "movl 16(%esp), %eax\n\tmovl %eax, %ss:fz_cap+44\n\t"
    "movl 20(%esp), %eax\n\tmovl %eax, %ss:fz_cap+48\n\t"
    "popl %eax\n\t"
    "iretl\n"
    /* IRET with a frame taken from fz_iret_frame (interrupt gate, ring 0, from ring 3) */
    ".globl fz_iret_mod\n"
    "fz_iret_mod:\n\t"
    "pushl %eax\n\t"
    "incl %ss:fz_cap\n\t"
    "movl %ss:fz_iret_frame, %eax\n\tmovl %eax, 4(%esp)\n\t"
    "movl %ss:fz_iret_frame+4, %eax\n\tmovl %eax, 8(%esp)\n\t"
    "movl %ss:fz_iret_frame+8, %eax\n\tmovl %eax, 12(%esp)\n\t"
    "movl %ss:fz_iret_frame+12, %eax\n\tmovl %eax, 16(%esp)\n\t"
    "movl %ss:fz_iret_frame+16, %eax\n\tmovl %eax, 20(%esp)\n\t"
    "popl %eax\n\t"
    "iretl\n"
    /* call-gate targets: capture 8 dwords of the frame, load DS/ES/FS, return */
    "fz_cg_body:\n\t"
    "pushl %eax\n\t"
    "incl %ss:fz_cap\n\t"
    "leal 8(%esp), %eax\n\tmovl %eax, %ss:fz_cap+4\n\t"
    "movw %ss, %ss:fz_cap+8\n\tmovw %cs, %ss:fz_cap+12\n\t"
    "pushfl\n\tpopl %ss:fz_cap+16\n\t"
    "movw %ds, %ss:fz_cap+20\n\tmovw %es, %ss:fz_cap+24\n\tmovw %fs, %ss:fz_cap+28\n\t"
    "movl 8(%esp), %eax\n\tmovl %eax, %ss:fz_cap+32\n\t"
    "movl 12(%esp), %eax\n\tmovl %eax, %ss:fz_cap+36\n\t"
    "movl 16(%esp), %eax\n\tmovl %eax, %ss:fz_cap+40\n\t"
    "movl 20(%esp), %eax\n\tmovl %eax, %ss:fz_cap+44\n\t"
    "movl 24(%esp), %eax\n\tmovl %eax, %ss:fz_cap+48\n\t"
    "movl 28(%esp), %eax\n\tmovl %eax, %ss:fz_cap+52\n\t"
    "movl 32(%esp), %eax\n\tmovl %eax, %ss:fz_cap+56\n\t"
    "movl 36(%esp), %eax\n\tmovl %eax, %ss:fz_cap+60\n\t"
    "movl %ss:fz_segs, %eax\n\tmovw %ax, %ds\n\t"
    "movl %ss:fz_segs+4, %eax\n\tmovw %ax, %es\n\t"
    "movl %ss:fz_segs+8, %eax\n\tmovw %ax, %fs\n\t"
    "popl %eax\n\t"
    "ret\n"
    ".globl fz_cg0, fz_cg1, fz_cg2, fz_cg3\n"
    "fz_cg0:\tcall fz_cg_body\n\tlret\n"
    "fz_cg1:\tcall fz_cg_body\n\tlret $4\n"
    "fz_cg2:\tcall fz_cg_body\n\tlret $8\n"
    "fz_cg3:\tcall fz_cg_body\n\tlret $12\n"
    ".popsection\n");
extern void fz_user_exit(void);

static u32 rnd(void)
{
	lcg = lcg * 1103515245u + 12345u;
	return lcg >> 8;
}

u32 fz_hash(const u8 *p, u32 n)
{
	u32 h = 2166136261u;
	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

extern void fz_abort(void);

/* A fault at an inner ring during a user step: record it and abort the step. */
static int fz_inner_fault(struct rt_frame *f)
{
	if (fz_mode != 2 || (f->cs & 3) == 3)
		return 0;
	rt_trap.count++;
	rt_trap.vector = f->vector & 0xff;
	rt_trap.err = f->err;
	rt_trap.eip = f->eip;
	rt_trap.cs = f->cs & 0xffff;
	rt_trap.eflags = f->eflags;
	rt_trap.cr2 = read_cr2();
	fz_out.eax = f->eax; fz_out.ebx = f->ebx; fz_out.ecx = f->ecx; fz_out.edx = f->edx;
	fz_out.esi = f->esi; fz_out.edi = f->edi; fz_out.ebp = f->ebp;
	fz_out.esp = (f->cs & 3) ? f->esp : (u32)&f->esp;
	fz_out.eflags = f->eflags;
	fz_out.ds = f->ds & 0xffff; fz_out.es = f->es & 0xffff; fz_out.fs = f->fs & 0xffff;
	fz_out.ss = (f->cs & 3) ? f->ss & 0xffff : 0x10;
	fz_out.cs = f->cs & 0xffff;
	fz_aborted = 1;
	fz_abort();
	return 1;
}

void fz_restore_sys(void)
{
	u32 i;

	for (i = GDT_FREE; i < GDT_ENTRIES; i++)
		rt_gdt[i] = saved_gdt[i];
	for (i = 0; i < 256; i++)
		rt_idt[i] = saved_idt[i];
	{
		u8 *d = (u8 *)&rt_tss, *s = (u8 *)&saved_tss_head;
		for (i = 0; i < 104; i++)
			d[i] = s[i];
	}
	for (i = 0; i < 16; i++)
		rt_tss.iomap[i] = 0xff;
	rt_reload_tr();
	asm volatile("lldt %w0" : : "r"(0));
}

void fz_setup(void)
{
	u32 i;

	for (i = 0; i < 32; i++)
		rt_set_handler(i, fz_inner_fault);
	rt_set_gate(0x82, SYS_INT_GATE32, 3, SEL_KCODE, (u32)fz_user_exit);
	rt_paging_identity(PTE_P | PTE_W | PTE_U);
	write_cr4(read_cr4() | CR4_PSE | CR4_PGE);
	fz_pte = &rt_pt[FZ_BASE >> 22][(FZ_BASE >> 12) & 1023];
	/* rings 1 and 2: flat code and data, stacks in the TSS */
	rt_gdt[9] = rt_seg_desc(0, 0xfffff, DESC_P | DESC_DPL(1) | DESC_S | SEG_CODE_XR, DESC_G | DESC_DB);
	rt_gdt[10] = rt_seg_desc(0, 0xfffff, DESC_P | DESC_DPL(1) | DESC_S | SEG_DATA_RW, DESC_G | DESC_DB);
	rt_gdt[11] = rt_seg_desc(0, 0xfffff, DESC_P | DESC_DPL(2) | DESC_S | SEG_CODE_XR, DESC_G | DESC_DB);
	rt_gdt[12] = rt_seg_desc(0, 0xfffff, DESC_P | DESC_DPL(2) | DESC_S | SEG_DATA_RW, DESC_G | DESC_DB);
	rt_gdt[8] = rt_seg_desc(0, 0xfffff, DESC_P | DESC_S | SEG_CODE_XRC, DESC_G | DESC_DB);
	rt_gdt[7] = rt_seg_desc(0, 0xfffff, DESC_P | DESC_DPL(3) | DESC_S | SEG_CODE_XRC, DESC_G | DESC_DB);
	rt_tss.esp1 = (u32)fz_stk1 + 2048;
	rt_tss.ss1 = 0x51;
	rt_tss.esp2 = (u32)fz_stk2 + 2048;
	rt_tss.ss2 = 0x62;
	for (i = 0; i < GDT_ENTRIES; i++)
		saved_gdt[i] = rt_gdt[i];
	for (i = 0; i < 256; i++)
		saved_idt[i] = rt_idt[i];
	{
		u8 *d = (u8 *)&saved_tss_head, *s = (u8 *)&rt_tss;
		for (i = 0; i < 104; i++)
			d[i] = s[i];
	}
}

void fz_begin(u32 seed)
{
	u32 i;
	u8 *m = (u8 *)FZ_BASE;

	/* identity map, cleared A/D, WP off, full flush */
	for (i = 0; i < FZ_PAGES + 8; i++)
		fz_pte[i] = (FZ_BASE + i * 4096) | PTE_P | PTE_W | PTE_U;
	for (i = 4; i < 8; i++)
		rt_pd[i] = 0;
	for (i = 0; i < 1024; i++)
		fz_pt2[i] = 0;
	write_cr0(read_cr0() & ~CR0_WP);
	write_cr4(read_cr4() & ~CR4_PGE);
	write_cr4(read_cr4() | CR4_PGE);
	write_cr3((u32)rt_pd);
	lcg = fz_seed = seed;
	for (i = 0; i < FZ_SIZE; i += 4) {
		u32 v = rnd();
		v ^= rnd() << 16;
		*(u32 *)(m + i) = v;
	}
	for (i = 0; i < sizeof(fz_kstack); i += 4)
		*(u32 *)(fz_kstack + i) = 0x5a5a0000 + i;
	for (i = 0; i < sizeof(fz_ustack); i += 4)
		*(u32 *)(fz_ustack + i) = 0xa5a50000 + i;
	rt_memset(&fz_out, 0, sizeof(fz_out));
	rt_memset(&fz_cap, 0, sizeof(fz_cap));
	fz_aborted = 0;
	for (i = 0; i < 4096; i += 4) {
		*(u32 *)(fz_stk1 + i) = 0x11110000 + i;
		*(u32 *)(fz_stk2 + i) = 0x22220000 + i;
	}
	rt_trap_reset();
}

void fz_report(int n, u32 fmask, u32 pflags)
{
	u32 h, hs, i;

	if (pflags & 1) {
		rt_printf("s%d pt=", n);
		for (i = 0; i < FZ_PAGES; i++)
			rt_printf("%x,", fz_pte[i] & 0xfff);
		rt_printf(" pd4=%x pd5=%x pt2=", rt_pd[4] & 0xfff, rt_pd[5] & 0xfff);
		for (i = 0; i < FZ_PAGES; i++)
			rt_printf("%x,", fz_pt2[i] & 0xfff);
		rt_putc('\n');
	}
	for (i = 0; i < FZ_PAGES + 8; i++)
		fz_pte[i] = (FZ_BASE + i * 4096) | PTE_P | PTE_W | PTE_U;
	write_cr4(read_cr4() & ~CR4_PGE);	/* global translations too */
	write_cr4(read_cr4() | CR4_PGE);
	write_cr3((u32)rt_pd);
	h = fz_hash((const u8 *)FZ_BASE, FZ_SIZE);
	hs = fz_hash(fz_kstack, sizeof(fz_kstack)) ^ fz_hash(fz_ustack, sizeof(fz_ustack) - 64) ^
	     (fz_hash(fz_stk1, 4096) * 3) ^ (fz_hash(fz_stk2, 4096) * 5);

	if (rt_trap.count && !(rt_trap.cs & 3))
		hs = 0;	/* the frame pushed on fz_kstack holds undefined flags */

	rt_printf("s%d ", n);
	if (rt_trap.count)
		rt_printf("x%u/%u e=%x ip=+%x cs=%x", rt_trap.count, rt_trap.vector,
			  rt_trap.err, rt_trap.eip - fz_at, rt_trap.cs);
	else
		rt_printf("ok");
	if (rt_trap.count && rt_trap.vector == 14)
		rt_printf(" cr2=%x", rt_trap.cr2);
	rt_printf(" a=%x b=%x c=%x d=%x S=%x D=%x bp=%x sp=%x f=%x",
		  fz_out.eax, fz_out.ebx, fz_out.ecx, fz_out.edx, fz_out.esi,
		  fz_out.edi, fz_out.ebp, fz_out.esp, fz_out.eflags & ~fmask);
	rt_printf(" sg=%x,%x,%x,%x,%x m=%x k=%x", fz_out.ds, fz_out.es, fz_out.fs,
		  fz_out.ss, fz_out.cs, h, hs);
	if (fz_aborted)
		rt_printf(" AB");
	if (fz_cap.n) {
		rt_printf("\n s%d cap n=%u esp=%x ss=%x cs=%x fl=%x ds=%x es=%x fs=%x fr=", n, fz_cap.n,
			  fz_cap.esp, fz_cap.ss, fz_cap.cs, fz_cap.fl & ~fmask, fz_cap.ds, fz_cap.es, fz_cap.fs);
		for (i = 0; i < 8; i++)
			rt_printf("%x,", fz_cap.fr[i]);
	}
	rt_putc('\n');
#ifdef FZ_DUMP
	fz_memdump();
#endif
}

/* Dumps every dword of the test area that differs from the seeded fill. */
void fz_memdump(void)
{
	u32 i, v, *m = (u32 *)FZ_BASE;

	lcg = fz_seed;
	for (i = 0; i < FZ_SIZE / 4; i++) {
		v = rnd();
		v ^= rnd() << 16;
		if (m[i] != v)
			rt_printf("  M %x: %x (was %x)\n", FZ_BASE + i * 4, m[i], v);
	}
}
