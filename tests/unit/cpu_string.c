/*
 * String instructions (ops_string.c): MOVS, CMPS, STOS, LODS, SCAS with
 * REP/REPE/REPNE and DF against the host CPU (oracle.h), then directed
 * tests of what the host cannot show: faults in the middle of a REP,
 * resumption, interrupts and single-steps between iterations, the
 * retirement count, segment overrides on non-flat segments, 16-bit
 * addressing, and INS/OUTS with IOPL and I/O-bitmap checks.
 */
#include "core/cpu/seg.h"
#include "tests/unit/oracle.h"

TestSuite(cpu_string);

enum { MOVS = 0xa4, CMPS = 0xa6, STOS = 0xaa, LODS = 0xac, SCAS = 0xae };

/* One string instruction over the oracle window: ESI/EDI inside it, a
 * small count, either direction, random or partly equal contents. */
static void add_string(struct oset *s, uint8_t op, unsigned sz, uint8_t rep, bool df,
		       uint32_t si, uint32_t di, uint32_t count, uint64_t *rnd)
{
	uint8_t code[4];
	unsigned len = 0;

	if (rep)
		code[len++] = rep;
	if (sz == 2)
		code[len++] = 0x66;
	code[len++] = (uint8_t)(op + (sz != 1));
	struct oracle_in *c = oset_code(s, code, len, (orand(rnd) & OF_ALL) |
					(df ? EFLAGS_DF : 0), OF_ALL);
	for (unsigned k = 0; k < ORACLE_MEM_SIZE; k++)
		c->mem[k] = (uint8_t)(orand(rnd) % 3 ? 0x41 : orand(rnd));
	c->r[REG_EAX] = orand(rnd) % 2 ? 0x41414141 : orand(rnd);
	c->r[REG_ECX] = count;
	c->r[REG_ESI] = ORACLE_MEM + si;
	c->r[REG_EDI] = ORACLE_MEM + di;
	c->r[REG_EDX] = orand(rnd);
}

/* Every string op, size, prefix and direction with random placements. */
Test(cpu_string, all_ops_against_host)
{
	static const uint8_t ops[] = { MOVS, CMPS, STOS, LODS, SCAS };
	static const uint8_t reps[] = { 0, 0xf3, 0xf2 };
	struct oset s = { 0 };
	uint64_t rnd = 31;

	for (unsigned o = 0; o < 5; o++)
		for (unsigned sz = 1; sz <= 4; sz *= 2)
			for (unsigned r = 0; r < 3; r++)
				for (unsigned k = 0; k < 60; k++) {
					bool df = k & 1;
					uint32_t count = k < 4 ? k : orand(&rnd) % 24;
					uint32_t room = count * sz + 8, half = ORACLE_MEM_SIZE / 2;
					uint32_t si = df ? room + orand(&rnd) % (half - room)
							 : orand(&rnd) % half;
					uint32_t di = df ? ORACLE_MEM_SIZE - 8 - orand(&rnd) % 40
							 : half + orand(&rnd) % 24;
					add_string(&s, ops[o], sz, reps[r], df, si, di, count,
						   &rnd);
				}
	oracle_check(&s);
	oset_free(&s);
}

/* REP MOVS whose source and destination overlap, both directions and all
 * sizes: the element-by-element result (a forward copy one element ahead
 * replicates the first element), not a memmove. */
Test(cpu_string, overlapping_movs)
{
	struct oset s = { 0 };
	uint64_t rnd = 32;
	static const int32_t deltas[] = { -9, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 7, 8, 64 };

	for (unsigned sz = 1; sz <= 4; sz *= 2)
		for (unsigned d = 0; d < sizeof(deltas) / sizeof(deltas[0]); d++)
			for (unsigned df = 0; df <= 1; df++) {
				uint32_t si = df ? 180 : 60;
				uint32_t di = (uint32_t)((int32_t)si + deltas[d]);
				add_string(&s, MOVS, sz, 0xf3, df, si, di, 25, &rnd);
			}
	oracle_check(&s);
	oset_free(&s);
}

