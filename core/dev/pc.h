/*
 * The `pc` platform: every device of QEMU's pc machine that vmmsim
 * models, at QEMU's ports and IRQs, in the state SeaBIOS hands a kernel.
 */
#ifndef VMM_DEV_PC_H
#define VMM_DEV_PC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/dev/cga.h"
#include "core/dev/clock.h"
#include "core/dev/cmos.h"
#include "core/dev/debugexit.h"
#include "core/dev/ide.h"
#include "core/dev/ioapic.h"
#include "core/dev/irq.h"
#include "core/dev/lapic.h"
#include "core/dev/misc.h"
#include "core/dev/pci.h"
#include "core/dev/pic.h"
#include "core/dev/pit.h"
#include "core/dev/uart.h"

struct bus;
struct phys;

/* ISA IRQs of the pc machine. */
enum {
	PC_IRQ_PIT = 0, PC_IRQ_CASCADE = 2, PC_IRQ_COM1 = 4, PC_IRQ_RTC = 8,
	PC_IRQ_IDE0 = 14,
};

/* The I/O APIC pin of ISA IRQ0 (MP table: IRQ0 -> INTIN2); others are 1:1. */
#define PC_IOAPIC_PIN_IRQ0	2

struct pc_config {
	FILE *serial_out;		/* COM1 transmit; NULL drops it */
	FILE *serial_in;		/* COM1 receive; NULL: nothing arrives */
	const char *serial_wait;	/* see uart_set_wait; NULL: input flows */
	const char *disks[2];		/* primary master, primary slave; NULL: empty */
	struct disk_undo *disk_undo[2];	/* per disk: see disk_undo.h; NULL: none */
	bool disk_replay;		/* replay the undo logs instead of recording */
	int64_t rtc_start;		/* Unix time at modeled time 0; 0: 2000-01-01 */
	/* Optional: called at the guest's debug-exit write, to stop the CPU. */
	void (*on_exit)(void *opaque, uint32_t value);
	void *exit_opaque;
	/* Optional: the guest printed serial_wait after the last input line. */
	void (*on_input_done)(void *opaque);
};

/* A further receiver of ISA IRQ levels (tracing, tests), beside the PICs
 * and the I/O APIC. */
struct pc_irq_sink {
	irq_set_fn *set;
	void *ctrl;
};

struct pc_devices {
	struct lapic lapic;
	struct ioapic ioapic;
	struct pic pic;
	struct pit pit;
	struct uart com1;
	struct debugexit debug_exit;
	struct cmos cmos;
	struct misc misc;
	struct cga cga;
	struct pci_host pci;
	struct pci_function host_bridge, isa_bridge;
	struct ide ide;
	/* Every ISA device drives one of these; pc.c fans the level out. */
	struct irq_line isa_irq[16];
	uint16_t isa_levels;
	struct pc_irq_sink sink;
};

/*
 * Builds and registers every device on b, with names for the bus's
 * per-device access counters. ISA IRQs reach the PIC pair and the I/O
 * APIC; the PIC's INTR is the local APIC's LINT0, and the local APIC
 * drives cpu_intr. -1 with a one-line reason in err (an unusable disk
 * image, a port clash); nothing needs freeing then.
 */
int pc_devices_init(struct pc_devices *pc, struct bus *b, struct clock *clk,
		    struct phys *phys, const struct pc_config *cfg,
		    const struct intr_pin *cpu_intr, char *err, size_t errlen);

/* The INTA cycle: the vector of the interrupt the CPU now takes (the
 * local APIC's, or the PIC's for an ExtINT through LINT0). */
int pc_intr_ack(struct pc_devices *pc);

/* True once the guest wrote the debug-exit port; *value gets what it wrote. */
bool pc_exit_requested(const struct pc_devices *pc, uint32_t *value);

/* Adds a receiver of every ISA IRQ level (replaces any earlier one). */
void pc_set_irq_sink(struct pc_devices *pc, irq_set_fn *set, void *ctrl);

void pc_devices_free(struct pc_devices *pc);

#endif
