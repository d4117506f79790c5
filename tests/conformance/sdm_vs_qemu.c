/*
 * sdm_vs_qemu: behaviour the Intel SDM specifies and QEMU's TCG (7.2) does
 * not implement. Every check asserts the SDM's answer, so under QEMU some
 * print FAIL; expected/sdm_vs_qemu.out holds what the SDM requires, and
 * QEMU_DIFFERENCES.md lists each case with its SDM reference.
 *
 *  - vol. 2, INT n/INTO/INT3/INT1: ICEBP (F1) is INT1, a #DB trap;
 *  - vol. 2, LOCK: LOCK before a non-lockable instruction is #UD;
 *  - vol. 2, EMMS: #UD when CR0.EM = 1;
 *  - vol. 3, 6.13: the error code of an exception raised while delivering
 *    an exception has EXT = 1;
 *  - vol. 3, 17.17 and vol. 4: MSR 0x10 is the TSC, readable and writable;
 *    RDMSR/WRMSR of an unimplemented MSR is #GP(0);
 *  - vol. 3, 5.3 and 5.5-5.7: segment limits (byte and page granular,
 *    expand-down), read-only data, execute-only code and the null selector
 *    are checked on every access, near jumps included: #GP(0), or #SS(0)
 *    through SS;
 *  - vol. 2, CALL: a far call to an offset beyond the target code
 *    segment's limit is #GP(0) (the selector is not the error code);
 *  - vol. 2, CMPXCHG8B: only ZF changes; CF, PF, AF, SF and OF keep the
 *    values the previous instruction gave them;
 *  - vol. 2, LOCK: LEA, BSF, BSWAP, TEST, BT, MOVZX, PUSH and SETcc are not
 *    lockable, and XADD/XCHG are lockable only with a memory destination:
 *    LOCK before them is #UD at the prefix;
 *  - vol. 2, appendix A (opcode map, groups 1A and 11): 8F /0 is POP,
 *    C6 /0 and C7 /0 are MOV (and C6 F8 / C7 F8 XABORT / XBEGIN with
 *    RTM); 8F /1, C6 /1 and C7 /1 are undefined, #UD;
 *  - vol. 3, 4.7: a read-modify-write instruction that faults on its
 *    operand reports W/R = 1 in the #PF error code, also when the page is
 *    not present or not accessible at CPL 3 (the access is a write);
 *  - vol. 3, 4.7: the stack pushes of a far CALL at CPL 3 are user-mode
 *    accesses: U/S = 1 in the #PF error code;
 *  - vol. 3, 6.5: a faulting instruction leaves EFLAGS as they were (the
 *    frame of a #PF raised by SETcc to a not-present page holds the flags
 *    the SBB before it produced);
 *  - vol. 3, 3.4.5.1: loading a code segment into CS sets the accessed
 *    bit of its descriptor.
 */
#include "rt.h"

RT_KERNEL("sdm_vs_qemu");

#define AREA		0x800000u
#define IDX_LIM		GDT_FREE		/* base AREA, limit 0xfff */
#define IDX_GRAN	(GDT_FREE + 1)		/* base AREA, G = 1, limit 0 */
#define IDX_EXPDOWN	(GDT_FREE + 2)		/* expand-down, limit 0x80ffff */
#define IDX_RO		(GDT_FREE + 3)		/* read-only, flat */
#define IDX_STACK	(GDT_FREE + 4)		/* stack, limit 0x9fffff */
#define IDX_CODE	(GDT_FREE + 5)		/* code at AREA, limit 0xff */
#define IDX_XONLY	(GDT_FREE + 6)		/* execute-only, flat */
#define SEL_CODE_ASM	"0x60"			/* SEL(IDX_CODE, 0) */
_Static_assert(SEL(IDX_CODE, 0) == 0x60, "SEL_CODE_ASM out of date");

