/*
 * Shifts and rotates (ops_shift.c) against the host CPU: SHL/SAL, SHR, SAR,
 * ROL, ROR, RCL, RCR by CL, imm8 and 1, on registers and memory, and SHLD,
 * SHRD, over edge and random operands, every count class (0, 1, below,
 * at and above the width, masked to 5 bits) and random input flags, so
 * that "unchanged" flags are checked too. Only flags the SDM defines for
 * the case are compared (oracle.h).
 */
#include "tests/unit/oracle.h"

TestSuite(cpu_shift);

enum { ROL, ROR, RCL, RCR, SHL, SHR, SAL, SAR };
enum { BY_CL, BY_IMM, BY_ONE };

static const unsigned counts[] = { 0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 63, 255 };

/* The flags the SDM defines after op by count n on a bits-wide operand. */
static uint32_t shift_defined(unsigned op, unsigned n, unsigned bits)
{
	n &= 31;
	if (n == 0)
		return OF_ALL;
	uint32_t d = n == 1 ? EFLAGS_OF : 0;
	if (op <= RCR)
		return d | EFLAGS_CF | EFLAGS_SF | EFLAGS_ZF | EFLAGS_AF | EFLAGS_PF;
	d |= EFLAGS_SF | EFLAGS_ZF | EFLAGS_PF;
	if (op == SAR || n < bits)
		d |= EFLAGS_CF;
	return d;
}

/* op on a value of sz bytes: in EAX, or AH for some byte cases, or in
 * memory at [ebx]; count in CL, an immediate, or the implicit 1. */
static void add_shift(struct oset *s, unsigned op, unsigned sz, unsigned by, bool mem,
		      uint32_t a, unsigned n, uint32_t fin, unsigned rm)
{
	uint8_t code[8];
	unsigned len = 0;
	static const uint8_t opc[3][2] = { { 0xd2, 0xd3 }, { 0xc0, 0xc1 }, { 0xd0, 0xd1 } };

	if (sz == 2)
		code[len++] = 0x66;
	code[len++] = opc[by][sz != 1];
	code[len++] = mem ? modrm(0, op, 3) : modrm(3, op, rm);
	if (by == BY_IMM)
		code[len++] = (uint8_t)n;
	if (by == BY_ONE)
		n = 1;

	struct oracle_in *c = oset_code(s, code, len, fin, shift_defined(op, n, 8 * sz));
	c->r[REG_EAX] = a;
	c->r[REG_ECX] = (orand(&(uint64_t){ a ^ n }) & ~0xffu) | n;
	c->r[REG_EBX] = ORACLE_MEM;
	if (mem) {
		memcpy(c->mem, &a, 4);
		c->r[REG_EAX] = ~a;
	}
}

/* Every count class for register operands by CL, all ops and sizes. */
Test(cpu_shift, reg_by_cl_edges)
{
	struct oset s = { 0 };
	uint64_t rnd = 1;

	for (unsigned op = ROL; op <= SAR; op++)
		for (unsigned sz = 1; sz <= 4; sz *= 2)
			for (unsigned k = 0; k < ORACLE_NEDGES + 6; k++)
				for (unsigned j = 0; j < sizeof(counts) / sizeof(counts[0]); j++) {
					uint32_t a = oedge(k, &rnd), f = orand(&rnd) & OF_ALL;
					add_shift(&s, op, sz, BY_CL, false, a, counts[j], f, 0);
				}
	oracle_check(&s);
	oset_free(&s);
}

/* Immediate and by-1 forms, byte forms on AH, with CF both ways. */
Test(cpu_shift, reg_by_imm_and_one)
{
	struct oset s = { 0 };
	uint64_t rnd = 2;

	for (unsigned op = ROL; op <= SAR; op++)
		for (unsigned sz = 1; sz <= 4; sz *= 2)
			for (unsigned k = 0; k < 40; k++) {
				uint32_t a = oedge(k, &rnd);
				unsigned n = orand(&rnd) & 0x3f;
				for (uint32_t cf = 0; cf <= 1; cf++) {
					uint32_t f = (orand(&rnd) & OF_ALL & ~EFLAGS_CF) | cf;
					unsigned rm = sz == 1 ? 4 : 0;
					add_shift(&s, op, sz, BY_IMM, false, a, n, f, rm);
					add_shift(&s, op, sz, BY_ONE, false, a, 1, f, 0);
				}
			}
	oracle_check(&s);
	oset_free(&s);
}

/* Memory destinations, by CL and by imm8, including count 0. */
Test(cpu_shift, memory_forms)
{
	struct oset s = { 0 };
	uint64_t rnd = 3;

	for (unsigned op = ROL; op <= SAR; op++)
		for (unsigned sz = 1; sz <= 4; sz *= 2)
			for (unsigned k = 0; k < 24; k++) {
				uint32_t a = orand(&rnd);
				unsigned n = counts[k % (sizeof(counts) / sizeof(counts[0]))];
				uint32_t f = orand(&rnd) & OF_ALL;
				add_shift(&s, op, sz, BY_CL, true, a, n, f, 0);
				add_shift(&s, op, sz, BY_IMM, true, a, n, f, 0);
			}
	oracle_check(&s);
	oset_free(&s);
}

