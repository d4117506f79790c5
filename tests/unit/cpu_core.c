/*
 * CPU core: the run loop, decode cache, exceptions and their delivery, and
 * paging through the modeled TLB, on the bare test machine. Code is given
 * as machine-code bytes with the assembly alongside.
 */
#include <criterion/criterion.h>

#include "core/cpu/exec.h"
#include "core/cpu/seg.h"
#include "tests/unit/helpers_cpu.h"

static struct tm *m;

static void setup(void) { m = tm_new(); }
static void teardown(void) { tm_free(m); }

TestSuite(cpu_core, .init = setup, .fini = teardown);

/* A counted loop runs to HLT with the right sum and instruction count. */
Test(cpu_core, loop_sum)
{
	static const uint8_t code[] = {
		0xb8, 5, 0, 0, 0,		/* mov eax, 5 */
		0xb9, 10, 0, 0, 0,		/* mov ecx, 10 */
		0x01, 0xc8,			/* l: add eax, ecx */
		0x49,				/* dec ecx */
		0x75, 0xfb,			/* jnz l */
		0xa3, 0x00, 0x00, 0x02, 0x00,	/* mov [0x20000], eax */
		0xf4,				/* hlt */
	};
	cr_assert_eq(tm_run(m, code, sizeof(code), 1000), CPU_STOP_HALTED);
	cr_assert_eq(m->cpu->r[REG_EAX], 60);
	cr_assert_eq(tm_rd32(m, TM_DATA), 60);
	cr_assert_eq(m->cpu->insns, 2 + 3 * 10 + 2);
	cr_assert_eq(m->cpu->eip, TM_CODE + sizeof(code));
}

/* The budget stops the run at exactly that many instructions. */
Test(cpu_core, budget_is_exact)
{
	static const uint8_t code[] = { 0x40, 0x40, 0x40, 0xeb, 0xfb };	/* inc eax x3; jmp */

	cr_assert_eq(tm_run(m, code, sizeof(code), 7), CPU_STOP_BUDGET);
	cr_assert_eq(m->cpu->insns, 7);
	cr_assert_eq(m->cpu->r[REG_EAX], 6);
}

/* A JMP to itself with IF = 0 can never be left: the run ends there at
 * once, as wedged; with IF = 1 it spins until the budget. */
Test(cpu_core, self_jump_with_interrupts_off_is_wedged)
{
	static const uint8_t spin[] = { 0xfa, 0x40, 0xeb, 0xfe };	/* cli; inc eax; jmp $ */
	static const uint8_t idle[] = { 0xfb, 0x40, 0xeb, 0xfe };	/* sti; inc eax; jmp $ */

	cr_assert_eq(tm_run(m, spin, sizeof(spin), 1000), CPU_STOP_BUDGET);
	cr_assert_eq(m->cpu->insns, 3);
	cr_assert_eq(m->cpu->eip, TM_CODE + 2);
	cr_assert(strstr(m->cpu->stop_msg, "JMP to itself"), "%s", m->cpu->stop_msg);
	cr_assert_eq(tm_run(m, idle, sizeof(idle), 1000), CPU_STOP_BUDGET);
	cr_assert_geq(m->cpu->insns, 1000);
}

/* CALL/RET and PUSH/POP move ESP and return to the right place. */
Test(cpu_core, call_ret_push_pop)
{
	static const uint8_t code[] = {
		0x68, 0x44, 0x33, 0x22, 0x11,	/* push 0x11223344 */
		0xe8, 0x02, 0, 0, 0,		/* call f */
		0x5b,				/* pop ebx */
		0xf4,				/* hlt */
		0x8b, 0x44, 0x24, 0x04,		/* f: mov eax, [esp+4] */
		0xc3,				/* ret */
	};
	uint32_t sp = m->cpu->r[REG_ESP];

	cr_assert_eq(tm_run(m, code, sizeof(code), 100), CPU_STOP_HALTED);
	cr_assert_eq(m->cpu->r[REG_EAX], 0x11223344);
	cr_assert_eq(m->cpu->r[REG_EBX], 0x11223344);
	cr_assert_eq(m->cpu->r[REG_ESP], sp);
}

/* UD2 raises #UD at its own address, with nothing retired for it. */
Test(cpu_core, ud2_faults_precisely)
{
	static const uint8_t code[] = { 0x40, 0x0f, 0x0b, 0x40 };

	cr_assert_eq(tm_run(m, code, sizeof(code), 100), CPU_STOP_REQUESTED);
	cr_assert_eq(m->ev.vector, X86_EXC_UD);
	cr_assert_eq(m->ev.eip, TM_CODE + 1);
	cr_assert_eq(m->cpu->r[REG_EAX], 1);
	cr_assert_eq(m->cpu->insns, 1);
}

