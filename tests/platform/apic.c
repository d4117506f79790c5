/*
 * The apic platform kernel: boots as an xv6/JOS-era kernel does on a
 * late-1990s SMP PC and prints what it finds and counts, never timing.
 *
 *  1. The MP tables, every entry; CPUID.APIC and IA32_APIC_BASE; the
 *     local and I/O APIC registers, the CRTC cursor and the 8042 status
 *     as the firmware left them.
 *  2. The 8259A alone, through the local APIC's LINT0 as the firmware
 *     set it (virtual wire): PIT interrupts arrive; with LINT0 masked the
 *     request waits in the PIC's IRR and arrives once LINT0 is unmasked.
 *  3. The switch to symmetric I/O mode: PICs masked, IMCR written, local
 *     APIC enabled with LINT0/LINT1 masked, every I/O APIC pin masked;
 *     then the PIT on the pin the MP table gives IRQ0, COM1's transmit
 *     interrupts on pin 4 edge-triggered, then level-triggered with
 *     remote IRR seen in the handler and cleared by the EOI.
 *  4. The local APIC timer, priorities and IPIs (apic_local.c).
 *  5. With "rx" on the command line: a line read from COM1 by receive
 *     interrupts. With "ide": sector 0 of the primary master and slave
 *     read by PIO with IRQ14 through the I/O APIC.
 *  6. With "wedge": a panic as a teaching kernel shows one, on the CGA
 *     screen only, then a spin with interrupts off (vmmsim ends the run
 *     as wedged there and the register dump shows the screen).
 */
#include "apic.h"

#define TX_TEXT		"com1: this line went out one THR-empty interrupt at a time\r\n"
#define ATA_SR_BSY	0x80
#define ATA_SR_DRQ	0x08

struct plat_mp apic_mp;
static volatile u32 pic_ticks, pic_limit, pit_ticks, com1_irqs, tx_pos, tx_done;
static volatile u32 level_rem_irr, level_tmr, rx_len, rx_done, ide_irqs;
static int com1_pin = -1;
static char rx_line[80];

static void show_firmware_state(void)
{
	u32 r[4];
	const u32 lvt[] = { APIC_LVT_TIMER, 0x330, 0x340, APIC_LVT_LINT0, APIC_LVT_LINT1,
			    APIC_LVT_ERROR };

	cpuid(1, r);
	plat_printf("cpuid: apic %u\n", (r[3] & CPUID_APIC) ? 1 : 0);
	plat_printf("msr: apic base %08x\n", (u32)rdmsr(MSR_IA32_APIC_BASE));
	plat_printf("lapic: id %08x version %08x tpr %x ppr %x ldr %08x dfr %08x svr %08x\n",
		    lapic_rd(APIC_ID), lapic_rd(APIC_VER), lapic_rd(APIC_TPR), lapic_rd(APIC_PPR),
		    lapic_rd(APIC_LDR), lapic_rd(APIC_DFR), lapic_rd(APIC_SVR));
	plat_printf("lapic: lvt");
	for (unsigned i = 0; i < ARRAY_SIZE(lvt); i++)
		plat_printf(" %08x", lapic_rd(lvt[i]));
	plat_printf(" icr %08x %08x tmict %x tdcr %x\n", lapic_rd(APIC_ICR_LO),
		    lapic_rd(APIC_ICR_HI), lapic_rd(APIC_TMICT), lapic_rd(APIC_TDCR));
	plat_printf("ioapic: id %08x version %08x arb %08x\n", ioapic_rd(&apic_mp, IOAPICID),
		    ioapic_rd(&apic_mp, IOAPICVER), ioapic_rd(&apic_mp, IOAPICARB));
	u32 masked = 0, pins = ((ioapic_rd(&apic_mp, IOAPICVER) >> 16) & 0xff) + 1;
	for (u32 p = 0; p < pins; p++)
		masked += (ioapic_rd(&apic_mp, IOREDTBL + 2 * p) & IOART_MASKED) ? 1 : 0;
	plat_printf("ioapic: %u pins, %u masked\n", pins, masked);
	plat_check("ioapic id matches the MP table", ioapic_rd(&apic_mp, IOAPICID) >> 24,
		   apic_mp.ioapic_id);
	outb(0x3d4, 0x0e);
	u32 pos = inb(0x3d5) << 8;
	outb(0x3d4, 0x0f);
	pos |= inb(0x3d5);
	plat_printf("crtc: cursor %x\n", pos);
	plat_printf("kbc: status %x, key pending %u\n", inb(0x64), inb(0x64) & 1);
}

