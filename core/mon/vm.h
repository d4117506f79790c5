/*
 * A virtual machine: the simulated pc platform (CPU, machine memory, bus,
 * devices, modeled clock), the guest loaded into it, and the strategy that
 * virtualizes it. vm_create builds and boots, vm_run runs to an outcome,
 * vm_collect_stats names every counter by path.
 */
#ifndef VMM_MON_VM_H
#define VMM_MON_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/boot/multiboot.h"
#include "core/cpu/cpu.h"
#include "core/dev/bus.h"
#include "core/dev/clock.h"
#include "core/dev/pc.h"
#include "core/mmu/phys.h"
#include "core/mon/exits.h"
#include "core/mon/strategy.h"
#include "core/mon/vcpu.h"

struct stats;
struct cost_model;

/* Guest RAM a VM may have, in MiB. */
#define VM_MIN_MIB 2
#define VM_MAX_MIB 3072

struct vm_config {
	const char *kernel;		/* path as the user gave it */
	const char *boot_name;		/* first word of the guest's command line; NULL: kernel */
	const char *cmdline;		/* --append, or NULL */
	uint32_t mem_mib;
	const char *disks[2];
	struct disk_undo *disk_undo[2];	/* see struct pc_config */
	bool disk_replay;
	FILE *serial_out, *serial_in;
	const char *serial_wait;	/* input line k after the k-th sighting; NULL */
	const struct strategy *strategy;
	struct cpu_config cpu;
	uint64_t max_insns;		/* 0: no budget */
	FILE *trace;			/* one line per exit, or NULL */
	const struct cost_model *cost;	/* prices exits as they happen */
};

enum vm_outcome {
	VM_EXITED,		/* the guest wrote the debug-exit port */
	VM_HALTED,		/* HLT that nothing can wake: a clean halt */
	VM_INPUT_DONE,		/* back at the --serial-wait prompt, input all sent */
	VM_BUDGET,		/* --max-insns spent */
	VM_TRIPLE_FAULT,
	VM_UNSUPPORTED,		/* the guest left what is modelled */
};

struct vm_result {
	enum vm_outcome outcome;
	uint32_t exit_value;
	double host_seconds;
	uint64_t host_cycles;	/* PAPI real-time cycles over the run */
	char msg[200];
};

struct vm {
	struct vm_config cfg;
	struct phys phys;
	struct clock clock;
	struct bus bus;
	struct pc_devices pc;
	bool pc_up;
	struct cpu *cpu;
	struct boot_state boot;
	const struct strategy *strat;
	void *cpu_priv, *mmu_priv;	/* the strategy's own state */
	struct vcpu vcpu;
	/* Monitor memory: the CPU strategy's, then the MMU strategy's, above
	 * guest RAM in machine memory. */
	uint32_t mon_cpu_base, mon_mmu_base;
	/* Page table mapping the monitor's own linear window (top 4 MiB), to be
	 * put in every page directory the monitor builds; 0 if none. */
	uint32_t window_pt;
	/* Called by the MMU strategy after the guest changed a page the CPU
	 * strategy traced (gpa, len of what changed). */
	void (*traced_write)(struct vm *vm, uint32_t gpa, uint32_t len);
	struct mon_counters ctr;
	/* The interrupt controller's INTR output. Without a gate it drives the
	 * CPU directly; a monitor that virtualizes IF installs a gate and
	 * decides what the physical CPU sees (vm_intr_update). */
	bool intr_level;
	bool (*intr_gate)(struct vm *vm);
	/* Modeled cycles of exits, accumulated by exit_account. */
	double cyc_transitions, cyc_emulation, cyc_shadow;
	/* Exits accounted now are a binary translator's callouts. */
	bool callout;
	double exit_cycles;		/* model_exit_cycles, fixed for the run */
	bool exit_requested, input_done;
	uint32_t exit_value;
};

/* Builds the machine and boots the kernel; NULL with a one-line reason
 * (exit status 2: bad kernel, bad disk image, bad memory size...). */
struct vm *vm_create(const struct vm_config *cfg, char *err, size_t errlen);
void vm_destroy(struct vm *vm);

void vm_run(struct vm *vm, struct vm_result *res);

/* Guest instructions by the guest's own (virtual) CPL: under ring
 * compression the kernel's ring-1 instructions count as CPL 0. */
void vm_insns_by_vcpl(struct vm *vm, uint64_t out[4]);

/* Every counter of the run, named by path (vm.cpu..., vm.dev..., vm.mon...). */
void vm_collect_stats(struct vm *vm, struct stats *s);

/* The guest ended badly: both CPU views (virtual, if a monitor runs, and
 * physical) for the status-3 report. */
void vm_dump(struct vm *vm, FILE *f);
/* The CGA text screen's rows that hold anything (nothing when blank). */
void vm_dump_screen(const struct vm *vm, FILE *f);

/* The guest ended its run itself, as opposed to wedging. */
static inline bool vm_finished(enum vm_outcome o)
{
	return o == VM_EXITED || o == VM_HALTED || o == VM_INPUT_DONE;
}

const char *vm_outcome_name(enum vm_outcome o);

/* Re-evaluates the gated INTR line (after the virtual IF changed). */
void vm_intr_update(struct vm *vm);

/* The platform's port/MMIO/interrupt paths, for monitors that emulate. */
uint32_t vm_pio_read(struct vm *vm, uint16_t port, unsigned size);
void vm_pio_write(struct vm *vm, uint16_t port, unsigned size, uint32_t v);
uint32_t vm_mmio_read(struct vm *vm, uint32_t pa, unsigned size);
void vm_mmio_write(struct vm *vm, uint32_t pa, unsigned size, uint32_t v);

#endif
