/*
 * datamov: data movement and address arithmetic: MOVZX/MOVSX, CBW/CWDE/
 * CWD/CDQ, XCHG/XADD/CMPXCHG/CMPXCHG8B, LEA with every 32-bit and 16-bit
 * addressing form, XLAT, 16-bit operand-size writes, and self-modifying code.
 *
 * Follows the SDM vol. 2 pages of those instructions and vol. 2, 2.1.5
 * (ModR/M and SIB tables 2-1..2-3):
 *  - a 16-bit destination (0x66) writes only the low word of a register or
 *    two bytes of memory;
 *  - XADD sets the flags of the ADD; CMPXCHG compares the accumulator with
 *    the destination like CMP; CMPXCHG8B changes only ZF;
 *  - LEA computes the offset without touching memory; 32-bit addresses wrap
 *    modulo 2^32; with a 0x67 prefix the sum wraps modulo 2^16 and, with a
 *    32-bit operand, is zero-extended; a SIB index of 100b means no index
 *    whatever the scale;
 *  - XLAT loads AL from DS:[EBX + unsigned AL];
 *  - vol. 3, 11.6: a store into code, including the very next instruction,
 *    is seen by the instruction fetch that follows it on P6-class CPUs.
 */
#include "rt.h"

RT_KERNEL("datamov");

static void run_extend(void)
{
	u32 r;
	static u8 b = 0x80;
	static u16 w = 0x8001;

	asm("movzbl %1, %0" : "=r"(r) : "m"(b));
	rt_check(r, 0x80, "movzx r32, m8");
	asm("movsbl %1, %0" : "=r"(r) : "m"(b));
	rt_check(r, 0xffffff80, "movsx r32, m8");
	asm("movzwl %1, %0" : "=r"(r) : "m"(w));
	rt_check(r, 0x8001, "movzx r32, m16");
	asm("movswl %1, %0" : "=r"(r) : "m"(w));
	rt_check(r, 0xffff8001, "movsx r32, m16");
	r = 0x12345678;
	asm("movsbw %b1, %w0" : "+r"(r) : "q"(0xfe));
	rt_check(r, 0x1234fffe, "movsx r16, r8 keeps the upper word");
	r = 0x12345678;
	asm("movzbw %b1, %w0" : "+r"(r) : "q"(0xfe));
	rt_check(r, 0x123400fe, "movzx r16, r8 keeps the upper word");

	r = 0xdead0080;
	asm("cbtw" : "+a"(r));
	rt_check(r, 0xdeadff80, "cbw: AX = sign-extended AL, upper word kept");
	r = 0x00008000;
	asm("cwtl" : "+a"(r));
	rt_check(r, 0xffff8000, "cwde");
	r = 0x7fff;
	asm("cwtl" : "+a"(r));
	rt_check(r, 0x7fff, "cwde of a positive word");
	{
		u32 d = 0x55550000;

		asm("cwtd" : "+d"(d) : "a"(0x8000));
		rt_check(d, 0x5555ffff, "cwd: DX = sign of AX, upper EDX kept");
		asm("cltd" : "=d"(d) : "a"(0x80000000));
		rt_check(d, 0xffffffff, "cdq of a negative EAX");
		asm("cltd" : "=d"(d) : "a"(0x7fffffff));
		rt_check(d, 0, "cdq of a positive EAX");
	}
}