/* REPE CMPS / REPNE SCAS stop on the first difference or match, with the
 * count and pointers just past it, as memcmp and strlen use them. */
Test(cpu_string, compare_loops_stop_where_they_should)
{
	struct oset s = { 0 };
	uint64_t rnd = 33;

	for (unsigned sz = 1; sz <= 4; sz *= 2)
		for (unsigned at = 0; at < 20; at++) {
			add_string(&s, CMPS, sz, 0xf3, false, 0, 128, 30, &rnd);
			struct oracle_in *c = &s.c[s.n - 1];
			memcpy(c->mem + 128, c->mem, 128);
			c->mem[128 + at * sz] ^= 0x10;		/* first difference */
			add_string(&s, SCAS, sz, 0xf2, false, 0, 16, 40, &rnd);
			c = &s.c[s.n - 1];
			memset(c->mem + 16, 0x77, 200);
			memset(c->mem + 16 + at * sz, 0, sz);	/* the terminator */
			c->r[REG_EAX] = 0;
		}
	oracle_check(&s);
	oset_free(&s);
}

/* ---- directed tests on the simulator ---- */

struct io_log {
	unsigned reads, writes;
	uint16_t last_port;
	uint8_t out[64];
	unsigned mmio_writes, raise_after;
	struct cpu *cpu;
};

static uint32_t pio_read(void *p, uint16_t port, unsigned size)
{
	struct io_log *l = p;
	l->last_port = port;
	return 0x11223344u + l->reads++;
}

static void pio_write(void *p, uint16_t port, unsigned size, uint32_t v)
{
	struct io_log *l = p;
	l->last_port = port;
	for (unsigned k = 0; k < size && l->writes < sizeof(l->out); k++)
		l->out[l->writes++] = (uint8_t)(v >> 8 * k);
}

static void mmio_write(void *p, uint32_t pa, unsigned size, uint32_t v)
{
	struct io_log *l = p;
	if (++l->mmio_writes == l->raise_after)
		cpu_set_intr(l->cpu, 1);
}

static int intr_ack(void *p)
{
	struct io_log *l = p;
	cpu_set_intr(l->cpu, 0);
	return 0x40;
}

static struct tm *machine(struct io_log *l)
{
	struct tm *m = tm_new();

	memset(l, 0, sizeof(*l));
	l->cpu = m->cpu;
	m->cpu->hooks.platform = l;
	m->cpu->hooks.pio_read = pio_read;
	m->cpu->hooks.pio_write = pio_write;
	m->cpu->hooks.mmio_write = mmio_write;
	m->cpu->hooks.intr_ack = intr_ack;
	return m;
}

/* Paging over 0-4 MiB, identity, with 0x200000 not present and 0x201000
 * read-only. */
static void page_holes(struct tm *m)
{
	const uint32_t pd = 0x100000, pt = 0x101000;

	memset(m->phys.ram + pd, 0, 4096);
	tm_wr32(m, pd, pt | PTE_P | PTE_RW);
	for (uint32_t p = 0; p < 1024; p++)
		tm_wr32(m, pt + 4 * p, p << 12 | PTE_P | PTE_RW);
	tm_wr32(m, pt + 4 * 0x200, 0);
	tm_wr32(m, pt + 4 * 0x201, 0x201000 | PTE_P);
	m->cpu->cr3 = pd;
	m->cpu->cr0 |= CR0_PG | CR0_WP;
}

/* REP MOVSD running into a missing page faults at the first element that
 * touches it: ESI/EDI/ECX count exactly the elements copied, EIP is on the
 * instruction, nothing past them is written; after the page appears the
 * same instruction finishes the copy. */
