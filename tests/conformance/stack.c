/*
 * stack: ENTER/LEAVE with nesting levels, PUSHA/POPA, PUSH/POP of segment
 * registers, memory operands and ESP itself, 16-bit pushes, CALL and
 * RET imm16, and the counted loops LOOP/LOOPE/LOOPNE/JECXZ.
 *
 * Follows the SDM vol. 2 pages ENTER, LEAVE, PUSHA, POPA, PUSH, POP, CALL,
 * RET, LOOP/LOOPcc and JECXZ:
 *  - ENTER size, level pushes EBP, copies level-1 frame pointers from the
 *    old frame, pushes the new frame pointer when level > 0, masks level
 *    to 5 bits; LEAVE undoes it;
 *  - PUSHA stores ESP as it was before the instruction; POPA skips it;
 *  - a 32-bit PUSH of a segment register moves ESP by 4 and writes the
 *    selector in the low word (the upper word is implementation specific
 *    and not checked); 0x66 makes it a 2-byte push;
 *  - PUSH ESP stores the old ESP; POP ESP loads the popped value; POP to an
 *    ESP-based memory operand computes the address after ESP moved;
 *  - RET imm16 releases imm16 bytes of arguments after the return address;
 *  - LOOP/LOOPcc decrement ECX (CX with 0x67) without touching the flags.
 * Each probe runs on a private stack whose layout the kernel chooses.
 */
#include "rt.h"

RT_KERNEL("stack");

u32 probe_stack[256] __attribute__((aligned(16)));
u32 probe_out[16];
u32 probe_saved_esp;
#define STACK_TOP	((u32)&probe_stack[256])

/*
 * Probes run with ESP at probe_stack's top and EBP at probe_stack[128],
 * whose two words below hold 0xa1 and 0xa2 (the "outer frames" ENTER
 * copies). They store results in probe_out.
 */
asm(".pushsection .text\n"
    ".macro PROBE name\n"
    "\\name:\n\t"
    "pushal\n\tmovl %esp, probe_saved_esp\n\t"
    "movl $probe_stack + 1024, %esp\n\t"
    "movl $probe_stack + 512, %ebp\n\t"
    "movl $0xa1, probe_stack + 508\n\t"
    "movl $0xa2, probe_stack + 504\n"
    ".endm\n"
    ".macro PROBE_END\n\t"
    "movl probe_saved_esp, %esp\n\tpopal\n\tret\n"
    ".endm\n"
    ".macro ENTER_PROBE name, size, level\n\t"
    "PROBE \\name\n\t"
    "enter $\\size, $\\level\n\t"
    "movl %esp, probe_out\n\tmovl %ebp, probe_out + 4\n\t"
    "leave\n\t"
    "movl %esp, probe_out + 8\n\tmovl %ebp, probe_out + 12\n\t"
    "PROBE_END\n"
    ".endm\n"
    "ENTER_PROBE enter_0, 8, 0\n"
    "ENTER_PROBE enter_1, 8, 1\n"
    "ENTER_PROBE enter_3, 16, 3\n"
    "ENTER_PROBE enter_33, 4, 33\n"

    "PROBE pusha_probe\n\t"
    "movl $1, %eax\n\tmovl $2, %ecx\n\tmovl $3, %edx\n\tmovl $4, %ebx\n\t"
    "movl $6, %ebp\n\tmovl $7, %esi\n\tmovl $8, %edi\n\t"
    "pushal\n\t"
    "movl $0x12345678, 12(%esp)\n\t"
    "addl $0x10, 28(%esp)\n\taddl $0x10, (%esp)\n\t"
    "popal\n\t"
    "movl %esp, probe_out\n\tmovl %eax, probe_out + 4\n\t"
    "movl %ebp, probe_out + 8\n\tmovl %edi, probe_out + 12\n\t"
    "pushw $0x1234\n\tpushaw\n\t"
    "movl %esp, probe_out + 16\n\t"
    "movzwl 6(%esp), %eax\n\tmovl %eax, probe_out + 20\n\t"
    "popaw\n\tpopw %ax\n\t"
    "movl %esp, probe_out + 24\n\tmovl %eax, probe_out + 28\n\t"
    "PROBE_END\n"

    "PROBE seg_probe\n\t"
    "movl $0xffffffff, -4(%esp)\n\t"
    "pushl %ds\n\tmovl %esp, probe_out\n\t"
    "movl (%esp), %eax\n\tmovl %eax, probe_out + 4\n\t"
    "pushw %ss\n\tmovl %esp, probe_out + 8\n\t"
    "popw %es\n\tpopl %fs\n\t"
    "movl %esp, probe_out + 12\n\t"
    "movw %es, probe_out + 16\n\tmovw %fs, probe_out + 20\n\t"
    "PROBE_END\n"

    "PROBE esp_probe\n\t"
    "pushl %esp\n\tpopl %eax\n\tmovl %eax, probe_out\n\t"
    "movl %esp, probe_out + 4\n\t"
    "pushl $0x33\n\tpushl $0x22\n\tpushl $0x11\n\t"
    "popl 4(%esp)\n\t"
    "movl (%esp), %eax\n\tmovl %eax, probe_out + 8\n\t"
    "movl 4(%esp), %eax\n\tmovl %eax, probe_out + 12\n\t"
    "pushl (%esp)\n\tpopl %eax\n\tmovl %eax, probe_out + 16\n\t"
    "movl %esp, %eax\n\tsubl $0x40, %eax\n\tpushl %eax\n\tpopl %esp\n\t"
    "movl %esp, probe_out + 20\n\t"
    "movl $probe_stack + 1024, %esp\n\t"
    "pushl probe_out + 20\n\tpopl probe_out + 24\n\t"
    "movl %esp, probe_out + 28\n\t"
    "PROBE_END\n"

    "PROBE ret_probe\n\t"
    "pushl $0xaaaa\n\tpushl $0xbbbb\n\tcall 1f\n\t"
    "movl %esp, probe_out\n\tjmp 2f\n"
    "1:\tmovl 4(%esp), %eax\n\tmovl %eax, probe_out + 4\n\tret $8\n"
    "2:\tmovl $3f, %eax\n\tcall *%eax\n"
    "6:\tjmp 4f\n"
    "3:\tmovl (%esp), %eax\n\tmovl %eax, probe_out + 8\n\tret\n"
    "4:\tmovl $6b, probe_out + 12\n\t"
    "pushl $7f\n\tcall *(%esp)\n"
    "5:\tmovl $0, probe_out + 16\n\tjmp 8f\n"
    "7:\tmovl $1, probe_out + 16\n"
    "8:\t"
    "PROBE_END\n"
    ".popsection");

