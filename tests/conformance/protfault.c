/*
 * protfault: the protection exceptions #GP, #NP and #SS with their error
 * codes and saved CS:EIP.
 *
 * Follows the SDM vol. 3, 5.5-5.10 (privilege checks), 6.13 (error code:
 * selector index | TI | EXT; an IDT reference has bit 1 set, so INT n
 * gives n*8+2) and the vol. 2 pages MOV (segment loads), INT n, HLT, CLI,
 * STI, LGDT/LIDT, LLDT, LTR, MOV CR/DR, INVLPG, RDMSR/WRMSR, LMSW, CLTS,
 * WBINVD/INVD, IN/OUT, RDPMC:
 *  - every privileged instruction at CPL 3 (IOPL 0, all I/O denied by the
 *    TSS bitmap) raises #GP(0) at the instruction, saved CS = 0x1b;
 *  - INT n through a gate with DPL < CPL raises #GP(n*8+2); a not-present
 *    gate #NP(n*8+2); a vector beyond the IDT limit or a descriptor that is
 *    no gate #GP(n*8+2); INT n with an exception's vector (14, 13) is a
 *    software interrupt, so its #GP is raised once, not escalated to #DF
 *    (vol. 3, 6.12.1.1 and 6.15 "Interrupt 8", Table 6-5: a double fault
 *    needs an exception while delivering a prior exception);
 *  - loading a segment register checks, in this order, the null selector
 *    (SS only), the table limit, the descriptor type, privilege (for SS:
 *    RPL = DPL = CPL) and presence, the last giving #NP(sel) or, for SS,
 *    #SS(sel);
 *  - a far JMP to a data segment is #GP(sel); a far CALL to a not-present
 *    code segment is #NP(sel);
 *  - the checks before a task switch (vol. 2 INT n, JMP, CALL; vol. 3 7.3):
 *    INT n through a task gate checks the gate's DPL (software INT) and
 *    presence like any gate, then the TSS it names (#GP(TSS selector) for
 *    a busy one); a far JMP to a TSS or through a task gate whose DPL is
 *    below the CPL is #GP(selector); a far CALL to a busy TSS is
 *    #GP(selector). No task switch is ever made here.
 */
#include "rt.h"

RT_KERNEL("protfault");

#define SEL_XONLY	SEL(GDT_FREE, 0)	/* execute-only code, DPL 0 */
#define SEL_NP_DATA	SEL(GDT_FREE + 1, 0)	/* data, not present */
#define SEL_RO_DATA	SEL(GDT_FREE + 2, 0)	/* read-only data */
#define SEL_NP_CODE	SEL(GDT_FREE + 3, 0)	/* code, not present */

#define PRIV_CASE(fn, insns)						\
static u32 fn(u32 arg)							\
{									\
	static u8 buf[8];						\
	u32 at;								\
	(void)arg;							\
	asm volatile("movl $.Lpc_end%=, rt_resume\n\t"			\
		     "movl $.Lpc_at%=, %0\n"				\
		     ".Lpc_at%=:\t" insns "\n.Lpc_end%=:\n\t"		\
		     "movl $0, rt_resume"				\
		     : "=m"(at) : "b"(buf)				\
		     : "memory", "cc", "eax", "ecx", "edx", "esi", "edi");	\
	return at;							\
}