Test(cpu_string, rep_movs_faults_midway_and_resumes)
{
	struct io_log l;
	struct tm *m = machine(&l);
	static const uint8_t code[] = { 0xf3, 0xa5, 0xf4 };	/* rep movsd; hlt */

	page_holes(m);
	for (uint32_t k = 0; k < 64; k++)
		tm_wr32(m, 0x1fff00 + 4 * k, 0xc0de0000 + k);
	m->cpu->r[REG_ESI] = 0x1fff00;			/* 64 dwords before the hole */
	m->cpu->r[REG_EDI] = 0x50000;
	m->cpu->r[REG_ECX] = 100;
	cr_assert_eq(tm_run(m, code, sizeof(code), 100), CPU_STOP_REQUESTED);
	cr_assert_eq(m->ev.vector, X86_EXC_PF);
	cr_assert_eq(m->ev_cr2, 0x200000);
	cr_assert_eq(m->ev.eip, TM_CODE);
	cr_assert_eq(m->cpu->eip, TM_CODE);
	cr_assert_eq(m->cpu->r[REG_ECX], 100 - 64);
	cr_assert_eq(m->cpu->r[REG_ESI], 0x200000);
	cr_assert_eq(m->cpu->r[REG_EDI], 0x50000 + 256);
	cr_assert_eq(tm_rd32(m, 0x50000 + 252), 0xc0de0000 + 63);
	cr_assert_eq(tm_rd32(m, 0x50000 + 256), 0);
	cr_assert_eq(m->cpu->insns, 0);

	tm_wr32(m, 0x101000 + 4 * 0x200, 0x200000 | PTE_P | PTE_RW);
	tm_wr32(m, 0x200000 + 4 * 35, 0xfeed);
	m->nevents = 0;
	cr_assert_eq(cpu_run(m->cpu, 100), CPU_STOP_HALTED);
	cr_assert_eq(m->cpu->r[REG_ECX], 0);
	cr_assert_eq(tm_rd32(m, 0x50000 + 4 * 99), 0xfeed);
	cr_assert_eq(m->cpu->insns, 2);		/* the REP retired once, then HLT */
	tm_free(m);
}

/* Backwards (DF = 1) REP STOSW into a read-only page, and a word that
 * straddles into it: the straddling element faults whole. */
Test(cpu_string, rep_stos_backwards_straddling_fault)
{
	struct io_log l;
	struct tm *m = machine(&l);
	static const uint8_t code[] = { 0xfd, 0xf3, 0x66, 0xab, 0xf4 };	/* std; rep stosw */

	page_holes(m);
	/* Downwards from 0x202009: 0x202009, ..., 0x202001, then 0x201fff
	 * straddles into the read-only page. */
	m->cpu->r[REG_EDI] = 0x202009;
	m->cpu->r[REG_ECX] = 10;
	m->cpu->r[REG_EAX] = 0xbeef;
	cr_assert_eq(tm_run(m, code, sizeof(code), 100), CPU_STOP_REQUESTED);
	cr_assert_eq(m->ev.vector, X86_EXC_PF);
	cr_assert_eq(m->ev.err, PF_ERR_P | PF_ERR_W);
	cr_assert_eq(m->ev.eip, TM_CODE + 1);
	cr_assert_eq(m->cpu->r[REG_ECX], 5);
	cr_assert_eq(m->cpu->r[REG_EDI], 0x201fff);
	cr_assert_eq(m->phys.ram[0x202000], 0);
	cr_assert_eq(m->phys.ram[0x202001], 0xef);
	tm_free(m);
}

/* A long REP yields to the run loop: an interrupt raised by its own MMIO
 * writes is taken with EIP on the REP and registers consistent with the
 * writes done; the REP then completes and retires once. */
Test(cpu_string, long_rep_is_interruptible)
{
	struct io_log l;
	struct tm *m = machine(&l);
	static const uint8_t code[] = { 0xf3, 0xab, 0xf4 };	/* rep stosd; hlt */
	const uint32_t n = 100000, base = 0x10000000;		/* beyond RAM: MMIO */

	l.raise_after = 10;
	m->cpu->r[REG_EDI] = base;
	m->cpu->r[REG_ECX] = n;
	cpu_set_eflags(m->cpu, EFLAGS_FIXED | EFLAGS_IF);
	cr_assert_eq(tm_run(m, code, sizeof(code), 100), CPU_STOP_REQUESTED);
	cr_assert_eq(m->ev.kind, CPU_EV_INTERRUPT);
	cr_assert_eq(m->ev.vector, 0x40);
	cr_assert_eq(m->ev.eip, TM_CODE);
	uint32_t done = n - m->cpu->r[REG_ECX];
	cr_assert(done >= 10 && done < n, "done %u", done);
	cr_assert_eq(l.mmio_writes, done);
	cr_assert_eq(m->cpu->r[REG_EDI], base + 4 * done);
	cr_assert_eq(m->cpu->insns, 0);

	m->nevents = 0;
	cpu_set_eflags(m->cpu, EFLAGS_FIXED);
	cr_assert_eq(cpu_run(m->cpu, 2 * n), CPU_STOP_HALTED);
	cr_assert_eq(l.mmio_writes, n);
	cr_assert_eq(m->cpu->insns, 2);
	tm_free(m);
}

