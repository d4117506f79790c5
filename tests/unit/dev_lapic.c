/*
 * Local APIC: registers as QEMU shows them after SeaBIOS, the timer in
 * modeled time, priorities, EOI, IPIs, and the 8259A through LINT0. The
 * APIC is driven through the bus at 0xfee00000 as a guest drives it; time
 * advances through the clock's instruction counter.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "core/dev/bus.h"
#include "core/dev/clock.h"
#include "core/dev/lapic.h"
#include "core/dev/pic.h"

static struct bus bus;
static struct clock clk;
static uint64_t insns;
static struct lapic apic;
static struct pic pic;
static int intr;
static int eoi_vectors[8], neoi;

static void intr_cb(void *cpu, int level) { intr = level; }

static int pic_ack(void *opaque) { return pic_intr_ack(opaque); }

static void eoi_cb(void *opaque, uint8_t vector)
{
	if (neoi < 8)
		eoi_vectors[neoi++] = vector;
}

static uint32_t rd(uint32_t reg) { return bus_mmio_read(&bus, LAPIC_BASE + reg, 4); }
static void wr(uint32_t reg, uint32_t v) { bus_mmio_write(&bus, LAPIC_BASE + reg, 4, v); }

static void advance_to(uint64_t t)
{
	insns = t;
	clock_run_due(&clk);
}

static bool irr(unsigned v) { return rd(APIC_IRR + (v >> 5) * 0x10) & (1u << (v & 31)); }
static bool isr(unsigned v) { return rd(APIC_ISR + (v >> 5) * 0x10) & (1u << (v & 31)); }
static bool tmr(unsigned v) { return rd(APIC_TMR + (v >> 5) * 0x10) & (1u << (v & 31)); }

static void self_ipi(unsigned vector)
{
	wr(APIC_ICR_LO, 1u << ICR_SHORTHAND_SHIFT | vector);
}

static void setup(void)
{
	char err[128];
	struct intr_pin cpu = { intr_cb, NULL }, lint0 = { lapic_lint0, &apic };

	insns = 0;
	intr = 0;
	neoi = 0;
	bus_init(&bus);
	clock_init(&clk, &insns);
	cr_assert_eq(lapic_init(&apic, &clk, &cpu, err, sizeof(err)), 0, "%s", err);
	apic.extint_ack = pic_ack;
	apic.extint_opaque = &pic;
	apic.eoi_broadcast = eoi_cb;
	lapic_firmware_state(&apic);
	pic_init(&pic, &lint0);
	pic_firmware_state(&pic);
	cr_assert_eq(lapic_register(&apic, &bus, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(pic_register(&pic, &bus, err, sizeof(err)), 0, "%s", err);
}

TestSuite(lapic, .init = setup);

/* Every register as the QEMU probe read it after SeaBIOS. */
Test(lapic, firmware_state)
{
	cr_assert_eq(rd(APIC_ID), 0);
	cr_assert_eq(rd(APIC_VER), 0x00050014);
	cr_assert_eq(rd(APIC_TPR), 0);
	cr_assert_eq(rd(APIC_PPR), 0);
	cr_assert_eq(rd(APIC_LDR), 0);
	cr_assert_eq(rd(APIC_DFR), 0xffffffff);
	cr_assert_eq(rd(APIC_SVR), 0x1ff);
	cr_assert_eq(rd(APIC_ESR), 0);
	cr_assert_eq(rd(APIC_ICR_LO), 0x000c4610, "SeaBIOS's STARTUP broadcast");
	cr_assert_eq(rd(APIC_ICR_HI), 0);
	cr_assert_eq(rd(APIC_LVT_TIMER), 0x10000);
	cr_assert_eq(rd(APIC_LVT_THERMAL), 0x10000);
	cr_assert_eq(rd(APIC_LVT_PERF), 0x10000);
	cr_assert_eq(rd(APIC_LVT_LINT0), 0x8700);
	cr_assert_eq(rd(APIC_LVT_LINT1), 0x8400);
	cr_assert_eq(rd(APIC_LVT_ERROR), 0x10000);
	cr_assert_eq(rd(APIC_TMICT) | rd(APIC_TMCCT) | rd(APIC_TDCR), 0);
	cr_assert_eq(intr, 0);
}