void enter_0(void), enter_1(void), enter_3(void), enter_33(void);
void pusha_probe(void), seg_probe(void), esp_probe(void), ret_probe(void);

static void run_enter(void)
{
	const u32 top = STACK_TOP, old_ebp = (u32)&probe_stack[128];
	u32 ft = top - 4;

	enter_0();
	rt_check(probe_out[1], ft, "enter 8,0: EBP = ESP after pushing EBP");
	rt_check(probe_out[0], ft - 8, "enter 8,0: ESP = frame - 8");
	rt_check(probe_out[2] == top && probe_out[3] == old_ebp, 1,
		 "enter 8,0 + leave: ESP and EBP restored");

	enter_1();
	rt_check(probe_out[1], ft, "enter 8,1: EBP = frame");
	rt_check(probe_stack[254], ft, "enter 8,1: frame pointer pushed");
	rt_check(probe_out[0], ft - 4 - 8, "enter 8,1: ESP below it by 8");

	enter_3();
	rt_check(probe_stack[255], old_ebp, "enter 16,3: old EBP pushed");
	rt_check(probe_stack[254] == 0xa1 && probe_stack[253] == 0xa2, 1,
		 "enter 16,3: two outer frame pointers copied from [EBP-4], [EBP-8]");
	rt_check(probe_stack[252], ft, "enter 16,3: new frame pointer pushed last");
	rt_check(probe_out[0], ft - 12 - 16, "enter 16,3: ESP");
	rt_check(probe_out[2] == top && probe_out[3] == old_ebp, 1,
		 "enter 16,3 + leave: ESP and EBP restored");

	enter_33();
	rt_check(probe_out[0], ft - 4 - 4, "enter 4,33: level masked to 1");
}

static void run_pusha(void)
{
	const u32 top = STACK_TOP;

	pusha_probe();
	rt_check(probe_out[0], top, "popa ignores the stored ESP");
	rt_check(probe_out[1], 0x11, "popa loads EAX from the top slot");
	rt_check(probe_out[3], 0x18, "popa loads EDI from the lowest slot");
	rt_check(probe_out[2], 6, "popa loads EBP");
	rt_check(probe_out[4], top - 2 - 16, "pushaw pushes eight words");
	rt_check(probe_out[5] & 0xffff, (top - 2) & 0xffff,
		 "pushaw stores SP before the instruction");
	rt_check(probe_out[6], top, "popaw and popw restore ESP");
	rt_check(probe_out[7] & 0xffff, 0x1234, "pushw imm16 / popw r16");
}

