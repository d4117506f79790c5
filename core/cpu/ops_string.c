/*
 * String instructions (SDM vol. 2: MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS;
 * REP/REPE/REPNE): 8/16/32-bit elements, EFLAGS.DF for the direction,
 * 32- or 16-bit addressing (ESI/EDI/ECX or SI/DI/CX, wrapping at 64 KiB),
 * the source segment overridable (i->seg; ES:EDI never is).
 *
 * REP: the count is checked before each iteration (a zero count does
 * nothing, not even an I/O permission check); CMPS/SCAS stop after an
 * iteration whose ZF ends a REPE (ZF = 0) or REPNE (ZF = 1); F2 on the
 * other string instructions repeats as F3 does. Each iteration commits
 * ESI/EDI/ECX, so a fault in the middle leaves them describing exactly the
 * iterations done, with EIP on the instruction.
 *
 * Interruptible repeats: one execution runs at most REP_CHUNK iterations
 * (one under EFLAGS.TF, which traps after every iteration) and, if the count
 * is not exhausted, leaves EIP on the instruction and returns to the run
 * loop so that interrupts, timers and stop requests are serviced. The run
 * loop counts every handler call as a retired instruction; an unfinished
 * execution takes its count back (rep_yield), so a REP instruction retires
 * once, when it completes, however many times it was resumed; the
 * iterations of its unfinished parts still spend the instruction budget.
 *
 * INS/OUTS check I/O permission (IOPL, TSS bitmap) for every element, and
 * INS checks its destination for writing before it reads the port, so a
 * fault never loses a value already taken from a device. An intercepting
 * monitor (ICPT_IO) gets the whole instruction.
 *
 * Fast path: REP MOVS and REP STOS with 32-bit addressing move the part of
 * the string that stays in one page and one soft-TLB entry at host speed
 * (overlapping copies keep their element-by-element meaning).
 */
#include "core/cpu/code.h"
#include "core/cpu/decode.h"
#include "core/cpu/exec.h"

#define REP_CHUNK 4096u

enum { MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS };

static inline uint32_t idx_get(const struct cpu *c, unsigned r, bool a16)
{
	return a16 ? (uint16_t)c->r[r] : c->r[r];
}

static inline void idx_add(struct cpu *c, unsigned r, bool a16, int32_t d)
{
	if (a16)
		R16(c, r) = (uint16_t)(R16(c, r) + d);
	else
		c->r[r] += (uint32_t)d;
}

static inline void count_set(struct cpu *c, bool a16, uint32_t n)
{
	if (a16)
		R16(c, REG_ECX) = (uint16_t)n;
	else
		c->r[REG_ECX] = n;
}

static inline int32_t step(const struct cpu *c, unsigned sz)
{
	return (c->eflags & EFLAGS_DF) ? -(int32_t)sz : (int32_t)sz;
}

/* Iterations one execution may run. */
static inline uint32_t rep_room(const struct cpu *c)
{
	return (c->eflags & EFLAGS_TF) ? 1 : REP_CHUNK;
}

/* Leaves a REP unfinished (see cpu_restart_insn); each iteration of the part
 * done spends a unit of the run's instruction budget, so that a guest
 * looping over huge repeat counts still stops at --max-insns. */
static void rep_yield(struct cpu *c)
{
	c->rep_iters += rep_room(c);
	cpu_restart_insn(c);
}

/* Faults as a write of size bytes at lin would, without writing. */
static inline void probe_write(struct cpu *c, uint32_t lin, unsigned size)
{
	const struct stlb_entry *e = stlb_slot(c->stlb, lin);

	if (likely(e->tag_w == (lin & PAGE_MASK) && (lin & 0xfff) <= PAGE_SIZE - size))
		return;
	mmu_translate(c, lin, ACC_W | acc_user(c));
	if ((lin & 0xfff) > PAGE_SIZE - size)
		mmu_translate(c, (lin | 0xfff) + 1, ACC_W | acc_user(c));
}

/* ---- one element ---- */