static void run_xchg(void)
{
	static u32 mem = 0x11111111;
	static u64 q = 0x0123456789abcdefull;
	u32 a = 0x22222222, b = 0x33333333, f, eax, edx;

	asm("xchgl %0, %1" : "+r"(a), "+r"(b));
	rt_check(a == 0x33333333 && b == 0x22222222, 1, "xchg r32, r32");
	asm("xchgl %0, %1" : "+r"(a), "+m"(mem));
	rt_check(a == 0x11111111 && mem == 0x33333333, 1, "xchg r32, m32");
	a = 0xaaaa1234, b = 0xbbbb5678;
	asm("xchgw %w0, %w1" : "+r"(a), "+r"(b));
	rt_check(a == 0xaaaa5678 && b == 0xbbbb1234, 1, "xchg r16, r16");
	a = 0xaaaa1234;
	asm("xchgb %b0, %h0" : "+Q"(a));
	rt_check(a, 0xaaaa3412, "xchg al, ah");

	a = 0x7fffffff, mem = 1;
	asm("pushl $2\n\tpopfl\n\tlock xaddl %0, %1\n\tpushfl\n\tpopl %2"
	    : "+r"(a), "+m"(mem), "=r"(f) : : "cc");
	rt_check_rf(mem, f & EFLAGS_STATUS, 0x80000000,
		    EFLAGS_OF | EFLAGS_SF | EFLAGS_AF | EFLAGS_PF,
		    "lock xadd m32: sum and ADD flags");
	rt_check(a, 1, "xadd: source gets the old destination");

	mem = 5, eax = 5;
	asm("pushl $2\n\tpopfl\n\tlock cmpxchgl %3, %1\n\tpushfl\n\tpopl %2"
	    : "+a"(eax), "+m"(mem), "=r"(f) : "r"(9) : "cc");
	rt_check_rf(mem, f & EFLAGS_STATUS, 9, EFLAGS_ZF | EFLAGS_PF,
		    "cmpxchg equal: destination replaced, ZF set");
	rt_check(eax, 5, "cmpxchg equal: EAX unchanged");
	mem = 7, eax = 5;
	asm("pushl $2\n\tpopfl\n\tcmpxchgl %3, %1\n\tpushfl\n\tpopl %2"
	    : "+a"(eax), "+m"(mem), "=r"(f) : "r"(9) : "cc");
	rt_check_rf(eax, f & EFLAGS_STATUS, 7,
		    EFLAGS_CF | EFLAGS_SF | EFLAGS_AF,
		    "cmpxchg unequal: EAX loaded, flags of CMP 5,7");
	rt_check(mem, 7, "cmpxchg unequal: destination unchanged");
	a = 0x1234ff80;
	eax = 0x80;
	asm("pushl $2\n\tpopfl\n\tcmpxchgb %b3, %b1\n\tpushfl\n\tpopl %2"
	    : "+a"(eax), "+q"(a), "=r"(f) : "q"(0x11) : "cc");
	rt_check_rf(a, f & EFLAGS_ZF, 0x1234ff11, EFLAGS_ZF,
		    "cmpxchg r8: AL equal, byte replaced");

	eax = 0x89abcdef, edx = 0x01234567;
	asm("pushl $0x8d7\n\tpopfl\n\tlock cmpxchg8b %2\n\tpushfl\n\tpopl %3"
	    : "+a"(eax), "+d"(edx), "+m"(q), "=r"(f)
	    : "b"(0x44444444), "c"(0x33333333) : "cc");
	rt_check64(q, 0x3333333344444444ull, "cmpxchg8b equal: m64 = ECX:EBX");
	rt_check(f & EFLAGS_STATUS, EFLAGS_STATUS,
		 "cmpxchg8b equal: ZF set, other flags kept");
	eax = 0, edx = 0;
	asm("pushl $0x2\n\tpopfl\n\tcmpxchg8b %2\n\tpushfl\n\tpopl %3"
	    : "+a"(eax), "+d"(edx), "+m"(q), "=r"(f)
	    : "b"(0x44444444), "c"(0x33333333) : "cc");
	rt_check(eax == 0x44444444 && edx == 0x33333333, 1,
		 "cmpxchg8b unequal: EDX:EAX = m64");
	rt_check(f & EFLAGS_STATUS, 0, "cmpxchg8b unequal: ZF clear");
}

/* Each entry: the LEA under test, the registers it reads, the expected EA. */
#define LEA(text, exp, name)						\
	do {								\
		u32 r;							\
		asm("pushl %%ebp\n\tmovl $0x100, %%ebx\n\t"		\
		    "movl $0x100, %%ebp\n\tmovl $0x30, %%esi\n\t"	\
		    "movl $0xfffffff0, %%edi\n\t" text "\n\t"		\
		    "popl %%ebp"					\
		    : "=a"(r) : : "ebx", "esi", "edi");			\
		rt_check(r, exp, "lea " name);				\
	} while (0)

