/*
 * ring: privilege-level transfers and the exact stack frames they build.
 *
 * Follows the SDM vol. 3, 5.8 (call gates, conforming segments, RET to an
 * outer level), 6.12.1 (exception/interrupt procedures: stack switch from
 * the TSS, frame layout, interrupt gates clear IF, trap gates do not) and
 * 7.2.1 (TSS SSn:ESPn), plus the vol. 2 pages CALL, JMP, RET and IRET:
 *  - INT from CPL 3 switches to TSS.SS0:ESP0 and pushes SS, ESP, EFLAGS,
 *    CS, EIP (and an error code for #GP): ESP0 - 20 (or - 24) on entry; at
 *    the same level only EFLAGS, CS, EIP are pushed; a gate to a
 *    conforming segment keeps CPL and stack;
 *  - a call gate to an inner level copies its parameter count of dwords
 *    from the caller's stack; RET imm16 releases them on both stacks;
 *  - an inner-level call through a gate whose TSS stack segment is invalid
 *    raises #TS(SS selector);
 *  - returns to an outer level (RET, IRET) load null into DS, ES, FS, GS
 *    holding data or non-conforming code segments with DPL < new CPL;
 *  - a conforming segment runs at the caller's CPL (CS.RPL = CPL); JMP
 *    through a call gate cannot change privilege; RET and IRET cannot
 *    return to an inner level (#GP(selector));
 *  - a far CALL pushes CS as it is (RPL = CPL: 0 in the kernel); code at
 *    CPL 3 in a conforming DPL-0 segment that calls through a gate to
 *    ring 0 comes back at CPL 3 (vol. 2 RET: CPL := RPL of the return
 *    CS), where CLI faults.
 */
#include "rt.h"

RT_KERNEL("ring");

#define STR_(x)		#x
#define STR(x)		STR_(x)

#define IDX_KCODE2	7	/* second DPL-0 non-conforming code segment */
#define IDX_CONF	8	/* DPL-0 conforming code segment */
#define IDX_R1CODE	9
#define IDX_R1DATA	10
#define IDX_CG0		11	/* call gate DPL 3 -> ring 0, 2 parameters */
#define IDX_CG1		12	/* call gate DPL 3 -> ring 1 */
#define IDX_CGLOW	13	/* call gate DPL 0 -> ring 0 */
#define SEL_KCODE2	(IDX_KCODE2 << 3)
#define SEL_CONF	(IDX_CONF << 3)
#define SEL_R1CODE	((IDX_R1CODE << 3) | 1)
#define SEL_R1DATA	((IDX_R1DATA << 3) | 1)
#define SEL_CG0		((IDX_CG0 << 3) | 3)
#define SEL_CG1		((IDX_CG1 << 3) | 3)
#define SEL_CGLOW	((IDX_CGLOW << 3) | 3)
#define VEC_CAP_INT	0x50	/* interrupt gate to cap_noerr */
#define VEC_CAP_TRAP	0x51	/* trap gate to cap_noerr */
#define VEC_CAP_CONF	0x52	/* interrupt gate into the conforming segment */

/* What the capture stubs and gate targets saw: frame words from ESP up. */
u32 cap_frame[8], cap_esp, cap_flags, cap_cs, cap_ss;
u32 u_esp, u_esp2, u_delta, u_fs, u_gs, u_cs;
u8 r1_stack[512];