PRIV_CASE(p_hlt, "hlt")
PRIV_CASE(p_cli, "cli")
PRIV_CASE(p_sti, "sti")
PRIV_CASE(p_lgdt, "lgdt (%%ebx)")
PRIV_CASE(p_lidt, "lidt (%%ebx)")
PRIV_CASE(p_lldt, "lldt (%%ebx)")
PRIV_CASE(p_ltr, "ltr (%%ebx)")
PRIV_CASE(p_rdcr0, ".byte 0x0f, 0x20, 0xc1")
PRIV_CASE(p_wrcr0, ".byte 0x0f, 0x22, 0xc1")
PRIV_CASE(p_rdcr3, ".byte 0x0f, 0x20, 0xd9")
PRIV_CASE(p_rddr7, ".byte 0x0f, 0x21, 0xf9")
PRIV_CASE(p_invlpg, "invlpg (%%ebx)")
PRIV_CASE(p_rdmsr, "rdmsr")
PRIV_CASE(p_wrmsr, "wrmsr")
PRIV_CASE(p_lmsw, "lmsw (%%ebx)")
PRIV_CASE(p_clts, "clts")
PRIV_CASE(p_wbinvd, "wbinvd")
PRIV_CASE(p_invd, "invd")
PRIV_CASE(p_in, "inb $0x80, %%al")
PRIV_CASE(p_out, "outb %%al, $0x80")
PRIV_CASE(p_ins, ".byte 0x6c")
PRIV_CASE(p_outs, ".byte 0x6e")
PRIV_CASE(p_rdpmc, "rdpmc")

struct priv_case {
	const char *name;
	u32 (*fn)(u32);
};

static const struct priv_case priv_cases[] = {
	{ "hlt", p_hlt }, { "cli", p_cli }, { "sti", p_sti },
	{ "lgdt", p_lgdt }, { "lidt", p_lidt }, { "lldt", p_lldt },
	{ "ltr", p_ltr }, { "mov from cr0", p_rdcr0 }, { "mov to cr0", p_wrcr0 },
	{ "mov from cr3", p_rdcr3 }, { "mov from dr7", p_rddr7 },
	{ "invlpg", p_invlpg }, { "rdmsr", p_rdmsr }, { "wrmsr", p_wrmsr },
	{ "lmsw", p_lmsw }, { "clts", p_clts }, { "wbinvd", p_wbinvd },
	{ "invd", p_invd }, { "in (IOPL 0, port denied)", p_in },
	{ "out (IOPL 0, port denied)", p_out }, { "insb", p_ins },
	{ "outsb", p_outs }, { "rdpmc (CR4.PCE = 0)", p_rdpmc },
};

static void run_privileged(void)
{
	u32 i, at;

	for (i = 0; i < ARRAY_SIZE(priv_cases); i++) {
		rt_trap_reset();
		at = rt_user_call(priv_cases[i].fn, 0, EFLAGS_FIXED);
		rt_check_trap(priv_cases[i].name, X86_EXC_GP, 0, at);
		rt_check(rt_trap.cs, SEL_UCODE, "%s: saved CS is the CPL-3 selector",
			 priv_cases[i].name);
	}
}

/*
 * Loads `sel` into the segment register named by `seg`; the old value comes
 * back before any memory access, which a null or code selector in DS would
 * fault.
 */
#define LOAD_CASE(fn, seg)						\
static u32 fn(u32 sel)							\
{									\
	u32 at;								\
	asm volatile("pushl %%" seg "\n\t"				\
		     "movl $.Llc_end%=, rt_resume\n\t"			\
		     "movl $.Llc_at%=, %0\n"				\
		     ".Llc_at%=:\tmovw %w1, %%" seg "\n"		\
		     ".Llc_end%=:\n\tpopl %%" seg "\n\t"			\
		     "movl $0, rt_resume"				\
		     : "=&r"(at) : "r"(sel) : "memory", "cc");		\
	return at;							\
}

LOAD_CASE(load_ds, "ds")
LOAD_CASE(load_ss, "ss")
LOAD_CASE(load_fs, "fs")

struct load_case {
	const char *name;
	u32 (*fn)(u32);
	u32 sel, vector, err;
	int cpl3;
};

