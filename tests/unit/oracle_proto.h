/*
 * Record layout shared by the host-CPU oracle (tests/unit/oracle/
 * oracle_host.c) and its client in the unit tests (oracle.h): fixed-width
 * fields only, written and read by the same host.
 *
 * A case is one instruction's bytes with the general registers, EFLAGS and
 * a window of memory at ORACLE_MEM; memory operands address that window
 * (absolute or through a register). ESP is never loaded: the instruction
 * runs on the helper's own stack and must not use it.
 */
#ifndef TESTS_ORACLE_PROTO_H
#define TESTS_ORACLE_PROTO_H

#include <stdint.h>

/* Inside the test machine's RAM, and free in a Linux process. */
#define ORACLE_MEM 0x00300000u
#define ORACLE_MEM_SIZE 256u
/* Mapped around the window, so stray accesses near it do not fault. */
#define ORACLE_MAP_BASE 0x002f0000u
#define ORACLE_MAP_SIZE 0x00020000u

/* EFLAGS bits a case may set on input: the arithmetic flags and DF. */
#define ORACLE_FLAGS_IN 0x00000cd5u

enum { ORACLE_NO_FAULT = -1, ORACLE_MEM_FAULT = 13 };

struct oracle_in {
	uint8_t code[16];
	uint32_t len;
	uint32_t r[8];			/* EAX..EDI; r[4] (ESP) is ignored */
	uint32_t eflags;
	uint32_t defined;		/* flags to compare (client side only) */
	uint8_t mem[ORACLE_MEM_SIZE];
};

struct oracle_out {
	uint32_t r[8];			/* at the end, or at the fault */
	uint32_t eflags;
	int32_t fault;			/* ORACLE_NO_FAULT, or 0 #DE, 6 #UD, 13 memory */
	uint8_t mem[ORACLE_MEM_SIZE];
};

_Static_assert(sizeof(struct oracle_in) == 16 + 4 + 32 + 8 + ORACLE_MEM_SIZE, "layout");
_Static_assert(sizeof(struct oracle_out) == 32 + 8 + ORACLE_MEM_SIZE, "layout");

#endif
