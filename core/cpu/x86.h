/*
 * IA-32 architectural constants, named as in the Intel SDM (vol. 3A unless
 * noted): control registers (2.5), EFLAGS (2.3), exceptions (6.3, table 6-1),
 * descriptors (3.4.5, 5.x), paging structures for 32-bit paging (4.3), MSRs
 * (vol. 4). Nothing here is specific to vmmsim.
 */
#ifndef VMM_CPU_X86_H
#define VMM_CPU_X86_H

/* CR0 (2.5) */
#define CR0_PE (1u << 0)
#define CR0_MP (1u << 1)
#define CR0_EM (1u << 2)
#define CR0_TS (1u << 3)
#define CR0_ET (1u << 4)
#define CR0_NE (1u << 5)
#define CR0_WP (1u << 16)
#define CR0_AM (1u << 18)
#define CR0_NW (1u << 29)
#define CR0_CD (1u << 30)
#define CR0_PG (1u << 31)

/* CR4 (2.5); only what a P6-class CPU without PAE offers here. */
#define CR4_VME (1u << 0)
#define CR4_PVI (1u << 1)
#define CR4_TSD (1u << 2)
#define CR4_DE (1u << 3)
#define CR4_PSE (1u << 4)
#define CR4_PAE (1u << 5)
#define CR4_MCE (1u << 6)
#define CR4_PGE (1u << 7)
#define CR4_PCE (1u << 8)

/* EFLAGS (2.3) */
#define EFLAGS_CF (1u << 0)
#define EFLAGS_FIXED (1u << 1)	/* reads as 1 */
#define EFLAGS_PF (1u << 2)
#define EFLAGS_AF (1u << 4)
#define EFLAGS_ZF (1u << 6)
#define EFLAGS_SF (1u << 7)
#define EFLAGS_TF (1u << 8)
#define EFLAGS_IF (1u << 9)
#define EFLAGS_DF (1u << 10)
#define EFLAGS_OF (1u << 11)
#define EFLAGS_IOPL (3u << 12)
#define EFLAGS_IOPL_SHIFT 12
#define EFLAGS_NT (1u << 14)
#define EFLAGS_RF (1u << 16)
#define EFLAGS_VM (1u << 17)
#define EFLAGS_AC (1u << 18)
#define EFLAGS_VIF (1u << 19)
#define EFLAGS_VIP (1u << 20)
#define EFLAGS_ID (1u << 21)
#define EFLAGS_ARITH (EFLAGS_CF | EFLAGS_PF | EFLAGS_AF | EFLAGS_ZF | EFLAGS_SF | EFLAGS_OF)

/* Exception vectors (table 6-1): F = fault, T = trap, A = abort. */
enum x86_exc {
	X86_EXC_DE = 0,		/* F  divide error */
	X86_EXC_DB = 1,		/* F/T debug */
	X86_EXC_NMI = 2,	/* interrupt */
	X86_EXC_BP = 3,		/* T  INT3 */
	X86_EXC_OF = 4,		/* T  INTO */
	X86_EXC_BR = 5,		/* F  BOUND */
	X86_EXC_UD = 6,		/* F  invalid opcode */
	X86_EXC_NM = 7,		/* F  device not available */
	X86_EXC_DF = 8,		/* A  double fault, error code 0 */
	X86_EXC_TS = 10,	/* F  invalid TSS, error code */
	X86_EXC_NP = 11,	/* F  segment not present, error code */
	X86_EXC_SS = 12,	/* F  stack fault, error code */
	X86_EXC_GP = 13,	/* F  general protection, error code */
	X86_EXC_PF = 14,	/* F  page fault, error code, CR2 */
	X86_EXC_MF = 16,	/* F  x87 error */
	X86_EXC_AC = 17,	/* F  alignment check, error code 0 */
	X86_EXC_MC = 18,	/* A  machine check */
};

/* Page-fault error code (4.7) */
#define PF_ERR_P (1u << 0)
#define PF_ERR_W (1u << 1)
#define PF_ERR_U (1u << 2)
#define PF_ERR_RSVD (1u << 3)
#define PF_ERR_I (1u << 4)

/* Selector error codes (6.13): EXT, IDT, TI */
#define ERR_EXT (1u << 0)
#define ERR_IDT (1u << 1)
#define ERR_TI (1u << 2)

/* 32-bit paging entries (4.3) */
#define PTE_P (1u << 0)
#define PTE_RW (1u << 1)
#define PTE_US (1u << 2)
#define PTE_PWT (1u << 3)
#define PTE_PCD (1u << 4)
#define PTE_A (1u << 5)
#define PTE_D (1u << 6)
#define PTE_PS (1u << 7)	/* in a PDE: 4 MiB page */
#define PTE_G (1u << 8)
#define PDE_4M_RSVD 0x003fe000u	/* bits 21:13 without PSE-36 */

/* Segment selectors (3.4.2) */
#define SEL_RPL 3u
#define SEL_TI 4u
#define SEL_INDEX(s) ((s) >> 3)

/*
 * Descriptor attribute word as kept in a segment register's hidden part:
 * bits 8-15 of the descriptor's high dword (type, S, DPL, P) in bits 0-7,
 * bits 20-23 (AVL, L, D/B, G) in bits 12-15, as in VMX's access-rights
 * format (SDM vol. 3C, 24.4.1).
 */
#define DESC_TYPE_MASK 0x0fu
#define DESC_TYPE_A 0x01u	/* accessed */
#define DESC_TYPE_W 0x02u	/* data: writable */
#define DESC_TYPE_R 0x02u	/* code: readable */
#define DESC_TYPE_E 0x04u	/* data: expand-down */
#define DESC_TYPE_C 0x04u	/* code: conforming */
#define DESC_TYPE_CODE 0x08u
#define DESC_S (1u << 4)	/* code/data (1) or system (0) */
#define DESC_DPL_SHIFT 5
#define DESC_DPL(a) (((a) >> DESC_DPL_SHIFT) & 3)
#define DESC_P (1u << 7)
#define DESC_AVL (1u << 12)
#define DESC_DB (1u << 14)
#define DESC_G (1u << 15)

/* System descriptor types (3.5, table 3-2) */
enum {
	SYS_TSS16_AVAIL = 1,
	SYS_LDT = 2,
	SYS_TSS16_BUSY = 3,
	SYS_CALLGATE16 = 4,
	SYS_TASKGATE = 5,
	SYS_INTGATE16 = 6,
	SYS_TRAPGATE16 = 7,
	SYS_TSS32_AVAIL = 9,
	SYS_TSS32_BUSY = 11,
	SYS_CALLGATE32 = 12,
	SYS_INTGATE32 = 14,
	SYS_TRAPGATE32 = 15,
};

/* MSRs (vol. 4) */
#define MSR_IA32_TSC 0x10u
#define MSR_IA32_APIC_BASE 0x1bu
#define MSR_IA32_SYSENTER_CS 0x174u
#define MSR_IA32_SYSENTER_ESP 0x175u
#define MSR_IA32_SYSENTER_EIP 0x176u
#define MSR_IA32_MISC_ENABLE 0x1a0u
#define APIC_BASE_BSP (1u << 8)
#define APIC_BASE_EN (1u << 11)
#define APIC_BASE_DEFAULT 0xfee00000u

/* General registers, in ModRM order */
enum { REG_EAX, REG_ECX, REG_EDX, REG_EBX, REG_ESP, REG_EBP, REG_ESI, REG_EDI };

/* Segment registers, in ModRM order, then the system segment registers */
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR, SEG_COUNT };

#endif
