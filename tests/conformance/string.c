/*
 * string: MOVS, STOS, LODS, CMPS, SCAS, INS and OUTS with REP, REPE and
 * REPNE, forward and backward (DF=1), byte/word/dword, with a segment
 * override on the source and with 16-bit addressing (0x67).
 *
 * Follows the SDM vol. 2 pages MOVS, STOS, LODS, CMPS, SCAS, INS, OUTS and
 * REP/REPE/REPZ/REPNE/REPNZ:
 *  - each iteration moves ESI/EDI by the element size, up when DF=0, down
 *    when DF=1; REP stops when ECX reaches 0, and ECX = 0 on entry runs no
 *    iteration and leaves the flags alone;
 *  - REPE/REPNE also stop on ZF; the element that ends the loop has been
 *    compared, counted and stepped over; CMPS computes [ESI] - [EDI],
 *    SCAS computes accumulator - [EDI];
 *  - the source (DS:ESI) accepts a segment override, the destination is
 *    always ES:EDI;
 *  - with a 16-bit address size the count is CX and the pointers SI/DI,
 *    which wrap at 64 KiB while the upper halves of ECX/ESI/EDI stay.
 * Test buffers at 8 MiB and the segment bases over them are this kernel's
 * own choices.
 */
#include "rt.h"

RT_KERNEL("string");

#define AREA		0x800000u	/* 128 KiB of scratch memory */
#define SEL_SRC		SEL(GDT_FREE, 0)
#define SEL_DST		SEL(GDT_FREE + 1, 0)

static u8 *const area = (u8 *)AREA;

static void fill(u32 off, u32 n, u8 first)
{
	u32 i;

	for (i = 0; i < n; i++)
		area[off + i] = first + i;
}

static void run_movs(void)
{
	u32 s = AREA, d = AREA + 0x100, c = 5, f;

	fill(0, 32, 0x10);
	rt_memset(area + 0x100, 0, 32);
	asm volatile("cld\n\trep movsl"
		     : "+S"(s), "+D"(d), "+c"(c) : : "memory");
	rt_check(c, 0, "rep movsd: ECX counts down to 0");
	rt_check(s - AREA, 20, "rep movsd: ESI advanced by 5*4");
	rt_check(d - AREA - 0x100, 20, "rep movsd: EDI advanced by 5*4");
	rt_check(*(u32 *)(area + 0x110) == 0x23222120 && area[0x114] == 0, 1,
		 "rep movsd: exactly 20 bytes copied");

	/* Overlapping copy upward needs DF=1, starting from the last element. */
	fill(0, 8, 1);
	s = AREA + 6, d = AREA + 7, c = 7;
	asm volatile("std\n\trep movsb\n\tcld"
		     : "+S"(s), "+D"(d), "+c"(c) : : "memory");
	rt_check(s, AREA - 1, "rep movsb DF=1: ESI ends before the start");
	rt_check(*(u32 *)(area + 4) == 0x07060504 &&
		 *(u32 *)area == 0x03020101, 1,
		 "rep movsb DF=1: overlapping move ends intact");

	s = AREA, d = AREA + 0x100, c = 0;
	asm volatile("pushl $0x8d7\n\tpopfl\n\trep movsb\n\tpushfl\n\tpopl %3\n\t"
		     "cld"
		     : "+S"(s), "+D"(d), "+c"(c), "=r"(f) : : "memory", "cc");
	rt_check(s == AREA && d == AREA + 0x100, 1, "rep movsb ECX=0: no move");
	rt_check(f & EFLAGS_STATUS, EFLAGS_STATUS, "rep movsb ECX=0: flags kept");

	s = AREA, d = AREA + 0x200;
	asm volatile("movsw" : "+S"(s), "+D"(d) : : "memory");
	rt_check(d - AREA - 0x200, 2, "movsw without REP: one word");
}

