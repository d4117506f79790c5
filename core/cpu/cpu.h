/*
 * The simulated IA-32 CPU: a P6-class integer processor in protected mode
 * (Intel SDM vols. 2 and 3A), without x87/SSE/MMX.
 *
 * How it runs: code is decoded once (Zydis) into blocks of pre-decoded
 * instructions with their handlers bound, cached by physical address and
 * dropped when their page is written. Arithmetic flags are lazy (flags.h).
 * Memory goes through segmentation, then a software TLB of host pointers
 * for speed; that software TLB only ever holds translations the modeled TLB
 * (mmu/tlb.h) also holds, so the modeled hit/miss counts stay exact while
 * hits run at host speed. An exception unwinds the current instruction with
 * longjmp, so instructions commit architectural state only after their last
 * possible fault.
 *
 * Time: one retired instruction is one nanosecond of modeled time (a 1 GHz
 * CPU with CPI 1); HLT skips to the next timer deadline. The same guest run
 * thus takes interrupts at the same instruction on every host.
 *
 * The CPU knows nothing about monitors. Events a monitor may want (every
 * exception and interrupt before delivery, sensitive unprivileged
 * instructions, intercepted instruction classes) go through struct
 * cpu_hooks; with no monitor the CPU delivers through its own IDT.
 */
#ifndef VMM_CPU_CPU_H
#define VMM_CPU_CPU_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/cpu/x86.h"
#include "core/dev/clock.h"
#include "core/mmu/phys.h"
#include "core/mmu/tlb.h"

struct cpu;
struct insn;
struct code_cache;

struct cpu_counters {
#define CTR(name, unit, desc) uint64_t name;
#include "core/cpu/cpu_counters.def"
#undef CTR
};

struct ctr_desc {
	const char *name, *unit, *desc;
	unsigned offset;
};
extern const struct ctr_desc cpu_counter_descs[];

/* A segment register: the visible selector and the descriptor cache. */
struct seg {
	uint16_t sel;
	uint16_t attr;		/* DESC_* layout, see x86.h */
	uint32_t base;
	uint32_t limit;		/* in bytes, granularity applied */
	/* Derived on load for the per-access check: offsets off with
	 * lo <= off and off - lo + size - 1 <= span are valid. span < 0: no
	 * access of that kind (null selector, execute-only, read-only). */
	uint32_t lo;
	int64_t rspan, wspan;
};

struct dtr {
	uint32_t base;
	uint16_t limit;
};

enum cpu_event_kind {
	CPU_EV_EXCEPTION,	/* fault, trap or abort raised by an instruction */
	CPU_EV_INTERRUPT,	/* external interrupt (INTR) */
	CPU_EV_SOFTINT,		/* INT n, INT3, INTO */
};

struct cpu_event {
	enum cpu_event_kind kind;
	uint8_t vector;
	bool has_err;
	uint32_t err;
	uint32_t eip;		/* EIP to push: the faulting insn, or the next one */
};

/* Sensitive unprivileged instructions (Robin & Irvine, 2000) seen at CPL > 0. */
enum cpu_sensitive {
	SENS_POPF,		/* POPF whose IF or IOPL change was silently dropped */
	SENS_PUSHF,
	SENS_MOV_FROM_SEG,	/* MOV r/m, Sreg showing CS or SS */
	SENS_PUSH_SEG,		/* PUSH CS/SS */
	SENS_SGDT,
	SENS_SIDT,
	SENS_SLDT,
	SENS_STR,
	SENS_SMSW,
	SENS_LAR,
	SENS_LSL,
	SENS_VERR,
	SENS_VERW,
	SENS_IRET,		/* IRET whose IF or IOPL change was dropped */
	SENS_COUNT
};
extern const char *const cpu_sensitive_names[SENS_COUNT];

/* Instruction classes a monitor may intercept (hardware-assisted style). */
enum cpu_intercept {
	ICPT_IO = 1u << 0,
	ICPT_HLT = 1u << 1,
	ICPT_CPUID = 1u << 2,
	ICPT_CR_WRITE = 1u << 3,
	ICPT_CR_READ = 1u << 4,
	ICPT_INVLPG = 1u << 5,
	ICPT_MSR = 1u << 6,	/* RDMSR */
	ICPT_DT = 1u << 7,	/* LGDT, LIDT, LLDT, LTR */
	ICPT_MSR_WRITE = 1u << 8,	/* WRMSR */
};

