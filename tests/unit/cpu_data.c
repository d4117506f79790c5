/*
 * Data movement, flag and condition instructions (ops_data.c, ops_ctrl.c)
 * against the host CPU (oracle.h): LAHF/SAHF, CLC/STC/CMC, CLD/STD; SETcc,
 * CMOVcc and Jcc under every combination of the condition flags; LOOP,
 * LOOPE, LOOPNE, JECXZ; MOVZX/MOVSX, CBW/CWDE/CWD/CDQ, XCHG, LEA address
 * arithmetic (wrapping at 2^32, truncated to 16 bits) and XLAT. Flags are
 * compared in full: none of these leaves one undefined.
 */
#include "tests/unit/oracle.h"

TestSuite(cpu_data);

/* The 32 states of CF, PF, ZF, SF, OF (AF does not enter conditions). */
static uint32_t flag_combo(unsigned k)
{
	return (k & 1 ? EFLAGS_CF : 0) | (k & 2 ? EFLAGS_PF : 0) | (k & 4 ? EFLAGS_ZF : 0) |
	       (k & 8 ? EFLAGS_SF : 0) | (k & 16 ? EFLAGS_OF : 0);
}

static struct oracle_in *add(struct oset *s, const uint8_t *code, unsigned len, uint32_t fin,
			     uint64_t *rnd)
{
	struct oracle_in *c = oset_code(s, code, len, fin, OF_ALL | EFLAGS_DF);

	for (unsigned r = 0; r < 8; r++)
		c->r[r] = orand(rnd);
	for (unsigned k = 0; k < ORACLE_MEM_SIZE; k++)
		c->mem[k] = (uint8_t)orand(rnd);
	c->r[REG_ESI] = ORACLE_MEM + 16;
	return c;
}

/* LAHF, SAHF (with every AH), CLC, STC, CMC, CLD, STD. */
Test(cpu_data, flag_instructions)
{
	static const uint8_t ops[] = { 0x9f, 0x9e, 0xf8, 0xf9, 0xf5, 0xfc, 0xfd };
	struct oset s = { 0 };
	uint64_t rnd = 51;

	for (unsigned o = 0; o < sizeof(ops); o++)
		for (unsigned k = 0; k < 256; k++) {
			uint32_t fin = (orand(&rnd) & OF_ALL) | (k & 1 ? EFLAGS_DF : 0);
			struct oracle_in *c = add(&s, &ops[o], 1, fin, &rnd);
			c->r[REG_EAX] = (c->r[REG_EAX] & ~0xff00u) | k << 8;
		}
	oracle_check(&s);
	oset_free(&s);
}

/* SETcc to a register and to memory, for all 16 conditions and all 32
 * flag states. */
Test(cpu_data, setcc_all_conditions)
{
	struct oset s = { 0 };
	uint64_t rnd = 52;

	for (unsigned cc = 0; cc < 16; cc++)
		for (unsigned k = 0; k < 32; k++)
			for (unsigned mem = 0; mem <= 1; mem++) {
				/* CL, CH or [esi] */
				uint8_t rm = mem ? 6 : k & 4 ? 5 : 1;
				uint8_t code[] = { 0x0f, (uint8_t)(0x90 + cc),
						   modrm(mem ? 0 : 3, 0, rm) };
				add(&s, code, 3, flag_combo(k), &rnd);
			}
	oracle_check(&s);
	oset_free(&s);
}

/* CMOVcc, 16- and 32-bit, register and memory sources, every condition and
 * flag state: moved or not, and the untouched destination kept. */
Test(cpu_data, cmovcc_all_conditions)
{
	struct oset s = { 0 };
	uint64_t rnd = 53;

	for (unsigned cc = 0; cc < 16; cc++)
		for (unsigned k = 0; k < 32; k++)
			for (unsigned v = 0; v < 4; v++) {
				uint8_t code[4];
				unsigned len = 0;
				if (v & 1)
					code[len++] = 0x66;
				code[len++] = 0x0f;
				code[len++] = (uint8_t)(0x40 + cc);
				code[len++] = v & 2 ? modrm(0, 2, 6) : modrm(3, 2, 3);
				add(&s, code, len, flag_combo(k), &rnd);
			}
	oracle_check(&s);
	oset_free(&s);
}