static const struct load_case load_cases[] = {
	{ "mov ss, null selector", load_ss, 0, X86_EXC_GP, 0, 0 },
	{ "mov ss, null selector with RPL 3 at CPL 3", load_ss, 3,
	  X86_EXC_GP, 0, 1 },
	{ "mov ds, selector beyond the GDT limit", load_ds, 0x1f8,
	  X86_EXC_GP, 0x1f8, 0 },
	{ "mov ds, LDT selector with a null LDTR", load_ds, 0x4 | 3,
	  X86_EXC_GP, 0x4, 0 },
	{ "mov ds, execute-only code segment", load_ds, SEL_XONLY,
	  X86_EXC_GP, SEL_XONLY, 0 },
	{ "mov fs, TSS descriptor", load_fs, SEL_TSS, X86_EXC_GP, SEL_TSS, 0 },
	{ "mov ds, not-present data segment", load_ds, SEL_NP_DATA,
	  X86_EXC_NP, SEL_NP_DATA, 0 },
	{ "mov ss, not-present data segment", load_ss, SEL_NP_DATA,
	  X86_EXC_SS, SEL_NP_DATA, 0 },
	{ "mov ss, read-only data segment", load_ss, SEL_RO_DATA,
	  X86_EXC_GP, SEL_RO_DATA, 0 },
	{ "mov ss, readable code segment", load_ss, SEL_UCODE & ~3,
	  X86_EXC_GP, SEL_UCODE & ~3, 0 },
	{ "mov ss, DPL-0 data with RPL 3 at CPL 0", load_ss, SEL_KDATA | 3,
	  X86_EXC_GP, SEL_KDATA, 0 },
	{ "mov ss, DPL-3 data at CPL 0", load_ss, SEL_UDATA,
	  X86_EXC_GP, SEL_UDATA & ~3, 0 },
	{ "mov ds, DPL-0 data at CPL 3", load_ds, SEL_KDATA | 3,
	  X86_EXC_GP, SEL_KDATA, 1 },
	{ "mov ds, DPL-0 data with RPL 0 at CPL 3", load_ds, SEL_KDATA,
	  X86_EXC_GP, SEL_KDATA, 1 },
	{ "mov ss, DPL-0 data at CPL 3", load_ss, SEL_KDATA | 3,
	  X86_EXC_GP, SEL_KDATA, 1 },
};

static void run_loads(void)
{
	const struct load_case *c;
	u32 i, at;

	rt_gdt[GDT_FREE] = rt_seg_desc(0, 0xfffff,
		DESC_P | DESC_S | SEG_CODE_X, DESC_G | DESC_DB);
	rt_gdt[GDT_FREE + 1] = rt_seg_desc(0, 0xfffff,
		DESC_S | SEG_DATA_RW, DESC_G | DESC_DB);
	rt_gdt[GDT_FREE + 2] = rt_seg_desc(0, 0xfffff,
		DESC_P | DESC_S | SEG_DATA_RO, DESC_G | DESC_DB);
	rt_gdt[GDT_FREE + 3] = rt_seg_desc(0, 0xfffff,
		DESC_S | SEG_CODE_XR, DESC_G | DESC_DB);

	for (i = 0; i < ARRAY_SIZE(load_cases); i++) {
		c = &load_cases[i];
		rt_trap_reset();
		if (c->cpl3)
			at = rt_user_call(c->fn, c->sel, EFLAGS_FIXED);
		else
			at = c->fn(c->sel);
		rt_check_trap(c->name, c->vector, c->err, at);
	}

	rt_trap_reset();
	load_ds(SEL_UCODE);
	rt_check(rt_trap.count, 0, "mov ds, readable DPL-3 code segment: allowed");
	rt_trap_reset();
	rt_user_call(load_ds, 0, EFLAGS_FIXED);
	rt_check(rt_trap.count, 0, "mov ds, null selector at CPL 3: allowed");
}

static u32 do_int40(u32 arg)
{
	u32 at;

	(void)arg;
	RT_TRY(at, "int $0x40");
	return at;
}

/* INT n with an exception's vector: a software interrupt all the same. */
static u32 do_int14(u32 arg)
{
	u32 at;

	(void)arg;
	RT_TRY(at, "int $14");
	return at;
}

static u32 do_int13(u32 arg)
{
	u32 at;

	(void)arg;
	RT_TRY(at, "int $13");
	return at;
}

static u32 do_int_np(u32 arg)
{
	u32 at;

	(void)arg;
	RT_TRY(at, "int $0x41");
	return at;
}

static u32 do_int_limit(u32 arg)
{
	u32 at;

	(void)arg;
	RT_TRY(at, "int $0x42");
	return at;
}