/* Under EFLAGS.TF a REP traps after every iteration, EIP on the REP until
 * the last one, which traps with EIP past it. */
Test(cpu_string, single_step_traps_each_iteration)
{
	struct io_log l;
	struct tm *m = machine(&l);
	static const uint8_t code[] = { 0xf3, 0xaa, 0xf4 };	/* rep stosb; hlt */

	m->cpu->r[REG_EDI] = TM_DATA;
	m->cpu->r[REG_ECX] = 3;
	m->cpu->r[REG_EAX] = 0x5a;
	cpu_set_eflags(m->cpu, EFLAGS_FIXED | EFLAGS_TF);
	m->cpu->eip = TM_CODE;
	phys_dma_write(&m->phys, TM_CODE, code, sizeof(code));
	for (uint32_t k = 1; k <= 3; k++) {
		m->nevents = 0;
		cr_assert_eq(cpu_run(m->cpu, 100), CPU_STOP_REQUESTED);
		cr_assert_eq(m->ev.vector, X86_EXC_DB);
		cr_assert_eq(m->cpu->r[REG_ECX], 3 - k);
		cr_assert_eq(m->cpu->r[REG_EDI], TM_DATA + k);
		cr_assert_eq(m->ev.eip, k < 3 ? TM_CODE : TM_CODE + 2);
		cr_assert_eq(m->cpu->insns, k < 3 ? 0 : 1);
	}
	cr_assert_eq(tm_rd32(m, TM_DATA), 0x005a5a5a);
	tm_free(m);
}

/* A copy of many pages: right bytes, right registers, retired once. */
Test(cpu_string, long_rep_movs_copies_and_retires_once)
{
	struct io_log l;
	struct tm *m = machine(&l);
	static const uint8_t code[] = { 0xf3, 0xa4, 0x90, 0xf4 };	/* rep movsb; nop; hlt */
	const uint32_t n = 5 * 4096 + 123;

	for (uint32_t k = 0; k < n; k++)
		m->phys.ram[0x100003 + k] = (uint8_t)(k * 7);
	m->cpu->r[REG_ESI] = 0x100003;
	m->cpu->r[REG_EDI] = 0x200ffe;
	m->cpu->r[REG_ECX] = n;
	/* Loading the segments read descriptors: count from here. */
	uint64_t reads = m->cpu->ctr.mem_reads, writes = m->cpu->ctr.mem_writes;
	cr_assert_eq(tm_run(m, code, sizeof(code), 2 * n), CPU_STOP_HALTED);
	cr_assert_eq(memcmp(m->phys.ram + 0x200ffe, m->phys.ram + 0x100003, n), 0);
	cr_assert_eq(m->cpu->r[REG_ESI], 0x100003 + n);
	cr_assert_eq(m->cpu->r[REG_EDI], 0x200ffe + n);
	cr_assert_eq(m->cpu->r[REG_ECX], 0);
	cr_assert_eq(m->cpu->insns, 3);
	cr_assert_eq(m->cpu->ctr.mem_reads - reads, n);
	cr_assert_eq(m->cpu->ctr.mem_writes - writes, n);
	tm_free(m);
}

/* The iterations of an unfinished REP spend the instruction budget: a
 * budget far below the count stops the REP part-way, not retired, with its
 * registers describing the iterations done. */
