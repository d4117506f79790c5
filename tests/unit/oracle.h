/*
 * Differential testing against the host CPU, for the cpu_* unit tests.
 *
 * A test builds a table of cases (struct oracle_in: instruction bytes,
 * registers, EFLAGS, a memory window) and calls oracle_check(): every case
 * runs on the real CPU through a helper program (oracle/oracle_host.c,
 * built here with gcc on first use and kept in the build directory), and on
 * the bare test machine; registers, memory, the fault raised and every flag
 * the case marks as defined must agree.
 *
 * The helper executes the bytes in 64-bit mode (this host cannot run 32-bit
 * code; see oracle_host.c for why that is sound), so cases must use
 * encodings that mean the same in both modes:
 *  - INC/DEC as FF /0 and FF /1, never 40-4F (REX prefixes in 64-bit mode);
 *  - memory through a register ([ebx], [esi]...) or [disp32] with a SIB
 *    byte, never ModRM mod 00 r/m 101 (RIP-relative in 64-bit mode);
 *  - no 16-bit addressing (67), no FS/GS overrides, no ESP operands;
 *  - no instruction invalid in 64-bit mode (DAA, AAM, INTO...): those are
 *    checked against a model in their own tests instead.
 *
 * The host is also a different x86 than the modelled P6, so only
 * architecturally defined results are compared; where the SDM leaves a flag
 * undefined the case leaves it out of `defined`.
 *
 * Header-only on purpose: each .c file in tests/unit becomes its own
 * executable, so a shared .c file there would be built as a test.
 */
#ifndef TESTS_ORACLE_H
#define TESTS_ORACLE_H

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/cpu/exec.h"
#include "tests/unit/helpers_cpu.h"
#include "tests/unit/oracle_proto.h"

#define ORACLE_SRC VMMSIM_SOURCE_DIR "/tests/unit/oracle/oracle_host.c"
#define ORACLE_PROTO VMMSIM_SOURCE_DIR "/tests/unit/oracle_proto.h"
#define ORACLE_BIN VMMSIM_BUILD_DIR "/tests/oracle_host"

/* The six arithmetic flags. */
#define OF_ALL (EFLAGS_CF | EFLAGS_PF | EFLAGS_AF | EFLAGS_ZF | EFLAGS_SF | EFLAGS_OF)

/* A growable table of cases. */
struct oset {
	struct oracle_in *c;
	size_t n, cap;
};

static inline struct oracle_in *oset_add(struct oset *s)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 256;
		s->c = realloc(s->c, s->cap * sizeof(*s->c));
		cr_assert_not_null(s->c);
	}
	struct oracle_in *c = &s->c[s->n++];
	memset(c, 0, sizeof(*c));
	return c;
}

/* A case with the given bytes; registers and memory start at zero. */
static inline struct oracle_in *oset_code(struct oset *s, const uint8_t *code, unsigned len,
					  uint32_t eflags, uint32_t defined)
{
	struct oracle_in *c = oset_add(s);

	cr_assert_leq(len, sizeof(c->code));
	memcpy(c->code, code, len);
	c->len = len;
	c->eflags = eflags;
	c->defined = defined;
	return c;
}

static inline void oset_free(struct oset *s)
{
	free(s->c);
	s->c = NULL;
	s->n = s->cap = 0;
}

/* ModRM byte. */
static inline uint8_t modrm(unsigned mod, unsigned reg, unsigned rm)
{
	return (uint8_t)(mod << 6 | (reg & 7) << 3 | (rm & 7));
}

/* Deterministic operands: the same run on every machine. */
static inline uint32_t orand(uint64_t *st)
{
	*st ^= *st << 13;
	*st ^= *st >> 7;
	*st ^= *st << 17;
	return (uint32_t)(*st >> 16);
}

/* Edge operands for a width: around 0, the sign bit, the nibble and byte
 * carries (bits 3, 7, 15, 31) and all-ones. */