/* What a monitor made of a nested-paging fault (npt_fault). */
enum npt_result {
	NPT_RETRY,	/* the nested table now maps the page: walk again */
	NPT_DEVICE,	/* the address is device memory (or nothing): access the bus */
};

struct cpu_hooks {
	/* Platform: port I/O, MMIO, interrupt acknowledge. */
	void *platform;
	uint32_t (*pio_read)(void *platform, uint16_t port, unsigned size);
	void (*pio_write)(void *platform, uint16_t port, unsigned size, uint32_t v);
	uint32_t (*mmio_read)(void *platform, uint32_t pa, unsigned size);
	void (*mmio_write)(void *platform, uint32_t pa, unsigned size, uint32_t v);
	int (*intr_ack)(void *platform);
	/* WRMSR to IA32_APIC_BASE: the local APIC follows its enable bit. */
	void (*apic_base_written)(void *platform, uint32_t value);

	/* Monitor: all optional. */
	void *monitor;
	/* Called before delivering an event; true: the monitor took it. */
	bool (*event)(void *monitor, struct cpu *c, const struct cpu_event *ev);
	void (*sensitive)(void *monitor, struct cpu *c, enum cpu_sensitive s, uint32_t value);
	/* For classes in cpu.intercepts, called before executing the
	 * instruction (EIP at it, privilege checks passed): true when the
	 * monitor emulated it (and advanced EIP), false to execute it. */
	bool (*intercept)(void *monitor, struct cpu *c, enum cpu_intercept k,
			  const struct insn *i);
	/* A block of n instructions at physical pa was decoded (cached from
	 * now on, until its page is written). */
	void (*block_decoded)(void *monitor, struct cpu *c, uint32_t pa, unsigned n);
	/* Nested paging: guest-physical gpa has no translation in the nested
	 * table (an EPT violation); the access is retried or goes to the bus. */
	enum npt_result (*npt_fault)(void *monitor, struct cpu *c, uint32_t gpa, bool write);
};

enum cpu_stop {
	CPU_RUNNING,
	CPU_STOP_REQUESTED,	/* cpu_request_stop (debug exit, monitor) */
	CPU_STOP_BUDGET,	/* the instruction budget is spent */
	CPU_STOP_HALTED,	/* HLT that nothing can ever wake */
	CPU_STOP_TRIPLE_FAULT,
	CPU_STOP_UNSUPPORTED,	/* the guest left what is modelled (see stop_msg) */
};

/* Modeled TLB geometry; defaults are a P6's (Pentium Pro/II). */
struct cpu_tlb_config {
	unsigned dtlb_entries, dtlb_ways;
	unsigned dtlb4m_entries, dtlb4m_ways;
	unsigned itlb_entries, itlb_ways;
	unsigned itlb4m_entries, itlb4m_ways;
};

struct cpu_config {
	struct cpu_tlb_config tlb;
	bool isa_virtualizable;	/* every sensitive instruction traps at CPL > 0 */
	bool apic;		/* the platform has a local APIC (CPUID.01H:EDX.APIC) */
};

#define STLB_BITS 12
#define STLB_SIZE (1u << STLB_BITS)

/* Soft-TLB entry: host pointer = addend + linear address. 32 bytes, so an
 * index is one shift. */
struct stlb_entry {
	uint32_t tag_r, tag_w, tag_x;	/* linear page, or 1 when invalid */
	uint32_t ppage;			/* physical page number */
	uintptr_t addend;
	uintptr_t pad;
};