asm(".pushsection .text\n"
    /* Captures the frame of an INT, then returns to the interrupted code. */
    "cap_noerr:\n\t"
    "pushl %eax\n\t"
    "leal 4(%esp), %eax\n\tmovl %eax, %ss:cap_esp\n\t"
    "movl 4(%esp), %eax\n\tmovl %eax, %ss:cap_frame\n\t"
    "movl 8(%esp), %eax\n\tmovl %eax, %ss:cap_frame + 4\n\t"
    "movl 12(%esp), %eax\n\tmovl %eax, %ss:cap_frame + 8\n\t"
    "movl 16(%esp), %eax\n\tmovl %eax, %ss:cap_frame + 12\n\t"
    "movl 20(%esp), %eax\n\tmovl %eax, %ss:cap_frame + 16\n\t"
    "movl 24(%esp), %eax\n\tmovl %eax, %ss:cap_frame + 20\n\t"
    "pushfl\n\tpopl %eax\n\tmovl %eax, %ss:cap_flags\n\t"
    "movl $0, %eax\n\tmovw %cs, %ax\n\tmovl %eax, %ss:cap_cs\n\t"
    "movw %ss, %ax\n\tmovl %eax, %ss:cap_ss\n\t"
    "popl %eax\n\t"
    "iretl\n"
    /* Same for #GP, which also drops its error code and skips a 2-byte INT. */
    "cap_err:\n\t"
    "call cap_noerr_body\n\t"
    "addl $4, %esp\n\taddl $2, (%esp)\n\t"
    "iretl\n"
    "cap_noerr_body:\n\t"
    "pushl %eax\n\t"
    "leal 8(%esp), %eax\n\tmovl %eax, %ss:cap_esp\n\t"
    "movl 8(%esp), %eax\n\tmovl %eax, %ss:cap_frame\n\t"
    "movl 12(%esp), %eax\n\tmovl %eax, %ss:cap_frame + 4\n\t"
    "movl 16(%esp), %eax\n\tmovl %eax, %ss:cap_frame + 8\n\t"
    "movl 20(%esp), %eax\n\tmovl %eax, %ss:cap_frame + 12\n\t"
    "movl 24(%esp), %eax\n\tmovl %eax, %ss:cap_frame + 16\n\t"
    "movl 28(%esp), %eax\n\tmovl %eax, %ss:cap_frame + 20\n\t"
    "popl %eax\n\tret\n"
    /* Ring-0 end of call gate CG0: records, loads FS/GS, returns to CPL 3. */
    "cg0_target:\n\t"
    "movl %esp, %ss:cap_esp\n\t"
    "pushl %eax\n\t"
    "movl 4(%esp), %eax\n\tmovl %eax, %ss:cap_frame\n\t"
    "movl 8(%esp), %eax\n\tmovl %eax, %ss:cap_frame + 4\n\t"
    "movl 12(%esp), %eax\n\tmovl %eax, %ss:cap_frame + 8\n\t"
    "movl 16(%esp), %eax\n\tmovl %eax, %ss:cap_frame + 12\n\t"
    "movl 20(%esp), %eax\n\tmovl %eax, %ss:cap_frame + 16\n\t"
    "movl 24(%esp), %eax\n\tmovl %eax, %ss:cap_frame + 20\n\t"
    "movl $0, %eax\n\tmovw %cs, %ax\n\tmovl %eax, %ss:cap_cs\n\t"
    "movw %ss, %ax\n\tmovl %eax, %ss:cap_ss\n\t"
    "movw $" STR(SEL_KDATA) ", %ax\n\tmovw %ax, %fs\n\t"
    "movw $" STR(SEL_UDATA) ", %ax\n\tmovw %ax, %gs\n\t"
    "popl %eax\n\t"
    "lret $8\n"
    /* Ring-1 end of call gate CG1. */
    "r1_target:\n\t"
    "pushl %eax\n\tmovl $0, %eax\n\t"
    "movw %cs, %ax\n\tmovl %eax, %ss:cap_cs\n\t"
    "movw %ss, %ax\n\tmovl %eax, %ss:cap_ss\n\t"
    "leal 4(%esp), %eax\n\tmovl %eax, %ss:cap_esp\n\t"
    "popl %eax\n\tlret\n"
    /* Conforming segment: called and jumped to from CPL 3. */
    "conf_target:\n\t"
    "movl %esp, %ss:cap_esp\n\t"
    "movl $0, %ss:cap_cs\n\tmovw %cs, %ss:cap_cs\n\t"
    "lret\n"
    "conf_jmp_target:\n\t"
    "movl $0, %ss:cap_cs\n\tmovw %cs, %ss:cap_cs\n\t"
    "ljmp $" STR(SEL_UCODE) ", $conf_jmp_back\n"
    "conf_int_target:\n\t"
    "movl %esp, %ss:cap_esp\n\t"
    "movl $0, %ss:cap_cs\n\tmovw %cs, %ss:cap_cs\n\t"
    "iretl\n"
    "kcode2_target:\n\t"
    "movl $0, cap_cs\n\tmovw %cs, cap_cs\n\tlret\n"
    ".popsection");

