/*
 * Bit instructions and atomics (ops_bits.c): BT/BTS/BTR/BTC, BSF/BSR,
 * BSWAP, XADD, CMPXCHG, CMPXCHG8B and the LOCK rules, against the host CPU
 * (oracle.h), plus directed tests of bit strings that reach far from their
 * base (into faulting pages, below it) and of CMPXCHG8B faults.
 */
#include "tests/unit/oracle.h"

TestSuite(cpu_bits);

#define MID (ORACLE_MEM + ORACLE_MEM_SIZE / 2)

static void fill_mem(struct oracle_in *c, uint64_t *rnd)
{
	for (unsigned k = 0; k < ORACLE_MEM_SIZE; k += 4) {
		uint32_t v = orand(rnd);
		memcpy(c->mem + k, &v, 4);
	}
}

static struct oracle_in *add(struct oset *s, const uint8_t *code, unsigned len, uint32_t fin,
			     uint32_t defined, uint64_t *rnd)
{
	struct oracle_in *c = oset_code(s, code, len, fin, defined);

	for (unsigned r = 0; r < 8; r++)
		c->r[r] = orand(rnd);
	fill_mem(c, rnd);
	return c;
}

/* BT* reg, reg and reg, imm8 (offset taken modulo the width); CF is the
 * bit, ZF unaffected; 16- and 32-bit. */
Test(cpu_bits, bt_register_forms)
{
	struct oset s = { 0 };
	uint64_t rnd = 21;

	for (unsigned op = 0; op < 4; op++)
		for (unsigned sz = 2; sz <= 4; sz *= 2)
			for (unsigned k = 0; k < 300; k++) {
				uint8_t code[8];
				unsigned len = 0;
				uint32_t f = orand(&rnd) & OF_ALL;
				if (sz == 2)
					code[len++] = 0x66;
				code[len++] = 0x0f;
				if (k & 1) {
					code[len++] = 0xba;
					code[len++] = modrm(3, 4 + op, 0);
					code[len++] = (uint8_t)orand(&rnd);
				} else {
					code[len++] = (uint8_t)(0xa3 + 8 * op);
					code[len++] = modrm(3, 1, 0);	/* bt eax, ecx */
				}
				uint32_t d = EFLAGS_CF | EFLAGS_ZF;
				struct oracle_in *c = add(&s, code, len, f, d, &rnd);
				if (k < ORACLE_NEDGES)
					c->r[REG_EAX] = oracle_edges[k];
			}
	oracle_check(&s);
	oset_free(&s);
}

/* BT* [ebx], reg: signed bit offsets reach words below and above the base;
 * BT* [ebx], imm8 stays inside the operand. Memory is compared. */
Test(cpu_bits, bt_memory_bit_strings)
{
	struct oset s = { 0 };
	uint64_t rnd = 22;

	for (unsigned op = 0; op < 4; op++)
		for (unsigned sz = 2; sz <= 4; sz *= 2)
			for (unsigned k = 0; k < 400; k++) {
				uint8_t code[8];
				unsigned len = 0;
				bool imm = k % 4 == 3;
				uint32_t f = orand(&rnd) & OF_ALL;
				if (sz == 2)
					code[len++] = 0x66;
				code[len++] = 0x0f;
				if (imm) {
					code[len++] = 0xba;
					code[len++] = modrm(0, 4 + op, 3);
					code[len++] = (uint8_t)orand(&rnd);
				} else {
					code[len++] = (uint8_t)(0xa3 + 8 * op);
					code[len++] = modrm(0, 1, 3);	/* bt [ebx], ecx */
				}
				uint32_t d = EFLAGS_CF | EFLAGS_ZF;
				struct oracle_in *c = add(&s, code, len, f, d, &rnd);
				/* Offsets within +-1000 bits: the window is 2048 bits. */
				int32_t off = (int32_t)(orand(&rnd) % 2000) - 1000;
				if (k < 16)
					off = k < 8 ? -(int32_t)k : (int32_t)(8 * sz - 4 + k);
				c->r[REG_ECX] = sz == 2 ? (c->r[REG_ECX] & 0xffff0000u) |
							  ((uint32_t)off & 0xffff)
							: (uint32_t)off;
				c->r[REG_EBX] = MID;
			}
	oracle_check(&s);
	oset_free(&s);
}

/* BSF/BSR on registers and memory: the index, ZF, and the destination
 * left alone for a zero source. */