static void run_instructions(void)
{
	u32 at, cr0;

	rt_trap_reset();
	RT_TRY(at, ".byte 0xf1");
	rt_check_trap("icebp (INT1): #DB trap, EIP after F1", X86_EXC_DB, 0, at + 1);

	rt_trap_reset();
	RT_TRY(at, ".byte 0xf0, 0x8b, 0x03", "eax");
	rt_check_trap("lock mov (not lockable): #UD", X86_EXC_UD, 0, at);

	cr0 = read_cr0();
	write_cr0(cr0 | CR0_EM);
	rt_trap_reset();
	RT_TRY(at, "emms");
	write_cr0(cr0);
	rt_check_trap("emms with CR0.EM = 1: #UD", X86_EXC_UD, 0, at);
}

static void run_ext(void)
{
	u32 at;

	rt_idt[X86_EXC_UD] &= ~((u64)DESC_P << 40);
	rt_trap_reset();
	RT_TRY(at, "ud2");
	rt_idt[X86_EXC_UD] |= (u64)DESC_P << 40;
	rt_check_trap("#UD through a not-present gate: #NP(6*8+2+EXT)",
		      X86_EXC_NP, X86_EXC_UD * 8 + 3, at);
}

static void run_msr(void)
{
	u64 t0, t1, m, v = 0x123456789ull << 8;
	u32 at;

	t0 = rdtsc();
	m = rdmsr(MSR_IA32_TSC);
	t1 = rdtsc();
	rt_check(m >= t0 && m <= t1, 1, "rdmsr 0x10 reads the TSC between two rdtsc");
	wrmsr(MSR_IA32_TSC, v);
	m = rdmsr(MSR_IA32_TSC);
	t0 = rdtsc();
	rt_check(m >= v && m - v < (1ull << 32), 1, "wrmsr 0x10, rdmsr 0x10 reads it back");
	rt_check(t0 >= m && t0 - v < (1ull << 32), 1, "wrmsr 0x10: rdtsc continues from it");

	rt_trap_reset();
	RT_TRY(at, "movl $0xdeadbeef, %%ecx\n\trdmsr", "eax", "ecx", "edx");
	rt_check_trap("rdmsr of an unimplemented MSR: #GP(0)", X86_EXC_GP, 0, at + 5);
	rt_trap_reset();
	RT_TRY(at, "movl $0xdeadbeef, %%ecx\n\txorl %%eax, %%eax\n\t"
	       "xorl %%edx, %%edx\n\twrmsr", "eax", "ecx", "edx");
	rt_check_trap("wrmsr of an unimplemented MSR: #GP(0)", X86_EXC_GP, 0, at + 9);
}

/* `insns` run with FS loaded from `sel`; FS is restored before the check. */
#define FS_TRY(name, sel, insns, vec, len)				\
	do {								\
		u32 at;							\
		asm volatile("movw %w0, %%fs" : : "r"(sel));		\
		rt_trap_reset();					\
		RT_TRY(at, insns, "eax");				\
		asm volatile("movw %w0, %%fs" : : "r"(SEL_KDATA));	\
		rt_check_trap(name, vec, 0, at + (len));		\
	} while (0)

static void run_data_limits(void)
{
	rt_gdt[IDX_LIM] = rt_seg_desc(AREA, 0xfff,
		DESC_P | DESC_S | SEG_DATA_RW, DESC_DB);
	rt_gdt[IDX_GRAN] = rt_seg_desc(AREA, 0,
		DESC_P | DESC_S | SEG_DATA_RW, DESC_G | DESC_DB);
	rt_gdt[IDX_EXPDOWN] = rt_seg_desc(0, 0x80f,
		DESC_P | DESC_S | SEG_DATA_RW_ED, DESC_G | DESC_DB);
	rt_gdt[IDX_RO] = rt_seg_desc(0, 0xfffff,
		DESC_P | DESC_S | SEG_DATA_RO, DESC_G | DESC_DB);

	FS_TRY("read at limit + 1: #GP(0)", SEL(IDX_LIM, 0),
	       "movl %%fs:0x1000, %%eax", X86_EXC_GP, 0);
	FS_TRY("dword read straddling the limit: #GP(0)", SEL(IDX_LIM, 0),
	       "movl %%fs:0xffe, %%eax", X86_EXC_GP, 0);
	FS_TRY("write at limit + 1: #GP(0)", SEL(IDX_LIM, 0),
	       "movl %%eax, %%fs:0x1000", X86_EXC_GP, 0);
	FS_TRY("G = 1, limit 0: offset 0x1000 is beyond: #GP(0)", SEL(IDX_GRAN, 0),
	       "movb %%fs:0x1000, %%al", X86_EXC_GP, 0);
	FS_TRY("expand-down: offset at the limit: #GP(0)", SEL(IDX_EXPDOWN, 0),
	       "movl %%fs:0x80fffc, %%eax", X86_EXC_GP, 0);
	FS_TRY("write to a read-only data segment: #GP(0)", SEL(IDX_RO, 0),
	       "movl %%eax, %%fs:0x800000", X86_EXC_GP, 0);
	FS_TRY("access through a null FS: #GP(0)", 0,
	       "movl %%fs:0x800000, %%eax", X86_EXC_GP, 0);
}

