/*
 * The guest runtime's kernel-side interface: what a workload's kernel part
 * may call. One image holds the kernel and the ring-3 code of a workload;
 * user.h is the ring-3 side. See workloads/README.md for the memory map,
 * the process model and the system calls.
 */
#ifndef GUEST_KERNEL_H
#define GUEST_KERNEL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "x86.h"
#include "syscall.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Linear address map. The monitor may keep 0xffc00000 and up for itself. */
#define KERNEL_MAP_LIMIT 0x40000000u	/* RAM identity-mapped below this */
#define USER_BASE 0x40000000u		/* demand-zero user space ... */
#define USER_TOP 0xbf000000u		/* ... up to here; the stack ends here */

#define IRQ_BASE 0x20			/* the PIC pair is remapped here */
#define IRQ_TIMER 0
#define IRQ_CASCADE 2
#define IRQ_IDE0 14
#define DEFAULT_HZ 100

/* What the trap stubs push, lowest address first (SDM 6.12.1). */
struct trapframe {
	uint32_t gs, fs, es, ds;
	uint32_t edi, esi, ebp, esp_pusha, ebx, edx, ecx, eax;
	uint32_t vector, error;
	uint32_t eip, cs, eflags;
	uint32_t esp, ss;	/* only when the trap came from ring 3 */
};

static inline int trap_from_user(const struct trapframe *tf)
{
	return (tf->cs & 3) == 3;
}

/* A workload: its name, its command-line parameters and its kernel part. */
struct param {
	const char *key;
	uint32_t *val;
	uint32_t def, min, max;
};

struct workload {
	const char *name;
	const struct param *params;	/* ends with a zero key */
	int (*main)(void);		/* 0: ok; else see fail() */
};

#define WORKLOAD(n, p, m) \
	const struct workload the_workload = { .name = n, .params = p, .main = m }

extern const struct workload the_workload;

/* console.c */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void console_init(void);
void console_write(const char *s, size_t n);
void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* string.c: pure functions, callable from ring 3 too */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

/* main.c */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void __attribute__((noreturn)) machine_exit(uint32_t code);
void __attribute__((noreturn)) panic(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* desc.c */
struct desc_tables {
	uint64_t idt[256];
	uint64_t gdt[GDT_ENTRIES];
	uint8_t pad[PAGE_SIZE - (256 + GDT_ENTRIES) * sizeof(uint64_t)];
};
extern struct desc_tables dt;
extern uint32_t cr0_value;	/* what the kernel last wrote to CR0 */
void desc_init(void);
void cr_init(uint32_t pgdir);
void tss_set_esp0(uint32_t esp0);
uint32_t tss_size(void);

/* trap.c: exception hooks return 1 when they resolved the fault */
typedef int (*trap_hook_t)(struct trapframe *tf);
extern volatile uint32_t ticks;
void trap_init(void);
void trap_set_hook(int vector, trap_hook_t fn);
void irq_unmask(int irq);
void irq_mask(int irq);
uint8_t pic_imr_master(void);
void pit_set_hz(uint32_t hz);
uint16_t pit_read_count(void);
void pit_wait_periods(uint32_t n);

/* vm.c: physical pages, identity-mapped for the kernel */
void mm_init(uint32_t kernel_end, const uint64_t (*ranges)[2], int nranges);
void *page_alloc(void);		/* NULL when out of memory */
void *page_zalloc(void);
void page_free(void *p);
uint32_t mm_free_pages(void);
uint32_t mm_ram_top(void);

/* vm.c: one page directory per address space */
extern uint32_t *kernel_pgdir;
extern uint32_t vm_zero_fills;
void vm_init(void);
uint32_t *vm_create(void);
uint32_t *vm_copy(const uint32_t *src);
void vm_free(uint32_t *pd);
uint32_t *vm_pte(uint32_t *pd, uint32_t va, int alloc);
int vm_map(uint32_t *pd, uint32_t va, uint32_t pa, uint32_t flags);
uint32_t vm_unmap(uint32_t *pd, uint32_t va);
int vm_demand_zero(uint32_t *pd, uint32_t va);
int vm_user_ok(uint32_t *pd, uint32_t va, uint32_t len, int write);
uint32_t vm_user_pages(const uint32_t *pd);
void vm_activate(uint32_t *pd);

/* proc.c */
enum proc_state { P_FREE, P_RUNNABLE, P_RUNNING, P_SLEEPING, P_ZOMBIE };
#define PROC_KILLED 0x100	/* exit status of a process killed by a trap */
#define NPROC 64

struct proc {
	int pid;
	enum proc_state state;
	struct proc *parent;
	uint32_t *pgdir;
	void *kstack;
	uint32_t ctx_esp;
	struct trapframe *tf;
	const void *chan;
	int status;
	int mbox_full;
	int mbox_from;
	uint32_t mbox_val;
};

extern struct proc *current;
void proc_init(void);
int proc_spawn(int (*entry)(uint32_t), uint32_t arg);
int proc_spawn_block(int (*entry)(uint32_t), const void *block, uint32_t len);
int proc_wait(int *status);
/* Waits for the child just spawned as pid (<0: the spawn failed);
 * 0, or fail() naming what went wrong. */
int proc_join(int pid, int *status);
/* 0 when the free page count is back to free_before, else fail(). */
int check_no_leak(uint32_t free_before);
int proc_fork(struct trapframe *tf);
void __attribute__((noreturn)) proc_exit(int status);
void proc_yield(void);
void proc_sleep(const void *chan);
void proc_wakeup(const void *chan);
struct proc *proc_find(int pid);
uint32_t proc_count(void);

/* syscall.c */
typedef int32_t (*syscall_fn_t)(struct trapframe *tf);
void syscall_init(void);
void syscall_dispatch(struct trapframe *tf);
void syscall_register(int nr, syscall_fn_t fn);
int copy_from_user(void *dst, uint32_t src, uint32_t len);
int copy_to_user(uint32_t dst, const void *src, uint32_t len);

/* atadma.c: PCI configuration mechanism #1 */
uint32_t pci_read32(int bus, int dev, int fn, int off);
void pci_write32(int bus, int dev, int fn, int off, uint32_t v);
int pci_find_class(uint8_t cls, uint8_t sub, int *bus, int *dev, int *fn);

/* ata.c, atadma.c: the primary master */
#define ATA_SECTOR 512u
int ata_init(uint32_t *sectors);	/* 0, or -1 when there is no disk */
int ata_pio_read(uint32_t lba, uint32_t count, void *buf);
int ata_pio_write(uint32_t lba, uint32_t count, const void *buf);
int ata_flush(void);
int ata_dma_init(void);
int ata_dma_read(uint32_t lba, uint32_t count, void *const *pages);
int ata_dma_write(uint32_t lba, uint32_t count, void *const *pages);
extern uint32_t ata_irqs;

#endif