/* ---- 2: the 8259A through the virtual wire ---- */

static void pic_irq0(u32 vector)
{
	if (++pic_ticks >= pic_limit)
		outb(PIC1 + 1, inb(PIC1 + 1) | 0x01);
	outb(PIC1, 0x20);
}

static void pic_remap(void)
{
	outb(PIC1, 0x11);
	outb(PIC1 + 1, VEC_PIC_BASE);
	outb(PIC1 + 1, 0x04);
	outb(PIC1 + 1, 0x01);
	outb(PIC2, 0x11);
	outb(PIC2 + 1, VEC_PIC_BASE + 8);
	outb(PIC2 + 1, 0x02);
	outb(PIC2 + 1, 0x01);
	outb(PIC1 + 1, 0xff);
	outb(PIC2 + 1, 0xff);
}

static void pit_rate(u16 count)
{
	outb(PIT_CMD, 0x34);
	outb(PIT_CH0, (u8)count);
	outb(PIT_CH0, (u8)(count >> 8));
}

static void phase_pic(void)
{
	u32 spin = 400000000u;

	plat_printf("phase: 8259A through LINT0\n");
	pic_remap();
	plat_set_handler(VEC_PIC_BASE, pic_irq0);
	pit_rate(1193);
	pic_limit = 5;
	outb(PIC1 + 1, 0xfe);
	plat_wait(&pic_ticks, 5, "pic: IRQ0 through the virtual wire", 1);
	plat_check("pic: 5 timer interrupts at vector 0x20", pic_ticks, 5);

	lapic_wr(APIC_LVT_LINT0, LVT_MASKED | LVT_EXTINT);
	pic_limit = 6;
	outb(PIC1 + 1, 0xfe);
	sti();
	outb(PIC1, 0x0a);
	while (!(inb(PIC1) & 0x01) && --spin)
		;
	cli();
	plat_check("pic: IRQ0 waits in the PIC's IRR while LINT0 is masked", inb(PIC1) & 1, 1);
	plat_check("pic: nothing crosses a masked LINT0", pic_ticks, 5);
	lapic_wr(APIC_LVT_LINT0, LVT_EXTINT);
	plat_wait(&pic_ticks, 6, "pic: the held request after unmasking LINT0", 1);
	plat_check("pic: the held IRQ0 arrives once LINT0 is unmasked", pic_ticks, 6);
	outb(PIC1 + 1, 0xff);
}

/* ---- 3: symmetric I/O mode ---- */

static void ioapic_route(int pin, u32 lo)
{
	ioapic_wr(&apic_mp, IOREDTBL + 2 * pin + 1, 0);	/* physical APIC ID 0 */
	ioapic_wr(&apic_mp, IOREDTBL + 2 * pin, lo);
}