extern u8 cap_noerr[], cap_err[], cg0_target[], r1_target[], conf_target[];
extern u8 conf_jmp_target[], conf_int_target[], kcode2_target[];

static u32 user_int(u32 vec)
{
	u32 after;

	if (vec == VEC_CAP_INT)
		asm volatile("movl %%esp, u_esp\n\tint $" STR(VEC_CAP_INT) "\n1:\t"
			     "movl $1b, %0" : "=r"(after) : : "memory");
	else if (vec == VEC_CAP_TRAP)
		asm volatile("movl %%esp, u_esp\n\tint $" STR(VEC_CAP_TRAP) "\n1:\t"
			     "movl $1b, %0" : "=r"(after) : : "memory");
	else if (vec == VEC_CAP_CONF)
		asm volatile("movl %%esp, u_esp\n\tint $" STR(VEC_CAP_CONF) "\n1:\t"
			     "movl $1b, %0" : "=r"(after) : : "memory");
	else
		asm volatile("movl %%esp, u_esp\n\tint $0x40\n1:\t"
			     "movl $1b, %0" : "=r"(after) : : "memory");
	return after;
}

static void run_int_frames(void)
{
	u32 esp0 = (u32)rt_kstack0_top, after;

	rt_set_gate(VEC_CAP_INT, SYS_INT_GATE32, 3, SEL_KCODE, (u32)cap_noerr);
	rt_set_gate(VEC_CAP_TRAP, SYS_TRAP_GATE32, 3, SEL_KCODE, (u32)cap_noerr);
	after = rt_user_call(user_int, VEC_CAP_INT, EFLAGS_FIXED | EFLAGS_IF);
	rt_check(cap_esp, esp0 - 20, "int from CPL 3: ESP = TSS.ESP0 - 20");
	rt_check(cap_ss, SEL_KDATA, "int from CPL 3: SS = TSS.SS0");
	rt_check(cap_cs, SEL_KCODE, "int from CPL 3: CS = gate selector");
	rt_check(cap_frame[0], after, "int frame: EIP after the INT");
	rt_check(cap_frame[1] & 0xffff, SEL_UCODE, "int frame: CS");
	rt_check(cap_frame[2] & (EFLAGS_IF | EFLAGS_IOPL | EFLAGS_FIXED),
		 EFLAGS_IF | EFLAGS_FIXED, "int frame: EFLAGS with IF = 1");
	rt_check(cap_frame[3], u_esp, "int frame: ESP of the caller");
	rt_check(cap_frame[4] & 0xffff, SEL_UDATA, "int frame: SS of the caller");
	rt_check(cap_flags & EFLAGS_IF, 0, "interrupt gate clears IF");

	rt_user_call(user_int, VEC_CAP_TRAP, EFLAGS_FIXED | EFLAGS_IF);
	rt_check(cap_flags & EFLAGS_IF, EFLAGS_IF, "trap gate keeps IF");
	rt_check(cap_esp, esp0 - 20, "trap gate from CPL 3: same frame size");

	rt_set_gate(X86_EXC_GP, SYS_INT_GATE32, 0, SEL_KCODE, (u32)cap_err);
	rt_set_isr_gate(0x40, SYS_INT_GATE32, 0);
	after = rt_user_call(user_int, 0x40, EFLAGS_FIXED);
	rt_set_isr_gate(X86_EXC_GP, SYS_INT_GATE32, 0);
	rt_check(cap_esp, esp0 - 24, "#GP from CPL 3: ESP = TSS.ESP0 - 24");
	rt_check(cap_frame[0], 0x40 * 8 + 2, "#GP frame: error code on top");
	rt_check(cap_frame[1], after - 2, "#GP frame: EIP of the INT");
	rt_check(cap_frame[4], u_esp, "#GP frame: caller ESP");
	rt_check(cap_frame[5] & 0xffff, SEL_UDATA, "#GP frame: caller SS");

	asm volatile("movl %%esp, u_esp\n\tint $" STR(VEC_CAP_INT) "\n1:\t"
		     "movl $1b, %0" : "=r"(after) : : "memory");
	rt_check(cap_esp, u_esp - 12, "int at CPL 0: three words, no stack switch");
	rt_check(cap_frame[0] == after && cap_frame[1] == SEL_KCODE, 1,
		 "int at CPL 0: EIP and CS");

	rt_gdt[IDX_CONF] = rt_seg_desc(0, 0xfffff,
		DESC_P | DESC_S | SEG_CODE_XRC, DESC_G | DESC_DB);
	rt_set_gate(VEC_CAP_CONF, SYS_INT_GATE32, 3, SEL_CONF,
		    (u32)conf_int_target);
	rt_user_call(user_int, VEC_CAP_CONF, EFLAGS_FIXED);
	rt_check(cap_cs, SEL_CONF | 3, "int to a conforming segment: CPL stays 3");
	rt_check(cap_esp, u_esp - 12, "int to a conforming segment: no stack switch");
}

