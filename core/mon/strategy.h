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
	/* Called once the guest's boot state is in the vCPU and the machine
	 * is built; installs hooks. -1 with a reason on failure. */
	int (*attach)(struct vm *vm, char *err, size_t errlen);
	void (*detach)(struct vm *vm);
	/* Virtual CPU state for the status-3 dump (the physical CPU is dumped
	 * by the caller). */
	void (*dump)(struct vm *vm, FILE *f);
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
	/* A physical #PF at lin with error err while the guest ran: true if
	 * the MMU resolved it (a hidden fault or a traced write), false if it
	 * is the guest's own fault; *guest_err then holds the error code the
	 * guest must see. */
	bool (*page_fault)(struct vm *vm, uint32_t lin, uint32_t err, uint32_t *guest_err);
	/* Guest-linear to guest-physical through the guest's own tables, for
	 * the monitor's emulation; false if unmapped. */
	bool (*guest_translate)(struct vm *vm, uint32_t lin, bool write, bool user,
				uint32_t *gpa, uint32_t *pf_err);
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
