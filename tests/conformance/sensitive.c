/*
 * sensitive: the unprivileged instructions that reveal or silently ignore
 * privileged state, the ones that make x86 hard to trap-and-emulate
 * (Robin & Irvine, USENIX Security 2000), and the I/O privilege rules.
 *
 * Follows the SDM vol. 2 pages SGDT, SIDT, SLDT, STR, SMSW, PUSHF, POPF,
 * IRET, MOV (from segment registers), LAR, LSL, VERR, VERW, RDTSC, and
 * vol. 1, 18.5 (I/O privilege level and permission bitmap):
 *  - SGDT/SIDT/SLDT/STR/SMSW run at CPL 3 and return the real values;
 *    SMSW's low 16 bits are CR0's (its upper bits are not checked);
 *  - PUSHF at CPL 3 shows the real IF and IOPL; POPF (and IRET) at
 *    CPL > IOPL leave IF unchanged without faulting, at CPL > 0 leave IOPL
 *    unchanged; at CPL 0 both change;
 *  - MOV from CS/SS shows the selectors with RPL = CPL;
 *  - LAR returns the access-rights dword masked with 0x00FxFF00 (bits
 *    19:16 undefined, not checked) and LSL
 *    the byte-granular limit (scaled by G); both, and VERR/VERW, set ZF
 *    only for a descriptor visible at the CPL and RPL, of a type they
 *    accept, and leave the destination alone otherwise;
 *  - IN/OUT at CPL > IOPL consult the TSS bitmap, every byte's bit, and
 *    fault when the map lies beyond the TSS limit; CLI/STI follow IOPL;
 *  - RDTSC faults at CPL > 0 when CR4.TSD = 1;
 *  - stores that straddle into a not-present page fault before writing
 *    (vol. 3, 6.5: faults are restartable): SMSW, STR, PUSHF leave the
 *    present page alone; SIDT stores its limit, then faults on its base.
 */
#include "rt.h"

RT_KERNEL("sensitive");

/* LAR's 32-bit result is the descriptor's high dword & 00FxFF00H, where
 * the limit nibble x is undefined. */
#define LAR_MASK	0x00f0ff00
#define LAR_UNDEFINED	0x000f0000

#define SEL_XONLY	SEL(GDT_FREE, 0)
#define SEL_RODATA	SEL(GDT_FREE + 1, 3)
#define SEL_SMALL	SEL(GDT_FREE + 2, 3)	/* byte granular, limit 0x12345 */
#define SEL_PAGES	SEL(GDT_FREE + 3, 3)	/* 4 KiB granular, limit 0x12 */
#define SEL_CONF	SEL(GDT_FREE + 4, 3)	/* conforming DPL-0 readable code */

static struct {
	struct rt_dtr gdtr, idtr;
	u16 ldtr, tr, msw_mem;
	u32 msw_reg, pushf, cs, ss;
	u32 popf_if, popf_iopl, popf_cf, iret_if;
} u;

static u32 user_read_state(u32 arg)
{
	u32 f;

	(void)arg;
	asm volatile("sgdt %0" : "=m"(u.gdtr));
	asm volatile("sidt %0" : "=m"(u.idtr));
	asm volatile("sldt %0" : "=m"(u.ldtr));
	asm volatile("str %0" : "=m"(u.tr));
	asm volatile("smsw %0" : "=m"(u.msw_mem));
	asm volatile("smsw %0" : "=r"(u.msw_reg));
	asm volatile("pushfl\n\tpopl %0" : "=r"(u.pushf));
	asm volatile("movl %%cs, %0" : "=r"(u.cs));
	asm volatile("movl %%ss, %0" : "=r"(u.ss));
	/* Try to clear IF, set IOPL 3 and set CF in one POPF. */
	asm volatile("pushfl\n\tpopl %0\n\tandl $~0x200, %0\n\t"
		     "orl $0x3001, %0\n\tpushl %0\n\tpopfl\n\t"
		     "pushfl\n\tpopl %0" : "=&r"(f) : : "cc");
	u.popf_if = f & EFLAGS_IF;
	u.popf_iopl = f & EFLAGS_IOPL;
	u.popf_cf = f & EFLAGS_CF;
	asm volatile("pushfl\n\txorl $0x200, (%%esp)\n\tpushl %%cs\n\t"
		     "pushl $1f\n\tiretl\n1:\tpushfl\n\tpopl %0" : "=r"(f) : : "cc");
	u.iret_if = f & EFLAGS_IF;
	return 0;
}