struct cpu {
	/* Hot state first. r[8] always reads 0: an absent base or index. */
	uint32_t r[9];
	uint32_t eip;
	uint32_t eflags;	/* everything but the lazy arithmetic flags */
	uint32_t lf_res, lf_aux;
	struct seg seg[SEG_COUNT];
	unsigned cpl;
	struct stlb_entry *stlb;	/* stlb_tab[cpl == 3] */
	const struct insn *insn_end;	/* current block's end; lowered to stop early */
	const struct insn *blk_start;	/* the running block's first instruction */
	uint32_t chain_epoch;		/* bumped when block links may be stale */
	uint64_t insns;			/* retired instructions */
	uint64_t rep_iters;		/* iterations of unfinished REP parts (spend budget) */
	uint64_t insn_limit;		/* stop the fast loop here (events, budget) */
	struct cpu_counters ctr;

	struct dtr gdtr, idtr;
	uint32_t cr0, cr2, cr3, cr4;
	uint32_t dr[8];
	uint64_t tsc_offset;
	uint32_t apic_base;

	bool intr_line;		/* INTR pin */
	bool intr_held;		/* a monitor holds INTR back (the guest's virtual IF is clear) */
	bool halted;
	uint64_t halt_ns;	/* modeled time in the current halt */
	uint64_t shadow_until;	/* interrupts inhibited until this insn count */
	uint64_t db_shadow_until; /* MOV/POP SS also hold off single-step traps */
	/* P6 performance counters (PerfEvtSel0/1, PerfCtr0/1) */
	uint32_t perfevtsel[2];
	uint64_t perfctr[2];
	uint64_t perf_base[2][4];	/* per-CPL instruction counts at the last write */
	unsigned intercepts;	/* enum cpu_intercept bits */
	unsigned sens_fault_cpls;	/* bit n: sensitive instructions #GP at CPL n */
	uint32_t icpt_elems;	/* ICPT_IO: the elements the instruction moves (REP: ECX) */
	/* Nested paging (cpu_set_nested): every guest-physical address, those
	 * of the guest's page-table entries too, is translated through the
	 * 2-level table at machine address ncr3 (AMD NPT, Intel EPT). */
	bool nested;
	uint32_t ncr3;
	uint32_t ram_limit;	/* translated addresses from here on are device space */
	enum cpu_stop stop;
	char stop_msg[160];
	uint64_t insns_at_cpl_switch;	/* for per-CPL instruction counts */

	/* Exception delivery state (double/triple fault logic). */
	jmp_buf unwind;
	int delivering;		/* vector being delivered, -1 if none */
	bool in_double_fault;

	struct cpu_config cfg;
	struct cpu_hooks hooks;
	struct phys *phys;
	struct clock *clock;		/* modeled time; clock->insns is &insns */

	struct tlb_model dtlb, dtlb4m, itlb, itlb4m;
	struct code_cache *cc;
	struct stlb_entry stlb_tab[2][STLB_SIZE];
};

/* Allocates and resets a CPU over machine memory; NULL with err on failure. */
struct cpu *cpu_new(struct phys *phys, struct clock *clock, const struct cpu_config *cfg,
		    char *err, size_t errlen);
void cpu_free(struct cpu *c);
void cpu_default_config(struct cpu_config *cfg);

/* Power-on/reset state adjusted for protected mode; see cpu.c. */
void cpu_reset(struct cpu *c);

/* Runs until something stops the CPU or `budget` instructions retire. */
enum cpu_stop cpu_run(struct cpu *c, uint64_t budget);
void cpu_request_stop(struct cpu *c, enum cpu_stop why, const char *msg);

/* INTR pin, as driven by the interrupt controller (struct intr_pin). */
void cpu_set_intr(void *cpu, int level);

/* Architectural EFLAGS with the lazy flags folded in; and the setter. */
uint32_t cpu_get_eflags(const struct cpu *c);
void cpu_set_eflags(struct cpu *c, uint32_t v);

/* Modeled TSC: retired instructions + skipped time + TSC offset. */
uint64_t cpu_tsc(const struct cpu *c);

/* Per-CPL instruction counts are folded in lazily; call before reading. */
void cpu_sync_counters(struct cpu *c);

/* Register/segment dump for the end-of-run report (exit status 3). */
void cpu_dump(const struct cpu *c, FILE *f);

/* Debug translation: no A/D updates, no faults, no counts. -1: unmapped. */
int64_t cpu_debug_translate(struct cpu *c, uint32_t lin);

#endif
