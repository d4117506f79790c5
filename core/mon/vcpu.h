/*
 * The virtual CPU: what the guest believes its processor holds, kept by a
 * monitor whenever the physical CPU shows something else (a deprivileged
 * kernel's CPL, an interrupt flag the monitor owns, control registers and
 * descriptor tables that point at shadows). The general registers, EIP and
 * the arithmetic flags are never copied: they live in the physical CPU.
 */
#ifndef VMM_MON_VCPU_H
#define VMM_MON_VCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "core/cpu/cpu.h"

struct vcpu {
	bool active;		/* a monitor keeps this state */
	unsigned cpl;
	uint32_t eflags;	/* only IF and IOPL are kept here */
	uint32_t cr0, cr2, cr3, cr4;
	struct dtr gdtr, idtr;
	struct seg ldtr, tr;
	uint32_t dr[8];
	bool halted;
};

#endif