static void run_state(void)
{
	u32 cr0 = read_cr0();

	rt_user_call(user_read_state, 0, EFLAGS_FIXED | EFLAGS_IF);
	rt_check(u.gdtr.limit == sizeof(rt_gdt) - 1 && u.gdtr.base == (u32)rt_gdt,
		 1, "sgdt at CPL 3 returns the real GDTR");
	rt_check(u.idtr.limit == sizeof(rt_idt) - 1 && u.idtr.base == (u32)rt_idt,
		 1, "sidt at CPL 3 returns the real IDTR");
	rt_check(u.ldtr, 0, "sldt at CPL 3: null LDTR");
	rt_check(u.tr, SEL_TSS, "str at CPL 3 returns the TSS selector");
	rt_check(u.msw_mem, cr0 & 0xffff, "smsw m16 at CPL 3 = CR0[15:0]");
	rt_check(u.msw_reg & 0xffff, cr0 & 0xffff, "smsw r32 at CPL 3: low word = CR0[15:0]");
	rt_check(u.pushf & (EFLAGS_IF | EFLAGS_IOPL), EFLAGS_IF,
		 "pushf at CPL 3 shows IF = 1, IOPL = 0");
	rt_check(u.cs, SEL_UCODE, "mov from cs at CPL 3: RPL 3");
	rt_check(u.ss, SEL_UDATA, "mov from ss at CPL 3");
	rt_check(u.popf_if, EFLAGS_IF, "popf at CPL 3, IOPL 0: IF change ignored");
	rt_check(u.popf_iopl, 0, "popf at CPL 3: IOPL change ignored");
	rt_check(u.popf_cf, EFLAGS_CF, "popf at CPL 3: CF still written");
	rt_check(u.iret_if, EFLAGS_IF, "iret at CPL 3, IOPL 0: IF change ignored");

	rt_user_call(user_read_state, 0, EFLAGS_FIXED | EFLAGS_IF | EFLAGS_IOPL3);
	rt_check(u.pushf & (EFLAGS_IF | EFLAGS_IOPL), EFLAGS_IF | EFLAGS_IOPL3,
		 "pushf at CPL 3 shows IF = 1, IOPL = 3");
	rt_check(u.popf_if, 0, "popf at CPL 3, IOPL 3: IF cleared");
	rt_check(u.popf_iopl, EFLAGS_IOPL3, "popf at CPL 3, IOPL 3: IOPL stays 3");
	rt_check(u.iret_if, EFLAGS_IF, "iret at CPL 3, IOPL 3: IF set again");

	rt_load_ldt(2);
	rt_user_call(user_read_state, 0, EFLAGS_FIXED);
	rt_check(u.ldtr, SEL_LDT, "sldt at CPL 3 returns the LDT selector");
	asm volatile("lldt %w0" : : "r"(0));

	write_eflags(EFLAGS_FIXED | EFLAGS_IOPL3);
	rt_check(read_eflags() & EFLAGS_IOPL, EFLAGS_IOPL3, "popf at CPL 0 sets IOPL");
	write_eflags(EFLAGS_FIXED | EFLAGS_IF);
	rt_check(read_eflags() & (EFLAGS_IOPL | EFLAGS_IF), EFLAGS_IF,
		 "popf at CPL 0 clears IOPL and sets IF");
	write_eflags(EFLAGS_FIXED);
}

