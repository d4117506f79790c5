/*
 * The host-CPU oracle: a small native program that executes one instruction
 * per record read from stdin on the real CPU and writes the registers,
 * EFLAGS and memory window that result. Built and run by tests/unit/oracle.h;
 * the record layout is in oracle_proto.h.
 *
 * It runs the instruction in 64-bit mode, because this host cannot run
 * 32-bit code at all (its kernel has IA-32 emulation off: no 32-bit code
 * segment in the GDT, none accepted in an LDT). That is sound for the
 * cases the tests give it: the SDM defines 8-, 16- and 32-bit operations
 * identically in 64-bit mode, a 32-bit result only also clears bits 63:32
 * (never compared), and every register is loaded zero-extended, so [reg]
 * addresses and the string registers mean the same in both modes. Cases
 * avoid what differs (see oracle.h): one-byte INC/DEC (REX prefixes here),
 * [disp32] without SIB (RIP-relative here), 16-bit addressing, FS/GS, and
 * the instructions invalid in 64-bit mode (those are answered #UD here).
 *
 * Each case runs in a stub generated for it: save the callee-saved
 * registers, load EFLAGS and seven general registers with absolute (SIB)
 * addressing, run the instruction, store them back, restore. A fault (#DE
 * as SIGFPE, #UD as SIGILL, a memory fault as SIGSEGV/SIGBUS) is reported
 * with the registers of the signal frame: the state the CPU left when it
 * refused the instruction.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "tests/unit/oracle_proto.h"

#if !defined(__x86_64__)
#error "the oracle runs on an x86-64 host"
#endif

/* Everything the stub addresses lives below 2 GiB (MAP_32BIT), where a
 * sign-extended disp32 reaches it. */
struct lowdata {
	struct oracle_in in;
	uint64_t out_r[8];
	uint64_t in_fl, out_fl, saved_rsp;
	uint8_t code[512];
};

static struct lowdata *low;
static struct oracle_out out;
static sigjmp_buf env;

static const int greg_of[8] = { REG_RAX, REG_RCX, REG_RDX, REG_RBX,
				REG_RSP, REG_RBP, REG_RSI, REG_RDI };

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
	const greg_t *g = ((ucontext_t *)ctx)->uc_mcontext.gregs;

	(void)si;
	for (int r = 0; r < 8; r++)
		out.r[r] = (uint32_t)g[greg_of[r]];
	out.eflags = (uint32_t)g[REG_EFL];
	out.fault = sig == SIGFPE ? 0 : sig == SIGILL ? 6 : ORACLE_MEM_FAULT;
	siglongjmp(env, 1);
}

static uint8_t *put32(uint8_t *p, const void *addr)
{
	uint32_t v = (uint32_t)(uintptr_t)addr;
	memcpy(p, &v, 4);
	return p + 4;
}

/* op ModRM(reg, [disp32] through SIB), the mode-independent absolute form */
static uint8_t *abs_op(uint8_t *p, unsigned rex, unsigned op, unsigned reg, const void *addr)
{
	if (rex)
		*p++ = (uint8_t)rex;
	*p++ = (uint8_t)op;
	*p++ = (uint8_t)(reg << 3 | 4);
	*p++ = 0x25;
	return put32(p, addr);
}

static void build_stub(void)
{
	static const uint8_t save[] = { 0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56,
					0x41, 0x57 };	/* push rbx, rbp, r12-r15 */
	static const uint8_t restore[] = { 0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c,
					   0x5d, 0x5b, 0xc3 };
	uint8_t *p = low->code;

	memcpy(p, save, sizeof(save));
	p += sizeof(save);
	p = abs_op(p, 0x48, 0x89, 4, &low->saved_rsp);		/* mov [saved], rsp */
	p = abs_op(p, 0, 0xff, 6, &low->in_fl);			/* push qword [in_fl] */
	*p++ = 0x9d;						/* popfq */
	for (unsigned r = 0; r < 8; r++)
		if (r != 4)
			p = abs_op(p, 0, 0x8b, r, &low->in.r[r]);	/* mov r32, [..] */
	memcpy(p, low->in.code, low->in.len);
	p += low->in.len;
	*p++ = 0x9c;						/* pushfq */
	p = abs_op(p, 0, 0x8f, 0, &low->out_fl);		/* pop qword [out_fl] */
	for (unsigned r = 0; r < 8; r++)
		if (r != 4)
			p = abs_op(p, 0x48, 0x89, r, &low->out_r[r]);	/* mov [..], r64 */
	*p++ = 0xfc;						/* cld: the ABI wants DF = 0 */
	p = abs_op(p, 0x48, 0x8b, 4, &low->saved_rsp);		/* mov rsp, [saved] */
	memcpy(p, restore, sizeof(restore));
}

int main(void)
{
	struct sigaction sa;
	uint8_t *win = (uint8_t *)(uintptr_t)ORACLE_MEM;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);

	low = mmap(NULL, sizeof(*low), PROT_READ | PROT_WRITE | PROT_EXEC,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	void *w = mmap((void *)(uintptr_t)ORACLE_MAP_BASE, ORACLE_MAP_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (low == MAP_FAILED || w != (void *)(uintptr_t)ORACLE_MAP_BASE) {
		fprintf(stderr, "oracle_host: cannot map the stub or the memory window\n");
		return 1;
	}

	while (fread(&low->in, sizeof(low->in), 1, stdin) == 1) {
		if (low->in.len > sizeof(low->in.code)) {
			fprintf(stderr, "oracle_host: bad record\n");
			return 1;
		}
		low->in_fl = (low->in.eflags & ORACLE_FLAGS_IN) | 2;
		memset(&out, 0, sizeof(out));
		out.fault = ORACLE_NO_FAULT;
		memcpy(win, low->in.mem, ORACLE_MEM_SIZE);
		build_stub();
		if (sigsetjmp(env, 1) == 0) {
			((void (*)(void))(uintptr_t)low->code)();
			for (unsigned r = 0; r < 8; r++)
				out.r[r] = (uint32_t)low->out_r[r];
			out.eflags = (uint32_t)low->out_fl;
		}
		out.r[4] = low->in.r[4];
		memcpy(out.mem, win, ORACLE_MEM_SIZE);
		if (fwrite(&out, sizeof(out), 1, stdout) != 1)
			return 1;
	}
	return 0;
}
