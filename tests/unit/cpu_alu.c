/*
 * The two-operand ALU instructions and INC/DEC/NEG/NOT (ops_arith.c)
 * against the host CPU (oracle.h): every opcode form (r/m,r; r,r/m;
 * AL/eAX,imm; 80/81/83 group), register and memory destinations, 8/16/32
 * bits, edge operands around every carry (bits 3, 7, 15, 31) and random
 * ones, CF in both states. All six flags are compared, except AF after the
 * logical operations (undefined).
 */
#include "tests/unit/oracle.h"

TestSuite(cpu_alu);

enum { ADD, OR, ADC, SBB, AND, SUB, XOR, CMP, TEST };

static uint32_t alu_defined(unsigned op)
{
	return op == AND || op == OR || op == XOR || op == TEST ? OF_ALL & ~EFLAGS_AF : OF_ALL;
}

enum { F_EG, F_GE, F_AI, F_GRP, F_GRP83 };

/* op with operands a (destination) and b in one of the forms; memory forms
 * put the destination (or the source, for r,r/m) at [esi]. */
static void add_alu(struct oset *s, unsigned op, unsigned sz, unsigned form, bool mem,
		    uint32_t a, uint32_t b, uint32_t fin)
{
	uint8_t code[12];
	unsigned len = 0;
	bool wide = sz != 1;

	if (sz == 2)
		code[len++] = 0x66;
	switch (form) {
	case F_EG:	/* op r/m, reg: destination EAX|AL or [esi], source EBX|BL */
		code[len++] = (uint8_t)(op == TEST ? 0x84u + wide : op * 8 + wide);
		code[len++] = mem ? modrm(0, 3, 6) : modrm(3, 3, 0);
		break;
	case F_GE:	/* op reg, r/m: destination EAX|AL, source EBX|BL or [esi] */
		code[len++] = (uint8_t)(op * 8 + 2 + wide);
		code[len++] = mem ? modrm(0, 0, 6) : modrm(3, 0, 3);
		break;
	case F_AI:	/* op AL|eAX, imm */
		code[len++] = (uint8_t)(op == TEST ? 0xa8u + wide : op * 8 + 4 + wide);
		memcpy(code + len, &b, sz);
		len += sz;
		break;
	case F_GRP:	/* 80/81 /op, F6/F7 /0 for TEST */
		code[len++] = (uint8_t)(op == TEST ? 0xf6 + wide : 0x80 + wide);
		code[len++] = modrm(mem ? 0 : 3, op == TEST ? 0 : op, mem ? 6 : 0);
		memcpy(code + len, &b, sz);
		len += sz;
		break;
	default:	/* 83 /op ib, sign-extended */
		code[len++] = 0x83;
		code[len++] = mem ? modrm(0, op, 6) : modrm(3, op, 0);
		code[len++] = (uint8_t)b;
		b = (uint32_t)(int8_t)b;
		break;
	}
	struct oracle_in *c = oset_code(s, code, len, fin, alu_defined(op));
	c->r[REG_EAX] = a;
	c->r[REG_EBX] = b;
	c->r[REG_ECX] = ~a;
	c->r[REG_ESI] = ORACLE_MEM + 4;
	if (mem) {
		uint32_t m = form == F_GE ? b : a;
		memcpy(c->mem + 4, &m, 4);
		c->r[form == F_GE ? REG_EBX : REG_EAX] = 0x5a5a5a5a;
	}
}

/* Every operation and size on edge operands, registers, CF both ways. */
Test(cpu_alu, two_operand_edges)
{
	struct oset s = { 0 };

	for (unsigned op = ADD; op <= CMP; op++)
		for (unsigned sz = 1; sz <= 4; sz *= 2)
			for (unsigned a = 0; a < ORACLE_NEDGES; a++)
				for (unsigned b = 0; b < ORACLE_NEDGES; b++)
					add_alu(&s, op, sz, (a + b) % 2 ? F_EG : F_GE, false,
						oracle_edges[a], oracle_edges[b],
						(a ^ b) & 1 ? EFLAGS_CF : 0);
	oracle_check(&s);
	oset_free(&s);
}

/* Every opcode form, register and memory, random operands and flags. */
Test(cpu_alu, all_forms_random)
{
	struct oset s = { 0 };
	uint64_t rnd = 41;

	for (unsigned op = ADD; op <= TEST; op++)
		for (unsigned sz = 1; sz <= 4; sz *= 2)
			for (unsigned form = F_EG; form <= F_GRP83; form++)
				for (unsigned k = 0; k < 60; k++) {
					if ((op == TEST && (form == F_GE || form == F_GRP83)) ||
					    (form == F_GRP83 && sz == 1))
						continue;
					bool mem = form != F_AI && (k & 1);
					add_alu(&s, op, sz, form, mem, orand(&rnd), orand(&rnd),
						orand(&rnd) & OF_ALL);
				}
	oracle_check(&s);
	oset_free(&s);
}

/* INC, DEC (FE/FF forms), NEG, NOT on registers and memory: CF kept by
 * INC/DEC, NOT changes no flag. */