struct desc_case {
	const char *name;
	u32 sel;
	int lar_ok, lsl_ok, verr, verw;
	u32 limit;
};

static const struct desc_case desc_cases[] = {
	{ "user code", SEL_UCODE, 1, 1, 1, 0, 0xffffffff },
	{ "user data", SEL_UDATA, 1, 1, 1, 1, 0xffffffff },
	{ "kernel data (DPL 0)", SEL_KDATA | 3, 0, 0, 0, 0, 0 },
	{ "execute-only code (DPL 0)", SEL_XONLY, 0, 0, 0, 0, 0 },
	{ "read-only data", SEL_RODATA, 1, 1, 1, 0, 0xffffffff },
	{ "byte-granular data", SEL_SMALL, 1, 1, 1, 1, 0x12345 },
	{ "page-granular data", SEL_PAGES, 1, 1, 1, 1, 0x12fff },
	{ "conforming DPL-0 code", SEL_CONF, 1, 1, 1, 0, 0xfffff },
	{ "TSS (DPL 0)", SEL_TSS | 3, 0, 0, 0, 0, 0 },
	{ "null selector", 0, 0, 0, 0, 0, 0 },
};

static u32 lar_v, lar_z, lsl_v, lsl_z, verr_z, verw_z;

static u32 user_desc(u32 sel)
{
	asm volatile("movl $0xdead, %0\n\tlarl %2, %0\n\tsetz %b1\n\t"
		     "movzbl %b1, %1" : "=&r"(lar_v), "=&q"(lar_z) : "r"(sel)
		     : "cc");
	asm volatile("movl $0xbeef, %0\n\tlsll %2, %0\n\tsetz %b1\n\t"
		     "movzbl %b1, %1" : "=&r"(lsl_v), "=&q"(lsl_z) : "r"(sel)
		     : "cc");
	asm volatile("verr %w1\n\tsetz %b0\n\tmovzbl %b0, %0"
		     : "=q"(verr_z) : "r"(sel) : "cc");
	asm volatile("verw %w1\n\tsetz %b0\n\tmovzbl %b0, %0"
		     : "=q"(verw_z) : "r"(sel) : "cc");
	return 0;
}