static void run_lea32(void)
{
	u32 r, sp;

	LEA("leal 0x12345678, %%eax", 0x12345678, "disp32");
	LEA("leal (%%ebx), %%eax", 0x100, "[ebx]");
	LEA("leal 0x7f(%%ebx), %%eax", 0x17f, "[ebx+disp8]");
	LEA("leal -0x80(%%ebx), %%eax", 0x80, "[ebx-disp8] (sign-extended)");
	LEA("leal 0x10000(%%ebx), %%eax", 0x10100, "[ebx+disp32]");
	LEA("leal (%%ebx,%%esi), %%eax", 0x130, "[ebx+esi]");
	LEA("leal (%%ebx,%%esi,2), %%eax", 0x160, "[ebx+esi*2]");
	LEA("leal 4(%%ebx,%%esi,4), %%eax", 0x1c4, "[ebx+esi*4+disp8]");
	LEA("leal 0x1000(%%ebx,%%esi,8), %%eax", 0x1280, "[ebx+esi*8+disp32]");
	LEA("leal 0x20(,%%esi,8), %%eax", 0x1a0, "[esi*8+disp32] (no base)");
	LEA("leal (%%ebx,%%edi), %%eax", 0xf0, "[ebx+edi] wraps mod 2^32");
	LEA("leal 0x11(%%edi), %%eax", 0x1, "[edi+disp8] wraps mod 2^32");
	LEA("leal 0(%%ebp), %%eax", 0x100, "[ebp+disp8] (mod 01 form of [ebp])");
	LEA(".byte 0x8d, 0x04, 0xa3", 0x100, "SIB index 100b: scale ignored");
	LEA(".byte 0x8d, 0x04, 0x25; .long 0x00abcdef", 0x00abcdef,
	    "SIB no index, base 101b with mod 00: disp32 only");

	asm("movl %%esp, %1\n\tleal 8(%%esp), %0" : "=r"(r), "=r"(sp));
	rt_check(r - sp, 8, "lea [esp+disp8] (SIB base esp)");
	asm("movl %%esp, %1\n\tleal (%%esp,%2,4), %0"
	    : "=r"(r), "=r"(sp) : "r"(3));
	rt_check(r - sp, 12, "lea [esp+reg*4]");

	r = 0xabcd0000;
	asm("movl $0x1ffff, %%ebx\n\tleaw 1(%%ebx), %w0"
	    : "+r"(r) : : "ebx");
	rt_check(r, 0xabcd0000, "lea r16: low word of the EA, upper word kept");
}

/* 16-bit addressing (0x67): BX/BP base, SI/DI index, wrap at 64 KiB. */
#define LEA16(text, exp, name)						\
	do {								\
		u32 r;							\
		asm("pushl %%ebp\n\tmovl $0xffff1000, %%ebx\n\t"	\
		    "movl $0x2000, %%esi\n\tmovl $0xf100, %%edi\n\t"	\
		    "movl $0x30, %%ebp\n\t" text "\n\tpopl %%ebp"	\
		    : "=a"(r) : : "ebx", "esi", "edi");		\
		rt_check(r, exp, "lea16 " name);			\
	} while (0)

