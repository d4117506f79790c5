/*
 * The two plug-in interfaces of the monitor core. A run picks one CPU
 * virtualization and one MMU virtualization (ARCHITECTURE section 3,
 * written CPU+MMU); a strategy implements only these tables and talks to
 * the machine through the vm and the CPU's hook table, never by changing
 * core/cpu.
 *
 * With both tables NULL the guest owns the simulated hardware (native).
 */
#ifndef VMM_MON_STRATEGY_H
#define VMM_MON_STRATEGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct vm;
struct cpu_event;

/* CPU virtualization: deprivileging, exits, emulation, virtual delivery. */
struct cpu_virt_ops {
	const char *name;
	/* Monitor memory (machine RAM above the guest's) this strategy needs. */
	uint32_t monitor_bytes;
	/* Virtual CPL of code running at each physical CPL (ring compression);
	 * NULL: the same. */
	const uint8_t *vcpl_of;
	/* Called once the guest's boot state is in the vCPU and the machine
	 * is built; installs hooks. -1 with a reason on failure. */
	int (*attach)(struct vm *vm, char *err, size_t errlen);
	/* Once the MMU strategy is attached too. */
	void (*ready)(struct vm *vm);
	void (*detach)(struct vm *vm);
	/* Virtual CPU state for the status-3 dump (the physical CPU is dumped
	 * by the caller). */
	void (*dump)(struct vm *vm, FILE *f);
};

/* What a physical page fault was, for the MMU. */
enum mmu_pf {
	MMU_PF_GUEST,	/* the guest's own fault: reflect it with *guest_err */
	MMU_PF_HIDDEN,	/* resolved by the monitor: retry the instruction */
	MMU_PF_STEP,	/* a write to a traced page: let the instruction run one
			   step with the page writable, then call step_done */
	MMU_PF_MMIO,	/* the guest touched device memory: emulate the access */
};

/* MMU virtualization, driven by the CPU strategy's emulation. */
struct mmu_virt_ops {
	const char *name;
	uint32_t monitor_bytes;
	int (*attach)(struct vm *vm, char *err, size_t errlen);
	void (*detach)(struct vm *vm);
	/* The guest changed its paging state (virtual CR0/CR3/CR4). */
	void (*paging_changed)(struct vm *vm);
	/* The guest executed INVLPG for a linear address. */
	void (*invlpg)(struct vm *vm, uint32_t lin);
	/* A physical #PF at lin with error err while the guest ran. */
	enum mmu_pf (*page_fault)(struct vm *vm, uint32_t lin, uint32_t err, uint32_t *guest_err);
	/* After an MMU_PF_STEP: the faulting instruction has run one step. */
	void (*step_done)(struct vm *vm);
	/* Guest-linear to guest-physical through the guest's own tables (with
	 * the accessed/dirty updates a CPU would make); false with the #PF
	 * error code the guest would see. */
	bool (*guest_translate)(struct vm *vm, uint32_t lin, bool write, bool user,
				uint32_t *gpa, uint32_t *pf_err);
	/* The monitor wrote guest-physical [gpa, gpa+len) itself. */
	void (*wrote)(struct vm *vm, uint32_t gpa, uint32_t len);
	/* Write-protect guest page gpfn for the CPU strategy (its descriptor
	 * tables): guest writes to it reach vm->traced_write. Not counted: one
	 * off ends any number of ons. */
	void (*trace)(struct vm *vm, uint32_t gpfn, bool on);
	/* Gives the top 4 MiB of linear space (the monitor's window) the
	 * guest's own mapping, or gives them back to the monitor. */
	void (*lend_window)(struct vm *vm, bool lent);
	/* Maps the device page behind guest-linear lin for the next step (an
	 * instruction the CPU strategy does not emulate on device memory);
	 * step_done takes it away. False if lin maps no device. */
	bool (*mmio_step)(struct vm *vm, uint32_t lin, bool write, bool user);
};

/* A strategy as the user names it ("trap+shadow"). */
struct strategy {
	const char *name;
	const char *description;
	const struct cpu_virt_ops *cpu;	/* NULL: the guest runs natively */
	const struct mmu_virt_ops *mmu;	/* NULL: the guest's tables are used */
	/* Cost class for the cost model: which [section] prices its insns. */
	const char *cost_class;
};

/* The table behind `vmmsim list strategies`, `run -s` and `matrix`. */
extern const struct strategy strategies[];
const struct strategy *strategy_find(const char *name);

#endif
