/*
 * exceptions: the non-protection exceptions and where they leave EIP.
 *
 * Follows the SDM vol. 3, 6.5 (faults resume at the faulting instruction,
 * traps after the trapping one), 6.15 (the per-vector pages) and 17.3.1
 * (debug exceptions):
 *  - #DE (fault): DIV by zero, at CPL 0 and at CPL 3, saved CS shows CPL;
 *  - #DB (trap): single-step with EFLAGS.TF. The instruction that sets TF
 *    (POPF) is not itself followed by a trap; each later instruction is,
 *    with EIP after it and DR6.BS set; MOV SS suppresses the trap of the
 *    instruction after it (6.8.3), so the trap comes one instruction later;
 *  - #BP (trap): INT3 and INT 3 save the EIP after the instruction;
 *  - #OF (trap): INTO only when OF = 1;
 *  - #BR (fault): BOUND outside the signed inclusive bounds;
 *  - #UD (fault): UD2, UD0, LOCK on a non-lockable instruction or a register
 *    destination, register operands where memory is required (LEA,
 *    CMPXCHG8B, far JMP), MOV to CS, CR1, LES with a register operand, and
 *    SSE instructions with CR4.OSFXSR = 0;
 *  - #NM (fault): x87 instructions with CR0.EM = 1 (vol. 3, 2.5).
 */
#include "rt.h"

RT_KERNEL("exceptions");

#define DR6_BS		0x4000

static u32 db_eips[8], db_dr6[8], db_flags[8], db_count, db_limit;

/* Records each single-step trap; clears TF once db_limit traps are in. */
static int db_handler(struct rt_frame *f)
{
	u32 dr6;

	asm volatile("movl %%dr6, %0" : "=r"(dr6));
	if (db_count < ARRAY_SIZE(db_eips)) {
		db_eips[db_count] = f->eip;
		db_dr6[db_count] = dr6;
		db_flags[db_count] = f->eflags;
	}
	asm volatile("movl %0, %%dr6" : : "r"(0));
	if (++db_count >= db_limit)
		f->eflags &= ~EFLAGS_TF;
	return 1;
}

extern u8 ss_l1[], ss_l2[], ss_l3[], ss_l4[], movss_l0[], movss_l1[],
	movss_l2[];

static void run_single_step(void)
{
	u32 i;

	rt_set_handler(X86_EXC_DB, db_handler);
	db_count = 0;
	db_limit = 3;
	asm volatile("movl $0, %%eax\n\tmovl %%eax, %%dr6\n\t"
		     "pushfl\n\torl $0x100, (%%esp)\n\tpopfl\n"
		     "ss_l1:\tincl %%eax\n"
		     "ss_l2:\tincl %%eax\n"
		     "ss_l3:\tnop\n"
		     "ss_l4:\tnop"
		     : : : "eax", "memory", "cc");
	rt_check(db_count, 3, "single-step: one #DB per instruction after POPF");
	rt_check(db_eips[0], (u32)ss_l2, "single-step: first trap after the instruction following POPF");
	rt_check(db_eips[1], (u32)ss_l3, "single-step: second trap, EIP after the instruction");
	rt_check(db_eips[2], (u32)ss_l4, "single-step: third trap");
	for (i = 0; i < 3; i++) {
		rt_check(db_dr6[i] & DR6_BS, DR6_BS, "single-step: DR6.BS set on trap %u", i);
		rt_check(db_flags[i] & EFLAGS_TF, EFLAGS_TF,
			 "single-step: saved EFLAGS.TF set on trap %u", i);
	}
	rt_check(read_eflags() & EFLAGS_TF, 0, "single-step: TF clear afterwards");

	/* MOV SS holds the trap of the next instruction back by one more. */
	db_count = 0;
	db_limit = 2;
	asm volatile("movw %%ss, %%ax\n\t"
		     "pushfl\n\torl $0x100, (%%esp)\n\tpopfl\n\t"
		     "nop\n"
		     "movss_l0:\tmovw %%ax, %%ss\n"
		     "movss_l1:\tnop\n"
		     "movss_l2:\tnop\n\tnop"
		     : : : "eax", "memory", "cc");
	rt_check(db_eips[0], (u32)movss_l0, "single-step: trap after the NOP, at the MOV SS");
	rt_check(db_eips[1], (u32)movss_l2,
		 "single-step over MOV SS: no trap until the next instruction is done");
	rt_set_handler(X86_EXC_DB, 0);
}