Test(cpu_bits, bsf_bsr)
{
	struct oset s = { 0 };
	uint64_t rnd = 23;

	for (unsigned rev = 0; rev <= 1; rev++)
		for (unsigned sz = 2; sz <= 4; sz *= 2)
			for (unsigned k = 0; k < ORACLE_NEDGES + 64; k++) {
				uint8_t code[6];
				unsigned len = 0;
				bool mem = k % 3 == 0;
				if (sz == 2)
					code[len++] = 0x66;
				code[len++] = 0x0f;
				code[len++] = (uint8_t)(0xbc + rev);
				code[len++] = mem ? modrm(0, 0, 6) : modrm(3, 0, 1);
				struct oracle_in *c = add(&s, code, len, orand(&rnd) & OF_ALL,
							  EFLAGS_ZF, &rnd);
				uint32_t v = k < ORACLE_NEDGES ? oracle_edges[k]
					   : orand(&rnd) >> (orand(&rnd) & 31);
				c->r[REG_ECX] = v;
				c->r[REG_ESI] = ORACLE_MEM;
				memcpy(c->mem, &v, 4);
			}
	oracle_check(&s);
	oset_free(&s);
}

/* BSWAP of each 32-bit register (the 16-bit form is undefined). */
Test(cpu_bits, bswap)
{
	struct oset s = { 0 };
	uint64_t rnd = 24;

	for (unsigned r = 0; r < 8; r++)
		if (r != REG_ESP)
			for (unsigned k = 0; k < 8; k++) {
				uint8_t code[] = { 0x0f, (uint8_t)(0xc8 + r) };
				add(&s, code, 2, 0, OF_ALL, &rnd);
			}
	oracle_check(&s);
	oset_free(&s);
}

/* XADD and CMPXCHG, register and memory, 8/16/32-bit: all flags as ADD or
 * CMP, the exchange, equal and unequal comparisons, same-register forms. */
Test(cpu_bits, xadd_cmpxchg)
{
	struct oset s = { 0 };
	uint64_t rnd = 25;

	for (unsigned cx = 0; cx <= 1; cx++)
		for (unsigned sz = 1; sz <= 4; sz *= 2)
			for (unsigned k = 0; k < 200; k++) {
				uint8_t code[6];
				unsigned len = 0;
				bool mem = k & 1;
				/* rm: [esi] or EDX/DL; EAX/AL as either or both now and then */
				unsigned rm = k % 10 == 2 || k % 10 == 6 ? 0 : 2;
				unsigned reg = k % 10 == 4 || k % 10 == 6 ? 0 : 3;
				if (sz == 2)
					code[len++] = 0x66;
				code[len++] = 0x0f;
				code[len++] = (uint8_t)((cx ? 0xb0 : 0xc0) + (sz != 1));
				code[len++] = mem ? modrm(0, reg, 6) : modrm(3, reg, rm);
				uint32_t f = orand(&rnd) & OF_ALL;
				struct oracle_in *c = add(&s, code, len, f, OF_ALL, &rnd);
				c->r[REG_ESI] = ORACLE_MEM;
				if (k < ORACLE_NEDGES)
					c->r[REG_EDX] = oracle_edges[k];
				if (k % 4 < 2) {	/* make the comparison succeed */
					c->r[REG_EAX] = c->r[REG_EDX];
					memcpy(c->mem, &c->r[REG_EAX], 4);
				}
			}
	oracle_check(&s);
	oset_free(&s);
}

/* CMPXCHG8B [esi], equal and unequal: memory or EDX:EAX updated, ZF, and
 * every other flag unchanged. */
Test(cpu_bits, cmpxchg8b)
{
	struct oset s = { 0 };
	uint64_t rnd = 26;

	for (unsigned k = 0; k < 200; k++) {
		static const uint8_t code[] = { 0x0f, 0xc7, 0x0e };
		struct oracle_in *c = add(&s, code, 3, orand(&rnd) & OF_ALL, OF_ALL, &rnd);
		c->r[REG_ESI] = ORACLE_MEM + 8 * (k % 8) + (k % 3);
		if (k & 1) {
			memcpy(c->mem + 8 * (k % 8) + (k % 3), &c->r[REG_EAX], 4);
			memcpy(c->mem + 8 * (k % 8) + (k % 3) + 4, &c->r[REG_EDX], 4);
		} else if (k % 4 == 2) {	/* only the high halves differ */
			memcpy(c->mem + 8 * (k % 8) + (k % 3), &c->r[REG_EAX], 4);
		}
	}
	oracle_check(&s);
	oset_free(&s);
}

/* LOCK: accepted on BTS/BTR/BTC/XADD/CMPXCHG/CMPXCHG8B with a memory
 * destination; #UD on BT, on register destinations and on BSF/BSWAP. */
