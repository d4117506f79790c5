/*
 * Conditional control transfer (ops_ctrl.c) against the host CPU
 * (oracle.h): Jcc (short and near forms) under all 32 states of the
 * condition flags, LOOP/LOOPE/LOOPNE with ECX around 0 and 1, and JECXZ.
 * Each case jumps over an INC ECX or EDI inside its own bytes, so whether
 * the branch was taken shows in the registers.
 */
#include "tests/unit/oracle.h"

TestSuite(cpu_ctrl);

static uint32_t flag_combo(unsigned k)
{
	return (k & 1 ? EFLAGS_CF : 0) | (k & 2 ? EFLAGS_PF : 0) | (k & 4 ? EFLAGS_ZF : 0) |
	       (k & 8 ? EFLAGS_SF : 0) | (k & 16 ? EFLAGS_OF : 0);
}

/* Jcc rel8 and Jcc rel32, every condition and flag state. */
Test(cpu_ctrl, jcc_all_conditions)
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
Test(cpu_ctrl, loop_family)
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
