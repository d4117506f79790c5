/*
 * Conformance runtime: the scaffolding every conformance kernel links with.
 *
 * A kernel defines RT_KERNEL("name") and kmain(); the runtime boots it from
 * Multiboot v1, installs a flat GDT, an IDT whose 256 vectors all reach one
 * dispatcher, a TSS for ring 3 -> ring 0 stack switches, remaps and masks the
 * PICs, then calls kmain() and prints the summary line.
 *
 * Output convention: one "PASS <check>" or "FAIL <check>: got X expected Y"
 * line per check, then "<kernel>: N passed, M failed". The exit value written
 * to the isa-debug-exit port (0xf4) is 0 when every check passed, 1 otherwise.
 *
 * Selectors, descriptor and control-register names follow the Intel SDM
 * vol. 3, chapters 2-7.
 */
#ifndef CONFORMANCE_RT_H
#define CONFORMANCE_RT_H

#include <stdarg.h>

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Exception vectors (SDM vol. 3, 6.3.1); F = fault, T = trap, A = abort. */
#define X86_EXC_DE	0	/* F */
#define X86_EXC_DB	1	/* F/T */
#define X86_EXC_NMI	2
#define X86_EXC_BP	3	/* T */
#define X86_EXC_OF	4	/* T */
#define X86_EXC_BR	5	/* F */
#define X86_EXC_UD	6	/* F */
#define X86_EXC_NM	7	/* F */
#define X86_EXC_DF	8	/* A, error code 0 */
#define X86_EXC_TS	10	/* F, error code */
#define X86_EXC_NP	11	/* F, error code */
#define X86_EXC_SS	12	/* F, error code */
#define X86_EXC_GP	13	/* F, error code */
#define X86_EXC_PF	14	/* F, error code */
#define X86_EXC_MF	16
#define X86_EXC_AC	17	/* F, error code */

/* Vector of the DPL-3 gate through which ring-3 code hands back control. */
#define RT_VEC_USER_EXIT 0x81
/* PIC vector bases chosen by the runtime. */
#define RT_VEC_PIC1	0x20
#define RT_VEC_PIC2	0x28

#define EFLAGS_CF	0x00000001
#define EFLAGS_FIXED	0x00000002
#define EFLAGS_PF	0x00000004
#define EFLAGS_AF	0x00000010
#define EFLAGS_ZF	0x00000040
#define EFLAGS_SF	0x00000080
#define EFLAGS_TF	0x00000100
#define EFLAGS_IF	0x00000200
#define EFLAGS_DF	0x00000400
#define EFLAGS_OF	0x00000800
#define EFLAGS_IOPL	0x00003000
#define EFLAGS_IOPL3	0x00003000
#define EFLAGS_NT	0x00004000
#define EFLAGS_RF	0x00010000
#define EFLAGS_AC	0x00040000
#define EFLAGS_ID	0x00200000
/* The six status flags (SDM vol. 1, 3.4.3.1). */
#define EFLAGS_STATUS	(EFLAGS_CF | EFLAGS_PF | EFLAGS_AF | EFLAGS_ZF | \
			 EFLAGS_SF | EFLAGS_OF)

#define CR0_PE		0x00000001
#define CR0_MP		0x00000002
#define CR0_EM		0x00000004
#define CR0_TS		0x00000008
#define CR0_ET		0x00000010
#define CR0_NE		0x00000020
#define CR0_WP		0x00010000
#define CR0_AM		0x00040000
#define CR0_PG		0x80000000

#define CR4_TSD		0x00000004
#define CR4_DE		0x00000008
#define CR4_PSE		0x00000010
#define CR4_PGE		0x00000080

/* 32-bit paging entries (SDM vol. 3, 4.3). */
#define PTE_P		0x001
#define PTE_W		0x002
#define PTE_U		0x004
#define PTE_PWT		0x008
#define PTE_PCD		0x010
#define PTE_A		0x020
#define PTE_D		0x040
#define PDE_PS		0x080
#define PTE_G		0x100

/* #PF error code bits (SDM vol. 3, 4.7). */
#define PF_P		0x1
#define PF_W		0x2
#define PF_U		0x4

/* Segment-descriptor access byte (SDM vol. 3, 3.4.5). */
#define DESC_P		0x80
#define DESC_DPL(n)	((n) << 5)
#define DESC_S		0x10
#define SEG_DATA_RO	0x0
#define SEG_DATA_RW	0x2
#define SEG_DATA_RO_ED	0x4
#define SEG_DATA_RW_ED	0x6
#define SEG_CODE_X	0x8
#define SEG_CODE_XR	0xa
#define SEG_CODE_XC	0xc
#define SEG_CODE_XRC	0xe
#define SEG_ACCESSED	0x1
/* System descriptor and gate types (SDM vol. 3, 3.5). */
#define SYS_LDT		0x2
#define SYS_TSS32	0x9
#define SYS_TSS32_BUSY	0xb
#define SYS_CALL_GATE32	0xc
#define SYS_TASK_GATE	0x5
#define SYS_INT_GATE32	0xe
#define SYS_TRAP_GATE32	0xf
/* Flags nibble: granularity and default operand size. */
#define DESC_G		0x8
#define DESC_DB		0x4

/* GDT layout owned by the runtime; slots from GDT_FREE on belong to kernels. */
#define SEL_KCODE	0x08
#define SEL_KDATA	0x10
#define SEL_UCODE	0x1b
#define SEL_UDATA	0x23
#define SEL_TSS		0x28
#define SEL_LDT		0x30
#define GDT_FREE	7
#define GDT_ENTRIES	32
#define LDT_ENTRIES	16
#define SEL(idx, rpl)	(((idx) << 3) | (rpl))
#define SEL_TI		0x4

