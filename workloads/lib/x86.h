/*
 * IA-32 names and one-instruction helpers for the guest runtime, as in the
 * Intel SDM vol. 3A: control registers (2.5), EFLAGS (2.3), exception vectors
 * (6.3), segment descriptors and selectors (3.4), 32-bit paging (4.3), and
 * the port I/O, descriptor-table and TLB instructions the kernel issues.
 * Guest code cannot include the simulator's headers, so the names are
 * repeated here, spelled the same way.
 */
#ifndef GUEST_X86_H
#define GUEST_X86_H

#include <stdint.h>

#define CR0_PE (1u << 0)
#define CR0_MP (1u << 1)
#define CR0_EM (1u << 2)
#define CR0_TS (1u << 3)
#define CR0_ET (1u << 4)
#define CR0_NE (1u << 5)
#define CR0_WP (1u << 16)
#define CR0_PG (1u << 31)

#define EFLAGS_FIXED (1u << 1)
#define EFLAGS_ZF (1u << 6)
#define EFLAGS_IF (1u << 9)
#define EFLAGS_IOPL (3u << 12)
#define EFLAGS_IOPL_SHIFT 12

enum x86_exc {
	X86_EXC_DE = 0,		/* F  divide error */
	X86_EXC_DB = 1,		/* F/T debug */
	X86_EXC_NMI = 2,
	X86_EXC_BP = 3,		/* T  INT3 */
	X86_EXC_OF = 4,		/* T  INTO */
	X86_EXC_BR = 5,
	X86_EXC_UD = 6,
	X86_EXC_NM = 7,
	X86_EXC_DF = 8,		/* A  error code 0 */
	X86_EXC_TS = 10,	/* F  error code */
	X86_EXC_NP = 11,	/* F  error code */
	X86_EXC_SS = 12,	/* F  error code */
	X86_EXC_GP = 13,	/* F  error code */
	X86_EXC_PF = 14,	/* F  error code, CR2 */
	X86_EXC_MF = 16,
	X86_EXC_AC = 17,	/* F  error code */
	X86_EXC_MC = 18,
	X86_EXC_XM = 19,
};

#define PF_ERR_P (1u << 0)
#define PF_ERR_W (1u << 1)
#define PF_ERR_U (1u << 2)

/* 32-bit paging entries (4.3, tables 4-5 and 4-6) */
#define PTE_P (1u << 0)
#define PTE_W (1u << 1)
#define PTE_U (1u << 2)
#define PTE_A (1u << 5)
#define PTE_D (1u << 6)
#define PTE_AVL0 (1u << 9)	/* ignored by the MMU, ours to use */
#define PTE_ADDR 0xfffff000u

#define PAGE_SIZE 4096u
#define PAGE_SHIFT 12
#define PDX(va) ((uint32_t)(va) >> 22)
#define PTX(va) (((uint32_t)(va) >> 12) & 0x3ff)
#define PAGE_ROUND_DOWN(a) ((uint32_t)(a) & ~(PAGE_SIZE - 1))
#define PAGE_ROUND_UP(a) (((uint32_t)(a) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))

/* Segment selectors of the runtime's GDT (index << 3 | TI | RPL) */
#define SEL_RPL(s) ((s) & 3u)
#define GDT_KCODE 1
#define GDT_KDATA 2
#define GDT_UCODE 3
#define GDT_UDATA 4
#define GDT_TSS 5
#define GDT_ENTRIES 6
#define KERNEL_CS (GDT_KCODE << 3)
#define KERNEL_DS (GDT_KDATA << 3)
#define USER_CS ((GDT_UCODE << 3) | 3)
#define USER_DS ((GDT_UDATA << 3) | 3)
#define TSS_SEL (GDT_TSS << 3)

/* Descriptor access byte (3.4.5): P, DPL, S, type */
#define DESC_P 0x80u
#define DESC_DPL(n) ((unsigned)(n) << 5)
#define DESC_S 0x10u
#define DESC_CODE_XRA 0x0bu	/* execute/read, accessed */
#define DESC_DATA_RWA 0x03u	/* read/write, accessed */
#define DESC_TSS32_AVAIL 0x09u
#define DESC_TSS32_BUSY 0x0bu
#define DESC_INTGATE32 0x0eu

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline void insw(uint16_t port, void *buf, uint32_t count)
{
	__asm__ volatile("cld; rep insw"
			 : "+D"(buf), "+c"(count) : "d"(port) : "memory");
}

static inline void outsw(uint16_t port, const void *buf, uint32_t count)
{
	__asm__ volatile("cld; rep outsw"
			 : "+S"(buf), "+c"(count) : "d"(port) : "memory");
}

static inline void cli(void)
{
	__asm__ volatile("cli" : : : "memory");
}

static inline void sti(void)
{
	__asm__ volatile("sti" : : : "memory");
}

/* STI's one-instruction interrupt shadow makes the pair atomic. */
static inline void sti_hlt(void)
{
	__asm__ volatile("sti; hlt" : : : "memory");
}

static inline void hlt(void)
{
	__asm__ volatile("hlt" : : : "memory");
}

static inline uint32_t read_cr0(void)
{
	uint32_t v;

	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline void write_cr0(uint32_t v)
{
	__asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

static inline uint32_t read_cr2(void)
{
	uint32_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline uint32_t read_cr3(void)
{
	uint32_t v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline void write_cr3(uint32_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline void write_cr4(uint32_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static inline void invlpg(const volatile void *va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

struct __attribute__((packed)) dtr {
	uint16_t limit;
	uint32_t base;
};

static inline void lgdt(const struct dtr *d)
{
	__asm__ volatile("lgdt %0" : : "m"(*d));
}

static inline void lidt(const struct dtr *d)
{
	__asm__ volatile("lidt %0" : : "m"(*d));
}

static inline void ltr(uint16_t sel)
{
	__asm__ volatile("ltr %0" : : "r"(sel));
}

static inline void lldt(uint16_t sel)
{
	__asm__ volatile("lldt %0" : : "r"(sel));
}

#endif