static inline void movs_elem(struct cpu *c, const struct insn *i, unsigned sz, bool a16)
{
	uint32_t v = mread(c, i->seg, idx_get(c, REG_ESI, a16), sz);
	mwrite(c, SEG_ES, idx_get(c, REG_EDI, a16), sz, v);
	idx_add(c, REG_ESI, a16, step(c, sz));
	idx_add(c, REG_EDI, a16, step(c, sz));
}

static inline void cmps_elem(struct cpu *c, const struct insn *i, unsigned sz, bool a16)
{
	uint32_t a = mread(c, i->seg, idx_get(c, REG_ESI, a16), sz);
	uint32_t b = mread(c, SEG_ES, idx_get(c, REG_EDI, a16), sz);
	lf_sub(c, a, b, a - b, 8 * sz);
	idx_add(c, REG_ESI, a16, step(c, sz));
	idx_add(c, REG_EDI, a16, step(c, sz));
}

static inline void stos_elem(struct cpu *c, const struct insn *i, unsigned sz, bool a16)
{
	mwrite(c, SEG_ES, idx_get(c, REG_EDI, a16), sz, reg_get(c, REG_EAX, sz));
	idx_add(c, REG_EDI, a16, step(c, sz));
}

static inline void lods_elem(struct cpu *c, const struct insn *i, unsigned sz, bool a16)
{
	reg_set(c, REG_EAX, sz, mread(c, i->seg, idx_get(c, REG_ESI, a16), sz));
	idx_add(c, REG_ESI, a16, step(c, sz));
}

static inline void scas_elem(struct cpu *c, const struct insn *i, unsigned sz, bool a16)
{
	uint32_t a = reg_get(c, REG_EAX, sz);
	uint32_t b = mread(c, SEG_ES, idx_get(c, REG_EDI, a16), sz);
	lf_sub(c, a, b, a - b, 8 * sz);
	idx_add(c, REG_EDI, a16, step(c, sz));
}

static inline void ins_elem(struct cpu *c, const struct insn *i, unsigned sz, bool a16)
{
	uint16_t port = (uint16_t)c->r[REG_EDX];

	io_check(c, port, sz);
	uint32_t lin = seg_lin(c, SEG_ES, idx_get(c, REG_EDI, a16), sz, true);
	probe_write(c, lin, sz);
	lin_write(c, lin, sz, io_in(c, port, sz));
	idx_add(c, REG_EDI, a16, step(c, sz));
}

static inline void outs_elem(struct cpu *c, const struct insn *i, unsigned sz, bool a16)
{
	uint16_t port = (uint16_t)c->r[REG_EDX];

	io_check(c, port, sz);
	uint32_t v = mread(c, i->seg, idx_get(c, REG_ESI, a16), sz);
	io_out(c, port, sz, v);
	idx_add(c, REG_ESI, a16, step(c, sz));
}

/* ---- fast path: a run of elements inside one page ---- */

/* Offsets [off, off + len) all valid in segment s, without wrapping. */
static inline bool seg_range_ok(const struct cpu *c, unsigned s, uint32_t off, uint32_t len,
				bool write)
{
	const struct seg *sg = &c->seg[s];
	int64_t span = write ? sg->wspan : sg->rspan;

	return (uint64_t)off + len <= 0x100000000ull &&
	       (int64_t)(uint32_t)(off - sg->lo) + (len - 1) <= span;
}

/*
 * How many of the next max elements, from offset off in the direction of
 * DF, lie in the page of the first one and are valid in segment s; 0 when
 * the first element straddles a page or the soft TLB does not map the page
 * for this access. *host points at the first element.
 */
static inline uint32_t page_run(struct cpu *c, unsigned s, uint32_t off, unsigned sz,
				uint32_t max, bool write, uint8_t **host)
{
	uint32_t lin = c->seg[s].base + off, in_page = lin & 0xfff, k;
	const struct stlb_entry *e = stlb_slot(c->stlb, lin);
	bool back = c->eflags & EFLAGS_DF;

	if ((write ? e->tag_w : e->tag_r) != (lin & PAGE_MASK) || in_page > PAGE_SIZE - sz)
		return 0;
	k = back ? in_page / sz + 1 : (PAGE_SIZE - in_page) / sz;
	k = k < max ? k : max;
	if (!seg_range_ok(c, s, back ? off - (k - 1) * sz : off, k * sz, write))
		return 0;
	*host = (uint8_t *)(e->addend + lin);
	return k;
}