static u32 do_int_type(u32 arg)
{
	u32 at;

	(void)arg;
	RT_TRY(at, "int $0x43");
	return at;
}

static void run_int_gates(void)
{
	struct rt_dtr full = { sizeof(rt_idt) - 1, (u32)rt_idt };
	struct rt_dtr cut = { 0x42 * 8 - 1, (u32)rt_idt };
	u32 at;

	rt_set_isr_gate(0x40, SYS_INT_GATE32, 0);
	rt_trap_reset();
	at = rt_user_call(do_int40, 0, EFLAGS_FIXED);
	rt_check_trap("int 0x40 at CPL 3 through a DPL-0 gate: #GP(0x40*8+2)",
		      X86_EXC_GP, 0x40 * 8 + 2, at);

	/* The runtime's #PF and #GP gates have DPL 0. */
	rt_trap_reset();
	at = rt_user_call(do_int14, 0, EFLAGS_FIXED);
	rt_check_trap("int 14 at CPL 3 through a DPL-0 gate: #GP(14*8+2), not #DF",
		      X86_EXC_GP, 14 * 8 + 2, at);
	rt_trap_reset();
	at = rt_user_call(do_int13, 0, EFLAGS_FIXED);
	rt_check_trap("int 13 at CPL 3 through a DPL-0 gate: #GP(13*8+2), not #DF",
		      X86_EXC_GP, 13 * 8 + 2, at);

	rt_set_isr_gate(0x40, SYS_INT_GATE32, 3);
	rt_trap_reset();
	at = rt_user_call(do_int40, 0, EFLAGS_FIXED);
	rt_check(rt_trap.vector == 0x40 && rt_trap.cs == SEL_UCODE, 1,
		 "int 0x40 at CPL 3 through a DPL-3 gate is delivered");
	rt_check(rt_trap.eip, at + 2, "int 0x40: saved EIP after the INT");

	rt_set_isr_gate(0x41, SYS_INT_GATE32, 3);
	rt_idt[0x41] &= ~((u64)DESC_P << 40);
	rt_trap_reset();
	at = do_int_np(0);
	rt_check_trap("int 0x41, gate not present: #NP(0x41*8+2)",
		      X86_EXC_NP, 0x41 * 8 + 2, at);
	rt_trap_reset();
	at = rt_user_call(do_int_np, 0, EFLAGS_FIXED);
	rt_check_trap("int 0x41 at CPL 3, DPL-3 gate not present: #NP(0x20a)",
		      X86_EXC_NP, 0x41 * 8 + 2, at);

	asm volatile("lidt %0" : : "m"(cut));
	rt_trap_reset();
	at = do_int_limit(0);
	asm volatile("lidt %0" : : "m"(full));
	rt_check_trap("int 0x42 beyond the IDT limit: #GP(0x42*8+2)",
		      X86_EXC_GP, 0x42 * 8 + 2, at);

	rt_idt[0x43] = rt_seg_desc(0, 0xfffff, DESC_P | DESC_S | SEG_DATA_RW,
				   DESC_G | DESC_DB);
	rt_trap_reset();
	at = do_int_type(0);
	rt_check_trap("int 0x43 through a data descriptor: #GP(0x43*8+2)",
		      X86_EXC_GP, 0x43 * 8 + 2, at);
}

u8 far_target[6];

static void run_far(void)
{
	u32 at;

	*(u32 *)far_target = 0;
	*(u16 *)(far_target + 4) = SEL_KDATA;
	rt_trap_reset();
	RT_TRY(at, "ljmp *far_target");
	rt_check_trap("far jmp to a data segment: #GP(sel)", X86_EXC_GP,
		      SEL_KDATA, at);
	*(u16 *)(far_target + 4) = SEL_NP_CODE;
	rt_trap_reset();
	RT_TRY(at, "lcall *far_target");
	rt_check_trap("far call to a not-present code segment: #NP(sel)",
		      X86_EXC_NP, SEL_NP_CODE, at);
	*(u16 *)(far_target + 4) = SEL_UCODE;
	rt_trap_reset();
	RT_TRY(at, "lcall *far_target");
	rt_check_trap("far call to a DPL-3 non-conforming segment at CPL 0: #GP(sel)",
		      X86_EXC_GP, SEL_UCODE & ~3, at);
}