Test(cpu_alu, unary)
{
	struct oset s = { 0 };
	uint64_t rnd = 42;

	for (unsigned op = 0; op < 4; op++)
		for (unsigned sz = 1; sz <= 4; sz *= 2)
			for (unsigned k = 0; k < ORACLE_NEDGES + 30; k++) {
				/* ModRM reg of INC, DEC, NEG, NOT */
				static const uint8_t reg[] = { 0, 1, 3, 2 };
				uint8_t code[4];
				unsigned len = 0;
				bool mem = k % 3 == 0;
				uint32_t a = oedge(k, &rnd);
				if (sz == 2)
					code[len++] = 0x66;
				code[len++] = (uint8_t)((op < 2 ? 0xfe : 0xf6) + (sz != 1));
				/* ECX|CL, or AH for some byte forms (ESP is the host's) */
				unsigned rm = sz == 1 && (k & 4) ? 4 : 1;
				code[len++] = mem ? modrm(0, reg[op], 6) : modrm(3, reg[op], rm);
				uint32_t f = orand(&rnd) & OF_ALL;
				struct oracle_in *c = oset_code(&s, code, len, f, OF_ALL);
				c->r[REG_ECX] = a;
				c->r[REG_EAX] = a << 8 | (a >> 24);	/* AH: byte forms */
				c->r[REG_ESI] = ORACLE_MEM;
				memcpy(c->mem, &a, 4);
			}
	oracle_check(&s);
	oset_free(&s);
}

/* The one-byte INC/DEC (40-4F) cannot run on the 64-bit host; they must
 * do exactly what FF /0 and FF /1 do, flags included. */
Test(cpu_alu, short_inc_dec_match_group_forms)
{
	struct tm *m = tm_new();
	uint64_t rnd = 43;

	for (unsigned k = 0; k < 400; k++) {
		unsigned r = k % 8 == REG_ESP ? REG_EBP : k % 8, dec = (k / 8) & 1;
		uint8_t one[] = { (uint8_t)(0x40 + 8 * dec + r) };
		uint8_t grp[] = { 0xff, modrm(3, dec, r) };
		struct oracle_in in = { .eflags = orand(&rnd) & OF_ALL };
		struct oracle_out a, b;
		for (unsigned q = 0; q < 8; q++)
			in.r[q] = oedge(k, &rnd);
		memcpy(in.code, one, 1);
		in.len = 1;
		oracle_sim(m, &in, &a);
		memcpy(in.code, grp, 2);
		in.len = 2;
		oracle_sim(m, &in, &b);
		cr_assert_eq(a.fault, ORACLE_NO_FAULT);
		cr_assert_eq(memcmp(a.r, b.r, sizeof(a.r)), 0, "%02x", one[0]);
		cr_assert_eq(a.eflags & OF_ALL, b.eflags & OF_ALL, "%02x", one[0]);
	}
	tm_free(m);
}

/* LOCK is accepted on a memory destination and #UD otherwise; CMP and
 * TEST never take it. */
Test(cpu_alu, lock_prefix_rules)
{
	static const uint8_t codes[][5] = {
		{ 3, 0xf0, 0x01, 0x1e },		/* lock add [esi], ebx */
		{ 3, 0xf0, 0x01, 0xd8 },		/* lock add eax, ebx: #UD */
		{ 3, 0xf0, 0x03, 0x1e },		/* lock add ebx, [esi]: #UD */
		{ 3, 0xf0, 0x39, 0x1e },		/* lock cmp [esi], ebx: #UD */
		{ 3, 0xf0, 0x85, 0x1e },		/* lock test [esi], ebx: #UD */
		{ 4, 0xf0, 0x83, 0x36, 0x05 },		/* lock xor dword [esi], 5 */
		{ 3, 0xf0, 0xff, 0x06 },		/* lock inc dword [esi] */
		{ 3, 0xf0, 0xf7, 0x1e },		/* lock neg dword [esi] */
		{ 3, 0xf0, 0xf7, 0x16 },		/* lock not dword [esi] */
		{ 3, 0xf0, 0x87, 0x1e },		/* lock xchg [esi], ebx */
		{ 3, 0xf0, 0x8b, 0x1e },		/* lock mov ebx, [esi]: #UD */
	};
	struct oset s = { 0 };

	for (unsigned k = 0; k < sizeof(codes) / sizeof(codes[0]); k++) {
		struct oracle_in *c = oset_code(&s, codes[k] + 1, codes[k][0], 0, OF_ALL);
		c->r[REG_ESI] = ORACLE_MEM;
		c->r[REG_EBX] = 0x12345;
		c->mem[0] = 0x77;
	}
	oracle_check(&s);
	oset_free(&s);
}

/* Both operands one register (the XOR/SUB/SBB idioms) and the high-byte
 * registers AH..BH as either operand. */
Test(cpu_alu, same_and_high_byte_registers)
{
	struct oset s = { 0 };
	uint64_t rnd = 44;

	for (unsigned op = ADD; op <= CMP; op++)
		for (unsigned k = 0; k < 64; k++) {
			bool byte = k & 1;
			unsigned reg = (k >> 1) & 7, rm = k & 8 ? reg : (k >> 4) & 7;
			if (!byte && (reg == REG_ESP || rm == REG_ESP))
				continue;
			uint8_t code[] = { (uint8_t)(op * 8 + !byte), modrm(3, reg, rm) };
			struct oracle_in *c = oset_code(&s, code, 2, orand(&rnd) & OF_ALL,
							alu_defined(op));
			for (unsigned r = 0; r < 8; r++)
				c->r[r] = oedge((k + r) % (ORACLE_NEDGES + 4), &rnd);
		}
	oracle_check(&s);
	oset_free(&s);
}