Test(cpu_string, rep_iterations_spend_the_budget)
{
	struct io_log l;
	struct tm *m = machine(&l);
	static const uint8_t code[] = { 0xf3, 0xaa, 0xf4 };	/* rep stosb; hlt */
	const uint32_t n = 0x200000;

	m->cpu->r[REG_EDI] = 0x100000;
	m->cpu->r[REG_ECX] = n;
	cr_assert_eq(tm_run(m, code, sizeof(code), 20000), CPU_STOP_BUDGET);
	uint32_t done = n - m->cpu->r[REG_ECX];
	cr_assert(done >= 20000 && done < 20000 + 8192, "done %u", done);
	cr_assert_eq(m->cpu->r[REG_EDI], 0x100000 + done);
	cr_assert_eq(m->cpu->eip, TM_CODE);
	cr_assert_eq(m->cpu->insns, 0);
	tm_free(m);
}

static void set_base(struct tm *m, unsigned s, uint32_t base)
{
	m->cpu->seg[s].base = base;
	seg_derive(&m->cpu->seg[s]);
}

/* The source segment follows an override; the ES:EDI destination never
 * does: FS MOVSB reads FS:ESI, writes ES:EDI; FS STOSB still writes ES. */
Test(cpu_string, segment_override_applies_to_source_only)
{
	struct io_log l;
	struct tm *m = machine(&l);
	static const uint8_t code[] = {
		0x64, 0xf3, 0xa4,	/* rep movsb fs:[esi] -> es:[edi] */
		0x64, 0xaa,		/* stosb (fs ignored) */
		0x64, 0xac,		/* lodsb from fs:[esi] */
		0x26, 0xa6,		/* cmpsb es:[esi], es:[edi] */
		0xf4,
	};

	set_base(m, SEG_FS, 0x50000);
	set_base(m, SEG_ES, 0x60000);
	memcpy(m->phys.ram + 0x50100, "abcdef", 6);
	memcpy(m->phys.ram + 0x100, "zzzzzz", 6);
	m->cpu->r[REG_ESI] = 0x100;
	m->cpu->r[REG_EDI] = 0x200;
	m->cpu->r[REG_ECX] = 4;
	m->cpu->r[REG_EAX] = '!';
	m->phys.ram[0x60105] = 'e';	/* es:[0x105] and es:[0x205] for CMPSB */
	m->phys.ram[0x60205] = 'e';
	cr_assert_eq(tm_run(m, code, sizeof(code), 100), CPU_STOP_HALTED);
	cr_assert_eq(memcmp(m->phys.ram + 0x60200, "abcd!", 5), 0);
	cr_assert_eq(m->phys.ram[0x50200], 0);
	cr_assert_eq(m->cpu->r[REG_EAX] & 0xff, 'e');		/* lodsb: fs:[0x104] */
	cr_assert(cpu_get_eflags(m->cpu) & EFLAGS_ZF);		/* ds:[0x105] is 'z' */
	tm_free(m);
}

/* 16-bit addressing: SI, DI and CX wrap at 64 KiB and the upper halves of
 * ESI, EDI and ECX are left alone; a CX of 0 does nothing even if ECX is
 * not 0. */
Test(cpu_string, address_size_16)
{
	struct io_log l;
	struct tm *m = machine(&l);
	static const uint8_t code[] = {
		0x67, 0xf3, 0xa4,	/* rep movsb, SI/DI/CX */
		0x89, 0xd9,		/* mov ecx, ebx */
		0x67, 0xf3, 0xa4,	/* again with CX = 0 */
		0xf4,
	};

	memcpy(m->phys.ram + 0xfffe, "AB", 2);
	memcpy(m->phys.ram + 0x0000, "CD", 2);
	m->cpu->r[REG_ESI] = 0x1234fffe;
	m->cpu->r[REG_EDI] = 0x56788000;
	m->cpu->r[REG_ECX] = 0x9abc0004;
	m->cpu->r[REG_EBX] = 0x00010000;
	cr_assert_eq(tm_run(m, code, sizeof(code), 100), CPU_STOP_HALTED);
	cr_assert_eq(memcmp(m->phys.ram + 0x8000, "ABCD", 4), 0);
	cr_assert_eq(m->cpu->r[REG_ESI], 0x12340002);
	cr_assert_eq(m->cpu->r[REG_EDI], 0x56788004);
	cr_assert_eq(m->cpu->r[REG_ECX], 0x00010000);
	cr_assert_eq(m->phys.ram[0x8004], 0);
	tm_free(m);
}