/* A store that faults (#GP on a limit) leaves memory and ESP untouched. */
Test(cpu_core, push_fault_commits_nothing)
{
	static const uint8_t code[] = { 0x6a, 0x07, 0xf4 };	/* push 7; hlt */

	/* An expand-up stack segment of 0x100 bytes with ESP at its base. */
	tm_set_desc(m, 6, 0x70000, 0xff, 0x4092);
	m->cpu->gdtr.limit = 7 * 8 - 1;
	m->cpu->seg[SEG_SS].base = 0x70000;
	m->cpu->seg[SEG_SS].limit = 0xff;
	m->cpu->seg[SEG_SS].sel = 0x30;
	seg_derive(&m->cpu->seg[SEG_SS]);
	m->cpu->r[REG_ESP] = 0;
	cr_assert_eq(tm_run(m, code, sizeof(code), 100), CPU_STOP_REQUESTED);
	cr_assert_eq(m->ev.vector, X86_EXC_SS);
	cr_assert_eq(m->cpu->r[REG_ESP], 0);
}

/* #UD through an interrupt gate: the frame holds the EIP of the faulting
 * instruction, CS and EFLAGS, and the handler runs with IF clear. */
Test(cpu_core, fault_delivered_through_idt)
{
	static const uint8_t code[] = {
		0xfb,				/* sti */
		0x31, 0xc9,			/* xor ecx, ecx */
		0x0f, 0x0b,			/* ud2 */
		0xf4,
	};
	static const uint8_t handler[] = {
		0x9c,				/* pushfd */
		0x58,				/* pop eax */
		0xfa,				/* cli */
		0xf4,				/* hlt */
	};
	m->deliver = true;
	tm_set_gate(m, X86_EXC_UD, SYS_INTGATE32, TM_CS0, TM_CODE + 0x100, 0);
	phys_dma_write(&m->phys, TM_CODE + 0x100, handler, sizeof(handler));
	uint32_t sp = m->cpu->r[REG_ESP];

	cr_assert_eq(tm_run(m, code, sizeof(code), 100), CPU_STOP_HALTED);
	cr_assert_eq(m->ev.vector, X86_EXC_UD);
	cr_assert_eq(m->nevents, 1);
	cr_assert_eq(m->cpu->r[REG_ESP], sp - 12);
	cr_assert_eq(tm_rd32(m, sp - 12), TM_CODE + 3);
	cr_assert_eq(tm_rd32(m, sp - 8), TM_CS0);
	cr_assert(tm_rd32(m, sp - 4) & EFLAGS_IF);
	cr_assert_eq(m->cpu->r[REG_EAX] & EFLAGS_IF, 0);
}

/* Paging: a 4 MiB PSE identity page works; a missing page faults with
 * CR2 and the error code of a user-mode... here supervisor write. */
Test(cpu_core, paging_fault_sets_cr2_and_error)
{
	static const uint8_t code[] = {
		0xc7, 0x05, 0x00, 0x00, 0x02, 0x00, 1, 0, 0, 0,	/* mov dword [0x20000], 1 */
		0xc7, 0x05, 0x10, 0x00, 0x40, 0x00, 2, 0, 0, 0,	/* mov dword [0x400010], 2 */
		0xf4,
	};
	const uint32_t pd = 0x100000;

	memset(m->phys.ram + pd, 0, 4096);
	tm_wr32(m, pd, 0 | PTE_P | PTE_RW | PTE_PS);
	m->cpu->cr3 = pd;
	m->cpu->cr4 = CR4_PSE;
	m->cpu->cr0 |= CR0_PG;
	cr_assert_eq(tm_run(m, code, sizeof(code), 100), CPU_STOP_REQUESTED);
	cr_assert_eq(tm_rd32(m, TM_DATA), 1);
	cr_assert_eq(m->ev.vector, X86_EXC_PF);
	cr_assert_eq(m->ev.err, PF_ERR_W);
	cr_assert_eq(m->ev_cr2, 0x400010);
	cr_assert_eq(m->ev.eip, TM_CODE + 10);
	/* The walker set accessed and dirty in the PDE. */
	cr_assert_eq(tm_rd32(m, pd) & (PTE_A | PTE_D), PTE_A | PTE_D);
	cr_assert_geq(m->cpu->ctr.dtlb_misses, 1);
}

/* Writing over code that already ran makes the new bytes run. */
Test(cpu_core, self_modifying_code)
{
	static const uint8_t code[] = {
		0xb9, 2, 0, 0, 0,			/* mov ecx, 2 */
		0xb8, 0x11, 0, 0, 0,			/* l: mov eax, 0x11 (imm at +6) */
		0xc6, 0x05, 0x06, 0x00, 0x01, 0x00, 0x22,	/* mov byte [0x10006], 0x22 */
		0x49,					/* dec ecx */
		0x75, 0xf1,				/* jnz l */
		0xf4,
	};
	cr_assert_eq(tm_run(m, code, sizeof(code), 100), CPU_STOP_HALTED);
	cr_assert_eq(m->cpu->r[REG_EAX], 0x22);
	cr_assert_geq(m->cpu->ctr.smc_invalidations, 1);
}
