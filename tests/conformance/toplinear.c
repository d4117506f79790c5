/*
 * toplinear: paging structures reached through the page directory itself,
 * and code and data in the last 4 MiB of linear space.
 *
 * Follows the SDM vol. 3, 4.3 (32-bit paging): a PDE is used as a PTE when
 * the walk reaches the directory again, so a directory whose last entry
 * points to itself ("recursive" mapping, common in hobby and teaching
 * kernels) shows every page table at 0xFFC00000 + 4096 * i and the
 * directory itself at 0xFFFFF000. Writes through that window are ordinary
 * writes to the paging structures: after an INVLPG of the page they map
 * (4.10.4.1) the new translation is used, and a walk through the window
 * sets A and D in the PDE it uses as a PTE (4.8). Then the last slot maps
 * an ordinary page table: data, a stack, ring-3 pages, code and a far
 * pointer there; a #PF there reports its own CR2; LSL and LAR take their
 * selector from memory there (3.4.5, vol. 2 "LSL").
 * The frames at 9 MiB and the tables at FRAME(8) and FRAME(9) are this
 * kernel's choice.
 */
#include "rt.h"

RT_KERNEL("toplinear");

#define FRAME(n)	(0x900000u + (n) * 0x1000)
#define WIN		0xffc00000u	/* page table i at WIN + 4096 * i */
#define SELF		0xfffff000u	/* the directory, through itself */
#define TOP_PDE		1023u
#define DATA_PDE	1022u		/* 0xff800000: a table of our own */
#define DATA_VA		0xff800000u

static volatile u32 *const win_pd = (volatile u32 *)SELF;

static volatile u32 *win_pt(unsigned pde)
{
	return (volatile u32 *)(WIN + pde * 0x1000);
}

static u32 peek(u32 va)
{
	return *(volatile u32 *)va;
}

static void poke(u32 va, u32 v)
{
	*(volatile u32 *)va = v;
}

static void run_read(void)
{
	rt_check(win_pd[0], rt_pd[0], "directory entry 0 read through the directory");
	rt_check(win_pd[TOP_PDE], rt_pd[TOP_PDE], "the recursive entry reads itself");
	rt_check(win_pt(0)[0x123], rt_pt[0][0x123], "page table 0 entry 0x123 through the window");
	rt_check(win_pt(3)[1023], rt_pt[3][1023], "page table 3 entry 1023 through the window");
	rt_check(peek(WIN + 0x1000 * 2 + 4 * 5), rt_pt[2][5], "dword read at WIN + 0x2014");
}

static void run_write(void)
{
	volatile u32 *pt = win_pt(DATA_PDE);
	u32 pte;

	/* A new page table for 0xff800000, installed through the window. */
	win_pd[DATA_PDE] = FRAME(8) | PTE_P | PTE_W | PTE_U;
	invlpg(WIN + DATA_PDE * 0x1000);
	for (int i = 0; i < 1024; i++)
		pt[i] = 0;
	/* The walks through the window used this PDE as a PTE: A and D. */
	rt_check(rt_pd[DATA_PDE], FRAME(8) | PTE_P | PTE_W | PTE_U | PTE_A | PTE_D,
		 "a PDE written through the window lands in the directory");
	pt[0] = FRAME(0) | PTE_P | PTE_W;
	invlpg(DATA_VA);
	rt_check(peek(DATA_VA), 0xa0, "page mapped through the window maps frame 0");
	pt[0] = FRAME(1) | PTE_P | PTE_W;
	invlpg(DATA_VA);
	rt_check(peek(DATA_VA), 0xa1, "remapped through the window: frame 1");
	poke(DATA_VA + 8, 0x5eed);
	rt_check(peek(FRAME(1) + 8), 0x5eed, "a write at 0xff800008 reaches frame 1");
	pte = pt[0];
	rt_check(pte & (PTE_A | PTE_D), PTE_A | PTE_D, "accessed and dirty set in the PTE");

	/* Read-modify-write instructions on a PTE through the window. */
	pt[1] = FRAME(2) | PTE_P;
	asm volatile("orl %1, %0" : "+m"(pt[1]) : "ri"(PTE_W));
	asm volatile("btsl $1, %0" : "+m"(pt[1]) : : "cc");
	invlpg(DATA_VA + 0x1000);
	poke(DATA_VA + 0x1000, 0x77);
	rt_check(peek(FRAME(2)), 0x77, "OR and BTS through the window made the page writable");
	rt_check(*(volatile u8 *)(DATA_VA + 0x1000), 0x77, "byte read at 0xff801000");
}