/* ---- INS / OUTS ---- */

/* REP INSW and REP OUTSB move data between ports and memory, in order,
 * with the port in DX and the source segment overridable for OUTS. */
Test(cpu_string, ins_outs_move_data)
{
	struct io_log l;
	struct tm *m = machine(&l);
	static const uint8_t code[] = {
		0xf3, 0x66, 0x6d,	/* rep insw */
		0xb9, 3, 0, 0, 0,	/* mov ecx, 3 */
		0x64, 0xf3, 0x6e,	/* rep outsb fs:[esi] */
		0xf4,
	};

	set_base(m, SEG_FS, 0x50000);
	memcpy(m->phys.ram + 0x50010, "xyz", 3);
	m->cpu->r[REG_EDX] = 0x1f0;
	m->cpu->r[REG_EDI] = 0x30000;
	m->cpu->r[REG_ESI] = 0x10;
	m->cpu->r[REG_ECX] = 4;
	cr_assert_eq(tm_run(m, code, sizeof(code), 100), CPU_STOP_HALTED);
	cr_assert_eq(l.reads, 4);
	cr_assert_eq(tm_rd32(m, 0x30000), 0x33453344u);
	cr_assert_eq(tm_rd32(m, 0x30004), 0x33473346u);
	cr_assert_eq(l.writes, 3);
	cr_assert_eq(memcmp(l.out, "xyz", 3), 0);
	cr_assert_eq(l.last_port, 0x1f0);
	cr_assert_eq(m->cpu->ctr.io_reads, 4);
	tm_free(m);
}

/* REP INSB into a read-only page faults before reading the port, so no
 * device byte is lost. */
Test(cpu_string, ins_checks_memory_before_the_port)
{
	struct io_log l;
	struct tm *m = machine(&l);
	static const uint8_t code[] = { 0xf3, 0x6c, 0xf4 };	/* rep insb */

	page_holes(m);
	m->cpu->r[REG_EDI] = 0x200ffe;
	m->cpu->r[REG_ECX] = 8;
	tm_wr32(m, 0x101000 + 4 * 0x200, 0x200000 | PTE_P | PTE_RW);
	cr_assert_eq(tm_run(m, code, sizeof(code), 100), CPU_STOP_REQUESTED);
	cr_assert_eq(m->ev.vector, X86_EXC_PF);
	cr_assert_eq(m->ev_cr2, 0x201000);
	cr_assert_eq(l.reads, 2);
	cr_assert_eq(m->cpu->r[REG_ECX], 6);
	tm_free(m);
}

/* Moves the test machine to CPL 3 with IOPL 0 and a TSS I/O bitmap that
 * allows ports 0x80-0x87 and 0x3f8 only. */
static void user_with_bitmap(struct tm *m)
{
	struct cpu *c = m->cpu;
	struct desc d;
	const uint32_t map = TM_TSS_BASE + 0x68;

	memset(m->phys.ram + map, 0xff, 0x2000 + 1);
	m->phys.ram[map + 0x80 / 8] = 0x00;
	m->phys.ram[map + 0x3f8 / 8] &= (uint8_t)~1u;
	tm_set_desc(m, 5, TM_TSS_BASE, 0x68 + 0x2000, 0x0089);
	tm_wr32(m, TM_TSS_BASE + 0x64, 0x68u << 16);
	desc_fetch(c, TM_TSS, &d);
	seg_fill(&c->seg[SEG_TR], TM_TSS, d);
	c->seg[SEG_TR].attr |= 2;
	desc_fetch(c, TM_CS3, &d);
	seg_fill(&c->seg[SEG_CS], TM_CS3, d);
	desc_fetch(c, TM_DS3, &d);
	for (unsigned s = 0; s < 6; s++)
		if (s != SEG_CS)
			seg_fill(&c->seg[s], TM_DS3, d);
	cpu_set_cpl(c, 3);
}