static void expect_at_next(const char *name, u32 vec, u32 at, u32 len)
{
	rt_check_trap(name, vec, 0, at + len);
}

static void run_traps(void)
{
	u32 at;

	rt_trap_reset();
	RT_TRY(at, "int3");
	expect_at_next("int3: #BP trap, EIP after the CC byte", X86_EXC_BP, at, 1);
	rt_trap_reset();
	RT_TRY(at, ".byte 0xcd, 0x03");
	expect_at_next("int 3 (CD 03): #BP, EIP after both bytes", X86_EXC_BP, at, 2);
	rt_trap_reset();
	RT_TRY(at, "movl $0x7fffffff, %%eax\n\taddl $1, %%eax\n\tinto", "eax");
	expect_at_next("into with OF=1: #OF trap, EIP after INTO", X86_EXC_OF,
		       at, 5 + 3 + 1);
	rt_trap_reset();
	RT_TRY(at, "movl $1, %%eax\n\taddl $1, %%eax\n\tinto", "eax");
	rt_check(rt_trap.count, 0, "into with OF=0: no exception");
}

static s32 bounds[2] = { -5, 10 };
static s16 bounds16[2] = { 0, 3 };

static void run_bound(void)
{
	u32 at;

	rt_trap_reset();
	asm volatile("movl $.Lb1, rt_resume\n\tmovl $-5, %%eax\n\t"
		     "boundl %%eax, %1\n\tmovl $10, %%eax\n\tboundl %%eax, %1\n"
		     ".Lb1:\tmovl $0, rt_resume"
		     : "=a"(at) : "m"(bounds) : "memory");
	rt_check(rt_trap.count, 0, "bound: both inclusive limits pass");
	asm volatile("movl $.Lb2, rt_resume\n\tmovl $11, %%eax\n"
		     ".Lb2a:\tboundl %%eax, %1\n"
		     ".Lb2:\tmovl $0, rt_resume\n\tmovl $.Lb2a, %0"
		     : "=r"(at) : "m"(bounds) : "eax", "memory");
	rt_check_trap("bound above the upper limit: #BR at the BOUND",
		      X86_EXC_BR, 0, at);
	rt_trap_reset();
	asm volatile("movl $.Lb3, rt_resume\n\tmovl $-6, %%eax\n"
		     ".Lb3a:\tboundl %%eax, %1\n"
		     ".Lb3:\tmovl $0, rt_resume\n\tmovl $.Lb3a, %0"
		     : "=r"(at) : "m"(bounds) : "eax", "memory");
	rt_check_trap("bound below the signed lower limit: #BR", X86_EXC_BR, 0, at);
	rt_trap_reset();
	asm volatile("movl $.Lb4, rt_resume\n\tmovl $0x10004, %%eax\n"
		     ".Lb4a:\tboundw %%ax, %1\n"
		     ".Lb4:\tmovl $0, rt_resume\n\tmovl $.Lb4a, %0"
		     : "=r"(at) : "m"(bounds16) : "eax", "memory");
	rt_check_trap("bound r16 compares AX only: #BR", X86_EXC_BR, 0, at);
}

struct ud_case {
	const char *name;
	void (*run)(u32 *at);
};

#define UD_CASE(fn, insns)						\
static void fn(u32 *at)							\
{									\
	u32 a;								\
	RT_TRY(a, insns);						\
	*at = a;							\
}

