/*
 * segment: segmentation with bases other than 0: GDT and LDT data segments,
 * 32-bit wraparound of base + offset, stack segments (expand-up and
 * expand-down) and the granularity bit.
 *
 * Follows the SDM vol. 3, 3.4 (selectors, TI picks the LDT), 3.4.5
 * (descriptor fields: base, limit, G scales the limit to 4 KiB units with
 * the low 12 bits set, E/expand-down makes the valid offsets limit+1 to
 * 0xffff or 0xffffffff by the B flag) and 5.3 (limit checking):
 *  - linear address = base + offset, modulo 2^32;
 *  - accesses inside the limits succeed, including the last byte of a
 *    G = 1 segment and the first byte above an expand-down limit;
 *  - LSL reports the byte-granular limit of expand-down segments too;
 *  - a far JMP to an offset beyond the target's limit is #GP(0).
 * Accesses beyond the limits, which the SDM makes faults, are checked in
 * sdm_vs_qemu. The memory at 8 MiB and the bases over it are this
 * kernel's own choices.
 */
#include "rt.h"

RT_KERNEL("segment");

#define AREA		0x800000u
#define IDX_BASED	GDT_FREE		/* base AREA, limit 0xffff */
#define IDX_WRAP	(GDT_FREE + 1)		/* base 0xff800000, 4 GiB */
#define IDX_STACK	(GDT_FREE + 2)		/* base AREA + 0x10000 stack */
#define IDX_EXPDOWN	(GDT_FREE + 3)		/* expand-down, B = 1 */
#define IDX_EXPDOWN16	(GDT_FREE + 4)		/* expand-down, B = 0 */
#define IDX_GRAN	(GDT_FREE + 5)		/* base AREA, G = 1, limit 0 */
#define IDX_CODE	(GDT_FREE + 6)		/* code at AREA, limit 0xff */
#define SEL_CODE	0x68			/* IDX_CODE << 3, for the assembler */
_Static_assert(SEL_CODE == SEL(IDX_CODE, 0), "SEL_CODE out of date");
#define STR_(x)		#x
#define STR(x)		STR_(x)

static volatile u32 *const area = (volatile u32 *)AREA;

static u32 lsl(u32 sel)
{
	u32 v;

	asm("lsll %1, %0" : "=r"(v) : "r"(sel) : "cc");
	return v;
}

static void run_based(void)
{
	u32 v;

	rt_gdt[IDX_BASED] = rt_seg_desc(AREA, 0xffff,
		DESC_P | DESC_S | SEG_DATA_RW, DESC_DB);
	area[4] = 0;
	asm volatile("movw %w1, %%fs\n\tmovl $0xc0ffee, %%fs:0x10\n\t"
		     "movl %%fs:0x10, %0"
		     : "=r"(v) : "r"(SEL(IDX_BASED, 0)) : "memory");
	rt_check(area[4], 0xc0ffee, "fs base 8 MiB: offset 0x10 writes linear 8 MiB + 0x10");
	rt_check(v, 0xc0ffee, "fs base 8 MiB: read back through the segment");
	area[0x3fff] = 0x1a57;
	asm volatile("movl %%fs:0xfffc, %0" : "=r"(v));
	rt_check(v, 0x1a57, "fs: last dword inside a byte-granular limit");

	rt_gdt[IDX_WRAP] = rt_seg_desc(0xff800000, 0xfffff,
		DESC_P | DESC_S | SEG_DATA_RW, DESC_G | DESC_DB);
	area[8] = 0;
	asm volatile("movw %w0, %%gs\n\tmovl $0x3a9, %%gs:0x01000020"
		     : : "r"(SEL(IDX_WRAP, 0)) : "memory");
	rt_check(area[8], 0x3a9, "base 0xff800000 + 0x01000020 wraps to 8 MiB + 0x20");

	rt_gdt[IDX_GRAN] = rt_seg_desc(AREA, 0,
		DESC_P | DESC_S | SEG_DATA_RW, DESC_G | DESC_DB);
	area[0x3ff] = 0x9a11;
	asm volatile("movw %w1, %%gs\n\tmovl %%gs:0xffc, %0"
		     : "=r"(v) : "r"(SEL(IDX_GRAN, 0)));
	rt_check(v, 0x9a11, "G = 1, limit 0: offsets up to 0xfff are valid");
	rt_check(lsl(SEL(IDX_GRAN, 0)), 0xfff, "lsl of a G = 1 limit 0 segment: 0xfff");
	asm volatile("movw %w0, %%fs\n\tmovw %w0, %%gs" : : "r"(SEL_KDATA));
}

