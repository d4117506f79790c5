/*
 * Step harness of the differential fuzzer (tests/fuzz): a generated kernel is
 * a list of steps, each run by FZ_K (at CPL 0) or FZ_U (at CPL 3) from the
 * registers in fz_in, over an 8-page test area at FZ_BASE whose contents are
 * reseeded by fz_begin; fz_report prints what the step left (registers,
 * segment selectors, the exception it raised, hashes of the test area and of
 * the stacks, what a capture handler saw) as one line that must be the same
 * under QEMU and under every vmmsim strategy. Built on the conformance
 * runtime (tests/conformance/rt).
 */
#ifndef FZ_H
#define FZ_H
#include "rt.h"
struct fz_regs {
	u32 eax, ebx, ecx, edx, esi, edi, ebp, esp, eflags;	/* 0..32 */
	u32 ds, es, fs, ss, cs;					/* 36..52 */
};
extern struct fz_regs fz_in, fz_out;
extern u32 fz_saved_esp, fz_cont, fz_at, fz_mode, fz_aborted;
/* what the capture handlers saw: count, esp, ss, cs, eflags, ds, es, frame[8] */
struct fz_cap { u32 n, esp, ss, cs, fl, ds, es, fs, fr[8]; };
extern struct fz_cap fz_cap;
extern u32 fz_iret_frame[5];
extern u8 fz_stk1[4096], fz_stk2[4096];
extern u32 fz_pt2[1024];
void fz_cap_h(void);		/* captures an INT/gate frame, IRETs */
void fz_iret_mod(void);		/* rewrites its frame from fz_iret_frame, IRETs */
void fz_cg0(void), fz_cg1(void), fz_cg2(void), fz_cg3(void);	/* call-gate targets: capture, load fz_segs, RET n*4 */
extern u32 fz_segs[3];		/* DS, ES, FS the call-gate targets load before returning */
extern u32 fz_farptr[2];	/* offset, selector: the operand of generated LDS/LES/LFS */
void fz_restore_sys(void);
#define FZ_BASE 0x800000u
#define FZ_PAGES 8
#define FZ_SIZE (FZ_PAGES * 4096)
extern u8 fz_kstack[8192];
extern u8 fz_ustack[4096];
extern u32 *fz_pte;	/* PTEs of FZ_BASE.. (rt_pt[2][0..]) */
void fz_begin(u32 seed);
void fz_report(int n, u32 fmask, u32 pflags);
void fz_memdump(void);
u32 fz_hash(const u8 *p, u32 n);
void fz_setup(void);
#define FZ_KSTK ((u32)fz_kstack + 4096)

#define FZ_LOADREGS \
	"movl fz_in+0, %%eax\n\tmovl fz_in+4, %%ebx\n\tmovl fz_in+8, %%ecx\n\t" \
	"movl fz_in+12, %%edx\n\tmovl fz_in+16, %%esi\n\tmovl fz_in+20, %%edi\n\t" \
	"movl fz_in+24, %%ebp\n\t"
#define FZ_SAVEREGS \
	"movl %%eax, %%gs:fz_out+0\n\tmovl %%ebx, %%gs:fz_out+4\n\t" \
	"movl %%ecx, %%gs:fz_out+8\n\tmovl %%edx, %%gs:fz_out+12\n\t" \
	"movl %%esi, %%gs:fz_out+16\n\tmovl %%edi, %%gs:fz_out+20\n\t" \
	"movl %%ebp, %%gs:fz_out+24\n\tmovl %%esp, %%gs:fz_out+28\n\t" \
	"movw %%ds, %%gs:fz_out+36\n\tmovw %%es, %%gs:fz_out+40\n\t" \
	"movw %%fs, %%gs:fz_out+44\n\tmovw %%ss, %%gs:fz_out+48\n\t" \
	"movw %%cs, %%gs:fz_out+52\n\t"

/* Kernel-mode step: instructions run at CPL 0 with fz_in's registers. */
#define FZ_K(insns) asm volatile( \
	"pushal\n\tpushl %%ds\n\tpushl %%es\n\tpushl %%fs\n\t" \
	"movl %%esp, fz_saved_esp\n\t" \
	"movl $9f, rt_resume\n\tmovl $8f, fz_at\n\t" \
	"pushl fz_in+32\n\tpopfl\n\t" \
	FZ_LOADREGS "movl fz_in+28, %%esp\n" \
	"8:\n\t" insns "\n9:\n\t" \
	FZ_SAVEREGS \
	"movw $0x10, %%ax\n\tmovw %%ax, %%ss\n\tmovl %%gs:fz_saved_esp, %%esp\n\t" \
	"pushfl\n\tpopl %%gs:fz_out+32\n\tpushl $2\n\tpopfl\n\t" \
	"movl $0, %%gs:rt_resume\n\t" \
	"popl %%fs\n\tpopl %%es\n\tpopl %%ds\n\tpopal\n\t" : : : "memory", "cc")

/* User-mode step: instructions run at CPL 3 (EFLAGS from fz_in, IOPL included). */
#define FZ_U(insns) asm volatile( \
	"pushal\n\tpushl %%ds\n\tpushl %%es\n\tpushl %%fs\n\t" \
	"movl %%esp, fz_saved_esp\n\t" \
	"movl $7f, fz_cont\n\tmovl $9f, rt_resume\n\tmovl $8f, fz_at\n\tmovl $2, fz_mode\n\t" \
	"movw $0x23, %%ax\n\tmovw %%ax, %%ds\n\tmovw %%ax, %%es\n\tmovw %%ax, %%fs\n\tmovw %%ax, %%gs\n\t" \
	"pushl $0x23\n\tpushl fz_in+28\n\tpushl fz_in+32\n\tpushl $0x1b\n\tpushl $8f\n\t" \
	FZ_LOADREGS "movl fz_in+0, %%eax\n\tiretl\n" \
	"8:\n\t" insns "\n9:\n\t" \
	FZ_SAVEREGS \
	"int $0x82\n" \
	"7:\n\tmovw $0x10, %%ax\n\tmovw %%ax, %%gs\n\tmovl $0, rt_resume\n\tmovl $0, fz_mode\n\t" \
	"popl %%fs\n\tpopl %%es\n\tpopl %%ds\n\tpopal\n\t" : : : "memory", "cc")

#endif
