/*
 * Zydis -> pre-decoded instructions. Zydis does the hard part of x86
 * decoding (prefixes, ModRM/SIB, lengths, the 15-byte limit); this file
 * condenses its output into struct insn and asks the family binder of the
 * mnemonic for the handler. Zydis is configured for the P6: the TZCNT and
 * LZCNT decodings are off (F3 0F BC/BD are BSF/BSR with an ignored prefix,
 * as on a Pentium Pro), as are MPX and CET prefixes.
 *
 * x87 instructions are bound to one handler that raises #NM when CR0.EM or
 * CR0.TS says so and #UD otherwise (no FPU: CPUID.01H:EDX.FPU = 0, SDM
 * vol. 3A 2.5 and 9.2); WAIT raises #NM only with CR0.MP and CR0.TS. SSE
 * and MMX are #UD (their CPUID bits are clear).
 */
#include "core/cpu/decode.h"

#include "core/cpu/code.h"
#include "core/cpu/emu.h"
#include "core/cpu/exec.h"

static ZydisDecoder dec32, dec16;
static const struct binder *by_mnem[ZYDIS_MNEMONIC_MAX_VALUE + 1];

static const struct binder *const families[] = {
	ops_arith_binders, ops_data_binders, ops_ctrl_binders, ops_system_binders,
	ops_seg_binders, ops_shift_binders, ops_muldiv_binders, ops_bits_binders,
	ops_string_binders,
};

static void decoder_setup(ZydisDecoder *d, ZydisMachineMode mode, ZydisStackWidth sw)
{
	ZydisDecoderInit(d, mode, sw);
	ZydisDecoderEnableMode(d, ZYDIS_DECODER_MODE_TZCNT, ZYAN_FALSE);
	ZydisDecoderEnableMode(d, ZYDIS_DECODER_MODE_LZCNT, ZYAN_FALSE);
	ZydisDecoderEnableMode(d, ZYDIS_DECODER_MODE_MPX, ZYAN_FALSE);
	ZydisDecoderEnableMode(d, ZYDIS_DECODER_MODE_CET, ZYAN_FALSE);
	ZydisDecoderEnableMode(d, ZYDIS_DECODER_MODE_WBNOINVD, ZYAN_FALSE);
	ZydisDecoderEnableMode(d, ZYDIS_DECODER_MODE_CLDEMOTE, ZYAN_FALSE);
}

void decode_init(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	decoder_setup(&dec32, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
	decoder_setup(&dec16, ZYDIS_MACHINE_MODE_LEGACY_16, ZYDIS_STACK_WIDTH_16);
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++)
		for (const struct binder *b = families[f]; b->bind; b++)
			by_mnem[b->mnem] = b;
}

void op_ud(struct cpu *c, const struct insn *i)
{
	cpu_fault_ud(c);
}

void op_gp0(struct cpu *c, const struct insn *i)
{
	cpu_fault_gp0(c);
}

void op_nop(struct cpu *c, const struct insn *i)
{
	NEXT(c, i);
}

static void op_x87(struct cpu *c, const struct insn *i)
{
	if (c->cr0 & (CR0_EM | CR0_TS))
		cpu_fault(c, X86_EXC_NM, 0);
	cpu_fault_ud(c);
}

static void op_wait(struct cpu *c, const struct insn *i)
{
	if ((c->cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS))
		cpu_fault(c, X86_EXC_NM, 0);
	NEXT(c, i);
}

enum form dec_form(const struct dec *d)
{
	static const enum form one[] = { [OK_REG] = F_R, [OK_MEM] = F_M, [OK_IMM] = F_I };
	enum op_kind a = d->n > 0 ? d->kind[0] : OK_NONE, b = d->n > 1 ? d->kind[1] : OK_NONE;

	if (a == OK_NONE)
		return F_NONE;
	if (b == OK_NONE)
		return a <= OK_IMM ? one[a] : F_OTHER;
	if (a == OK_REG && b == OK_REG) return F_RR;
	if (a == OK_REG && b == OK_MEM) return F_RM;
	if (a == OK_MEM && b == OK_REG) return F_MR;
	if (a == OK_REG && b == OK_IMM) return F_RI;
	if (a == OK_MEM && b == OK_IMM) return F_MI;
	return F_OTHER;
}

