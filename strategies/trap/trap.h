/*
 * Trap-and-emulate with ring compression, private parts shared by the
 * files of strategies/trap. See trap.c for the design.
 */
#ifndef VMM_STRATEGIES_TRAP_H
#define VMM_STRATEGIES_TRAP_H

#include "core/cpu/emu.h"
#include "core/cpu/seg.h"
#include "core/mon/gmem.h"
#include "core/mon/model.h"
#include "core/mon/vm.h"

/* The monitor's linear window: the top 4 MiB, kept out of every guest
 * segment by truncated limits (the VMware layout). */
#define WINDOW_BASE 0xffc00000u
#define WIN_GDT (WINDOW_BASE)			/* 64 KiB: all 8192 slots */
#define WIN_TSS (WINDOW_BASE + 0x10000u)	/* the monitor's TSS */
#define WIN_IDT (WINDOW_BASE + 0x11000u)	/* the physical IDT (events come as hooks) */
#define MON_TSS_SEL 0xfff8u			/* GDT slot 8191 */
#define MON_LDT_SEL 0xfff0u			/* GDT slot 8190: the shadow LDT */
#define MON_PAGES 20				/* GDT 16, TSS, IDT, LDT, window PT */
#define MON_LDT_PAGE 18
#define MON_WPT_PAGE 19

#define WIN_LDT (WINDOW_BASE + MON_LDT_PAGE * 0x1000u)
#define MAX_TABLE_PAGES 17		/* a 64 KiB table not page-aligned */

/* A guest descriptor table (GDT or LDT) whose pages are traced. */
struct traced_table {
	uint32_t lin;			/* linear base when traced */
	uint32_t gpfn[MAX_TABLE_PAGES];	/* guest page of each linear page, or ~0 */
	unsigned npages;
};

struct trap {
	uint32_t mon;			/* machine address of monitor page 0 */
	struct traced_table gdt, ldt;
	bool stepping;			/* a traced write is being single-stepped */
	bool guest_tf;			/* the guest's own TF during a step */
	int vdelivering;		/* vector being delivered virtually, or -1 */
	unsigned nesting;
	/* The window lent to the guest for one instruction: the segment
	 * registers given the guest's limits (bit per SEG_*), their physical
	 * caches before, and the limits they were given. */
	unsigned lent;
	struct seg lent_seg[6];
	uint32_t lent_limit[6];
	/* The guest's own limit of each segment register the monitor loaded
	 * (valid while the register still holds that selector and base), and
	 * of each descriptor in the shadow GDT and LDT before it was cut: the
	 * guest's tables may not be readable when the window is lent. */
	struct { bool valid; uint16_t sel; uint32_t base, limit; } vseg[6];
	uint32_t gdt_limit[8190], ldt_limit[PAGE_SIZE / 8];
	bool bt;			/* kernel code runs translated (binxlate) */
};

extern const struct cpu_virt_ops trap_cpu;
/* Virtual CPL of each physical one under ring compression. */
extern const uint8_t trap_vcpl_of[4];

static inline struct trap *trap_of(struct vm *vm)
{
	return vm->cpu_priv;
}

/* Physical RPL/CPL of a virtual one: the guest kernel runs in ring 1. */
static inline unsigned p_rpl(unsigned v) { return v == 0 ? 1 : v; }
static inline unsigned v_rpl(unsigned p) { return p == 1 ? 0 : p; }

/* trap.c */
bool guest_desc(struct vm *vm, uint16_t sel, struct desc *d);
void shadow_gdt_sync(struct vm *vm);
void shadow_gdt_entry(struct vm *vm, unsigned index);
/* Rebuilds the shadow LDT from the guest's (after LLDT) and points the
 * physical LDTR at it. */
void shadow_ldt_sync(struct vm *vm);
void load_phys_seg(struct vm *vm, unsigned sreg, uint16_t vsel, struct desc d);
void load_phys_null(struct vm *vm, unsigned sreg, uint16_t vsel);
void set_vcpl(struct vm *vm, unsigned vcpl);
uint32_t virt_eflags(struct vm *vm);
void set_virt_eflags(struct vm *vm, uint32_t f, uint32_t mask);
uint16_t virt_sel(struct vm *vm, unsigned sreg);

/* deliver.c */
/* Delivers an event to the guest through its own IDT; false if the guest
 * is gone (triple fault, unsupported), the CPU is then stopped. */
void vdeliver(struct vm *vm, enum cpu_event_kind kind, unsigned vec, bool has_err,
	      uint32_t err, uint32_t eip);
/* Reflects a fault of the instruction at EIP into the guest (an exit). */
void vfault(struct vm *vm, unsigned vec, uint32_t err);
void vpage_fault(struct vm *vm, const struct gfault *f);
/* IRET / RET far on the virtual CPU; false if the guest faulted instead
 * (the fault is reflected) or the run stopped. */
bool emulate_iret(struct vm *vm, unsigned opsz);
bool emulate_far_return(struct vm *vm, unsigned opsz, uint16_t extra);
bool emulate_far_transfer(struct vm *vm, uint16_t sel, uint32_t off, bool call, unsigned opsz,
			  uint32_t ret_eip);

/* emulate.c */
/* Reads and decodes the guest instruction at CS:EIP through the guest's
 * own tables; false if it cannot be read or is no valid instruction. */
bool guest_insn(struct vm *vm, struct emu_insn *e);
/* Emulates the instruction at EIP that raised #GP (or #NP for a user code
 * load) if the virtual CPU allows it; false: reflect the fault. */
bool emulate(struct vm *vm, unsigned vec, uint32_t err);
/* A guest access at lin that reached device memory; false if the
 * instruction is not one the monitor emulates on MMIO. */
bool emulate_mmio(struct vm *vm, uint32_t lin, bool write);
/* Emulates the segment load (MOV/POP Sreg, LDS/LES/LFS/LGS/LSS) at EIP
 * whatever fault it raised; false if it is none. */
bool emulate_segment_load(struct vm *vm);

#endif