/* At CPL 3 > IOPL, OUTS/INS are allowed exactly where the bitmap says:
 * a word to 0x87 needs 0x88 too and faults #GP(0) before any output; a
 * REP OUTSB to an allowed port writes everything; a REP with a zero count
 * checks nothing. */
Test(cpu_string, io_permission_per_element)
{
	static const struct {
		uint8_t code[4];
		unsigned len;
		uint16_t port;
		uint32_t count;
		int vector;		/* #BP: reached the INT3 after it */
		unsigned writes;
	} cases[] = {
		{ { 0xf3, 0x6e, 0xcc }, 3, 0x80, 8, X86_EXC_BP, 8 },		/* allowed */
		{ { 0xf3, 0x66, 0x6f, 0xcc }, 4, 0x87, 2, X86_EXC_GP, 0 },	/* 0x88 denied */
		{ { 0xf3, 0x66, 0x6f, 0xcc }, 4, 0x86, 2, X86_EXC_BP, 4 },	/* 0x86-0x87 */
		{ { 0xf3, 0x6e, 0xcc }, 3, 0x3f9, 2, X86_EXC_GP, 0 },		/* denied */
		{ { 0xf3, 0x6c, 0xcc }, 3, 0x3f9, 2, X86_EXC_GP, 0 },		/* INS too */
		{ { 0xf3, 0x6e, 0xcc }, 3, 0x3f9, 0, X86_EXC_BP, 0 },		/* count 0 */
		{ { 0x6e, 0xcc }, 2, 0x3f8, 0, X86_EXC_BP, 1 },			/* no REP */
	};

	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct io_log l;
		struct tm *m = machine(&l);
		user_with_bitmap(m);
		m->cpu->r[REG_EDX] = cases[k].port;
		m->cpu->r[REG_ECX] = cases[k].count;
		m->cpu->r[REG_ESI] = TM_DATA;
		m->cpu->r[REG_EDI] = TM_DATA + 0x100;
		cr_assert_eq(tm_run(m, cases[k].code, cases[k].len, 100), CPU_STOP_REQUESTED);
		cr_assert_eq(m->ev.vector, cases[k].vector, "case %u", k);
		cr_assert_eq(l.writes, cases[k].writes, "case %u", k);
		cr_assert_eq(l.reads, 0, "case %u", k);
		if (cases[k].vector == X86_EXC_GP) {
			cr_assert_eq(m->ev.err, 0);
			cr_assert_eq(m->ev.eip, TM_CODE, "case %u", k);
			cr_assert_eq(m->cpu->r[REG_ECX], cases[k].count, "case %u", k);
		}
		tm_free(m);
	}
}

/* IOPL 3 lets CPL 3 reach every port without a bitmap lookup. */
Test(cpu_string, iopl_allows_all_ports)
{
	struct io_log l;
	struct tm *m = machine(&l);
	static const uint8_t code[] = { 0xf3, 0x6e, 0xcc };

	user_with_bitmap(m);
	cpu_set_eflags(m->cpu, EFLAGS_FIXED | EFLAGS_IOPL);
	m->cpu->r[REG_EDX] = 0x3f9;
	m->cpu->r[REG_ECX] = 3;
	m->cpu->r[REG_ESI] = TM_DATA;
	cr_assert_eq(tm_run(m, code, sizeof(code), 100), CPU_STOP_REQUESTED);
	cr_assert_eq(m->ev.vector, X86_EXC_BP);
	cr_assert_eq(l.writes, 3);
	tm_free(m);
}

/* LOCK on a string instruction is #UD. */
Test(cpu_string, lock_is_ud)
{
	struct io_log l;
	struct tm *m = machine(&l);
	static const uint8_t code[] = { 0xf0, 0xa4, 0xf4 };

	cr_assert_eq(tm_run(m, code, sizeof(code), 100), CPU_STOP_REQUESTED);
	cr_assert_eq(m->ev.vector, X86_EXC_UD);
	tm_free(m);
}