static int gpr_of(ZydisRegister r, uint8_t *out)
{
	if (r >= ZYDIS_REGISTER_EAX && r <= ZYDIS_REGISTER_EDI) {
		*out = (uint8_t)(r - ZYDIS_REGISTER_EAX);
		return 4;
	}
	if (r >= ZYDIS_REGISTER_AX && r <= ZYDIS_REGISTER_DI) {
		*out = (uint8_t)(r - ZYDIS_REGISTER_AX);
		return 2;
	}
	if (r >= ZYDIS_REGISTER_AL && r <= ZYDIS_REGISTER_BH) {
		unsigned n = r - ZYDIS_REGISTER_AL;
		*out = (uint8_t)(n < 4 ? n * 4 : (n - 4) * 4 + 1);
		return 1;
	}
	return 0;
}

static uint8_t seg_of(ZydisRegister r)
{
	return r >= ZYDIS_REGISTER_ES && r <= ZYDIS_REGISTER_GS ? (uint8_t)(r - ZYDIS_REGISTER_ES)
								 : SEG_DS;
}

static uint8_t mem_reg(ZydisRegister r)
{
	uint8_t n;
	return r == ZYDIS_REGISTER_NONE || !gpr_of(r, &n) ? REG_NONE : n;
}

/* Fills the common fields and the operand summary; false: #UD. */
static bool summarize(struct insn *i, struct dec *d, const ZydisDecodedInstruction *zi,
		      const ZydisDecodedOperand *ops)
{
	unsigned nimm = 0;

	d->zi = zi;
	d->ops = ops;
	d->n = zi->operand_count_visible > 4 ? 4 : zi->operand_count_visible;
	i->len = zi->length;
	i->opsz = zi->operand_width / 8;
	i->mnem = (uint16_t)zi->mnemonic;
	i->base = i->index = REG_NONE;
	i->seg = SEG_DS;
	if (zi->address_width == 16)
		i->flags |= INSN_A16;
	if (zi->operand_width == 16)
		i->flags |= INSN_O16;
	if (zi->attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE))
		i->flags |= INSN_REP;
	if (zi->attributes & ZYDIS_ATTRIB_HAS_REPNE)
		i->flags |= INSN_REPNE;
	if (zi->attributes & ZYDIS_ATTRIB_HAS_LOCK)
		i->flags |= INSN_LOCK;
	/* String instructions and XLAT name their (overridable) segment
	 * through a hidden operand based on ESI or EBX. */
	for (unsigned k = d->n; k < zi->operand_count; k++) {
		ZydisRegister b = ops[k].mem.base;
		if (ops[k].type == ZYDIS_OPERAND_TYPE_MEMORY &&
		    (b == ZYDIS_REGISTER_ESI || b == ZYDIS_REGISTER_SI || b == ZYDIS_REGISTER_EBX ||
		     b == ZYDIS_REGISTER_BX))
			i->seg = seg_of(ops[k].mem.segment);
	}

	for (unsigned k = 0; k < d->n; k++) {
		const ZydisDecodedOperand *o = &ops[k];
		uint8_t *rf = k == 0 ? &i->r0 : &i->r1;

		d->size[k] = (uint8_t)(o->size / 8);
		d->kind[k] = OK_NONE;
		switch (o->type) {
		case ZYDIS_OPERAND_TYPE_REGISTER: {
			ZydisRegister r = o->reg.value;
			if (gpr_of(r, &d->reg[k])) {
				d->kind[k] = OK_REG;
			} else if (r >= ZYDIS_REGISTER_ES && r <= ZYDIS_REGISTER_GS) {
				d->kind[k] = OK_SREG;
				d->reg[k] = seg_of(r);
			} else if (r >= ZYDIS_REGISTER_CR0 && r <= ZYDIS_REGISTER_CR15) {
				d->kind[k] = OK_CR;
				d->reg[k] = (uint8_t)(r - ZYDIS_REGISTER_CR0);
			} else if (r >= ZYDIS_REGISTER_DR0 && r <= ZYDIS_REGISTER_DR15) {
				d->kind[k] = OK_DR;
				d->reg[k] = (uint8_t)(r - ZYDIS_REGISTER_DR0);
			} else {
				return false;	/* x87, MMX, XMM... */
			}
			if (k < 2)
				*rf = d->reg[k];
			break;
		}
		case ZYDIS_OPERAND_TYPE_MEMORY:
			d->kind[k] = OK_MEM;
			i->flags |= INSN_MEM;
			i->base = mem_reg(o->mem.base);
			i->index = mem_reg(o->mem.index);
			i->scale = o->mem.scale == 8 ? 3 : o->mem.scale == 4 ? 2
				 : o->mem.scale == 2 ? 1 : 0;
			i->disp = o->mem.disp.has_displacement ? (uint32_t)o->mem.disp.value : 0;
			i->seg = seg_of(o->mem.segment);
			break;
		case ZYDIS_OPERAND_TYPE_IMMEDIATE:
			d->kind[k] = OK_IMM;
			if (nimm++ == 0)
				i->imm = (uint32_t)o->imm.value.u;
			else
				i->imm2 = (uint32_t)o->imm.value.u;
			break;
		case ZYDIS_OPERAND_TYPE_POINTER:
			d->kind[k] = OK_PTR;
			i->imm = o->ptr.offset;
			i->imm2 = o->ptr.segment;
			break;
		default:
			return false;
		}
	}
	return true;
}