static u32 user_cg0(u32 arg)
{
	(void)arg;
	asm volatile("movl %%esp, u_esp\n\t"
		     "pushl $0x1111\n\tpushl $0x2222\n\t"
		     "movl %%esp, u_esp2\n\t"
		     "lcall $" STR(SEL_CG0) ", $0\n\t"
		     "movl %%esp, %%eax\n\tsubl u_esp, %%eax\n\t"
		     "movl %%eax, u_delta\n\t"
		     "movl $0, u_fs\n\tmovw %%fs, u_fs\n\t"
		     "movl $0, u_gs\n\tmovw %%gs, u_gs"
		     : : : "eax", "memory");
	return 0;
}

static void run_call_gate(void)
{
	u32 esp0 = (u32)rt_kstack0_top;

	rt_gdt[IDX_CG0] = rt_gate_desc(SEL_KCODE, (u32)cg0_target,
				       SYS_CALL_GATE32, 3, 2);
	rt_user_call(user_cg0, 0, EFLAGS_FIXED);
	rt_check(cap_cs, SEL_KCODE, "call gate: target runs at CPL 0");
	rt_check(cap_ss, SEL_KDATA, "call gate: SS from TSS.SS0");
	rt_check(cap_esp, esp0 - 24, "call gate: ESP0 - 4 * (4 + 2 parameters)");
	rt_check(cap_frame[1] & 0xffff, SEL_UCODE, "call gate frame: caller CS");
	rt_check(cap_frame[2], 0x2222, "call gate: first parameter copied");
	rt_check(cap_frame[3], 0x1111, "call gate: second parameter copied");
	rt_check(cap_frame[4], u_esp2, "call gate frame: caller ESP");
	rt_check(cap_frame[5] & 0xffff, SEL_UDATA, "call gate frame: caller SS");
	rt_check(u_delta, 0, "lret 8: parameters released on the caller's stack");
	rt_check(u_fs, 0, "lret to CPL 3 nulls FS holding DPL-0 data");
	rt_check(u_gs, SEL_UDATA, "lret to CPL 3 keeps GS holding DPL-3 data");
}

static u32 user_cg1(u32 arg)
{
	u32 at;

	(void)arg;
	asm volatile("movl $1f, rt_resume\n\tmovl $2f, %0\n"
		     "2:\tlcall $" STR(SEL_CG1) ", $0\n"
		     "1:\tmovl $0, rt_resume"
		     : "=&r"(at) : : "memory");
	return at;
}

static void run_ring1(void)
{
	u32 at;

	rt_gdt[IDX_R1CODE] = rt_seg_desc(0, 0xfffff,
		DESC_P | DESC_DPL(1) | DESC_S | SEG_CODE_XR, DESC_G | DESC_DB);
	rt_gdt[IDX_R1DATA] = rt_seg_desc(0, 0xfffff,
		DESC_P | DESC_DPL(1) | DESC_S | SEG_DATA_RW, DESC_G | DESC_DB);
	rt_gdt[IDX_CG1] = rt_gate_desc(SEL_R1CODE, (u32)r1_target,
				       SYS_CALL_GATE32, 3, 0);
	rt_tss.ss1 = SEL_KDATA | 1;
	rt_tss.esp1 = (u32)&r1_stack[sizeof(r1_stack)];
	rt_trap_reset();
	at = rt_user_call(user_cg1, 0, EFLAGS_FIXED);
	rt_check_trap("call gate to CPL 1 with a DPL-0 TSS.SS1: #TS(SS1)",
		      X86_EXC_TS, SEL_KDATA, at);

	rt_tss.ss1 = SEL_R1DATA;
	rt_trap_reset();
	rt_user_call(user_cg1, 0, EFLAGS_FIXED);
	rt_check(rt_trap.count, 0, "call gate to CPL 1: no exception");
	rt_check(cap_cs, SEL_R1CODE, "call gate to CPL 1: CS.RPL = 1");
	rt_check(cap_ss, SEL_R1DATA, "call gate to CPL 1: SS from TSS.SS1");
	rt_check(cap_esp, (u32)&r1_stack[sizeof(r1_stack)] - 16,
		 "call gate to CPL 1: ESP1 - 16");
	rt_tss.ss1 = 0;
	rt_tss.esp1 = 0;
}

