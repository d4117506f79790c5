/*
 * Assembly of the pc platform, laid out as QEMU 7.2's `pc` machine
 * (i440FX + PIIX3) presents it to a Multiboot kernel after SeaBIOS:
 *
 *   0x20-0x21, 0xa0-0xa1  8259A pair   vectors 0x08/0x70, IMR 0xb8/0x8e
 *   0x4d0-0x4d1           ELCR         0x00/0x0c (IRQ10 and 11 level)
 *   0x40-0x43, 0x61       8254 PIT     channel 0 mode 2, 18.2 Hz, IRQ0
 *   0x60, 0x64            8042         idle, no keyboard
 *   0x70-0x71             MC146818     IRQ8
 *   0x80, 0x92            POST code, fast A20 (enabled)
 *   0xf4-0xf7             isa-debug-exit
 *   0x1f0-0x1f7, 0x3f6    primary IDE  IRQ14
 *   0x3f8-0x3ff           16550A COM1  115200 8N1, FIFOs on, OUT2, IRQ4
 *   0x22-0x23             IMCR         accepted, no effect (virtual wire)
 *   0x3d4-0x3d5, 0x3da    CGA CRTC     mode 3 registers, cursor at 0x0280
 *   0xcf8, 0xcfc-0xcff    PCI config   00:00.0 i440FX, 00:01.0 PIIX3 ISA,
 *                                      00:01.1 PIIX3 IDE (bus master 0xc040)
 *   0xfec00000            I/O APIC     ID 0, version 0x20, all pins masked
 *   0xfee00000            local APIC   ID 0, enabled, LINT0 ExtINT
 *
 * Interrupt wiring, as QEMU's: ISA devices do not talk to a controller
 * directly; each drives an irq_line of this file, which passes the level
 * to the PIC pair, to the I/O APIC (IRQ n on pin n, IRQ0 on pin 2; the
 * cascade IRQ2 is internal to the PIC pair) and to an optional extra sink.
 * The PIC pair's INTR output is the local APIC's LINT0, so a kernel that
 * never touches an APIC gets PIC interrupts through the virtual wire; the
 * local APIC drives the CPU's INTR and answers its INTA. Absent here,
 * unlike QEMU: VGA beyond the text console registers, the NIC, the ACPI
 * function, the HPET, the floppy controller, the secondary IDE channel
 * and COM2-4.
 */
#include "core/dev/pc.h"

#include <string.h>

#include "core/dev/bus.h"
#include "core/mmu/phys.h"

static void pc_isa_irq(void *ctrl, unsigned irq, int level)
{
	struct pc_devices *pc = ctrl;

	if (level)
		pc->isa_levels |= (uint16_t)(1u << irq);
	else
		pc->isa_levels &= (uint16_t)~(1u << irq);
	pic_set_irq(&pc->pic, irq, level);
	if (irq != PC_IRQ_CASCADE)
		ioapic_set_irq(&pc->ioapic, irq == PC_IRQ_PIT ? PC_IOAPIC_PIN_IRQ0 : irq, level);
	if (pc->sink.set)
		pc->sink.set(pc->sink.ctrl, irq, level);
}

void pc_set_irq_sink(struct pc_devices *pc, irq_set_fn *set, void *ctrl)
{
	pc->sink = (struct pc_irq_sink){ set, ctrl };
}

static bool pc_apic_bus(void *opaque, const struct apic_msg *m)
{
	return lapic_deliver(opaque, m);
}

static int pc_extint_ack(void *opaque)
{
	return pic_intr_ack(opaque);
}

/* The interrupt controllers first: devices may raise IRQs from power-on. */
static int pc_build_apics(struct pc_devices *pc, struct clock *clk,
			  const struct intr_pin *cpu_intr, char *err, size_t errlen)
{
	struct intr_pin lint0 = { lapic_lint0, &pc->lapic };

	if (lapic_init(&pc->lapic, clk, cpu_intr, err, errlen))
		return -1;
	pc->lapic.extint_ack = pc_extint_ack;
	pc->lapic.extint_opaque = &pc->pic;
	pc->lapic.eoi_broadcast = ioapic_eoi;
	pc->lapic.eoi_opaque = &pc->ioapic;
	lapic_firmware_state(&pc->lapic);
	ioapic_init(&pc->ioapic, pc_apic_bus, &pc->lapic);
	pic_init(&pc->pic, &lint0);
	return 0;
}