static void switch_to_ioapic(void)
{
	u32 pins = ((ioapic_rd(&apic_mp, IOAPICVER) >> 16) & 0xff) + 1;

	plat_printf("phase: symmetric I/O mode (imcrp %u)\n", apic_mp.imcrp ? 1 : 0);
	outb(PIC1 + 1, 0xff);
	outb(PIC2 + 1, 0xff);
	/* Written whatever IMCRP says: the ports must take it either way. */
	outb(0x22, 0x70);
	outb(0x23, inb(0x23) | 0x01);
	lapic_wr(APIC_SVR, APIC_SVR_ENABLE | VEC_SPURIOUS);
	lapic_wr(APIC_LVT_LINT0, LVT_MASKED);
	lapic_wr(APIC_LVT_LINT1, LVT_MASKED);
	lapic_wr(APIC_LVT_ERROR, VEC_ERROR);
	lapic_wr(APIC_ESR, 0);
	lapic_wr(APIC_ESR, 0);
	apic_eoi();
	/* xv6's arbitration-ID synchronisation: an INIT level de-assert to all. */
	lapic_wr(APIC_ICR_HI, 0);
	lapic_wr(APIC_ICR_LO, (2u << 18) | ICR_INIT | ICR_LEVEL);
	plat_check("lapic: INIT de-assert broadcast leaves the ICR idle",
		   lapic_rd(APIC_ICR_LO) & ICR_DS, 0);
	lapic_wr(APIC_TPR, 0);
	for (u32 p = 0; p < pins; p++) {
		ioapic_wr(&apic_mp, IOREDTBL + 2 * p, IOART_MASKED | (VEC_PIC_BASE + p));
		ioapic_wr(&apic_mp, IOREDTBL + 2 * p + 1, 0);
	}
	plat_check("lapic: ESR clear", lapic_rd(APIC_ESR), 0);
}

static void pit_ioapic(u32 vector)
{
	if (++pit_ticks >= 5)
		ioapic_route(apic_mp.isa_pin[0], IOART_MASKED | VEC_PIT);
	apic_eoi();
}

static void com1_tx(u32 vector)
{
	u8 iir = inb(COM1 + 2);

	com1_irqs++;
	if ((iir & 0x0f) == 0x02) {
		if (TX_TEXT[tx_pos]) {
			outb(COM1, TX_TEXT[tx_pos++]);
		} else {
			outb(COM1 + 1, 0);
			tx_done = 1;
		}
	}
	apic_eoi();
}

static void com1_level(u32 vector)
{
	com1_irqs++;
	level_rem_irr = (ioapic_rd(&apic_mp, IOREDTBL + 2 * com1_pin) & IOART_REM_IRR) ? 1 : 0;
	level_tmr = (lapic_rd(APIC_TMR + (vector >> 5) * 0x10) >> (vector & 31)) & 1;
	inb(COM1 + 2);
	outb(COM1 + 1, 0);
	apic_eoi();
}

static void phase_ioapic(void)
{
	int pin0 = apic_mp.isa_pin[0];

	plat_printf("ioapic: ISA IRQ0 on pin %d, IRQ4 on pin %d, IRQ14 on pin %d\n", pin0,
		    apic_mp.isa_pin[4], apic_mp.isa_pin[14]);
	plat_set_handler(VEC_PIT, pit_ioapic);
	ioapic_route(pin0, VEC_PIT);
	plat_wait(&pit_ticks, 5, "ioapic: PIT interrupts", 1);
	plat_check("ioapic: 5 PIT interrupts at vector 0x30", pit_ticks, 5);

	com1_pin = apic_mp.isa_pin[4];
	plat_set_handler(VEC_COM1, com1_tx);
	outb(COM1 + 4, 0x0b);
	ioapic_route(com1_pin, VEC_COM1);
	outb(COM1 + 1, 0x02);
	plat_wait(&tx_done, 1, "com1: transmit interrupts", 1);
	plat_check("com1: one interrupt per character and one at the end", com1_irqs,
		   sizeof(TX_TEXT));

	com1_irqs = 0;
	plat_set_handler(VEC_COM1, com1_level);
	ioapic_route(com1_pin, IOART_LEVEL | VEC_COM1);
	outb(COM1 + 1, 0x02);
	plat_wait(&com1_irqs, 1, "com1: level-triggered interrupt", 1);
	plat_check("ioapic: remote IRR set while the handler runs", level_rem_irr, 1);
	plat_check("lapic: TMR marks the level-triggered vector", level_tmr, 1);
	plat_check("ioapic: remote IRR cleared by the EOI",
		   ioapic_rd(&apic_mp, IOREDTBL + 2 * com1_pin) & IOART_REM_IRR, 0);
	plat_check("com1: one level-triggered interrupt", com1_irqs, 1);
	ioapic_route(com1_pin, IOART_MASKED | VEC_COM1);
}