static void run_ldt(void)
{
	u32 v;

	rt_ldt[0] = 0;
	rt_ldt[1] = rt_seg_desc(AREA + 0x1000, 0xfff,
		DESC_P | DESC_S | SEG_DATA_RW, DESC_DB);
	rt_ldt[2] = rt_seg_desc(AREA + 0x2000, 0xfff,
		DESC_P | DESC_DPL(3) | DESC_S | SEG_DATA_RW, DESC_DB);
	rt_load_ldt(3);
	area[0x1000 / 4 + 1] = 0;
	asm volatile("movw %w1, %%fs\n\tmovl $0x1d7, %%fs:4\n\tmovl %%fs:4, %0"
		     : "=r"(v) : "r"(SEL(1, 0) | SEL_TI) : "memory");
	rt_check(area[0x1000 / 4 + 1], 0x1d7, "LDT selector 0xc: base from LDT entry 1");
	rt_check(v, 0x1d7, "LDT segment read back");
	area[0x2000 / 4] = 0x2d7;
	asm volatile("movw %w1, %%fs\n\tmovl %%fs:0, %0"
		     : "=r"(v) : "r"(SEL(2, 3) | SEL_TI));
	rt_check(v, 0x2d7, "LDT selector 0x17 (RPL 3, DPL 3) at CPL 0");
	rt_check(lsl(SEL(2, 3) | SEL_TI), 0xfff, "lsl of an LDT segment");
	asm volatile("movw %w0, %%fs\n\tlldt %w1" : : "r"(SEL_KDATA), "r"(0));
}

/* Runs a push/pop pair on another stack segment and comes back. */
static u32 stack_probe(u32 ss, u32 esp, u32 *after)
{
	u32 v, e;

	asm volatile("movl %%esp, %%edi\n\tmovw %%ss, %%si\n\t"
		     "movw %w2, %%ss\n\tmovl %3, %%esp\n\t"
		     "pushl $0x57ac\n\tpushl $0x57ad\n\tpopl %0\n\t"
		     "movl %%esp, %1\n\t"
		     "movw %%si, %%ss\n\tmovl %%edi, %%esp"
		     : "=&r"(v), "=&r"(e) : "r"(ss), "r"(esp)
		     : "esi", "edi", "memory");
	*after = e;
	return v;
}

static void run_stacks(void)
{
	u32 v, e;

	rt_gdt[IDX_STACK] = rt_seg_desc(AREA + 0x10000, 0xffff,
		DESC_P | DESC_S | SEG_DATA_RW, DESC_DB);
	area[0x10000 / 4 + 0x3ff] = 0;
	v = stack_probe(SEL(IDX_STACK, 0), 0x1000, &e);
	rt_check(area[0x10000 / 4 + 0x3ff], 0x57ac,
		 "push through SS base 8 MiB + 64 KiB lands at base + ESP - 4");
	rt_check(v == 0x57ad && e == 0xffc, 1, "pop through a based SS");

	/*
	 * Expand-down, B = 1, G = 1: the limit 0x80f scales to 0x80ffff, so
	 * offsets 0x00810000..0xffffffff are valid.
	 */
	rt_gdt[IDX_EXPDOWN] = rt_seg_desc(0, 0x80f,
		DESC_P | DESC_S | SEG_DATA_RW_ED, DESC_G | DESC_DB);
	area[0x10400 / 4 - 1] = 0;
	v = stack_probe(SEL(IDX_EXPDOWN, 0), AREA + 0x10400, &e);
	rt_check(area[0x10400 / 4 - 1], 0x57ac,
		 "expand-down stack (B = 1): push above the limit");
	rt_check(v == 0x57ad && e == AREA + 0x103fc, 1,
		 "expand-down stack (B = 1): pop");
	rt_check(lsl(SEL(IDX_EXPDOWN, 0)), 0x80ffff,
		 "lsl of an expand-down segment: the scaled limit");
	v = stack_probe(SEL(IDX_EXPDOWN, 0), AREA + 0x10008, &e);
	rt_check(e, AREA + 0x10004, "expand-down: the lowest valid dword, limit + 1");

	/* Expand-down, B = 0: offsets limit+1..0xffff, based at AREA. */
	rt_gdt[IDX_EXPDOWN16] = rt_seg_desc(AREA, 0x7fff,
		DESC_P | DESC_S | SEG_DATA_RW_ED, 0);
	area[0xfffc / 4] = 0;
	asm volatile("movw %w0, %%fs\n\tmovl $0xed16, %%fs:0xfffc\n\t"
		     "movw %w1, %%fs"
		     : : "r"(SEL(IDX_EXPDOWN16, 0)), "r"(SEL_KDATA) : "memory");
	rt_check(area[0xfffc / 4], 0xed16,
		 "expand-down (B = 0): offset 0xfffc, below the 64 KiB bound");
}

/* A far JMP checks the offset against the new CS limit (vol. 2, JMP); the
 * far CALL case, whose error code QEMU gets wrong, is in sdm_vs_qemu. */
static void run_code_limit(void)
{
	u32 at;

	rt_gdt[IDX_CODE] = rt_seg_desc(AREA, 0xff,
		DESC_P | DESC_S | SEG_CODE_XR, DESC_DB);
	rt_trap_reset();
	RT_TRY(at, "ljmp $" STR(SEL_CODE) ", $0x100");
	rt_check_trap("far jmp to offset limit + 1: #GP(0) at the JMP",
		      X86_EXC_GP, 0, at);
}

void kmain(void)
{
	run_code_limit();
	run_based();
	run_ldt();
	run_stacks();
}