UD_CASE(ud_ud2, "ud2")
UD_CASE(ud_ud0, ".byte 0x0f, 0xff, 0xc0")
UD_CASE(ud_lock_nop, ".byte 0xf0, 0x90")
UD_CASE(ud_lock_reg, ".byte 0xf0, 0x01, 0xc3")
UD_CASE(ud_lea_reg, ".byte 0x8d, 0xc0")
UD_CASE(ud_cx8b_reg, ".byte 0x0f, 0xc7, 0xc8")
UD_CASE(ud_mov_cs, ".byte 0x8e, 0xc8")
UD_CASE(ud_mov_cr1, ".byte 0x0f, 0x20, 0xc8")
UD_CASE(ud_ljmp_reg, ".byte 0xff, 0xe8")
UD_CASE(ud_les_reg, ".byte 0xc4, 0xc0")
UD_CASE(ud_sse, ".byte 0x0f, 0x28, 0xc8")

static const struct ud_case ud_cases[] = {
	{ "ud2", ud_ud2 },
	{ "ud0 (0F FF)", ud_ud0 },
	{ "lock nop", ud_lock_nop },
	{ "lock add with a register destination", ud_lock_reg },
	{ "lea with a register operand", ud_lea_reg },
	{ "cmpxchg8b with a register operand", ud_cx8b_reg },
	{ "mov to cs", ud_mov_cs },
	{ "mov from cr1", ud_mov_cr1 },
	{ "far jmp with a register operand", ud_ljmp_reg },
	{ "les with a register operand", ud_les_reg },
	{ "movaps with CR4.OSFXSR = 0", ud_sse },
};

static void run_ud(void)
{
	u32 i, at;

	for (i = 0; i < ARRAY_SIZE(ud_cases); i++) {
		rt_trap_reset();
		ud_cases[i].run(&at);
		rt_check_trap(ud_cases[i].name, X86_EXC_UD, 0, at);
	}
}

static void run_em(void)
{
	u32 at, cr0 = read_cr0();

	write_cr0(cr0 | CR0_EM);
	rt_trap_reset();
	RT_TRY(at, "fninit");
	rt_check_trap("fninit with CR0.EM = 1: #NM", X86_EXC_NM, 0, at);
	rt_trap_reset();
	RT_TRY(at, "fld1");
	rt_check_trap("fld1 with CR0.EM = 1: #NM", X86_EXC_NM, 0, at);
	rt_trap_reset();
	RT_TRY(at, ".byte 0xdd, 0x03");
	rt_check_trap("fld m64 with CR0.EM = 1: #NM before the memory access",
		      X86_EXC_NM, 0, at);
	write_cr0(cr0);
}

static __attribute__((noinline)) u32 user_div(u32 d)
{
	u32 at;

	asm volatile("movl $.Lud_end, rt_resume\n\tmovl $.Lud_at, %0\n\t"
		     "movl $7, %%eax\n\txorl %%edx, %%edx\n"
		     ".Lud_at:\tdivl %1\n"
		     ".Lud_end:\tmovl $0, rt_resume"
		     : "=&r"(at) : "r"(d) : "eax", "edx", "memory", "cc");
	return at;
}

static void run_de(void)
{
	u32 at;

	rt_trap_reset();
	at = user_div(0);
	rt_check_trap("divide by zero at CPL 0: #DE at the DIV", X86_EXC_DE, 0, at);
	rt_check(rt_trap.cs, SEL_KCODE, "#DE at CPL 0: saved CS");
	rt_trap_reset();
	at = rt_user_call(user_div, 0, EFLAGS_FIXED);
	rt_check_trap("divide by zero at CPL 3: #DE at the DIV", X86_EXC_DE, 0, at);
	rt_check(rt_trap.cs, SEL_UCODE, "#DE at CPL 3: saved CS has RPL 3");
	rt_check(rt_trap.ss, SEL_UDATA, "#DE at CPL 3: saved SS is the user's");
}

void kmain(void)
{
	run_de();
	run_single_step();
	run_traps();
	run_bound();
	run_ud();
	run_em();
}