/* Writable bits as on QEMU: ID/LDR 8 bits, DFR 4, SVR 9; version is read-only. */
Test(lapic, register_masks)
{
	wr(APIC_ID, 0xffffffff);
	cr_assert_eq(rd(APIC_ID), 0xff000000);
	wr(APIC_LDR, 0xffffffff);
	cr_assert_eq(rd(APIC_LDR), 0xff000000);
	wr(APIC_DFR, 0);
	cr_assert_eq(rd(APIC_DFR), 0x0fffffff, "bits 0-27 read as ones");
	wr(APIC_SVR, 0xffffffff);
	cr_assert_eq(rd(APIC_SVR), 0x1ff, "no focus or EOI-suppression bit");
	wr(APIC_TPR, 0xffffffff);
	cr_assert_eq(rd(APIC_TPR), 0xff);
	wr(APIC_VER, 0);
	cr_assert_eq(rd(APIC_VER), 0x00050014);
	wr(APIC_TDCR, 0xffffffff);
	cr_assert_eq(rd(APIC_TDCR), 0xb);
	wr(APIC_LVT_TIMER, 0xffffffff);
	cr_assert_eq(rd(APIC_LVT_TIMER), 0x300ff, "vector, mask, periodic only");
	wr(APIC_LVT_LINT1, 0xffffffff);
	cr_assert_eq(rd(APIC_LVT_LINT1) & (LVT_DS | LVT_REMOTE_IRR), 0, "status bits are read-only");
	cr_assert_eq(bus_mmio_read(&bus, LAPIC_BASE + APIC_VER, 1), 0, "byte reads give 0");
	cr_assert_eq(rd(APIC_ESR), 0, "no error from legal registers");
}

/* Reserved registers are errors; a write latches them into the ESR. */
Test(lapic, esr_illegal_register)
{
	cr_assert_eq(rd(APIC_LVT_CMCI), 0);
	cr_assert_eq(rd(APIC_RRD), 0);
	cr_assert_eq(rd(APIC_ESR), 0, "not visible before the ESR is written");
	wr(APIC_ESR, 0);
	cr_assert_eq(rd(APIC_ESR), ESR_ILLEGAL_REG);
	wr(APIC_ESR, 0);
	cr_assert_eq(rd(APIC_ESR), 0, "the second write latches a clean slate");
}

/* An unmasked error LVT interrupts on a new error, once. */
Test(lapic, error_interrupt)
{
	wr(APIC_LVT_ERROR, 0xe3);
	wr(0x10, 1);
	cr_assert(irr(0xe3));
	cr_assert_eq(intr, 1);
	cr_assert_eq(lapic_intr_ack(&apic), 0xe3);
	wr(0x10, 1);
	cr_assert(!irr(0xe3), "the same error pending again does not interrupt");
}

/* One-shot, divide by 1: the count falls one per ns, interrupts at 0, stays 0. */
Test(lapic, timer_oneshot)
{
	wr(APIC_TDCR, 0xb);
	wr(APIC_LVT_TIMER, 0x40);
	wr(APIC_TMICT, 1000);
	advance_to(250);
	cr_assert_eq(rd(APIC_TMCCT), 750);
	advance_to(999);
	cr_assert_eq(intr, 0, "not a nanosecond early");
	advance_to(1000);
	cr_assert_eq(intr, 1);
	cr_assert_eq(rd(APIC_TMCCT), 0);
	cr_assert_eq(lapic_intr_ack(&apic), 0x40);
	wr(APIC_EOI, 0);
	advance_to(5000);
	cr_assert(!irr(0x40), "one-shot: one interrupt");
	cr_assert_eq(clk.next_deadline, CLOCK_NEVER);
}