#define IDX_TSS		(GDT_FREE + 4)	/* available 32-bit TSS, DPL 0 */
#define IDX_TGATE	(GDT_FREE + 5)	/* task gate to it, DPL 0 */
#define IDX_BUSY	(GDT_FREE + 6)	/* busy 32-bit TSS, DPL 3 */
#define SYS_TSS32_BUSY_T 0xb

static u8 spare_tss[0x68];

static u32 user_int44(u32 arg)
{
	u32 at;

	(void)arg;
	RT_TRY(at, "int $0x44");
	return at;
}

static u32 user_far_jmp(u32 sel)
{
	u32 at;

	*(u32 *)far_target = 0;
	*(u16 *)(far_target + 4) = (u16)sel;
	RT_TRY(at, "ljmp *far_target");
	return at;
}

static void run_tasks(void)
{
	u32 at;

	rt_gdt[IDX_TSS] = rt_seg_desc((u32)spare_tss, sizeof(spare_tss) - 1,
				      DESC_P | SYS_TSS32, 0);
	rt_gdt[IDX_TGATE] = rt_gate_desc(SEL(IDX_TSS, 0), 0, SYS_TASK_GATE, 0, 0);
	rt_gdt[IDX_BUSY] = rt_seg_desc((u32)spare_tss, sizeof(spare_tss) - 1,
				       DESC_P | DESC_DPL(3) | SYS_TSS32_BUSY_T, 0);
	rt_idt[0x44] = rt_gate_desc(SEL(IDX_TSS, 0), 0, SYS_TASK_GATE, 0, 0);
	rt_idt[0x45] = rt_gate_desc(SEL(IDX_TSS, 0), 0, SYS_TASK_GATE, 3, 0) &
		       ~((u64)DESC_P << 40);
	rt_idt[0x46] = rt_gate_desc(SEL(IDX_BUSY, 0), 0, SYS_TASK_GATE, 3, 0);

	rt_trap_reset();
	at = rt_user_call(user_int44, 0, EFLAGS_FIXED);
	rt_check_trap("int 0x44 at CPL 3 through a DPL-0 task gate: #GP(0x44*8+2)",
		      X86_EXC_GP, 0x44 * 8 + 2, at);
	rt_trap_reset();
	RT_TRY(at, "int $0x45");
	rt_check_trap("int 0x45 through a not-present task gate: #NP(0x45*8+2)",
		      X86_EXC_NP, 0x45 * 8 + 2, at);
	rt_trap_reset();
	RT_TRY(at, "int $0x46");
	rt_check_trap("int 0x46 through a task gate to a busy TSS: #GP(TSS selector)",
		      X86_EXC_GP, SEL(IDX_BUSY, 0), at);
	rt_trap_reset();
	at = rt_user_call(user_far_jmp, SEL(IDX_TSS, 3), EFLAGS_FIXED);
	rt_check_trap("far jmp at CPL 3 to a DPL-0 TSS: #GP(TSS selector)",
		      X86_EXC_GP, SEL(IDX_TSS, 0), at);
	rt_trap_reset();
	at = rt_user_call(user_far_jmp, SEL(IDX_TGATE, 3), EFLAGS_FIXED);
	rt_check_trap("far jmp at CPL 3 through a DPL-0 task gate: #GP(gate selector)",
		      X86_EXC_GP, SEL(IDX_TGATE, 0), at);
	*(u32 *)far_target = 0;
	*(u16 *)(far_target + 4) = SEL(IDX_BUSY, 0);
	rt_trap_reset();
	RT_TRY(at, "lcall *far_target");
	rt_check_trap("far call to a busy TSS: #GP(TSS selector)", X86_EXC_GP,
		      SEL(IDX_BUSY, 0), at);
}

void kmain(void)
{
	run_privileged();
	run_loads();
	run_int_gates();
	run_far();
	run_tasks();
}