/* ---- 5: optional input and disks ---- */

static void com1_rx(u32 vector)
{
	while (inb(COM1 + 5) & 0x01) {
		char c = (char)inb(COM1);

		if (rx_done)
			continue;
		if (c == '\n' || c == '\r' || rx_len == sizeof(rx_line) - 1)
			rx_done = 1;
		else
			rx_line[rx_len++] = c;
	}
	apic_eoi();
}

static void phase_rx(void)
{
	plat_printf("phase: COM1 receive interrupts, waiting for a line\n");
	plat_set_handler(VEC_COM1, com1_rx);
	ioapic_route(com1_pin, VEC_COM1);
	outb(COM1 + 1, 0x01);
	plat_wait(&rx_done, 1, "com1: a line of input", 1);
	outb(COM1 + 1, 0);
	ioapic_route(com1_pin, IOART_MASKED | VEC_COM1);
	rx_line[rx_len] = 0;
	plat_printf("rx: \"%s\" (%u characters)\n", rx_line, rx_len);
}

static void ide_irq(u32 vector)
{
	inb(0x1f7);
	ide_irqs++;
	apic_eoi();
}

static void ide_read(const char *name, u8 drive)
{
	u16 w[256];
	u32 sum = 0, want = ide_irqs + 1;

	outb(0x1f6, drive);
	outb(0x1f2, 1);
	outb(0x1f3, 0);
	outb(0x1f4, 0);
	outb(0x1f5, 0);
	outb(0x1f7, 0x20);
	plat_wait(&ide_irqs, want, "ide: IRQ14", 1);
	plat_check("ide: data ready", inb(0x3f6) & (ATA_SR_BSY | ATA_SR_DRQ), ATA_SR_DRQ);
	for (int i = 0; i < 256; i++) {
		w[i] = inw(IDE_DATA);
		sum += w[i];
	}
	plat_printf("ide: %s sector 0 starts %04x %04x %04x %04x, word sum %x\n", name, w[0], w[1],
		    w[2], w[3], sum);
}

static void phase_ide(void)
{
	plat_printf("phase: IDE PIO with IRQ14 on the I/O APIC\n");
	plat_set_handler(VEC_IDE, ide_irq);
	outb(0x3f6, 0x00);
	ioapic_route(apic_mp.isa_pin[14], VEC_IDE);
	ide_read("master", 0xe0);
	ide_read("slave", 0xf0);
	plat_check("ide: one IRQ14 per command", ide_irqs, 2);
	ioapic_route(apic_mp.isa_pin[14], IOART_MASKED | VEC_IDE);
}

static void __attribute__((noreturn)) wedge(void)
{
	static const char msg[] = "panic: the apic kernel wedged on purpose";
	volatile u16 *cga = (volatile u16 *)0xb8000;

	for (unsigned i = 0; msg[i]; i++)
		cga[3 * 80 + i] = (u16)(0x0700 | (u8)msg[i]);
	__asm__ volatile("cli");
	for (;;)
		__asm__ volatile("" ::: "memory");
}

void plat_main(u32 magic, u32 mbi)
{
	plat_mbi = magic == 0x2badb002 ? mbi : 0;
	plat_setup();
	plat_printf("platform apic\n");
	if (plat_cmdline_has("wedge"))
		wedge();
	if (plat_mp_parse(&apic_mp))
		plat_done("platform apic");
	show_firmware_state();
	phase_pic();
	switch_to_ioapic();
	phase_ioapic();
	apic_local_tests();
	if (plat_cmdline_has("rx"))
		phase_rx();
	if (plat_cmdline_has("ide"))
		phase_ide();
	plat_done("platform apic");
}