Test(cpu_bits, lock_prefix_rules)
{
	static const uint8_t codes[][6] = {
		{ 4, 0xf0, 0x0f, 0xab, 0x0b },		/* lock bts [ebx], ecx */
		{ 4, 0xf0, 0x0f, 0xb3, 0x0b },		/* lock btr [ebx], ecx */
		{ 5, 0xf0, 0x0f, 0xba, 0x3b, 0x05 },	/* lock btc [ebx], 5 */
		{ 4, 0xf0, 0x0f, 0xa3, 0x0b },		/* lock bt [ebx], ecx: #UD */
		{ 5, 0xf0, 0x0f, 0xba, 0x23, 0x05 },	/* lock bt [ebx], 5: #UD */
		{ 4, 0xf0, 0x0f, 0xab, 0xc8 },		/* lock bts eax, ecx: #UD */
		{ 4, 0xf0, 0x0f, 0xc1, 0x0b },		/* lock xadd [ebx], ecx */
		{ 4, 0xf0, 0x0f, 0xc1, 0xc8 },		/* lock xadd eax, ecx: #UD */
		{ 4, 0xf0, 0x0f, 0xb1, 0x0b },		/* lock cmpxchg [ebx], ecx */
		{ 4, 0xf0, 0x0f, 0xb1, 0xc8 },		/* lock cmpxchg eax, ecx: #UD */
		{ 4, 0xf0, 0x0f, 0xc7, 0x0b },		/* lock cmpxchg8b [ebx] */
		{ 3, 0x0f, 0xc7, 0xc8 },		/* cmpxchg8b eax: #UD */
		{ 4, 0xf0, 0x0f, 0xbc, 0x03 },		/* lock bsf eax, [ebx]: #UD */
		{ 3, 0xf0, 0x0f, 0xc8 },		/* lock bswap eax: #UD */
	};
	struct oset s = { 0 };
	uint64_t rnd = 27;

	for (unsigned k = 0; k < sizeof(codes) / sizeof(codes[0]); k++) {
		struct oracle_in *c = add(&s, codes[k] + 1, codes[k][0], 0, OF_ALL & ~EFLAGS_OF &
					  ~EFLAGS_SF & ~EFLAGS_AF & ~EFLAGS_PF, &rnd);
		c->r[REG_EBX] = MID;
		c->r[REG_ECX] &= 0x3ff;
	}
	oracle_check(&s);
	oset_free(&s);
}

/* ---- bit strings reaching other pages ---- */

static struct tm *paged(void)
{
	struct tm *m = tm_new();
	const uint32_t pd = 0x100000, pt = 0x101000;

	/* 0-4 MiB identity with 4 KiB pages; 0x200000 not present, 0x201000
	 * read-only, everything else read/write. */
	memset(m->phys.ram + pd, 0, 4096);
	tm_wr32(m, pd, pt | PTE_P | PTE_RW);
	for (uint32_t p = 0; p < 1024; p++)
		tm_wr32(m, pt + 4 * p, p << 12 | PTE_P | PTE_RW);
	tm_wr32(m, pt + 4 * 0x200, 0);
	tm_wr32(m, pt + 4 * 0x201, 0x201000 | PTE_P);
	m->cpu->cr3 = pd;
	m->cpu->cr0 |= CR0_PG | CR0_WP;
	return m;
}

/* BT [ebx], ecx with an offset 8 MiB bits ahead lands a megabyte away,
 * in a page that is not present: #PF at that address, CF untouched. */
Test(cpu_bits, bt_offset_into_missing_page)
{
	struct tm *m = paged();
	static const uint8_t code[] = { 0x0f, 0xa3, 0x0b, 0xf4 };	/* bt [ebx], ecx */

	m->cpu->r[REG_EBX] = 0x100000 + 0x10;
	m->cpu->r[REG_ECX] = (0x100000 - 0x10 + 0x123) * 8 + 5;	/* 0x200123, bit 5 */
	cpu_set_eflags(m->cpu, EFLAGS_FIXED | EFLAGS_CF);
	cr_assert_eq(tm_run(m, code, sizeof(code), 10), CPU_STOP_REQUESTED);
	cr_assert_eq(m->ev.vector, X86_EXC_PF);
	cr_assert_eq(m->ev.err, 0);
	/* The dword holding the bit: EA + 4 * (offset >> 5). */
	cr_assert_eq(m->ev_cr2, 0x200120);
	cr_assert(cpu_get_eflags(m->cpu) & EFLAGS_CF);
	tm_free(m);
}