static __attribute__((noinline, noclone)) u32 user_far(u32 arg)
{
	u32 at = 0;

	if (arg == 0) {
		asm volatile("movl %%esp, u_esp\n\t"
			     "lcall $" STR(SEL_CONF) ", $conf_target"
			     : : : "memory");
	} else if (arg == 1) {
		asm volatile("ljmp $" STR(SEL_CONF) ", $conf_jmp_target\n"
			     "conf_jmp_back:\n\t"
			     "movl $0, u_cs\n\tmovw %%cs, u_cs" : : : "memory");
	} else if (arg == 2) {
		asm volatile("movl $1f, rt_resume\n\tmovl $2f, %0\n"
			     "2:\tljmp $" STR(SEL_CG0) ", $0\n"
			     "1:\tmovl $0, rt_resume" : "=&r"(at) : : "memory");
	} else if (arg == 3) {
		asm volatile("movl $1f, rt_resume\n\tmovl $2f, %0\n"
			     "2:\tlcall $" STR(SEL_CGLOW) ", $0\n"
			     "1:\tmovl $0, rt_resume" : "=&r"(at) : : "memory");
	} else if (arg == 4) {
		asm volatile("movl $1f, rt_resume\n\tmovl $2f, %0\n\t"
			     "movl %%esp, %%edx\n\t"
			     "pushl $" STR(SEL_KCODE) "\n\tpushl $1f\n"
			     "2:\tlret\n"
			     "1:\tmovl %%edx, %%esp\n\tmovl $0, rt_resume"
			     : "=&r"(at) : : "edx", "memory");
	} else {
		asm volatile("movl $1f, rt_resume\n\tmovl $2f, %0\n\t"
			     "movl %%esp, %%edx\n\tpushfl\n\t"
			     "pushl $" STR(SEL_KCODE) "\n\tpushl $1f\n"
			     "2:\tiretl\n"
			     "1:\tmovl %%edx, %%esp\n\tmovl $0, rt_resume"
			     : "=&r"(at) : : "edx", "memory");
	}
	return at;
}

static void run_far(void)
{
	u32 at, f;

	rt_gdt[IDX_KCODE2] = rt_seg_desc(0, 0xfffff,
		DESC_P | DESC_S | SEG_CODE_XR, DESC_G | DESC_DB);
	rt_gdt[IDX_CGLOW] = rt_gate_desc(SEL_KCODE, (u32)cg0_target,
					 SYS_CALL_GATE32, 0, 0);

	asm volatile("lcall $" STR(SEL_KCODE2) ", $kcode2_target" : : : "memory");
	rt_check(cap_cs, SEL_KCODE2, "far call to another CPL-0 segment");
	rt_user_call(user_far, 0, EFLAGS_FIXED);
	rt_check(cap_cs, SEL_CONF | 3, "far call from CPL 3 to a conforming DPL-0 segment: CS.RPL = 3");
	rt_check(cap_esp, u_esp - 8, "far call to a conforming segment: same stack");
	u_cs = 0;
	rt_user_call(user_far, 1, EFLAGS_FIXED);
	rt_check(cap_cs == (SEL_CONF | 3) && u_cs == SEL_UCODE, 1,
		 "far jmp to a conforming segment and back at CPL 3");

	rt_trap_reset();
	at = rt_user_call(user_far, 2, EFLAGS_FIXED);
	rt_check_trap("far jmp through a call gate to CPL 0: #GP(code selector)",
		      X86_EXC_GP, SEL_KCODE, at);
	rt_trap_reset();
	at = rt_user_call(user_far, 3, EFLAGS_FIXED);
	rt_check_trap("far call through a DPL-0 call gate at CPL 3: #GP(gate)",
		      X86_EXC_GP, SEL_CGLOW & ~3, at);
	rt_trap_reset();
	at = rt_user_call(user_far, 4, EFLAGS_FIXED);
	rt_check_trap("lret from CPL 3 to a CPL-0 segment: #GP(selector)",
		      X86_EXC_GP, SEL_KCODE, at);
	rt_trap_reset();
	at = rt_user_call(user_far, 5, EFLAGS_FIXED);
	rt_check_trap("iret from CPL 3 to a CPL-0 segment: #GP(selector)",
		      X86_EXC_GP, SEL_KCODE, at);

	asm volatile("movl %%esp, %%edx\n\tpushl $0x8d7\n\tpushl %%cs\n\t"
		     "pushl $1f\n\tiretl\n1:\tpushfl\n\tpopl %0\n\t"
		     "subl %%esp, %%edx" : "=r"(f), "=d"(at) : : "cc");
	rt_check(f & EFLAGS_STATUS, EFLAGS_STATUS, "iret at CPL 0 loads EFLAGS");
	rt_check(at, 0, "iret at CPL 0 pops three words");
}