/* MOVZX/MOVSX from 8- and 16-bit registers and memory into 16/32-bit
 * registers, on sign-edge values. */
Test(cpu_data, movzx_movsx)
{
	static const uint8_t forms[][4] = {
		{ 3, 0x0f, 0xb6 }, { 3, 0x0f, 0xb7 }, { 3, 0x0f, 0xbe }, { 3, 0x0f, 0xbf },
		{ 4, 0x66, 0x0f, 0xb6 }, { 4, 0x66, 0x0f, 0xbe },
	};
	struct oset s = { 0 };
	uint64_t rnd = 54;

	for (unsigned f = 0; f < sizeof(forms) / sizeof(forms[0]); f++)
		for (unsigned k = 0; k < ORACLE_NEDGES * 2; k++) {
			uint8_t code[5];
			unsigned len = forms[f][0] - 1;
			memcpy(code, forms[f] + 1, len);
			/* source: BL/BX, BH (byte forms), or [esi] */
			bool byte_src = (forms[f][len] & 1) == 0;
			unsigned rm = k % 3 == 2 ? 6 : (k % 3 == 1 && byte_src) ? 7 : 3;
			code[len++] = modrm(k % 3 == 2 ? 0 : 3, 0, rm);
			struct oracle_in *c = add(&s, code, len, 0, &rnd);
			uint32_t v = oracle_edges[k % ORACLE_NEDGES];
			v ^= k >= ORACLE_NEDGES ? 0x80 : 0;
			c->r[REG_EBX] = v;
			memcpy(c->mem + 16, &v, 4);
		}
	oracle_check(&s);
	oset_free(&s);
}

/* CBW, CWDE, CWD, CDQ on sign edges. */
Test(cpu_data, sign_extensions)
{
	static const uint8_t forms[][3] = {
		{ 2, 0x66, 0x98 }, { 1, 0x98 }, { 2, 0x66, 0x99 }, { 1, 0x99 },
	};
	struct oset s = { 0 };
	uint64_t rnd = 55;

	for (unsigned f = 0; f < 4; f++)
		for (unsigned k = 0; k < ORACLE_NEDGES; k++) {
			struct oracle_in *c = add(&s, forms[f] + 1, forms[f][0], 0, &rnd);
			c->r[REG_EAX] = oracle_edges[k] ^ (k & 1 ? 0xffff0000u : 0);
		}
	oracle_check(&s);
	oset_free(&s);
}

/* XCHG register/register, register/memory (either order), XCHG eAX, r. */
Test(cpu_data, xchg)
{
	struct oset s = { 0 };
	uint64_t rnd = 56;

	for (unsigned sz = 1; sz <= 4; sz *= 2)
		for (unsigned form = 0; form < 4; form++) {
			uint8_t code[4];
			unsigned len = 0;
			if (form == 3 && sz == 1)
				continue;
			if (sz == 2)
				code[len++] = 0x66;
			/* xchg ecx, ebx; xchg [esi], ebx; xchg eax, edi; xchg eax, ebx (93) */
			static const uint8_t rms[] = { 0xd9, 0x1e, 0xf8 };
			if (form == 3) {
				code[len++] = 0x93;
			} else {
				code[len++] = (uint8_t)(0x86 + (sz != 1));
				code[len++] = rms[form];
			}
			for (unsigned k = 0; k < 8; k++)
				add(&s, code, len, 0, &rnd);
		}
	oracle_check(&s);
	oset_free(&s);
}

/* LEA: base + index * scale + displacement, wrapping at 2^32, truncated
 * for a 16-bit destination; SIB forms with and without a base. */