static void run_seg_push(void)
{
	const u32 top = STACK_TOP;

	seg_probe();
	rt_check(probe_out[0], top - 4, "push ds moves ESP by 4");
	rt_check(probe_out[1] & 0xffff, SEL_KDATA, "push ds: selector in low word");
	rt_check(probe_out[2], top - 6, "pushw ss moves ESP by 2");
	rt_check(probe_out[3], top, "popw es, popl fs restore ESP");
	rt_check((probe_out[4] & 0xffff) == SEL_KDATA &&
		 (probe_out[5] & 0xffff) == SEL_KDATA, 1,
		 "pop es / pop fs load the pushed selectors");
}

static void run_esp(void)
{
	const u32 top = STACK_TOP;

	esp_probe();
	rt_check(probe_out[0], top, "push esp stores ESP before the push");
	rt_check(probe_out[1], top, "push esp / pop eax balance");
	rt_check(probe_out[2], 0x22, "pop [esp+4]: ESP moved before the address");
	rt_check(probe_out[3], 0x11, "pop [esp+4] writes the popped value there");
	rt_check(probe_out[4], 0x22, "push [esp] reads before ESP moves");
	rt_check(probe_out[5], top - 8 - 0x40, "pop esp loads the popped value");
	rt_check(probe_out[6], top - 8 - 0x40, "push m32 / pop m32");
	rt_check(probe_out[7], top, "push m32 / pop m32 balance");
}

static void run_ret(void)
{
	const u32 top = STACK_TOP;

	ret_probe();
	rt_check(probe_out[0], top, "ret 8 releases both arguments");
	rt_check(probe_out[1], 0xbbbb, "call: argument above the return address");
	rt_check(probe_out[2], probe_out[3], "call r32 pushes the next EIP");
	rt_check(probe_out[4], 1, "call [esp] reads its target before pushing");
}

static void run_loops(void)
{
	u32 c, n, f;

	c = 5, n = 0;
	asm("pushl $0x8d7\n\tpopfl\n1:\tleal 1(%1), %1\n\tstc\n\tloop 1b\n\t"
	    "pushfl\n\tpopl %2"
	    : "+c"(c), "+r"(n), "=r"(f) : : "cc");
	rt_check(n == 5 && c == 0, 1, "loop: five iterations, ECX = 0");
	rt_check(f & EFLAGS_ZF, EFLAGS_ZF, "loop does not change ZF");

	c = 10, n = 0;
	asm("1:\tincl %1\n\tcmpl $3, %1\n\tloopne 1b" : "+c"(c), "+r"(n) : : "cc");
	rt_check(n == 3 && c == 7, 1, "loopne stops when ZF = 1");
	c = 10, n = 0;
	asm("1:\tincl %1\n\tcmpl $1, %1\n\tloope 1b" : "+c"(c), "+r"(n) : : "cc");
	rt_check(n == 2 && c == 8, 1, "loope stops when ZF = 0");
	c = 3, n = 0;
	asm("1:\tincl %1\n\txorl %%eax, %%eax\n\tloope 1b"
	    : "+c"(c), "+r"(n) : : "eax", "cc");
	rt_check(n == 3 && c == 0, 1, "loope stops when ECX reaches 0");

	asm("movl $0, %0\n\tjecxz 1f\n\tmovl $1, %0\n1:" : "=&r"(n) : "c"(0));
	rt_check(n, 0, "jecxz taken with ECX = 0");
	asm("movl $0, %0\n\tjecxz 1f\n\tmovl $1, %0\n1:" : "=&r"(n) : "c"(0x10000));
	rt_check(n, 1, "jecxz not taken with ECX = 0x10000");
	asm("movl $0, %0\n\taddr16 jecxz 1f\n\tmovl $1, %0\n1:"
	    : "=&r"(n) : "c"(0x10000));
	rt_check(n, 0, "jcxz (0x67) taken with CX = 0, ECX = 0x10000");

	c = 0x50003, n = 0;
	asm("1:\tincl %1\n\taddr16 loop 1b" : "+c"(c), "+r"(n));
	rt_check(n == 3 && c == 0x50000, 1, "loop with 0x67 counts CX only");
}

void kmain(void)
{
	run_enter();
	run_pusha();
	run_seg_push();
	run_esp();
	run_ret();
	run_loops();
}