static const uint32_t oracle_edges[] __attribute__((unused)) = {
	0, 1, 2, 7, 8, 9, 0xf, 0x10, 0x3f, 0x40, 0x7f, 0x80, 0x81, 0xfe, 0xff, 0x100,
	0x7fff, 0x8000, 0x8001, 0xfffe, 0xffff, 0x10000, 0x7fffffff, 0x80000000u,
	0x80000001u, 0xfffffffeu, 0xffffffffu, 0x12345678, 0x9abcdef0u, 0x0f0f0f0f,
};
#define ORACLE_NEDGES (sizeof(oracle_edges) / sizeof(oracle_edges[0]))

/* Edge operand k, or a random one past the edges. */
static inline uint32_t oedge(unsigned k, uint64_t *rnd)
{
	return k < ORACLE_NEDGES ? oracle_edges[k] : orand(rnd);
}

static inline bool oracle_stale(void)
{
	struct stat b, s, p;

	if (stat(ORACLE_BIN, &b) || stat(ORACLE_SRC, &s) || stat(ORACLE_PROTO, &p))
		return true;
	return b.st_mtime < s.st_mtime || b.st_mtime < p.st_mtime;
}

/* Builds the helper if needed; a temporary name then rename, so that test
 * executables running side by side never see half a binary. */
static inline void oracle_build(void)
{
	char tmp[sizeof(ORACLE_BIN) + 32], cmd[4 * sizeof(ORACLE_BIN) + 256];

	if (!oracle_stale())
		return;
	snprintf(tmp, sizeof(tmp), "%s.%d", ORACLE_BIN, (int)getpid());
	snprintf(cmd, sizeof(cmd), "gcc -O2 -std=gnu11 -I'%s' -o '%s' '%s'",
		 VMMSIM_SOURCE_DIR, tmp, ORACLE_SRC);
	int st = system(cmd);
	cr_assert(st == 0, "cannot build the host-CPU oracle: %s", cmd);
	cr_assert(rename(tmp, ORACLE_BIN) == 0, "cannot install %s", ORACLE_BIN);
}

/* Runs the cases on the host CPU. */
static inline void oracle_host(const struct oracle_in *in, struct oracle_out *out, size_t n)
{
	char outname[] = "/tmp/vmmsim-oracle-XXXXXX", cmd[sizeof(ORACLE_BIN) + 64];
	int fd = mkstemp(outname);

	oracle_build();
	cr_assert_geq(fd, 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "'%s' > '%s'", ORACLE_BIN, outname);
	FILE *p = popen(cmd, "w");
	cr_assert_not_null(p);
	size_t wrote = fwrite(in, sizeof(*in), n, p);
	int st = pclose(p);
	cr_assert(wrote == n && WIFEXITED(st) && WEXITSTATUS(st) == 0, "oracle_host failed");
	FILE *f = fopen(outname, "rb");
	cr_assert_not_null(f);
	size_t got = fread(out, sizeof(*out), n, f);
	fclose(f);
	unlink(outname);
	cr_assert_eq(got, n, "oracle_host answered %zu of %zu cases", got, n);
}

/* Runs one case on the test machine, reusing it from case to case. */
static inline void oracle_sim(struct tm *m, const struct oracle_in *in, struct oracle_out *out)
{
	struct cpu *c = m->cpu;
	uint8_t code[sizeof(in->code) + 1];
	uint32_t esp = c->r[REG_ESP];

	memcpy(code, in->code, in->len);
	code[in->len] = 0xf4;			/* hlt, with IF = 0: ends the run */
	memcpy(c->r, in->r, sizeof(in->r));
	c->r[REG_ESP] = esp;
	cpu_set_eflags(c, (in->eflags & ORACLE_FLAGS_IN) | EFLAGS_FIXED);
	memcpy(m->phys.ram + ORACLE_MEM, in->mem, ORACLE_MEM_SIZE);
	m->nevents = 0;
	c->halted = false;		/* the previous case ended in HLT */

	enum cpu_stop st = tm_run(m, code, in->len + 1, 64);

	memcpy(out->r, c->r, sizeof(out->r));
	out->r[REG_ESP] = in->r[REG_ESP];
	out->eflags = cpu_get_eflags(c);
	memcpy(out->mem, m->phys.ram + ORACLE_MEM, ORACLE_MEM_SIZE);
	if (st == CPU_STOP_HALTED && c->eip == TM_CODE + in->len + 1) {
		out->fault = ORACLE_NO_FAULT;
	} else if (st == CPU_STOP_REQUESTED && m->nevents == 1 && m->ev.eip == TM_CODE) {
		unsigned v = m->ev.vector;
		out->fault = (v == X86_EXC_GP || v == X86_EXC_PF || v == X86_EXC_SS)
			     ? ORACLE_MEM_FAULT : (int32_t)v;
	} else {
		out->fault = -100 - (int32_t)st;	/* never matches the host */
	}
	c->r[REG_ESP] = esp;
}