static void run_stos_lods(void)
{
	u32 d = AREA + 0x300, c = 3, a;

	rt_memset(area + 0x2f0, 0, 0x40);
	asm volatile("std\n\trep stosw\n\tcld"
		     : "+D"(d), "+c"(c) : "a"(0xbeef) : "memory");
	rt_check(d, AREA + 0x300 - 6, "rep stosw DF=1: EDI down by 6");
	rt_check(*(u32 *)(area + 0x2fc) == 0xbeefbeef &&
		 *(u16 *)(area + 0x300) == 0xbeef && area[0x2fb] == 0 &&
		 area[0x2f9] == 0, 1, "rep stosw DF=1: words at EDI, EDI-2, EDI-4");

	fill(0, 16, 0x40);
	d = AREA, c = 4, a = 0x11223344;
	asm volatile("rep lodsb" : "+S"(d), "+c"(c), "+a"(a) : : "memory");
	rt_check(a, 0x11223343, "rep lodsb: AL holds the last byte loaded");
	rt_check(d - AREA, 4, "rep lodsb: ESI advanced by 4");
}

static void run_cmps_scas(void)
{
	u32 s, d, c, f;
	const char *str = "conformance";

	fill(0, 16, 0x60);
	fill(0x100, 16, 0x60);
	area[0x105] = 0x70;
	s = AREA, d = AREA + 0x100, c = 16;
	asm volatile("cld\n\trepe cmpsb\n\tpushfl\n\tpopl %3"
		     : "+S"(s), "+D"(d), "+c"(c), "=r"(f) : : "memory", "cc");
	rt_check(c, 10, "repe cmpsb: stops after the mismatch at element 5");
	rt_check(s - AREA, 6, "repe cmpsb: ESI past the mismatching byte");
	rt_check(f & (EFLAGS_ZF | EFLAGS_CF | EFLAGS_SF), EFLAGS_CF | EFLAGS_SF,
		 "repe cmpsb: flags of [ESI]-[EDI] = 0x65-0x70");

	s = AREA, d = AREA + 0x100, c = 4;
	asm volatile("repe cmpsl\n\tpushfl\n\tpopl %3"
		     : "+S"(s), "+D"(d), "+c"(c), "=r"(f) : : "memory", "cc");
	rt_check(c == 2 && (f & EFLAGS_ZF) == 0, 1,
		 "repe cmpsd: the second dword differs");

	s = AREA, d = AREA + 0x100, c = 8;
	asm volatile("repne cmpsb\n\tpushfl\n\tpopl %3"
		     : "+S"(s), "+D"(d), "+c"(c), "=r"(f) : : "memory", "cc");
	rt_check(c == 7 && (f & EFLAGS_ZF), 1,
		 "repne cmpsb: stops on the first equal pair");

	d = (u32)str, c = ~0u;
	asm volatile("repne scasb" : "+D"(d), "+c"(c) : "a"(0) : "memory", "cc");
	rt_check(~c - 1, 11, "repne scasb: strlen(\"conformance\") from ECX");
	rt_check(d - (u32)str, 12, "repne scasb: EDI past the terminator");

	d = (u32)str + 10, c = 11;
	asm volatile("std\n\trepne scasb\n\tcld\n\tpushfl\n\tpopl %2"
		     : "+D"(d), "+c"(c), "=r"(f) : "a"('f') : "memory", "cc");
	rt_check(d - (u32)str, 2, "repne scasb DF=1: finds 'f' scanning down");
	rt_check(c == 3 && (f & EFLAGS_ZF), 1, "repne scasb DF=1: count and ZF");

	d = (u32)str, c = 0;
	asm volatile("pushl $0x8d7\n\tpopfl\n\trepe scasb\n\tpushfl\n\tpopl %2\n\t"
		     "cld"
		     : "+D"(d), "+c"(c), "=r"(f) : "a"(0) : "memory", "cc");
	rt_check(f & EFLAGS_STATUS, EFLAGS_STATUS,
		 "repe scasb ECX=0: flags untouched");
}

/* DS:ESI may be overridden; ES:EDI may not (the prefix only affects the
 * source). */