/* Whether the instruction must end its block (see insn.h). */
static bool ends_block(const ZydisDecodedInstruction *zi, const struct dec *d)
{
	switch (zi->meta.category) {
	case ZYDIS_CATEGORY_COND_BR:
	case ZYDIS_CATEGORY_UNCOND_BR:
	case ZYDIS_CATEGORY_CALL:
	case ZYDIS_CATEGORY_RET:
	case ZYDIS_CATEGORY_INTERRUPT:
	case ZYDIS_CATEGORY_SYSTEM:
	case ZYDIS_CATEGORY_IO:
	case ZYDIS_CATEGORY_IOSTRINGOP:
		return true;
	default:
		break;
	}
	switch (zi->mnemonic) {
	case ZYDIS_MNEMONIC_POPF: case ZYDIS_MNEMONIC_POPFD: case ZYDIS_MNEMONIC_STI:
	case ZYDIS_MNEMONIC_CLI: case ZYDIS_MNEMONIC_LSS: case ZYDIS_MNEMONIC_LOOP:
	case ZYDIS_MNEMONIC_LOOPE: case ZYDIS_MNEMONIC_LOOPNE: case ZYDIS_MNEMONIC_JCXZ:
	case ZYDIS_MNEMONIC_JECXZ: case ZYDIS_MNEMONIC_UD2: case ZYDIS_MNEMONIC_BOUND:
	case ZYDIS_MNEMONIC_CPUID: case ZYDIS_MNEMONIC_WRMSR: case ZYDIS_MNEMONIC_RDMSR:
		return true;
	case ZYDIS_MNEMONIC_MOV:
	case ZYDIS_MNEMONIC_POP:
		/* MOV/POP SS open an interrupt shadow; CR/DR moves change modes. */
		return (d->kind[0] == OK_SREG && d->reg[0] == SEG_SS) ||
		       d->kind[0] == OK_CR || d->kind[0] == OK_DR || d->kind[1] == OK_CR;
	default:
		return false;
	}
}

static void bind_one(struct insn *i, ZyanStatus st, const ZydisDecodedInstruction *zi,
		     const ZydisDecodedOperand *ops)
{
	struct dec d = { 0 };

	memset(i, 0, sizeof(*i));
	i->len = 1;
	i->flags = INSN_END;
	if (st == ZYDIS_STATUS_INSTRUCTION_TOO_LONG) {
		i->fn = op_gp0;
		return;
	}
	i->fn = op_ud;
	if (!ZYAN_SUCCESS(st)) {
		i->mnem = ZYDIS_MNEMONIC_INVALID;
		return;
	}
	i->flags = 0;
	if (!summarize(i, &d, zi, ops)) {
		i->fn = zi->meta.category == ZYDIS_CATEGORY_X87_ALU ? op_x87 : op_ud;
		i->flags |= INSN_END;
		return;
	}
	if (ends_block(zi, &d))
		i->flags |= INSN_END;
	if (zi->meta.isa_ext == ZYDIS_ISA_EXT_X87 || zi->meta.category == ZYDIS_CATEGORY_X87_ALU) {
		i->fn = zi->mnemonic == ZYDIS_MNEMONIC_FWAIT ? op_wait : op_x87;
		i->flags |= INSN_END;
		return;
	}
	const struct binder *b = by_mnem[zi->mnemonic];
	/* LOCK is #UD unless the instruction accepts it with a memory destination. */
	bool lock_ok = !(i->flags & INSN_LOCK) ||
		       ((zi->attributes & ZYDIS_ATTRIB_ACCEPTS_LOCK) && d.kind[0] == OK_MEM);
	if (!b || !lock_ok || !b->bind(i, &d, b->arg)) {
		i->fn = op_ud;
		i->flags |= INSN_END;
	}
}

static ZyanStatus zdecode(uint8_t mode, const uint8_t *buf, unsigned avail,
			  ZydisDecodedInstruction *zi, ZydisDecodedOperand *ops)
{
	return ZydisDecoderDecodeFull(mode ? &dec32 : &dec16, buf, avail, zi, ops);
}