static inline uint32_t movs_fast(struct cpu *c, const struct insn *i, unsigned sz, uint32_t max)
{
	uint8_t *s, *d;
	uint32_t k = page_run(c, i->seg, c->r[REG_ESI], sz, max, false, &s);

	if (k)
		k = page_run(c, SEG_ES, c->r[REG_EDI], sz, k, true, &d);
	if (!k)
		return 0;

	bool back = c->eflags & EFLAGS_DF;
	uint32_t len = k * sz, first = back ? (k - 1) * sz : 0;
	uint8_t *slo = s - first, *dlo = d - first;

	/* memmove gives the element-by-element result unless the destination
	 * overlaps the part of the source still to be read. */
	if (back ? (dlo >= slo || dlo + len <= slo) : (dlo <= slo || dlo >= slo + len)) {
		memmove(dlo, slo, len);
	} else {
		int32_t st = step(c, sz);
		for (uint32_t j = 0; j < k; j++, s += st, d += st)
			store_host((uintptr_t)d, sz, load_host((uintptr_t)s, sz));
	}
	c->ctr.mem_reads += k;
	c->ctr.mem_writes += k;
	c->r[REG_ESI] += (uint32_t)step(c, sz) * k;
	c->r[REG_EDI] += (uint32_t)step(c, sz) * k;
	return k;
}

static inline uint32_t stos_fast(struct cpu *c, const struct insn *i, unsigned sz, uint32_t max)
{
	uint32_t v = c->r[REG_EAX];
	uint8_t *d;
	uint32_t k = page_run(c, SEG_ES, c->r[REG_EDI], sz, max, true, &d);

	if (!k)
		return 0;
	/* The same value everywhere: the direction does not matter. */
	d -= (c->eflags & EFLAGS_DF) ? (k - 1) * sz : 0;
	if (sz == 1)
		memset(d, (int)(v & 0xff), k);
	else
		for (uint32_t j = 0; j < k; j++)
			store_host((uintptr_t)(d + j * sz), sz, v);
	c->ctr.mem_writes += k;
	c->r[REG_EDI] += (uint32_t)step(c, sz) * k;
	return k;
}

static inline uint32_t no_fast(struct cpu *c, const struct insn *i, unsigned sz, uint32_t max)
{
	return 0;
}

#define cmps_fast no_fast
#define lods_fast no_fast
#define scas_fast no_fast
#define ins_fast no_fast
#define outs_fast no_fast

/* ---- handlers ---- */

/* I/O string instructions: the permission check of the first element, then
 * a monitor that intercepts port I/O takes the instruction. */
static inline bool io_taken(struct cpu *c, const struct insn *i, unsigned sz, uint32_t elems)
{
	io_check(c, (uint16_t)c->r[REG_EDX], sz);
	c->icpt_elems = elems;
	return intercepted(c, ICPT_IO, i);
}

/* The repeat loop; zf_stop: -1 none, else the ZF value that ends it. */
#define REP_LOOP(c, i, name, SZ, zf_stop)                                                \
	do {                                                                             \
		bool a16 = (i)->flags & INSN_A16;                                        \
		uint32_t n = a16 ? (uint16_t)(c)->r[REG_ECX] : (c)->r[REG_ECX];          \
		uint32_t room = rep_room(c);                                             \
		while (n) {                                                              \
			uint32_t k;                                                      \
			if (!room) {                                                     \
				rep_yield(c);                                            \
				return;                                                  \
			}                                                                \
			k = a16 ? 0 : name##_fast(c, i, SZ, n < room ? n : room);        \
			if (!k) {                                                        \
				name##_elem(c, i, SZ, a16);                              \
				k = 1;                                                   \
			}                                                                \
			n -= k;                                                          \
			room -= k;                                                       \
			count_set(c, a16, n);                                            \
			if ((zf_stop) >= 0 && get_zf(c) == (unsigned)(zf_stop))         \
				break;                                                   \
		}                                                                        \
		NEXT(c, i);                                                              \
	} while (0)