static void run_stack_limit(void)
{
	u32 at;

	rt_gdt[IDX_STACK] = rt_seg_desc(0, 0x9ff,
		DESC_P | DESC_S | SEG_DATA_RW, DESC_G | DESC_DB);
	rt_trap_reset();
	asm volatile("movl $2f, rt_resume\n\tmovl $1f, %0\n\t"
		     "movw %%ss, %%dx\n\tmovw %w1, %%ss\n"
		     "1:\tmovl %%ss:0xa00000, %%eax\n"
		     "2:\tmovw %%dx, %%ss\n\tmovl $0, rt_resume"
		     : "=&r"(at) : "r"(SEL(IDX_STACK, 0))
		     : "eax", "edx", "memory");
	rt_check_trap("read through SS beyond its limit: #SS(0)", X86_EXC_SS, 0,
		      at);
}

static volatile u32 cs_eip, cs_cs, cs_resume;

/* Faults raised in another code segment resume in the flat one. */
static int cs_fault(struct rt_frame *f)
{
	rt_trap.count++;
	rt_trap.vector = f->vector;
	rt_trap.err = f->err;
	cs_eip = f->eip;
	cs_cs = f->cs & 0xffff;
	f->cs = SEL_KCODE;
	f->eip = cs_resume;
	return 1;
}

extern u8 cs_back[];
u8 far_ptr[6];

static __attribute__((noinline)) void far_call(u16 sel, u32 off)
{
	*(u32 *)far_ptr = off;
	*(u16 *)(far_ptr + 4) = sel;
	cs_resume = (u32)cs_back;
	asm volatile("pushal\n\tmovl %%esp, %%ebp\n\t"
		     "lcall *far_ptr\n"
		     "cs_back:\n\tmovl %%ebp, %%esp\n\tpopal"
		     : : : "memory", "cc");
}

/* A far jump back to cs_back, for the case where no fault happens. */
static void put_return(u8 *p)
{
	p[0] = 0xea;
	*(u32 *)(p + 1) = (u32)cs_back;
	*(u16 *)(p + 5) = SEL_KCODE;
}