/* BTS with a negative offset writes below the base: into a read-only page
 * it faults with a write error code; elsewhere it sets the right bit. */
Test(cpu_bits, bts_negative_offset)
{
	struct tm *m = paged();
	static const uint8_t code[] = { 0x0f, 0xab, 0x0b, 0xf4 };	/* bts [ebx], ecx */

	m->cpu->r[REG_EBX] = 0x202000;
	m->cpu->r[REG_ECX] = (uint32_t)-(0x1000 * 8 - 3);	/* 0x201000, bit 3 */
	cr_assert_eq(tm_run(m, code, sizeof(code), 10), CPU_STOP_REQUESTED);
	cr_assert_eq(m->ev.vector, X86_EXC_PF);
	cr_assert_eq(m->ev.err, PF_ERR_P | PF_ERR_W);
	cr_assert_eq(m->ev_cr2, 0x201000);
	cr_assert_eq(tm_rd32(m, 0x201000), 0);

	m->cpu->r[REG_EBX] = 0x30000;
	m->cpu->r[REG_ECX] = (uint32_t)-33;		/* bit 31 of [0x2fff8] */
	tm_wr32(m, 0x2fff8, 0);
	m->nevents = 0;
	cr_assert_eq(tm_run(m, code, sizeof(code), 10), CPU_STOP_HALTED);
	cr_assert_eq(tm_rd32(m, 0x2fff8), 0x80000000u);
	cr_assert_eq(cpu_get_eflags(m->cpu) & EFLAGS_CF, 0);
	tm_free(m);
}

/* 16-bit BT: the offset is a signed word, [ebx] - 2 * 0x800 for -32768. */
Test(cpu_bits, bt16_offset_is_signed_word)
{
	struct tm *m = tm_new();
	static const uint8_t code[] = { 0x66, 0x0f, 0xab, 0x0b, 0xf4 };	/* bts [ebx], cx */

	m->cpu->r[REG_EBX] = 0x40000;
	m->cpu->r[REG_ECX] = 0x12348000;		/* CX = -32768 */
	cr_assert_eq(tm_run(m, code, sizeof(code), 10), CPU_STOP_HALTED);
	cr_assert_eq(tm_rd32(m, 0x40000 - 0x1000), 1);
	tm_free(m);
}

/* CMPXCHG8B across a page boundary into a read-only page: #PF for the
 * write, and neither half is written, even on a successful compare. */
Test(cpu_bits, cmpxchg8b_straddle_fault_writes_nothing)
{
	struct tm *m = paged();
	static const uint8_t code[] = { 0x0f, 0xc7, 0x0e, 0xf4 };	/* cmpxchg8b [esi] */

	tm_wr32(m, 0x200ffc, 0x11111111);
	m->cpu->r[REG_ESI] = 0x200ffc;
	/* 0x200000 is not present: map it read/write so only 0x201000 is RO. */
	tm_wr32(m, 0x101000 + 4 * 0x200, 0x200000 | PTE_P | PTE_RW);
	m->cpu->r[REG_EAX] = 0x11111111;
	m->cpu->r[REG_EDX] = tm_rd32(m, 0x201000);
	m->cpu->r[REG_EBX] = 0xaaaaaaaa;
	m->cpu->r[REG_ECX] = 0xbbbbbbbb;
	cr_assert_eq(tm_run(m, code, sizeof(code), 10), CPU_STOP_REQUESTED);
	cr_assert_eq(m->ev.vector, X86_EXC_PF);
	cr_assert_eq(m->ev.err, PF_ERR_P | PF_ERR_W);
	cr_assert_eq(m->ev_cr2, 0x201000);
	cr_assert_eq(tm_rd32(m, 0x200ffc), 0x11111111);
	tm_free(m);
}

/* CMPXCHG writes its memory operand even when the compare fails, so a
 * read-only destination faults either way. */
Test(cpu_bits, cmpxchg_unequal_still_writes)
{
	struct tm *m = paged();
	static const uint8_t code[] = { 0x0f, 0xb1, 0x0e, 0xf4 };	/* cmpxchg [esi], ecx */

	m->cpu->r[REG_ESI] = 0x201010;
	m->cpu->r[REG_EAX] = ~tm_rd32(m, 0x201010);
	cr_assert_eq(tm_run(m, code, sizeof(code), 10), CPU_STOP_REQUESTED);
	cr_assert_eq(m->ev.vector, X86_EXC_PF);
	cr_assert_eq(m->ev.err, PF_ERR_P | PF_ERR_W);
	tm_free(m);
}