static void run_overrides(void)
{
	u32 s, d, c, a;

	rt_gdt[GDT_FREE] = rt_seg_desc(AREA + 0x1000, 0xffff,
				       DESC_P | DESC_S | SEG_DATA_RW, 0);
	rt_gdt[GDT_FREE + 1] = rt_seg_desc(AREA + 0x2000, 0xffff,
					   DESC_P | DESC_S | SEG_DATA_RW, 0);
	fill(0x1000, 16, 0xa0);
	fill(0x40, 16, 0x00);
	rt_memset(area + 0x2000, 0, 0x100);

	s = 0x4, d = AREA + 0x80, c = 4;
	asm volatile("movw %w3, %%fs\n\trep movsb %%fs:(%%esi), %%es:(%%edi)"
		     : "+S"(s), "+D"(d), "+c"(c) : "r"(SEL_SRC) : "memory");
	rt_check(*(u32 *)(area + 0x80), 0xa7a6a5a4,
		 "rep movsb fs:[esi]: source read through the FS base");

	s = 0x8;
	asm volatile("movw %w2, %%gs\n\tlodsl %%gs:(%%esi)"
		     : "+S"(s), "=a"(a) : "r"(SEL_SRC) : "memory");
	rt_check(a, 0xabaaa9a8, "lodsd gs:[esi]: GS base applies");

	s = AREA + 0x40, d = 0x10, c = 2;
	asm volatile("pushl %%es\n\tmovw %w3, %%es\n\trep movsw\n\tpopl %%es"
		     : "+S"(s), "+D"(d), "+c"(c) : "r"(SEL_DST) : "memory");
	rt_check(*(u32 *)(area + 0x2010), 0x03020100,
		 "rep movsw: destination written through the ES base");

	s = 0x0, d = AREA + 0x1000, c = 16;
	asm volatile("movw %w3, %%fs\n\trepe cmpsb %%es:(%%edi), %%fs:(%%esi)"
		     : "+S"(s), "+D"(d), "+c"(c) : "r"(SEL_SRC)
		     : "memory", "cc");
	rt_check(c, 0, "repe cmpsb fs:[esi], es:[edi]: same bytes via two bases");
	asm volatile("movw %w0, %%fs\n\tmovw %w0, %%gs" : : "r"(SEL_KDATA));
}

/* 0x67: CX, SI and DI; the upper halves are neither used nor changed. */
static void run_addr16(void)
{
	u32 s, d, c;

	rt_gdt[GDT_FREE] = rt_seg_desc(AREA, 0xfffff,
				       DESC_P | DESC_S | SEG_DATA_RW, 0);
	fill(0, 4, 0xc0);
	area[0xffff] = 0xcf;
	rt_memset(area + 0x10000, 0xee, 4);
	rt_memset(area + 0x100, 0, 8);

	s = 0xabcdffff, d = 0x12340100, c = 0x55550003;
	asm volatile("pushl %%ds\n\tpushl %%es\n\tmovw %w3, %%ds\n\t"
		     "movw %w3, %%es\n\taddr16 rep movsb\n\t"
		     "popl %%es\n\tpopl %%ds"
		     : "+S"(s), "+D"(d), "+c"(c) : "r"(SEL_SRC) : "memory");
	rt_check(c, 0x55550000, "addr16 rep movsb: CX counted, ECX[31:16] kept");
	rt_check(s, 0xabcd0002, "addr16 rep movsb: SI wraps from 0xffff to 0");
	rt_check(d, 0x12340103, "addr16 rep movsb: DI advanced, EDI[31:16] kept");
	rt_check(area[0x100] == 0xcf && area[0x101] == 0xc0 &&
		 area[0x102] == 0xc1, 1,
		 "addr16 rep movsb: bytes from 0xffff, 0x0000, 0x0001");
}

static void run_ins_outs(void)
{
	u32 s = AREA, d = AREA + 0x400, c = 4;

	/* Port 0x80 is the POST-code port: writes land nowhere visible. */
	asm volatile("rep outsb" : "+S"(s), "+c"(c) : "d"(0x80) : "memory");
	rt_check(s - AREA, 4, "rep outsb: ESI advanced by 4, ECX to 0");
	c = 2;
	asm volatile("std\n\trep insw\n\tcld"
		     : "+D"(d), "+c"(c) : "d"(0x80) : "memory");
	rt_check(AREA + 0x400 - d, 4, "rep insw DF=1: EDI down by 2*2");
}

void kmain(void)
{
	run_movs();
	run_stos_lods();
	run_cmps_scas();
	run_overrides();
	run_addr16();
	run_ins_outs();
}