/* Every TDCR encoding (SDM figure 10-10): 100 counts take 100 x divisor ns. */
Test(lapic, timer_divide_values)
{
	static const struct { uint32_t tdcr, div; } t[] = {
		{ 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
		{ 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 },
	};

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t t0 = insns;

		wr(APIC_TDCR, t[i].tdcr);
		wr(APIC_LVT_TIMER, 0x41);
		wr(APIC_TMICT, 100);
		advance_to(t0 + 100 * t[i].div - 1);
		cr_assert(!irr(0x41), "tdcr %#x early", t[i].tdcr);
		cr_assert_eq(rd(APIC_TMCCT), 1, "tdcr %#x", t[i].tdcr);
		advance_to(t0 + 100 * t[i].div);
		cr_assert(irr(0x41), "tdcr %#x: divide by %u", t[i].tdcr, t[i].div);
		cr_assert_eq(lapic_intr_ack(&apic), 0x41);
		wr(APIC_EOI, 0);
	}
}

/* Periodic: an interrupt every TMICT x divisor ns, the count reloading. */
Test(lapic, timer_periodic)
{
	wr(APIC_TDCR, 0x0);
	wr(APIC_LVT_TIMER, LVT_PERIODIC | 0x50);
	wr(APIC_TMICT, 500);
	for (unsigned k = 1; k <= 3; k++) {
		advance_to(k * 1000 - 1);
		cr_assert(!irr(0x50), "period %u early", k);
		advance_to(k * 1000);
		cr_assert(irr(0x50), "period %u", k);
		cr_assert_eq(lapic_intr_ack(&apic), 0x50);
		wr(APIC_EOI, 0);
	}
	advance_to(3500);
	cr_assert_eq(rd(APIC_TMCCT), 250, "reloaded from TMICT");
	wr(APIC_TMICT, 0);
	advance_to(10000);
	cr_assert(!irr(0x50), "a zero initial count stops it");
	cr_assert_eq(rd(APIC_TMCCT), 0);
}

/* Masked: counting goes on without interrupts or clock events; unmasking
 * catches the next expiry, not the missed ones. */
Test(lapic, timer_masked)
{
	wr(APIC_TDCR, 0xb);
	wr(APIC_LVT_TIMER, LVT_MASKED | LVT_PERIODIC | 0x60);
	wr(APIC_TMICT, 1000);
	cr_assert_eq(clk.next_deadline, CLOCK_NEVER);
	advance_to(2500);
	cr_assert_eq(intr, 0);
	cr_assert_eq(rd(APIC_TMCCT), 500);
	wr(APIC_LVT_TIMER, LVT_PERIODIC | 0x60);
	cr_assert_eq(clk.next_deadline, 3000);
	advance_to(3000);
	cr_assert(irr(0x60));
}

/* A divide change mid-count continues from the current count. */
Test(lapic, timer_divide_change)
{
	wr(APIC_TDCR, 0xb);
	wr(APIC_LVT_TIMER, 0x61);
	wr(APIC_TMICT, 1000);
	advance_to(400);
	wr(APIC_TDCR, 0x0);
	cr_assert_eq(rd(APIC_TMCCT), 600);
	advance_to(400 + 2 * 600 - 1);
	cr_assert(!irr(0x61));
	advance_to(400 + 2 * 600);
	cr_assert(irr(0x61), "600 counts left at 2 ns each");
}

/* TPR holds back vectors whose class is not above it; lowering it lets them in. */
Test(lapic, tpr_masks)
{
	wr(APIC_TPR, 0x50);
	self_ipi(0x55);
	cr_assert(irr(0x55));
	cr_assert_eq(intr, 0, "class 5 is not above TPR class 5");
	self_ipi(0x61);
	cr_assert_eq(intr, 1);
	cr_assert_eq(lapic_intr_ack(&apic), 0x61);
	cr_assert_eq(rd(APIC_PPR), 0x60, "PPR follows the in-service class");
	wr(APIC_EOI, 0);
	cr_assert_eq(rd(APIC_PPR), 0x50);
	cr_assert_eq(intr, 0);
	wr(APIC_TPR, 0x4f);
	cr_assert_eq(intr, 1);
	cr_assert_eq(lapic_intr_ack(&apic), 0x55);
}