/* RCL/RCR through CF: every count 0..31 for every size, CF in and out. */
Test(cpu_shift, rotate_through_carry_all_counts)
{
	struct oset s = { 0 };
	uint64_t rnd = 4;

	for (unsigned op = RCL; op <= RCR; op++)
		for (unsigned sz = 1; sz <= 4; sz *= 2)
			for (unsigned n = 0; n < 32; n++)
				for (unsigned k = 0; k < 8; k++)
					add_shift(&s, op, sz, BY_CL, false, orand(&rnd), n,
						  (orand(&rnd) & OF_ALL & ~EFLAGS_CF) | (k & 1), 0);
	oracle_check(&s);
	oset_free(&s);
}

/* SHLD/SHRD r/m, r, CL|imm8: 16- and 32-bit, register and memory. */
Test(cpu_shift, double_shifts)
{
	struct oset s = { 0 };
	uint64_t rnd = 5;

	for (unsigned right = 0; right <= 1; right++)
		for (unsigned sz = 2; sz <= 4; sz *= 2)
			for (unsigned k = 0; k < ORACLE_NEDGES + 10; k++)
				for (unsigned n = 0; n < 40; n++) {
					uint32_t a = oedge(k, &rnd);
					uint32_t b = orand(&rnd), f = orand(&rnd) & OF_ALL;
					unsigned cnt = n < 33 ? n : orand(&rnd) & 0xff;
					bool imm = n & 1, mem = (n % 5) == 0;
					/* A 16-bit count above 16 gives an undefined result. */
					if (sz == 2 && (cnt & 31) > 16)
						continue;
					uint8_t code[8];
					unsigned len = 0;
					if (sz == 2)
						code[len++] = 0x66;
					code[len++] = 0x0f;
					code[len++] = (uint8_t)((right ? 0xac : 0xa4) + !imm);
					code[len++] = mem ? modrm(0, 2, 3) : modrm(3, 2, 0);
					if (imm)
						code[len++] = (uint8_t)cnt;
					uint32_t d = OF_ALL;
					if (cnt & 31)
						d = EFLAGS_CF | EFLAGS_SF | EFLAGS_ZF | EFLAGS_PF |
						    ((cnt & 31) == 1 ? EFLAGS_OF : 0);
					struct oracle_in *c = oset_code(&s, code, len, f, d);
					c->r[REG_EAX] = a;
					c->r[REG_EDX] = b;
					c->r[REG_ECX] = cnt;
					c->r[REG_EBX] = ORACLE_MEM;
					if (mem)
						memcpy(c->mem, &a, 4);
				}
	oracle_check(&s);
	oset_free(&s);
}

/* SAL (/6, an alias the SDM lists for SHL) behaves as SHL. */
Test(cpu_shift, sal_alias)
{
	struct oset s = { 0 };

	for (unsigned k = 0; k < ORACLE_NEDGES; k++)
		for (unsigned n = 0; n < 34; n += 3)
			add_shift(&s, SAL, 4, BY_CL, false, oracle_edges[k], n, 0, 0);
	oracle_check(&s);
	oset_free(&s);
}

/* A shift count of 0 on memory still checks the operand for writing: a
 * read-only page faults with a write error code and nothing changes. */
Test(cpu_shift, zero_count_memory_checks_write)
{
	struct tm *m = tm_new();
	static const uint8_t code[] = {
		0xc1, 0x25, 0x00, 0x00, 0x40, 0x00, 0x00,	/* shl dword [0x400000], 0 */
		0xf4,
	};
	const uint32_t pd = 0x100000, pt = 0x101000;

	memset(m->phys.ram + pd, 0, 4096);
	memset(m->phys.ram + pt, 0, 4096);
	tm_wr32(m, pd, 0 | PTE_P | PTE_RW | PTE_PS);			/* 0-4M: RW */
	tm_wr32(m, pd + 4, pt | PTE_P | PTE_RW);			/* 4M: table */
	tm_wr32(m, pt, 0x200000 | PTE_P);				/* read-only */
	m->cpu->cr3 = pd;
	m->cpu->cr4 = CR4_PSE;
	m->cpu->cr0 |= CR0_PG | CR0_WP;
	cpu_set_eflags(m->cpu, EFLAGS_FIXED | EFLAGS_CF | EFLAGS_ZF);
	cr_assert_eq(tm_run(m, code, sizeof(code), 10), CPU_STOP_REQUESTED);
	cr_assert_eq(m->ev.vector, X86_EXC_PF);
	cr_assert_eq(m->ev.err, PF_ERR_P | PF_ERR_W);
	cr_assert_eq(m->ev.eip, TM_CODE);
	cr_assert_eq(cpu_get_eflags(m->cpu) & OF_ALL, EFLAGS_CF | EFLAGS_ZF);
	tm_free(m);
}

/* LOCK on a shift is #UD (shifts are not in the SDM's LOCK list). */
Test(cpu_shift, lock_is_ud)
{
	struct tm *m = tm_new();
	static const uint8_t code[] = { 0xf0, 0xd1, 0x20, 0xf4 };	/* lock shl [eax], 1 */

	m->cpu->r[REG_EAX] = TM_DATA;
	cr_assert_eq(tm_run(m, code, sizeof(code), 10), CPU_STOP_REQUESTED);
	cr_assert_eq(m->ev.vector, X86_EXC_UD);
	tm_free(m);
}