static u32 user_segs(u32 arg)
{
	(void)arg;
	asm volatile("movl $0, u_fs\n\tmovw %%fs, u_fs\n\t"
		     "movl $0, u_gs\n\tmovw %%gs, u_gs" : : : "memory");
	return 0;
}

static void run_iret_nulling(void)
{
	asm volatile("movw %w0, %%fs\n\tmovw %w1, %%gs"
		     : : "r"(SEL_KDATA), "r"(SEL_CONF));
	rt_user_call(user_segs, 0, EFLAGS_FIXED);
	rt_check(u_fs, 0, "iret to CPL 3 nulls FS holding DPL-0 data");
	rt_check(u_gs, SEL_CONF, "iret to CPL 3 keeps GS holding a conforming segment");
	asm volatile("movw %w0, %%fs\n\tmovw %w0, %%gs" : : "r"(SEL_UDATA));
	rt_user_call(user_segs, 0, EFLAGS_FIXED);
	rt_check(u_fs == SEL_UDATA && u_gs == SEL_UDATA, 1,
		 "iret to CPL 3 keeps FS/GS holding DPL-3 data");
}

static u32 user_conf_gate(u32 arg)
{
	(void)arg;
	asm volatile("ljmp $" STR(SEL_CONF) " | 3, $1f\n"
		     "1:\tpushl $0x1111\n\tpushl $0x2222\n\t"
		     "lcall $" STR(SEL_CG0) ", $0\n\t"
		     "movl $0, u_cs\n\tmovw %%cs, u_cs\n\t"
		     "ljmp $" STR(SEL_UCODE) ", $2f\n"
		     "2:" : : : "memory");
	return 0;
}

static void run_conforming_return(void)
{
	u32 pushed = 0, at = 0;

	/* A far CALL to the next instruction, in the kernel: the CS it pushed. */
	asm volatile("lcall $" STR(SEL_KCODE) ", $1f\n"
		     "1:\taddl $4, %%esp\n\tpopl %0" : "=r"(pushed) : : "memory");
	rt_check(pushed & 0xffff, SEL_KCODE, "far call at CPL 0 pushes CS with RPL 0");

	rt_gdt[IDX_CG0] = rt_gate_desc(SEL_KCODE, (u32)cg0_target, SYS_CALL_GATE32, 3, 2);
	rt_user_call(user_conf_gate, 0, EFLAGS_FIXED);
	rt_check(cap_cs, SEL_KCODE, "conforming CPL-3 code: the gate's target runs at CPL 0");
	rt_check(u_cs, SEL_CONF | 3, "lret from ring 0 lands in the conforming segment at CPL 3");
	rt_trap_reset();
	RT_TRY(at, "ljmp $" STR(SEL_CONF) " | 3, $1f\n1:\tcli");
	(void)at;
	rt_check(rt_trap.count, 0, "at CPL 0 a jump to the conforming segment keeps CPL 0");
}

void kmain(void)
{
	run_int_frames();
	run_call_gate();
	run_ring1();
	run_far();
	run_iret_nulling();
	run_conforming_return();
}
