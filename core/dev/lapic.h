/*
 * The local APIC of the boot CPU (xAPIC, MMIO at 0xfee00000), after the
 * Intel SDM vol. 3A chapter 10. See lapic.c for what is modelled.
 *
 * Wiring on the pc: the 8259A pair's INTR output drives LINT0 (the MP
 * specification's virtual wire), the LAPIC drives the CPU's INTR pin, and
 * the CPU's INTA cycle is answered by lapic_intr_ack(), which hands it to
 * the PIC when the interrupt is an ExtINT. The I/O APIC sends its messages
 * with lapic_deliver() and hears EOIs through eoi_broadcast.
 */
#ifndef VMM_DEV_LAPIC_H
#define VMM_DEV_LAPIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dev/clock.h"
#include "core/dev/irq.h"

struct bus;

#define LAPIC_BASE		0xfee00000u
#define LAPIC_SIZE		0x1000u
/* IA32_APIC_BASE (SDM vol. 3A 10.4.4). */
#define APIC_BASE_MSR_BSP	0x100u
#define APIC_BASE_MSR_EN	0x800u

/* Register offsets, SDM vol. 3A table 10-1. */
#define APIC_ID		0x020
#define APIC_VER	0x030
#define APIC_TPR	0x080
#define APIC_APR	0x090
#define APIC_PPR	0x0a0
#define APIC_EOI	0x0b0
#define APIC_RRD	0x0c0
#define APIC_LDR	0x0d0
#define APIC_DFR	0x0e0
#define APIC_SVR	0x0f0
#define APIC_ISR	0x100
#define APIC_TMR	0x180
#define APIC_IRR	0x200
#define APIC_ESR	0x280
#define APIC_LVT_CMCI	0x2f0
#define APIC_ICR_LO	0x300
#define APIC_ICR_HI	0x310
#define APIC_LVT_TIMER	0x320
#define APIC_LVT_THERMAL 0x330
#define APIC_LVT_PERF	0x340
#define APIC_LVT_LINT0	0x350
#define APIC_LVT_LINT1	0x360
#define APIC_LVT_ERROR	0x370
#define APIC_TMICT	0x380	/* timer initial count */
#define APIC_TMCCT	0x390	/* timer current count */
#define APIC_TDCR	0x3e0	/* timer divide configuration */

/* Version register as QEMU's APIC reports it: version 0x14, 6 LVT entries. */
#define APIC_VERSION	0x00050014u

#define APIC_SVR_ENABLE	0x100u

/* LVT and ICR fields (SDM vol. 3A figures 10-8 and 10-12). */
#define LVT_VECTOR	0x000ffu
#define LVT_DM_SHIFT	8
#define LVT_DM_MASK	0x00700u
#define LVT_DS		0x01000u	/* delivery status: send pending */
#define LVT_POLARITY	0x02000u
#define LVT_REMOTE_IRR	0x04000u
#define LVT_LEVEL	0x08000u
#define LVT_MASKED	0x10000u
#define LVT_PERIODIC	0x20000u

#define ICR_DEST_LOGICAL	0x00800u
#define ICR_LEVEL_ASSERT	0x04000u
#define ICR_TRIGGER_LEVEL	0x08000u
#define ICR_SHORTHAND_SHIFT	18

/* Delivery modes. */
enum {
	APIC_DM_FIXED = 0, APIC_DM_LOWEST = 1, APIC_DM_SMI = 2, APIC_DM_NMI = 4,
	APIC_DM_INIT = 5, APIC_DM_STARTUP = 6, APIC_DM_EXTINT = 7,
};

/* ESR bits the model raises (SDM vol. 3A 10.5.3). */
#define ESR_SEND_ILLEGAL_VECTOR	0x20u
#define ESR_RECV_ILLEGAL_VECTOR	0x40u
#define ESR_ILLEGAL_REG		0x80u

/* The LVT entries in register order, from APIC_LVT_TIMER. */
enum { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LAPIC_NLVT };

/* An interrupt message on the APIC bus (from the I/O APIC or an IPI). */
struct apic_msg {
	uint8_t vector;
	uint8_t delivery_mode;
	uint8_t dest;
	bool logical;		/* destination mode */
	bool level;		/* trigger mode */
};

struct lapic {
	uint8_t id, tpr, ldr, dfr_model;
	uint32_t svr;
	uint32_t isr[8], tmr[8], irr[8];
	uint32_t esr, esr_pending;	/* readable ESR, errors since the last write */
	uint32_t icr_lo, icr_hi;
	uint32_t lvt[LAPIC_NLVT];
	uint32_t tmict, tdcr;
	/* The timer counted down from start_count at start (modeled ns). */
	bool timer_running;
	uint64_t timer_start;
	uint32_t timer_start_count;
	struct clock *clk;
	struct clock_timer timer;

	bool hw_enabled;		/* IA32_APIC_BASE.EN */
	int lint[2];			/* LINT0/LINT1 input levels */
	struct intr_pin intr;		/* to the CPU */
	int intr_level;
	int (*extint_ack)(void *opaque);	/* INTA for an ExtINT: the PIC's */
	void *extint_opaque;
	void (*eoi_broadcast)(void *opaque, uint8_t vector);
	void *eoi_opaque;

	uint64_t accepted, eois, spurious, timer_fires, ipis, dropped;
};

/* Power-on state (SDM vol. 3A 10.12.5.1 / table 9-1): every LVT masked. */
int lapic_init(struct lapic *l, struct clock *clk, const struct intr_pin *intr,
	       char *err, size_t errlen);
/* As SeaBIOS leaves the BSP's APIC: enabled, LINT0 ExtINT, LINT1 NMI. */
void lapic_firmware_state(struct lapic *l);
int lapic_register(struct lapic *l, struct bus *b, char *err, size_t errlen);

/* LINT0 as an intr_pin: the PIC's INTR output. */
void lapic_lint0(void *lapic, int level);

/* The INTA cycle: the vector the CPU takes now. */
int lapic_intr_ack(struct lapic *l);

/* A message from the APIC bus; false if this APIC is not a destination. */
bool lapic_deliver(struct lapic *l, const struct apic_msg *m);

/* A write of IA32_APIC_BASE: EN clear disables the APIC (PIC straight through). */
void lapic_set_base_msr(struct lapic *l, uint32_t value);

/* The timer's current count at modeled time now. */
uint32_t lapic_timer_count(const struct lapic *l);

#endif