static void run_code_limits(void)
{
	u8 *code = (u8 *)AREA;
	u32 at;

	rt_gdt[IDX_CODE] = rt_seg_desc(AREA, 0xff,
		DESC_P | DESC_S | SEG_CODE_XR, DESC_DB);
	rt_gdt[IDX_XONLY] = rt_seg_desc(0, 0xfffff,
		DESC_P | DESC_S | SEG_CODE_X, DESC_G | DESC_DB);
	rt_set_handler(X86_EXC_GP, cs_fault);

	/* jmp rel32 to offset 0x200, beyond the limit 0xff. */
	code[0] = 0xe9;
	*(u32 *)(code + 1) = 0x200 - 5;
	put_return(code + 0x200);
	rt_trap_reset();
	far_call(SEL(IDX_CODE, 0), 0);
	rt_check(rt_trap.count == 1 && rt_trap.vector == X86_EXC_GP &&
		 rt_trap.err == 0 && cs_eip == 0 && cs_cs == SEL(IDX_CODE, 0),
		 1, "near jmp beyond the CS limit: #GP(0) at the JMP");

	/* mov eax, cs:[0x100000] in an execute-only segment. */
	code = (u8 *)AREA + 0x1000;
	code[0] = 0x2e;
	code[1] = 0xa1;
	*(u32 *)(code + 2) = 0x100000;
	put_return(code + 6);
	rt_trap_reset();
	far_call(SEL(IDX_XONLY, 0), AREA + 0x1000);
	rt_check(rt_trap.count == 1 && rt_trap.vector == X86_EXC_GP &&
		 rt_trap.err == 0 && cs_eip == AREA + 0x1000, 1,
		 "read through CS of an execute-only segment: #GP(0)");
	rt_set_handler(X86_EXC_GP, 0);

	rt_trap_reset();
	RT_TRY(at, "lcall $" SEL_CODE_ASM ", $0x200");
	rt_check_trap("far call beyond the target's limit: #GP(0), not #GP(sel)",
		      X86_EXC_GP, 0, at);
}

/*
 * CMPXCHG8B after an instruction that set the status flags: ZF is its
 * result, the other five keep what that instruction produced. `pre`
 * sets the flags (EAX = 0 afterwards in the AND cases); EDX:EAX is
 * compared with cx8_mem.
 */
static u64 cx8_mem;

static u32 cx8_flags(u32 eflags_in, int equal, int use_cmp)
{
	u32 f, edx = 0x01234567;

	cx8_mem = equal ? (u64)edx << 32 : 0x5555555566666666ull;
	if (use_cmp)	/* 0 - 1: CF PF AF SF set, ZF OF clear */
		asm volatile("pushl %4\n\tpopfl\n\t"
			     "xorl %%eax, %%eax\n\tmovl $0, %%ecx\n\t"
			     "cmpl $1, %%ecx\n\t"
			     "movl $0x33333333, %%ecx\n\t"
			     "cmpxchg8b %1\n\tpushfl\n\tpopl %0"
			     : "=r"(f), "+m"(cx8_mem), "+d"(edx)
			     : "b"(0x44444444), "r"(eflags_in)
			     : "eax", "ecx", "cc");
	else		/* AND with 0: ZF PF set, CF AF SF OF clear */
		asm volatile("pushl %4\n\tpopfl\n\t"
			     "andl $0, %%eax\n\t"
			     "movl $0x33333333, %%ecx\n\t"
			     "cmpxchg8b %1\n\tpushfl\n\tpopl %0"
			     : "=r"(f), "+m"(cx8_mem), "+d"(edx)
			     : "b"(0x44444444), "r"(eflags_in)
			     : "eax", "ecx", "cc");
	return f & EFLAGS_STATUS;
}

static void run_cmpxchg8b(void)
{
	rt_check(cx8_flags(0x8d7, 0, 0), EFLAGS_PF,
		 "cmpxchg8b unequal after AND: ZF clear, PF from AND, CF AF SF OF clear");
	rt_check(cx8_flags(0x8d7, 1, 0), EFLAGS_PF | EFLAGS_ZF,
		 "cmpxchg8b equal after AND: ZF set, PF from AND, CF AF SF OF clear");
	rt_check(cx8_flags(0x2, 0, 1),
		 EFLAGS_CF | EFLAGS_PF | EFLAGS_AF | EFLAGS_SF,
		 "cmpxchg8b unequal after CMP 0,1: CF PF AF SF kept, ZF OF clear");
	rt_check(cx8_flags(0x2, 1, 1),
		 EFLAGS_CF | EFLAGS_PF | EFLAGS_AF | EFLAGS_SF | EFLAGS_ZF,
		 "cmpxchg8b equal after CMP 0,1: ZF set, CF PF AF SF kept, OF clear");
}

/*
 * `insn` runs with EBX = &ud_scratch and EAX = 0; an instruction the CPU
 * wrongly executes may move ESP, so ESP is restored after it (a #UD
 * resumes past the restore, with ESP untouched).
 */