static void run_lea16(void)
{
	LEA16("addr16 leal (%%bx,%%si), %%eax", 0x3000, "[bx+si]");
	LEA16("addr16 leal (%%bx,%%di), %%eax", 0x0100, "[bx+di] wraps at 64K");
	LEA16("addr16 leal 4(%%bp,%%si), %%eax", 0x2034, "[bp+si+disp8]");
	LEA16("addr16 leal -1(%%bp,%%di), %%eax", 0xf12f, "[bp+di-1]");
	LEA16("addr16 leal 0x100(%%si), %%eax", 0x2100, "[si+disp16]");
	LEA16("addr16 leal (%%di), %%eax", 0xf100, "[di]");
	LEA16("addr16 leal 0(%%bp), %%eax", 0x0030, "[bp+0] (mod 01)");
	LEA16("addr16 leal 0x7000(%%bx), %%eax", 0x8000, "[bx+disp16]");
	LEA16(".byte 0x67, 0x8d, 0x06, 0x34, 0x12", 0x1234,
	      "disp16 only (mod 00 r/m 110)");
	LEA16("addr16 leal -0x10(%%bx,%%si), %%eax", 0x2ff0,
	      "[bx+si-disp8]");
	LEA16("movl $0x5555aaaa, %%eax\n\taddr16 leaw 0xff(%%di), %%ax",
	      0x5555f1ff, "16-bit operand and address size");
}

static u8 xlat_table[256];

static void run_xlat(void)
{
	u32 i, r;

	for (i = 0; i < 256; i++)
		xlat_table[i] = ~i;
	asm("xlat" : "=a"(r) : "a"(0x11112280), "b"(xlat_table));
	rt_check(r, 0x1111227f, "xlat AL=0x80 (unsigned index), upper EAX kept");
	asm("xlat" : "=a"(r) : "a"(0x000000ff), "b"(xlat_table));
	rt_check(r, 0x00000000, "xlat AL=0xff");
}

static void run_narrow_stores(void)
{
	static u32 mem = 0x11223344;
	u32 r = 0x11223344;

	asm("movw $0xaabb, %0" : "+m"(mem));
	rt_check(mem, 0x1122aabb, "mov m16, imm16 writes two bytes");
	asm("movb $0xcc, %0" : "+m"(mem));
	rt_check(mem, 0x1122aacc, "mov m8, imm8 writes one byte");
	asm("movw $0xbeef, %w0" : "+r"(r));
	rt_check(r, 0x1122beef, "mov r16, imm16 keeps the upper word");
	asm("movb $0x01, %h0" : "+Q"(r));
	rt_check(r, 0x112201ef, "mov r8h writes bits 15:8");
	asm("addw $0x8000, %0" : "+m"(mem) : : "cc");
	rt_check(mem, 0x11222acc, "add m16: no carry into the upper word");
}

extern u8 smc_func[], smc_imm[], smc_next_imm[];

/* smc_func returns an immediate the kernel rewrites between calls. */
asm(".pushsection .text\n"
    "smc_func:\n\t.byte 0xb8\n"
    "smc_imm:\n\t.long 1\n\tret\n"
    ".popsection");

static __attribute__((noinline)) u32 smc_straight(void)
{
	u32 r;

	/* The store hits the next instruction, already fetched or not. */
	asm volatile("movl $0x2a, smc_next_imm\n\t"
		     ".byte 0xb8\n"
		     "smc_next_imm:\n\t.long 7"
		     : "=a"(r) : : "memory");
	return r;
}

static void run_smc(void)
{
	u32 (*f)(void) = (u32 (*)(void))smc_func;
	u32 first, second, third;

	first = f();
	*(volatile u32 *)smc_imm = 2;
	second = f();
	/* Replace "mov $imm, %eax" by "xor %eax, %eax; nop; nop; nop". */
	smc_func[0] = 0x31;
	smc_imm[0] = 0xc0;
	smc_imm[1] = 0x90;
	smc_imm[2] = 0x90;
	smc_imm[3] = 0x90;
	asm volatile("" : : : "memory");
	third = f();
	rt_check(first, 1, "smc: original code runs");
	rt_check(second, 2, "smc: rewritten immediate runs on the next call");
	rt_check(third, 0, "smc: rewritten opcode runs on the next call");
	rt_check(smc_straight(), 0x2a, "smc: a store into the next instruction");
	*(volatile u32 *)smc_next_imm = 7;
	rt_check(smc_straight(), 0x2a, "smc: same again after restoring it");
}

void kmain(void)
{
	run_extend();
	run_xchg();
	run_lea32();
	run_lea16();
	run_xlat();
	run_narrow_stores();
	run_smc();
}