/* In service 0x50: 0x40 waits for the EOI, 0x60 nests; EOI clears the highest. */
Test(lapic, nesting_and_eoi)
{
	self_ipi(0x50);
	cr_assert_eq(lapic_intr_ack(&apic), 0x50);
	self_ipi(0x40);
	cr_assert_eq(intr, 0, "lower class waits");
	self_ipi(0x60);
	cr_assert_eq(intr, 1);
	cr_assert_eq(lapic_intr_ack(&apic), 0x60);
	cr_assert(isr(0x50) && isr(0x60));
	wr(APIC_EOI, 0);
	cr_assert(!isr(0x60) && isr(0x50), "EOI retires the highest in service");
	cr_assert_eq(intr, 0);
	wr(APIC_EOI, 0);
	cr_assert_eq(intr, 1);
	cr_assert_eq(lapic_intr_ack(&apic), 0x40);
	cr_assert_eq(neoi, 0, "edge vectors are not broadcast");
}

/* INTA with nothing above PPR answers the spurious vector, ISR untouched. */
Test(lapic, spurious_vector)
{
	wr(APIC_SVR, APIC_SVR_ENABLE | 0xef);
	wr(APIC_TPR, 0xf0);
	self_ipi(0x80);
	cr_assert_eq(lapic_intr_ack(&apic), 0xef);
	cr_assert(!isr(0xef) && !isr(0x80));
	cr_assert(irr(0x80), "the held interrupt stays requested");
	cr_assert_eq(apic.spurious, 1);
}

/* Software-disabled: requests are held, then delivered when enabled again. */
Test(lapic, software_disable)
{
	wr(APIC_SVR, 0xff);
	self_ipi(0x70);
	cr_assert(irr(0x70));
	cr_assert_eq(intr, 0);
	wr(APIC_SVR, APIC_SVR_ENABLE | 0xff);
	cr_assert_eq(intr, 1);
	cr_assert_eq(lapic_intr_ack(&apic), 0x70);
}

/* Level-triggered vectors set TMR and are broadcast on EOI. */
Test(lapic, level_eoi_broadcast)
{
	struct apic_msg m = { .vector = 0x91, .level = true };

	cr_assert(lapic_deliver(&apic, &m));
	cr_assert(tmr(0x91));
	cr_assert_eq(lapic_intr_ack(&apic), 0x91);
	wr(APIC_EOI, 0);
	cr_assert_eq(neoi, 1);
	cr_assert_eq(eoi_vectors[0], 0x91);
}

/* Virtual wire: the PIC's IRQ0 reaches the CPU through LINT0 as vector 0x08. */
Test(lapic, extint_passthrough)
{
	pic_set_irq(&pic, 0, 1);
	cr_assert_eq(intr, 1);
	cr_assert_eq(lapic_intr_ack(&apic), 0x08, "the PIC answers INTA");
	cr_assert_eq(intr, 0);
	cr_assert(!isr(0x08), "ExtINT bypasses IRR/ISR");
}

/* LINT0 masked: the PIC's INTR goes nowhere; globally disabled: straight through. */
Test(lapic, extint_masked_and_disabled)
{
	wr(APIC_LVT_LINT0, LVT_MASKED | 0x700);
	pic_set_irq(&pic, 0, 1);
	cr_assert_eq(intr, 0);
	lapic_set_base_msr(&apic, LAPIC_BASE | APIC_BASE_MSR_BSP);
	cr_assert_eq(intr, 1, "without an APIC the PIC drives INTR");
	cr_assert_eq(lapic_intr_ack(&apic), 0x08);
	lapic_set_base_msr(&apic, LAPIC_BASE | APIC_BASE_MSR_BSP | APIC_BASE_MSR_EN);
	cr_assert_eq(rd(APIC_SVR), 0xff, "re-enabled from the power-on state");
	cr_assert_eq(rd(APIC_LVT_LINT0), LVT_MASKED);
}