u32 ud_scratch;

#define UD_TRY(name, insn)						\
	do {								\
		u32 at;							\
		rt_trap_reset();					\
		asm volatile("movl $1f, rt_resume\n\t"			\
			     "movl %%esp, %%edi\n\t"			\
			     "movl $ud_scratch, %%ebx\n\t"		\
			     "xorl %%eax, %%eax\n\t"			\
			     "movl $2f, %0\n"				\
			     "2:\t" insn "\n\t"				\
			     "movl %%edi, %%esp\n"			\
			     "1:\tmovl $0, rt_resume"			\
			     : "=&r"(at) : : "eax", "ebx", "edi",	\
			       "memory", "cc");				\
		rt_check_trap(name, X86_EXC_UD, 0, at);			\
	} while (0)

static void run_lock_ud(void)
{
	UD_TRY("lock lea: #UD", ".byte 0xf0, 0x8d, 0x03");
	UD_TRY("lock bsf m32: #UD", ".byte 0xf0, 0x0f, 0xbc, 0x03");
	UD_TRY("lock bswap: #UD", ".byte 0xf0, 0x0f, 0xc8");
	UD_TRY("lock test m32, r32: #UD", ".byte 0xf0, 0x85, 0x03");
	UD_TRY("lock bt m32, r32: #UD", ".byte 0xf0, 0x0f, 0xa3, 0x03");
	UD_TRY("lock xadd r32, r32: #UD", ".byte 0xf0, 0x0f, 0xc1, 0xc3");
	UD_TRY("lock xchg eax, ebx (90+r form): #UD", ".byte 0xf0, 0x93");
	UD_TRY("lock movzx r32, m8: #UD", ".byte 0xf0, 0x0f, 0xb6, 0x03");
	UD_TRY("lock push m32: #UD", ".byte 0xf0, 0xff, 0x35\n\t.long ud_scratch");
	UD_TRY("lock setc m8: #UD", ".byte 0xf0, 0x0f, 0x92, 0x03");
}

static void run_group11(void)
{
	UD_TRY("c6 /1 (mov r/m8, imm8 is /0 only): #UD", ".byte 0xc6, 0xc8, 0x00");
	UD_TRY("c7 /1 (mov r/m32, imm32 is /0 only): #UD",
	       ".byte 0xc7, 0xc8\n\t.long 0x12345678");
	UD_TRY("8f /1 (pop r/m32 is /0 only): #UD", ".byte 0x8f, 0xc8");
}

/*
 * A4: the page at RMW_VA is made not present, then supervisor-only; a
 * CPL-3 ADD to memory and INC of memory touch it. Paging is on only here.
 */
#define RMW_VA		0xc05000u
static volatile u32 rmw_op;

static u32 user_rmw(u32 arg)
{
	u32 at;

	(void)arg;
	if (rmw_op == 0)
		asm volatile("movl $1f, rt_resume\n\tmovl $2f, %0\n"
			     "2:\taddl %%eax, (%1)\n"
			     "1:\tmovl $0, rt_resume"
			     : "=&r"(at) : "c"(RMW_VA), "a"(1) : "memory", "cc");
	else
		asm volatile("movl $1f, rt_resume\n\tmovl $2f, %0\n"
			     "2:\tincl (%1)\n"
			     "1:\tmovl $0, rt_resume"
			     : "=&r"(at) : "c"(RMW_VA) : "memory", "cc");
	return at;
}

static void rmw_case(const char *name, u32 pte, u32 op, u32 err)
{
	u32 at;

	rt_pt[RMW_VA >> 22][(RMW_VA >> 12) & 1023] = pte;
	invlpg(RMW_VA);
	rmw_op = op;
	rt_trap_reset();
	at = rt_user_call(user_rmw, 0, EFLAGS_FIXED);
	rt_check_trap(name, X86_EXC_PF, err, at);
}