static void run_string(void)
{
	u32 dst[4] = { 0, 0, 0, 0 };
	u32 *d = dst;
	u32 src = WIN + 0x1000 * 1;	/* page table 1 */
	u32 n = 4;

	asm volatile("cld; rep movsl" : "+S"(src), "+D"(d), "+c"(n) : : "memory");
	rt_check(dst[0] == rt_pt[1][0] && dst[3] == rt_pt[1][3], 1,
		 "rep movsl copies four PTEs out of the window");
}

/* ---- the last slot as an ordinary page table ---- */

#define TOP_VA		0xffc00000u
#define TOP_PT		FRAME(9)

static volatile u32 *const top_pt = (volatile u32 *)TOP_PT;

static void top_map(unsigned i, u32 pte)
{
	top_pt[i] = pte;
	invlpg(TOP_VA + i * 0x1000);
}

static void run_top_data(void)
{
	top_map(0, FRAME(0) | PTE_P | PTE_W);
	top_map(1023, FRAME(1) | PTE_P | PTE_W);
	rt_check(peek(TOP_VA), 0xa0, "0xffc00000 maps frame 0");
	poke(TOP_VA + 0x40, 0x1234);
	rt_check(peek(FRAME(0) + 0x40), 0x1234, "a write at 0xffc00040 reaches frame 0");
	rt_check(peek(0xfffff000u), 0xa1, "0xfffff000, the last page, maps frame 1");
	*(volatile u8 *)0xffffffffu = 0x5a;
	rt_check(*(volatile u8 *)(FRAME(1) + 0xfff), 0x5a, "a byte at 0xffffffff, the last one");
	rt_check(*(volatile u16 *)0xfffffffeu, 0x5a00 | *(volatile u8 *)(FRAME(1) + 0xffe),
		 "a word at 0xfffffffe");
	asm volatile("addl $5, %0" : "+m"(*(volatile u32 *)(TOP_VA + 0x40)) : : "cc");
	rt_check(peek(FRAME(0) + 0x40), 0x1239, "ADD to memory at 0xffc00040");
}

/* The page holding the GDT (and the IDT) unmapped for a moment: loaded
 * segments go on working without their descriptors (SDM vol. 3, 3.4.3:
 * the hidden part of a segment register is used), here on data in the
 * last 4 MiB. Nothing in between may fault: the IDT is gone too. */
static void run_top_without_gdt(void)
{
	u32 page = (u32)rt_gdt >> 12, v;

	rt_pt[page >> 10][page & 1023] = 0;
	invlpg((u32)rt_gdt);
	__asm__ volatile("movl $0x7777, 0xffc00044\n\t"
			 "movl 0xffc00044, %0"
			 : "=r"(v) : : "memory");
	rt_pt[page >> 10][page & 1023] = (page << 12) | PTE_P | PTE_W | PTE_U;
	invlpg((u32)rt_gdt);
	rt_check(v, 0x7777, "0xffc00044 written and read with the GDT's page unmapped");
}

static u32 stack_sum(void)
{
	u32 sum, old;

	/* A stack whose top is 0xffc02000: PUSH, CALL, RET and POP use it. */
	asm volatile("movl %%esp, %1\n\t"
		     "movl $0xffc02000, %%esp\n\t"
		     "pushl $0x11\n\t"
		     "pushl $0x22\n\t"
		     "call 1f\n\t"
		     "jmp 2f\n"
		     "1:\tret\n"
		     "2:\tpopl %0\n\t"
		     "addl (%%esp), %0\n\t"
		     "movl %1, %%esp"
		     : "=&r"(sum), "=&r"(old) : : "memory");
	return sum;
}

static void run_top_stack(void)
{
	top_map(1, FRAME(4) | PTE_P | PTE_W);
	rt_check(stack_sum(), 0x33, "push, call, ret and pop on a stack at 0xffc02000");
	rt_check(peek(FRAME(4) + 0xffc), 0x11, "the first push landed at frame 4 + 0xffc");
}

static void run_top_fault(void)
{
	u32 at = 0;

	top_map(5, 0);
	rt_trap_reset();
	RT_TRY(at, "movl 0xffc05010, %%eax", "eax");
	rt_check_trap("read of a not-present page at 0xffc05010", X86_EXC_PF, 0, at);
	rt_check(rt_trap.cr2, TOP_VA + 0x5010, "CR2 names 0xffc05010");
	top_map(6, FRAME(2) | PTE_P);
	write_cr0(read_cr0() | CR0_WP);
	rt_trap_reset();
	RT_TRY(at, "movl $1, 0xffc06020");
	write_cr0(read_cr0() & ~CR0_WP);
	rt_check_trap("CR0.WP = 1: write to a read-only page at 0xffc06020", X86_EXC_PF,
		      PF_W | PF_P, at);
	rt_check(rt_trap.cr2, TOP_VA + 0x6020, "CR2 names 0xffc06020");
}