/* A pending ExtINT is taken before APIC vectors, as on QEMU. */
Test(lapic, extint_first)
{
	self_ipi(0xa0);
	pic_set_irq(&pic, 1, 1);
	cr_assert_eq(lapic_intr_ack(&apic), 0x09);
	cr_assert_eq(lapic_intr_ack(&apic), 0xa0);
}

/* LINT0 in fixed mode turns the PIC's rising INTR into an APIC vector. */
Test(lapic, lint0_fixed)
{
	wr(APIC_LVT_LINT0, 0x33);
	pic_set_irq(&pic, 0, 1);
	cr_assert(irr(0x33));
	cr_assert_eq(lapic_intr_ack(&apic), 0x33, "not the PIC's vector");
}

/* IPIs: by ID, logical flat and cluster; nothing reaches a CPU that is not there. */
Test(lapic, ipi_destinations)
{
	wr(APIC_ICR_HI, 0u << 24);
	wr(APIC_ICR_LO, 0x81);
	cr_assert(irr(0x81), "physical ID 0 is this CPU");
	wr(APIC_ICR_HI, 1u << 24);
	wr(APIC_ICR_LO, 0x82);
	cr_assert(!irr(0x82), "no CPU has APIC ID 1");
	wr(APIC_ICR_LO, 3u << ICR_SHORTHAND_SHIFT | 0x83);
	cr_assert(!irr(0x83), "all-excluding-self reaches no one");
	wr(APIC_ICR_LO, 2u << ICR_SHORTHAND_SHIFT | 0x84);
	cr_assert(irr(0x84), "all-including-self");
	wr(APIC_LDR, 0x04u << 24);
	wr(APIC_ICR_HI, 0x0cu << 24);
	wr(APIC_ICR_LO, ICR_DEST_LOGICAL | 0x85);
	cr_assert(irr(0x85), "flat model: bit 2 is ours");
	wr(APIC_DFR, 0x0fffffff);
	wr(APIC_LDR, 0x21u << 24);
	wr(APIC_ICR_HI, 0x11u << 24);
	wr(APIC_ICR_LO, ICR_DEST_LOGICAL | 0x86);
	cr_assert(!irr(0x86), "cluster 1 is not cluster 2");
	wr(APIC_ICR_HI, 0x23u << 24);
	wr(APIC_ICR_LO, ICR_DEST_LOGICAL | 0x87);
	cr_assert(irr(0x87), "cluster 2, member bit 0");
}

/* INIT and STARTUP to APIC ID 1 go nowhere; the ICR is idle at once. */
Test(lapic, init_sipi_nowhere)
{
	wr(APIC_ICR_HI, 1u << 24);
	wr(APIC_ICR_LO, ICR_LEVEL_ASSERT | APIC_DM_INIT << LVT_DM_SHIFT);
	cr_assert_eq(rd(APIC_ICR_LO) & LVT_DS, 0);
	wr(APIC_ICR_LO, APIC_DM_STARTUP << LVT_DM_SHIFT | 0x08);
	cr_assert_eq(rd(APIC_ICR_LO), 0x608, "the command reads back, idle");
	cr_assert_eq(intr, 0);
	cr_assert_eq(apic.accepted, 0);
}

/* Vectors 0-15 are refused on both ends (SDM 10.5.3). */
Test(lapic, illegal_vectors)
{
	self_ipi(0x0e);
	wr(APIC_ESR, 0);
	cr_assert_eq(rd(APIC_ESR), ESR_SEND_ILLEGAL_VECTOR);
	struct apic_msg m = { .vector = 0x05 };
	lapic_deliver(&apic, &m);
	wr(APIC_ESR, 0);
	cr_assert_eq(rd(APIC_ESR), ESR_RECV_ILLEGAL_VECTOR);
	cr_assert_eq(intr, 0);
}