#define MSR_IA32_TSC		0x10
#define MSR_IA32_APIC_BASE	0x1b

#define PIT_HZ		1193182

/* Register state saved by the common exception entry, lowest address first. */
struct rt_frame {
	u32 gs, fs, es, ds;
	u32 edi, esi, ebp, esp_dummy, ebx, edx, ecx, eax;
	u32 vector, err;
	u32 eip, cs, eflags;
	u32 esp, ss;		/* pushed only on a privilege change */
};

/* What the default handler recorded about the last exception. */
struct rt_trap {
	u32 count;
	u32 vector, err, eip, cs, eflags, cr2;
	u32 esp, ss;		/* valid when (cs & 3) != 0 */
};

struct rt_tss {
	u16 link, r0;
	u32 esp0;
	u16 ss0, r1;
	u32 esp1;
	u16 ss1, r2;
	u32 esp2;
	u16 ss2, r3;
	u32 cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
	u16 es, r4, cs, r5, ss, r6, ds, r7, fs, r8, gs, r9, ldt, r10;
	u16 trap, iomap_base;
	u8 iomap[8192 + 1];
} __attribute__((packed));

struct rt_dtr {
	u16 limit;
	u32 base;
} __attribute__((packed));

typedef int (*rt_handler_t)(struct rt_frame *f);

extern const char rt_name[];
#define RT_KERNEL(name)	const char rt_name[] = name

void kmain(void);

extern u64 rt_gdt[GDT_ENTRIES];
extern u64 rt_ldt[LDT_ENTRIES];
extern u64 rt_idt[256];
extern struct rt_tss rt_tss;
extern volatile struct rt_trap rt_trap;
extern volatile u32 rt_resume;
extern u32 rt_isr_stubs[];
extern u8 rt_kstack0_top[];
extern u8 rt_ustack_top[];

/* console.c */
void rt_putc(char c);
void rt_printf(const char *fmt, ...);
void rt_vprintf(const char *fmt, va_list ap);
int rt_check(u32 got, u32 exp, const char *fmt, ...);
int rt_check_rf(u32 got, u32 gflags, u32 exp, u32 eflags, const char *fmt, ...);
int rt_check64(u64 got, u64 exp, const char *fmt, ...);
void rt_check_trap(const char *name, u32 vector, u32 err, u32 eip);
void rt_fail(const char *fmt, ...);
void rt_pass(const char *fmt, ...);
void __attribute__((noreturn)) rt_exit(u32 value);
void __attribute__((noreturn)) rt_done(void);

/* desc.c */
u64 rt_seg_desc(u32 base, u32 limit, u32 access, u32 flags);
u64 rt_gate_desc(u16 sel, u32 offset, u32 type, u32 dpl, u32 params);
void rt_set_gate(int vec, u32 type, u32 dpl, u16 sel, u32 offset);
void rt_set_isr_gate(int vec, u32 type, u32 dpl);
void rt_set_handler(int vec, rt_handler_t h);
void rt_load_ldt(u32 entries);
void rt_reload_tr(void);
void rt_trap_reset(void);
void rt_pic_unmask(int irq);
void rt_pic_eoi(int irq);
void rt_init(u32 magic);

/* desc.c: one identity map of the first 16 MiB in 4 KiB pages. */
extern u32 rt_pd[1024];
extern u32 rt_pt[4][1024];
void rt_paging_identity(u32 pte_flags);
void rt_paging_off(void);

/* entry.S: runs fn(arg) at CPL 3 with the given EFLAGS, returns its value. */
u32 rt_user_call(u32 (*fn)(u32), u32 arg, u32 eflags);

/*
 * Runs the instructions in `insns`; an exception they raise resumes right
 * after them. `at` (an lvalue) receives the address of the first
 * instruction; registers the instructions change go in the extra arguments
 * as clobbers.
 */
#define RT_TRY(at, insns, ...)						\
	asm volatile("movl $.Lrt_end%=, rt_resume\n\t"			\
		     "movl $.Lrt_at%=, %0\n"				\
		     ".Lrt_at%=:\t" insns "\n.Lrt_end%=:\n\t"		\
		     "movl $0, rt_resume"				\
		     : "=m"(at) : : "memory", "cc", ##__VA_ARGS__)

static inline void outb(u16 port, u8 v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline u8 inb(u16 port)
{
	u8 v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u32 read_eflags(void)
{
	u32 v;

	asm volatile("pushfl; popl %0" : "=r"(v));
	return v;
}

static inline void write_eflags(u32 v)
{
	asm volatile("pushl %0; popfl" : : "r"(v) : "cc", "memory");
}

#define DEFINE_CR(n)							\
static inline u32 read_cr##n(void)					\
{									\
	u32 v;								\
	asm volatile("movl %%cr" #n ", %0" : "=r"(v));			\
	return v;							\
}									\
static inline void write_cr##n(u32 v)					\
{									\
	asm volatile("movl %0, %%cr" #n : : "r"(v) : "memory");	\
}
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)

static inline void invlpg(u32 va)
{
	asm volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}

static inline void wrmsr(u32 msr, u64 v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
}

static inline u64 rdtsc(void)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}

static inline void cpuid(u32 leaf, u32 *a, u32 *b, u32 *c, u32 *d)
{
	asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
		     : "a"(leaf), "c"(0));
}

static inline u16 read_ds(void)
{
	u16 v;

	asm volatile("movw %%ds, %0" : "=r"(v));
	return v;
}

static inline void *rt_memset(void *d, int c, u32 n)
{
	u8 *p = d;

	while (n--)
		*p++ = c;
	return d;
}

#endif