static u32 user_peek(u32 va)
{
	return *(volatile u32 *)va;
}

/* Ring 3 reads va; a fault resumes after the read. Returns the read's EIP. */
static u32 user_probe(u32 va)
{
	u32 at;

	asm volatile("movl $1f, rt_resume\n\tmovl $2f, %0\n"
		     "2:\tmovl (%1), %%eax\n"
		     "1:\tmovl $0, rt_resume"
		     : "=&r"(at) : "c"(va) : "eax", "memory");
	return at;
}

static void run_top_user(void)
{
	u32 at;

	top_map(7, FRAME(3) | PTE_P | PTE_W | PTE_U);
	rt_check(rt_user_call(user_peek, TOP_VA + 0x7000, EFLAGS_FIXED), 0xa3,
		 "ring 3 reads its page at 0xffc07000");
	rt_trap_reset();
	at = rt_user_call(user_probe, TOP_VA, EFLAGS_FIXED);
	rt_check_trap("ring 3 read of a supervisor page at 0xffc00000", X86_EXC_PF,
		      PF_U | PF_P, at);
	rt_check(rt_trap.cr2, TOP_VA, "ring 3 fault: CR2 0xffc00000");
}

static void run_top_code(void)
{
	/* mov $0x600d, %eax; ret */
	static const u8 code[] = { 0xb8, 0x0d, 0x60, 0x00, 0x00, 0xc3 };
	u32 v;

	for (unsigned k = 0; k < sizeof(code); k++)
		*(volatile u8 *)(FRAME(5) + 0x100 + k) = code[k];
	top_map(8, FRAME(5) | PTE_P | PTE_W);
	asm volatile("call *%1" : "=a"(v) : "r"(TOP_VA + 0x8100) : "memory", "cc");
	rt_check(v, 0x600d, "code at 0xffc08100 runs and returns");
}

static void run_top_selectors(void)
{
	u32 v = 0, ok;
	u16 ss;

	top_map(9, FRAME(6) | PTE_P | PTE_W);
	/* A far pointer (offset, selector) at 0xffc09000, and a selector. */
	poke(TOP_VA + 0x9000, 0x1234);
	*(volatile u16 *)(TOP_VA + 0x9004) = SEL_KDATA;
	*(volatile u16 *)(TOP_VA + 0x9010) = SEL_KDATA;
	asm volatile("movw %%fs, %%dx\n\t"
		     "lfs 0xffc09000, %0\n\t"
		     "movw %%fs, %1\n\t"
		     "movw %%dx, %%fs"
		     : "=r"(v), "=r"(ss) : : "edx", "memory");
	rt_check(v == 0x1234 && ss == SEL_KDATA, 1, "lfs loads a far pointer from 0xffc09000");
	asm volatile("movw %%gs, %%dx\n\t"
		     "movw 0xffc09010, %%gs\n\t"
		     "movw %%gs, %0\n\t"
		     "movw %%dx, %%gs"
		     : "=r"(ss) : : "edx", "memory");
	rt_check(ss, SEL_KDATA, "mov to gs from a selector at 0xffc09010");
	asm volatile("lsl 0xffc09010, %0\n\t"
		     "setz %b1"
		     : "=r"(v), "=q"(ok) : "0"(0), "1"(0) : "cc", "memory");
	rt_check(v == 0xffffffff && (ok & 0xff), 1,
		 "lsl of a selector at 0xffc09010: 4 GiB limit, ZF set");
}

void kmain(void)
{
	for (int i = 0; i < 7; i++)
		poke(FRAME(i), 0xa0 + i);
	rt_paging_identity(PTE_P | PTE_W | PTE_U);
	rt_pd[TOP_PDE] = (u32)rt_pd | PTE_P | PTE_W;
	write_cr3((u32)rt_pd);
	run_read();
	run_write();
	run_string();

	for (int i = 0; i < 1024; i++)
		top_pt[i] = 0;
	rt_pd[TOP_PDE] = TOP_PT | PTE_P | PTE_W | PTE_U;
	write_cr3((u32)rt_pd);
	run_top_data();
	run_top_without_gdt();
	run_top_stack();
	run_top_fault();
	run_top_user();
	run_top_code();
	run_top_selectors();
	rt_paging_off();
}