static void run_descriptors(void)
{
	const struct desc_case *c;
	u64 d;
	u32 i;

	rt_gdt[GDT_FREE] = rt_seg_desc(0, 0xfffff, DESC_P | DESC_S | SEG_CODE_X,
				       DESC_G | DESC_DB);
	rt_gdt[GDT_FREE + 1] = rt_seg_desc(0, 0xfffff, DESC_P | DESC_DPL(3) |
				DESC_S | SEG_DATA_RO, DESC_G | DESC_DB);
	rt_gdt[GDT_FREE + 2] = rt_seg_desc(0x1000, 0x12345, DESC_P |
				DESC_DPL(3) | DESC_S | SEG_DATA_RW, DESC_DB);
	rt_gdt[GDT_FREE + 3] = rt_seg_desc(0, 0x12, DESC_P | DESC_DPL(3) |
				DESC_S | SEG_DATA_RW, DESC_G | DESC_DB);
	rt_gdt[GDT_FREE + 4] = rt_seg_desc(0, 0xfffff, DESC_P | DESC_S |
				SEG_CODE_XRC, DESC_DB);
	for (i = 0; i < ARRAY_SIZE(desc_cases); i++) {
		c = &desc_cases[i];
		lar_z = lsl_z = verr_z = verw_z = 0;
		rt_user_call(user_desc, c->sel, EFLAGS_FIXED);
		d = rt_gdt[c->sel >> 3];
		/* A loaded segment has its accessed bit set; LAR shows it. */
		rt_check(lar_z & 0xff, c->lar_ok, "lar at CPL 3, %s: ZF", c->name);
		rt_check(c->lar_ok ? lar_v & ~LAR_UNDEFINED : lar_v,
			 c->lar_ok ? (u32)(d >> 32) & LAR_MASK : 0xdead,
			 "lar at CPL 3, %s: value", c->name);
		rt_check(lsl_z & 0xff, c->lsl_ok, "lsl at CPL 3, %s: ZF", c->name);
		rt_check(lsl_v, c->lsl_ok ? c->limit : 0xbeef,
			 "lsl at CPL 3, %s: value", c->name);
		rt_check(verr_z & 0xff, c->verr, "verr at CPL 3, %s", c->name);
		rt_check(verw_z & 0xff, c->verw, "verw at CPL 3, %s", c->name);
	}

	user_desc(SEL_TSS);
	rt_check(lar_z & 0xff, 1, "lar at CPL 0 of the busy TSS: ZF");
	rt_check(lar_v & ~LAR_UNDEFINED,
		 (u32)(rt_gdt[SEL_TSS >> 3] >> 32) & LAR_MASK,
		 "lar at CPL 0 of the busy TSS: type 0xb");
	rt_check(lsl_v, sizeof(rt_tss) - 1, "lsl at CPL 0 of the TSS: its limit");
	rt_gdt[GDT_FREE + 5] = rt_gate_desc(SEL_KCODE, 0, SYS_INT_GATE32, 3, 0);
	user_desc(SEL(GDT_FREE + 5, 0));
	rt_check((lar_z & 0xff) == 0 && (lsl_z & 0xff) == 0, 1,
		 "lar/lsl of an interrupt-gate descriptor in the GDT: ZF = 0");
	rt_gdt[GDT_FREE + 5] = rt_gate_desc(SEL_KCODE, 0, SYS_CALL_GATE32, 3, 0);
	user_desc(SEL(GDT_FREE + 5, 0));
	rt_check((lar_z & 0xff) == 1 && (lsl_z & 0xff) == 0, 1,
		 "call gate: lar accepts it, lsl does not");
}

static u32 user_io(u32 op)
{
	u32 at;

	if (op == 0)
		RT_TRY(at, "inb $0x80, %%al", "eax");
	else if (op == 1)
		RT_TRY(at, "outb %%al, $0x80");
	else if (op == 2)
		RT_TRY(at, "inw $0x80, %%ax", "eax");
	else if (op == 3) {
		RT_TRY(at, "movw $0x80, %%dx\n\tinl %%dx, %%eax", "eax", "edx");
		at += 4;	/* the IN after the 4-byte MOV */
	}
	else if (op == 4)
		RT_TRY(at, "cli");
	else
		RT_TRY(at, "rdtsc", "eax", "edx");
	return at;
}

static void expect_io(const char *name, u32 op, u32 eflags, int fault)
{
	u32 at;

	rt_trap_reset();
	at = rt_user_call(user_io, op, eflags);
	if (fault)
		rt_check_trap(name, X86_EXC_GP, 0, at);
	else
		rt_check(rt_trap.count, 0, "%s", name);
}