static void run_rmw_pf(void)
{
	rt_paging_identity(PTE_P | PTE_W | PTE_U);
	rmw_case("add to memory at CPL 3, page not present: #PF(W|U) = 6",
		 0, 0, PF_W | PF_U);
	rmw_case("inc memory at CPL 3, page not present: #PF(W|U) = 6",
		 0, 1, PF_W | PF_U);
	rmw_case("add to memory at CPL 3, supervisor page: #PF(W|U|P) = 7",
		 RMW_VA | PTE_P | PTE_W, 0, PF_W | PF_U | PF_P);
	rmw_case("inc memory at CPL 3, supervisor page: #PF(W|U|P) = 7",
		 RMW_VA | PTE_P | PTE_W, 1, PF_W | PF_U | PF_P);
	rt_paging_off();
}

#define IDX_UNACC	(GDT_FREE + 7)		/* flat code, accessed bit clear */
#define SEL_UNACC_ASM	"0x70"			/* SEL(IDX_UNACC, 0) */
_Static_assert(SEL(IDX_UNACC, 0) == 0x70, "SEL_UNACC_ASM out of date");
#define HOLE_VA		0xc06000u		/* not present while these run */

static u32 user_far_call_push(u32 arg)
{
	u32 at;

	(void)arg;
	/* ESP at the bottom of the present page above the hole: the pushes
	 * go into the hole. */
	asm volatile("movl %%esp, %%edx\n\tmovl %1, %%esp\n\t"
		     "movl $1f, rt_resume\n\tmovl $2f, %0\n"
		     "2:\tlcall $0x1b, $1f\n"
		     "1:\tmovl %%edx, %%esp\n\tmovl $0, rt_resume"
		     : "=&r"(at) : "r"(HOLE_VA + 0x1000) : "edx", "memory");
	return at;
}

static void run_faults_leave_state(void)
{
	u32 at;

	rt_paging_identity(PTE_P | PTE_W | PTE_U);
	rt_pt[HOLE_VA >> 22][(HOLE_VA >> 12) & 1023] = 0;
	write_cr3(read_cr3());
	rt_trap_reset();
	at = rt_user_call(user_far_call_push, 0, EFLAGS_FIXED);
	rt_check_trap("far call at CPL 3 pushing into a not-present page: #PF(W|U) = 6",
		      X86_EXC_PF, PF_W | PF_U, at);

	rt_trap_reset();
	/* 0x7fffffab - (-86) - CF(0) = 0x80000001: SF, OF, CF set; ZF, PF,
	 * AF clear (SDM vol. 2 SBB: all six flags defined). */
	asm volatile("movl $1f, rt_resume\n\t"
		     "pushl $2\n\tpopfl\n\t"
		     "movl $0x7fffffab, %%eax\n\t"
		     "sbbl $-86, %%eax\n\t"
		     "setno (%0)\n"
		     "1:\tmovl $0, rt_resume\n\tpushl $2\n\tpopfl"
		     : : "r"(HOLE_VA) : "eax", "memory", "cc");
	rt_check(rt_trap.eflags & EFLAGS_STATUS, EFLAGS_SF | EFLAGS_OF | EFLAGS_CF,
		 "#PF of SETcc after SBB: the frame holds SBB's flags (SF OF CF)");
	rt_paging_off();

	rt_gdt[IDX_UNACC] = rt_seg_desc(0, 0xfffff, DESC_P | DESC_S | SEG_CODE_XR, DESC_G | DESC_DB);
	asm volatile("ljmp $" SEL_UNACC_ASM ", $1f\n1:\t"
		     "ljmp $0x08, $2f\n2:" : : : "memory");
	rt_check((u32)(rt_gdt[IDX_UNACC] >> 40) & SEG_ACCESSED, SEG_ACCESSED,
		 "a far jmp sets the accessed bit of the code descriptor it loads");
}

void kmain(void)
{
	run_instructions();
	run_ext();
	run_msr();
	run_data_limits();
	run_stack_limit();
	run_code_limits();
	run_cmpxchg8b();
	run_lock_ud();
	run_group11();
	run_rmw_pf();
	run_faults_leave_state();
}