static int pc_build(struct pc_devices *pc, struct clock *clk, struct phys *phys,
		    const struct pc_config *cfg, const struct intr_pin *cpu_intr,
		    char *err, size_t errlen)
{
	for (unsigned i = 0; i < 16; i++)
		pc->isa_irq[i] = (struct irq_line){ pc_isa_irq, pc, i };

	if (pc_build_apics(pc, clk, cpu_intr, err, errlen))
		return -1;
	if (pit_init(&pc->pit, clk, &pc->isa_irq[PC_IRQ_PIT], err, errlen))
		return -1;
	pit_firmware_state(&pc->pit);
	if (uart_init(&pc->com1, clk, &pc->isa_irq[PC_IRQ_COM1], cfg->serial_out,
		      cfg->serial_in, err, errlen))
		return -1;
	uart_firmware_state(&pc->com1);
	if (cfg->serial_wait && *cfg->serial_wait &&
	    uart_set_wait(&pc->com1, cfg->serial_wait, cfg->on_input_done, cfg->exit_opaque)) {
		snprintf(err, errlen, "serial wait string longer than %d bytes", UART_WAIT_MAX);
		return -1;
	}
	debugexit_init(&pc->debug_exit, cfg->on_exit, cfg->exit_opaque);
	if (cmos_init(&pc->cmos, clk, &pc->isa_irq[PC_IRQ_RTC],
		      cfg->rtc_start ? cfg->rtc_start : CMOS_DEFAULT_START, err, errlen))
		return -1;
	cmos_set_memory(&pc->cmos, phys ? phys->guest_size : 0);
	misc_init(&pc->misc);
	cga_init(&pc->cga);
	/* Last: the hand-off state forgets edges the devices' power-on left. */
	pic_firmware_state(&pc->pic);

	pci_host_init(&pc->pci);
	pci_i440fx_init(&pc->host_bridge);
	pci_piix3_isa_init(&pc->isa_bridge);
	if (ide_init(&pc->ide, clk, phys, &pc->isa_irq[PC_IRQ_IDE0], cfg->disks, err, errlen))
		return -1;
	for (unsigned i = 0; i < 2; i++)
		ide_set_undo(&pc->ide, i, cfg->disk_undo[i], cfg->disk_replay);
	if (pci_attach(&pc->pci, 0, 0, &pc->host_bridge, err, errlen) ||
	    pci_attach(&pc->pci, 1, 0, &pc->isa_bridge, err, errlen) ||
	    pci_attach(&pc->pci, 1, 1, &pc->ide.pci, err, errlen))
		return -1;
	return 0;
}

static int pc_register(struct pc_devices *pc, struct bus *b, char *err, size_t errlen)
{
	if (lapic_register(&pc->lapic, b, err, errlen) ||
	    ioapic_register(&pc->ioapic, b, err, errlen) ||
	    pic_register(&pc->pic, b, err, errlen) ||
	    pit_register(&pc->pit, b, err, errlen) ||
	    uart_register(&pc->com1, b, 0x3f8, "com1", err, errlen) ||
	    debugexit_register(&pc->debug_exit, b, 0xf4, err, errlen) ||
	    cmos_register(&pc->cmos, b, err, errlen) ||
	    misc_register(&pc->misc, b, err, errlen) ||
	    cga_register(&pc->cga, b, err, errlen) ||
	    pci_host_register(&pc->pci, b, err, errlen) ||
	    ide_register(&pc->ide, b, err, errlen))
		return -1;
	return 0;
}

int pc_devices_init(struct pc_devices *pc, struct bus *b, struct clock *clk,
		    struct phys *phys, const struct pc_config *cfg,
		    const struct intr_pin *cpu_intr, char *err, size_t errlen)
{
	static const struct pc_config defaults;

	memset(pc, 0, sizeof(*pc));
	/* pc_devices_free may run before ide_init: no descriptor 0 to close. */
	pc->ide.drive[0].fd = pc->ide.drive[1].fd = -1;
	if (!cfg)
		cfg = &defaults;
	if (pc_build(pc, clk, phys, cfg, cpu_intr, err, errlen) ||
	    pc_register(pc, b, err, errlen)) {
		pc_devices_free(pc);
		return -1;
	}
	return 0;
}

int pc_intr_ack(struct pc_devices *pc)
{
	return lapic_intr_ack(&pc->lapic);
}

bool pc_exit_requested(const struct pc_devices *pc, uint32_t *value)
{
	if (pc->debug_exit.requested && value)
		*value = pc->debug_exit.value;
	return pc->debug_exit.requested;
}

void pc_devices_free(struct pc_devices *pc)
{
	ide_free(&pc->ide);
}
