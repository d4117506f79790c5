/*
 * Exit reasons and monitor counters. Reasons that exist in hardware carry
 * the SDM's basic exit reason number (vol. 3C appendix C); reasons that
 * only a software monitor has sit at 100 and above. Every run counts exits
 * by reason and the modeled cycles spent in them (for the perf-kvm-stat
 * style table: samples, min, max, total).
 */
#ifndef VMM_MON_EXITS_H
#define VMM_MON_EXITS_H

#include <stdint.h>

#include "core/cpu/cpu.h"

/* X(name, number, description) */
#define EXIT_REASONS(X)                                                                   \
	X(EXCEPTION_NMI, 0, "guest exception reflected into the guest")                 \
	X(EXTERNAL_INTERRUPT, 1, "device interrupt injected into the guest")            \
	X(TRIPLE_FAULT, 2, "guest triple fault")                                        \
	X(INTERRUPT_WINDOW, 7, "guest opened its interrupt window (STI, IRET)")         \
	X(CPUID, 10, "CPUID")                                                           \
	X(HLT, 12, "HLT")                                                               \
	X(INVLPG, 14, "INVLPG")                                                         \
	X(RDTSC, 16, "RDTSC")                                                           \
	X(CR_ACCESS, 28, "MOV to/from CR0-CR4, CLTS, LMSW")                             \
	X(DR_ACCESS, 29, "MOV to/from a debug register")                                \
	X(IO_INSTRUCTION, 30, "IN, OUT, INS, OUTS")                                     \
	X(MSR_READ, 31, "RDMSR")                                                        \
	X(MSR_WRITE, 32, "WRMSR")                                                       \
	X(GDTR_IDTR_ACCESS, 46, "LGDT, LIDT")                                           \
	X(LDTR_TR_ACCESS, 47, "LLDT, LTR")                                              \
	X(EPT_VIOLATION, 48, "nested-paging fault")                                     \
	X(WBINVD, 54, "WBINVD, INVD")                                                   \
	X(INTERRUPT_FLAG, 100, "CLI, STI, POPF (interrupt flag emulation)")             \
	X(SEGMENT_LOAD, 101, "segment load that needs the monitor (ring compression)") \
	X(IRET, 102, "IRET emulated by the monitor")                                    \
	X(SOFTWARE_INT, 103, "INT n reflected through the guest's IDT")                 \
	X(SHADOW_HIDDEN_PF, 104, "shadow page-table miss filled by the monitor")       \
	X(SHADOW_PTE_WRITE, 105, "guest write to a traced page-table page")             \
	X(SENSITIVE, 106, "sensitive instruction trapped (virtualizable ISA)")          \
	X(MMIO, 107, "MMIO access emulated by the monitor")                             \
	X(BT_CALLOUT, 108, "binary translator callout")                                 \
	X(DESC_TABLE_WRITE, 109, "guest write to a traced GDT/LDT page")                \
	X(WINDOW_ACCESS, 110, "guest access to the monitor's window (top 4 MiB), stepped")

enum exit_reason {
#define X(name, num, desc) EXIT_##name,
	EXIT_REASONS(X)
#undef X
	EXIT_COUNT
};

extern const char *const exit_reason_names[EXIT_COUNT];
extern const unsigned exit_reason_numbers[EXIT_COUNT];
extern const char *const exit_reason_descs[EXIT_COUNT];

struct exit_stat {
	uint64_t count;
	double cycles;			/* modeled cycles spent in these exits */
	double min, max;		/* per exit, modeled cycles */
};

/* Monitor counters: CTR(field, unit, description), as for the CPU. */
#define MON_COUNTERS(CTR)                                                                  \
	CTR(exits, "exits", "exits to the monitor")                                     \
	CTR(emulated, "insns", "guest instructions emulated by the monitor")           \
	CTR(guest_faults, "faults", "page faults reflected into the guest")            \
	CTR(hidden_faults, "faults", "hidden page faults (shadow misses) filled")      \
	CTR(traced_writes, "writes", "guest writes to traced page-table pages")        \
	CTR(desc_traced_writes, "writes", "guest writes to traced GDT/LDT pages (not page tables)") \
	CTR(shadow_syncs, "entries", "shadow entries built or updated from the guest") \
	CTR(shadow_root_hits, "switches", "CR3 switches served from the shadow-root cache") \
	CTR(shadow_root_misses, "switches", "CR3 switches that built a new shadow root") \
	CTR(shadow_flushes, "flushes", "shadow page tables dropped")                   \
	CTR(unshadowed, "pages", "guest page tables no longer shadowed after a write flood") \
	CTR(injected_irqs, "events", "interrupts injected into the guest")             \
	CTR(injected_exceptions, "events", "exceptions reflected into the guest")      \
	CTR(diverged_popf, "insns", "POPF/IRET whose IF/IOPL change the deprivileged guest lost") \
	CTR(diverged_reveal, "insns", "sensitive reads that showed the real machine (CPL, IF/IOPL, the monitor's tables)") \
	CTR(diverged_truncation, "faults", "guest accesses refused only by the monitor's segment truncation") \
	CTR(bt_blocks, "blocks", "guest kernel code blocks translated (binary translation)") \
	CTR(bt_insns, "insns", "guest kernel instructions translated (binary translation)")

struct mon_counters {
#define CTR(name, unit, desc) uint64_t name;
	MON_COUNTERS(CTR)
#undef CTR
	struct exit_stat exit[EXIT_COUNT];
};

extern const struct ctr_desc mon_counter_descs[];

#endif