static inline void oracle_describe(char *buf, size_t len, const struct oracle_in *in)
{
	size_t k = 0;

	k += (size_t)snprintf(buf + k, len - k, "[");
	for (unsigned b = 0; b < in->len && k < len; b++)
		k += (size_t)snprintf(buf + k, len - k, "%s%02x", b ? " " : "", in->code[b]);
	if (k < len)
		snprintf(buf + k, len - k,
			 "] eax=%08x ecx=%08x edx=%08x ebx=%08x ebp=%08x esi=%08x edi=%08x fl=%03x",
			 in->r[0], in->r[1], in->r[2], in->r[3], in->r[5], in->r[6], in->r[7],
			 in->eflags);
}

/* Compares host and simulator; returns the number of mismatching cases and
 * logs the first few with what differs. */
static inline size_t oracle_compare(const struct oracle_in *in, const struct oracle_out *h,
			     const struct oracle_out *s, size_t n)
{
	size_t bad = 0;

	for (size_t k = 0; k < n; k++) {
		char what[160] = "";
		/* A fault commits nothing: every flag must still be the input's. */
		uint32_t mask = h[k].fault == ORACLE_NO_FAULT ? in[k].defined : OF_ALL;

		if (h[k].fault != s[k].fault)
			snprintf(what, sizeof(what), "fault host %d sim %d", h[k].fault,
				 s[k].fault);
		else if (memcmp(h[k].r, s[k].r, sizeof(h[k].r))) {
			for (unsigned r = 0; r < 8; r++)
				if (h[k].r[r] != s[k].r[r]) {
					snprintf(what, sizeof(what), "r%u host %08x sim %08x", r,
						 h[k].r[r], s[k].r[r]);
					break;
				}
		} else if ((h[k].eflags ^ s[k].eflags) & mask)
			snprintf(what, sizeof(what), "flags host %03x sim %03x (compared %03x)",
				 h[k].eflags & 0xfff, s[k].eflags & 0xfff, mask);
		else if (memcmp(h[k].mem, s[k].mem, ORACLE_MEM_SIZE)) {
			for (unsigned b = 0; b < ORACLE_MEM_SIZE; b++)
				if (h[k].mem[b] != s[k].mem[b]) {
					snprintf(what, sizeof(what), "mem+%u host %02x sim %02x", b,
						 h[k].mem[b], s[k].mem[b]);
					break;
				}
		}
		if (!what[0])
			continue;
		if (bad++ < 12) {
			char d[256];
			oracle_describe(d, sizeof(d), &in[k]);
			cr_log_error("%s: %s", d, what);
		}
	}
	return bad;
}

/* Runs a whole table both ways and asserts that they agree. */
static inline void oracle_check(struct oset *s)
{
	struct oracle_out *h = calloc(s->n, sizeof(*h)), *o = calloc(s->n, sizeof(*o));
	struct tm *m = tm_new();

	cr_assert(h && o);
	oracle_host(s->c, h, s->n);
	for (size_t k = 0; k < s->n; k++)
		oracle_sim(m, &s->c[k], &o[k]);
	size_t bad = oracle_compare(s->c, h, o, s->n);
	tm_free(m);
	free(h);
	free(o);
	cr_assert_eq(bad, 0, "%zu of %zu cases differ from the host CPU", bad, s->n);
	if (getenv("ORACLE_VERBOSE"))
		cr_log_info("%zu cases agree with the host CPU", s->n);
}

#endif