static void run_io(void)
{
	u16 base = rt_tss.iomap_base;

	expect_io("in at CPL 3, IOPL 3: allowed whatever the bitmap", 0,
		  EFLAGS_FIXED | EFLAGS_IOPL3, 0);
	expect_io("cli at CPL 3, IOPL 3: allowed", 4, EFLAGS_FIXED | EFLAGS_IOPL3, 0);
	expect_io("cli at CPL 3, IOPL 0: #GP(0)", 4, EFLAGS_FIXED, 1);
	rt_tss.iomap[0x80 / 8] &= ~0x01;
	expect_io("in port 0x80 at CPL 3, IOPL 0, bit clear: allowed", 0,
		  EFLAGS_FIXED, 0);
	expect_io("out port 0x80 at CPL 3, IOPL 0, bit clear: allowed", 1,
		  EFLAGS_FIXED, 0);
	expect_io("inw port 0x80 with port 0x81 denied: #GP(0)", 2, EFLAGS_FIXED, 1);
	rt_tss.iomap[0x80 / 8] &= ~0x0f;
	expect_io("inw port 0x80 with 0x80-0x81 allowed", 2, EFLAGS_FIXED, 0);
	expect_io("inl port 0x80 via DX with 0x80-0x83 allowed", 3, EFLAGS_FIXED, 0);
	rt_tss.iomap[0x80 / 8] |= 0x08;
	expect_io("inl port 0x80 with port 0x83 denied: #GP(0)", 3, EFLAGS_FIXED, 1);
	rt_tss.iomap_base = 0xfff0;
	expect_io("in with the bitmap beyond the TSS limit: #GP(0)", 0,
		  EFLAGS_FIXED, 1);
	rt_tss.iomap_base = base;
	rt_tss.iomap[0x80 / 8] |= 0x0f;
	expect_io("in port 0x80 with its bit set again: #GP(0)", 0, EFLAGS_FIXED, 1);

	expect_io("rdtsc at CPL 3, CR4.TSD = 0: allowed", 5, EFLAGS_FIXED, 0);
	write_cr4(read_cr4() | CR4_TSD);
	expect_io("rdtsc at CPL 3, CR4.TSD = 1: #GP(0)", 5, EFLAGS_FIXED, 1);
	rt_trap_reset();
	(void)rdtsc();
	rt_check(rt_trap.count, 0, "rdtsc at CPL 0, CR4.TSD = 1: allowed");
	write_cr4(read_cr4() & ~CR4_TSD);
}

/* The page at 9 MiB + 0x7000 is unmapped; 0x906ffe.. straddles into it. */
#define HOLE	0x907000u

static u32 user_pushf_at(u32 esp)
{
	u32 at;

	asm volatile("movl %%esp, %%edx\n\tmovl %1, %%esp\n\t"
		     "movl $1f, rt_resume\n\tmovl $2f, %0\n"
		     "2:\tpushfl\n"
		     "1:\tmovl %%edx, %%esp\n\tmovl $0, rt_resume"
		     : "=&r"(at) : "r"(esp) : "edx", "memory");
	return at;
}

static void run_straddle(void)
{
	volatile u32 *below = (volatile u32 *)(HOLE - 4);
	u32 at;

	rt_paging_identity(PTE_P | PTE_W | PTE_U);
	rt_pt[2][(HOLE >> 12) & 1023] = 0;
	write_cr3(read_cr3());

	*below = 0x5a5a5a5a;
	rt_trap_reset();
	RT_TRY(at, "smsw 0x906fff");
	rt_check_trap("smsw straddling into a not-present page", X86_EXC_PF, PF_W, at);
	rt_check(*below, 0x5a5a5a5a, "smsw: nothing written before the fault");
	rt_trap_reset();
	RT_TRY(at, "str 0x906fff");
	rt_check_trap("str straddling into a not-present page", X86_EXC_PF, PF_W, at);
	rt_check(*below, 0x5a5a5a5a, "str: nothing written before the fault");
	rt_trap_reset();
	RT_TRY(at, "sidt 0x906ffd");
	rt_check_trap("sidt whose base straddles into a not-present page", X86_EXC_PF, PF_W, at);
	rt_check(*below >> 8 & 0xffff, sizeof(rt_idt) - 1, "sidt: the limit is written");
	*below = 0x5a5a5a5a;
	rt_trap_reset();
	at = rt_user_call(user_pushf_at, HOLE + 2, EFLAGS_FIXED);
	rt_check_trap("pushf at CPL 3 straddling into a not-present page", X86_EXC_PF,
		      PF_W | PF_U, at);
	rt_check(*below, 0x5a5a5a5a, "pushf: nothing written before the fault");
	rt_paging_off();
}

void kmain(void)
{
	run_straddle();
	run_state();
	run_descriptors();
	run_io();
}