Test(cpu_data, lea_address_arithmetic)
{
	static const uint8_t forms[][8] = {
		{ 3, 0x8d, 0x04, 0x8b },			/* lea eax, [ebx + ecx*4] */
		/* lea eax, [ebx + ecx*8 + disp32] */
		{ 7, 0x8d, 0x84, 0xcb, 0x78, 0x56, 0x34, 0x92 },
		{ 4, 0x8d, 0x44, 0x4d, 0x80 },		/* lea eax, [ebp + ecx*2 - 128] */
		{ 7, 0x8d, 0x04, 0x4d, 0xff, 0xff, 0xff, 0xff },	/* lea eax, [ecx*2 - 1] */
		{ 3, 0x8d, 0x46, 0x7f },			/* lea eax, [esi + 127] */
		{ 4, 0x66, 0x8d, 0x04, 0x8b },		/* lea ax, [ebx + ecx*4] */
		{ 3, 0x8d, 0x3c, 0x3f },			/* lea edi, [edi + edi] */
	};
	struct oset s = { 0 };
	uint64_t rnd = 57;

	for (unsigned f = 0; f < sizeof(forms) / sizeof(forms[0]); f++)
		for (unsigned k = 0; k < ORACLE_NEDGES * 2; k++) {
			struct oracle_in *c = add(&s, forms[f] + 1, forms[f][0], 0, &rnd);
			if (k < ORACLE_NEDGES)
				c->r[REG_ECX] = oracle_edges[k];
		}
	oracle_check(&s);
	oset_free(&s);
}

/* XLAT: AL <- [EBX + AL], for every AL. */
Test(cpu_data, xlat)
{
	static const uint8_t code[] = { 0xd7 };
	struct oset s = { 0 };
	uint64_t rnd = 58;

	for (unsigned al = 0; al < 256; al++) {
		struct oracle_in *c = add(&s, code, 1, 0, &rnd);
		c->r[REG_EAX] = (c->r[REG_EAX] & ~0xffu) | al;
		c->r[REG_EBX] = ORACLE_MEM;
	}
	oracle_check(&s);
	oset_free(&s);
}

/* Jcc rel8 and rel32, every condition and flag state; each case jumps over
 * an INC EDI in its own bytes, so the branch shows in the registers. */
Test(cpu_data, jcc_all_conditions)
{
	struct oset s = { 0 };

	for (unsigned cc = 0; cc < 16; cc++)
		for (unsigned k = 0; k < 32; k++) {
			uint8_t short_form[] = { (uint8_t)(0x70 + cc), 2, 0xff, 0xc7 };
			uint8_t near_form[] = { 0x0f, (uint8_t)(0x80 + cc), 2, 0, 0, 0, 0xff, 0xc7 };
			oset_code(&s, short_form, sizeof(short_form), flag_combo(k), OF_ALL);
			oset_code(&s, near_form, sizeof(near_form), flag_combo(k), OF_ALL);
		}
	oracle_check(&s);
	oset_free(&s);
}

/* LOOP, LOOPE, LOOPNE and JECXZ with ECX of 0, 1, 2 and -1, ZF both ways:
 * the decrement (never a flag change) and the branch. */
Test(cpu_data, loop_family)
{
	static const uint32_t counts[] = { 0, 1, 2, 0xffffffffu, 0x10000 };
	struct oset s = { 0 };

	for (unsigned op = 0; op < 4; op++)
		for (unsigned n = 0; n < sizeof(counts) / sizeof(counts[0]); n++)
			for (unsigned k = 0; k < 32; k += 3) {
				uint8_t code[] = { (uint8_t)(0xe0 + op), 2, 0xff, 0xc7 };
				struct oracle_in *c = oset_code(&s, code, sizeof(code),
								flag_combo(k), OF_ALL);
				c->r[REG_ECX] = counts[n];
			}
	oracle_check(&s);
	oset_free(&s);
}
