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
 *   0xcf8, 0xcfc-0xcff    PCI config   00:00.0 i440FX, 00:01.0 PIIX3 ISA,
 *                                      00:01.1 PIIX3 IDE (bus master 0xc040)
 *
 * ISA devices do not talk to the PIC directly: each drives an irq_line of
 * this file, which passes the level to the PIC pair and to an optional
 * second sink, so an I/O APIC can later see the same ISA levels without
 * rewiring any device. Absent here, unlike QEMU: VGA, the NIC, the ACPI
 * function, the floppy controller, the secondary IDE channel and COM2-4.
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
	if (pc->sink.set)
		pc->sink.set(pc->sink.ctrl, irq, level);
}

void pc_set_irq_sink(struct pc_devices *pc, irq_set_fn *set, void *ctrl)
{
	pc->sink = (struct pc_irq_sink){ set, ctrl };
}

static int pc_build(struct pc_devices *pc, struct clock *clk, struct phys *phys,
		    const struct pc_config *cfg, const struct intr_pin *cpu_intr,
		    char *err, size_t errlen)
{
	for (unsigned i = 0; i < 16; i++)
		pc->isa_irq[i] = (struct irq_line){ pc_isa_irq, pc, i };

	pic_init(&pc->pic, cpu_intr);
	if (pit_init(&pc->pit, clk, &pc->isa_irq[PC_IRQ_PIT], err, errlen))
		return -1;
	pit_firmware_state(&pc->pit);
	if (uart_init(&pc->com1, clk, &pc->isa_irq[PC_IRQ_COM1], cfg->serial_out,
		      cfg->serial_in, err, errlen))
		return -1;
	uart_firmware_state(&pc->com1);
	debugexit_init(&pc->debug_exit, cfg->on_exit, cfg->exit_opaque);
	if (cmos_init(&pc->cmos, clk, &pc->isa_irq[PC_IRQ_RTC],
		      cfg->rtc_start ? cfg->rtc_start : CMOS_DEFAULT_START, err, errlen))
		return -1;
	cmos_set_memory(&pc->cmos, phys ? phys->guest_size : 0);
	misc_init(&pc->misc);
	/* Last: the hand-off state forgets edges the devices' power-on left. */
	pic_firmware_state(&pc->pic);

	pci_host_init(&pc->pci);
	pci_i440fx_init(&pc->host_bridge);
	pci_piix3_isa_init(&pc->isa_bridge);
	if (ide_init(&pc->ide, clk, phys, &pc->isa_irq[PC_IRQ_IDE0], cfg->disks, err, errlen))
		return -1;
	if (pci_attach(&pc->pci, 0, 0, &pc->host_bridge, err, errlen) ||
	    pci_attach(&pc->pci, 1, 0, &pc->isa_bridge, err, errlen) ||
	    pci_attach(&pc->pci, 1, 1, &pc->ide.pci, err, errlen))
		return -1;
	return 0;
}

static int pc_register(struct pc_devices *pc, struct bus *b, char *err, size_t errlen)
{
	if (pic_register(&pc->pic, b, err, errlen) ||
	    pit_register(&pc->pit, b, err, errlen) ||
	    uart_register(&pc->com1, b, 0x3f8, "com1", err, errlen) ||
	    debugexit_register(&pc->debug_exit, b, 0xf4, err, errlen) ||
	    cmos_register(&pc->cmos, b, err, errlen) ||
	    misc_register(&pc->misc, b, err, errlen) ||
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
	return pic_intr_ack(&pc->pic);
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