#define STR_SIZED(name, SZ, IO)                                                          \
static void name##SZ(struct cpu *c, const struct insn *i)                                \
{                                                                                        \
	if (IO && io_taken(c, i, SZ, 1))                                                 \
		return;                                                                  \
	name##_elem(c, i, SZ, i->flags & INSN_A16);                                      \
	NEXT(c, i);                                                                      \
}                                                                                        \
static void rep_##name##SZ(struct cpu *c, const struct insn *i)                          \
{                                                                                        \
	uint32_t count = (i->flags & INSN_A16) ? (uint16_t)c->r[REG_ECX] : c->r[REG_ECX]; \
	if (IO && count && io_taken(c, i, SZ, count))                                    \
		return;                                                                  \
	REP_LOOP(c, i, name, SZ, -1);                                                    \
}

/* CMPS and SCAS: F3 is REPE, F2 REPNE. */
#define CMP_SIZED(name, SZ)                                                              \
static void name##SZ(struct cpu *c, const struct insn *i)                                \
{                                                                                        \
	name##_elem(c, i, SZ, i->flags & INSN_A16);                                      \
	NEXT(c, i);                                                                      \
}                                                                                        \
static void repe_##name##SZ(struct cpu *c, const struct insn *i)                         \
{                                                                                        \
	REP_LOOP(c, i, name, SZ, 0);                                                     \
}                                                                                        \
static void repne_##name##SZ(struct cpu *c, const struct insn *i)                        \
{                                                                                        \
	REP_LOOP(c, i, name, SZ, 1);                                                     \
}

/* [no prefix, F3, F2][size]; F2 repeats as F3 does unless comparing. */
#define STR_OP(name, IO)                                                                 \
	STR_SIZED(name, 1, IO)                                                           \
	STR_SIZED(name, 2, IO)                                                           \
	STR_SIZED(name, 4, IO)                                                           \
	static insn_fn *const name##_fns[3][3] = {                                       \
		{ name##1, name##2, name##4 },                                           \
		{ rep_##name##1, rep_##name##2, rep_##name##4 },                         \
		{ rep_##name##1, rep_##name##2, rep_##name##4 },                         \
	};

#define CMP_OP(name)                                                                     \
	CMP_SIZED(name, 1)                                                               \
	CMP_SIZED(name, 2)                                                               \
	CMP_SIZED(name, 4)                                                               \
	static insn_fn *const name##_fns[3][3] = {                                       \
		{ name##1, name##2, name##4 },                                           \
		{ repe_##name##1, repe_##name##2, repe_##name##4 },                      \
		{ repne_##name##1, repne_##name##2, repne_##name##4 },                   \
	};

STR_OP(movs, 0)
CMP_OP(cmps)
STR_OP(stos, 0)
STR_OP(lods, 0)
CMP_OP(scas)
STR_OP(ins, 1)
STR_OP(outs, 1)

static insn_fn *const (*const str_tables[])[3] = {
	[MOVS] = movs_fns, [CMPS] = cmps_fns, [STOS] = stos_fns, [LODS] = lods_fns,
	[SCAS] = scas_fns, [INS] = ins_fns, [OUTS] = outs_fns,
};

/* arg: operation << 3 | element size. */
static bool bind_string(struct insn *i, const struct dec *d, unsigned arg)
{
	unsigned rep = (i->flags & INSN_REPNE) ? 2 : (i->flags & INSN_REP) ? 1 : 0;

	if (d->n != 0)
		return false;	/* MOVSD/CMPSD with operands are SSE2 */
	return bind_sized(i, str_tables[arg >> 3][rep], arg & 7);
}

#define STR(m, op)                                                                       \
	{ ZYDIS_MNEMONIC_##m##B, bind_string, op << 3 | 1 },                             \
	{ ZYDIS_MNEMONIC_##m##W, bind_string, op << 3 | 2 },                             \
	{ ZYDIS_MNEMONIC_##m##D, bind_string, op << 3 | 4 }

const struct binder ops_string_binders[] = {
	STR(MOVS, MOVS), STR(CMPS, CMPS), STR(STOS, STOS), STR(LODS, LODS), STR(SCAS, SCAS),
	STR(INS, INS), STR(OUTS, OUTS),
	{ 0, NULL, 0 },
};