unsigned decode_block(struct cpu *c, struct insn *out, unsigned max, const uint8_t *code,
		      unsigned avail, uint8_t mode, bool *need_more, uint32_t *bytes)
{
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	unsigned n = 0, off = 0;

	*need_more = false;
	while (n < max && off < avail) {
		ZyanStatus st = zdecode(mode, code + off, avail - off, &zi, ops);
		if (st == ZYDIS_STATUS_NO_MORE_DATA) {
			*need_more = true;
			break;
		}
		bind_one(&out[n], st, &zi, ops);
		off += out[n].len;
		c->ctr.insns_decoded++;
		if (out[n++].flags & INSN_END)
			break;
	}
	*bytes = off;
	return n;
}

bool decode_one(struct cpu *c, struct insn *out, const uint8_t *buf, unsigned avail,
		uint8_t mode)
{
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	ZyanStatus st = zdecode(mode, buf, avail, &zi, ops);

	c->ctr.insns_decoded++;
	bind_one(out, st == ZYDIS_STATUS_NO_MORE_DATA ? ZYDIS_STATUS_DECODING_ERROR : st, &zi,
		 ops);
	out->flags |= INSN_END;
	return ZYAN_SUCCESS(st);
}

/*
 * A monitor decodes the instruction behind every exit; the same few
 * instructions (a kernel's CLI, its device register reads) exit again and
 * again. Their decoded forms are kept, keyed by the bytes themselves, so
 * the cache can never be stale: decoding is a function of the bytes.
 */
#define EMU_CACHE_SLOTS 1024
#define EMU_KEY_BYTES	15

struct emu_cache_slot {
	uint8_t key[EMU_KEY_BYTES];
	uint8_t avail;		/* 0: empty */
	bool code32;
	struct emu_insn e;
};

static struct emu_cache_slot emu_cache[EMU_CACHE_SLOTS];

static unsigned emu_hash(const uint8_t *buf, unsigned n, bool code32)
{
	uint32_t h = 2166136261u ^ code32;

	for (unsigned k = 0; k < n; k++)
		h = (h ^ buf[k]) * 16777619u;
	return (h ^ h >> 15) & (EMU_CACHE_SLOTS - 1);
}

static bool emu_decode_uncached(const uint8_t *buf, unsigned avail, bool code32,
				struct emu_insn *out);

bool emu_decode(const uint8_t *buf, unsigned avail, bool code32, struct emu_insn *out)
{
	unsigned n = avail < EMU_KEY_BYTES ? avail : EMU_KEY_BYTES;
	struct emu_cache_slot *s = &emu_cache[emu_hash(buf, n, code32)];

	if (n && s->avail == n && s->code32 == code32 && !memcmp(s->key, buf, n)) {
		*out = s->e;
		return true;
	}
	if (!emu_decode_uncached(buf, avail, code32, out))
		return false;
	if (n) {
		memcpy(s->key, buf, n);
		s->avail = (uint8_t)n;
		s->code32 = code32;
		s->e = *out;
	}
	return true;
}

static bool emu_decode_uncached(const uint8_t *buf, unsigned avail, bool code32,
				struct emu_insn *out)
{
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	struct insn i = { 0 };
	struct dec d = { 0 };

	memset(out, 0, sizeof(*out));
	if (!ZYAN_SUCCESS(zdecode(code32, buf, avail, &zi, ops)) || !summarize(&i, &d, &zi, ops))
		return false;
	out->mnem = i.mnem;
	out->len = i.len;
	out->opsz = i.opsz;
	out->a16 = i.flags & INSN_A16;
	out->rep = i.flags & INSN_REP;
	out->repne = i.flags & INSN_REPNE;
	out->far = zi.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR;
	out->n = d.n;
	for (unsigned k = 0; k < d.n; k++) {
		out->kind[k] = (enum emu_kind)d.kind[k];
		out->size[k] = d.size[k];
		out->reg[k] = d.reg[k];
	}
	out->base = i.base;
	out->index = i.index;
	out->scale = i.scale;
	out->seg = i.seg;
	out->disp = i.disp;
	out->imm = i.imm;
	out->imm2 = i.imm2;
	return true;
}

uint32_t emu_ea(const struct cpu *c, const struct emu_insn *e)
{
	uint32_t a = c->r[e->base] + (c->r[e->index] << e->scale) + e->disp;
	return e->a16 ? a & 0xffff : a;
}
