/*
 * Local APIC (xAPIC), after the Intel SDM vol. 3A chapter 10, with QEMU
 * 7.2's `apic` device as the oracle where the SDM leaves a choice.
 *
 * Modelled: the 4 KiB register page at 0xfee00000 (ID, version, TPR,
 * PPR, EOI, LDR, DFR, SVR, ISR/TMR/IRR as 256-bit sets, ESR, ICR, the six
 * LVT entries timer/thermal/perf/LINT0/LINT1/error, the timer's initial
 * and current counts and divide configuration); interrupt acceptance into
 * IRR, the SDM 10.8.3 priority rule (a vector is delivered when its
 * priority class is above PPR's, PPR being the higher of TPR and the
 * class of the highest in-service vector), IRR -> ISR at INTA, EOI
 * clearing the highest ISR bit and broadcasting level-triggered vectors
 * (TMR set) to the I/O APIC, the spurious vector when INTA finds nothing
 * above PPR; LINT0 carrying the 8259A's INTR in ExtINT mode (MP spec
 * 3.6.2.2 virtual wire) with INTA then answered by the PIC, or in fixed
 * mode as an ordinary vector; IPIs through the ICR with the four
 * destination shorthands and physical/logical (flat and cluster)
 * destinations; the ESR errors illegal register address and send/receive
 * illegal vector (vectors 0-15), latched into the readable ESR by a write.
 *
 * The timer counts in modeled time with a 1 GHz input (one count per
 * modeled nanosecond, i.e. per retired instruction, before the divider),
 * the rate QEMU's APIC timer counts at: TDCR divides by 1-128, TMICT
 * starts a count-down, 0 stops it; one-shot stops at 0, periodic reloads
 * and interrupts every TMICT * divisor ns (QEMU reloads after TMICT + 1).
 * A divide or mode change continues from the current count at the last
 * tick boundary. Expiries while the timer LVT is masked are lost, as on
 * hardware, and cost no clock event.
 *
 * What the QEMU probe showed (SeaBIOS 1.16, one CPU): ID 0, version
 * 0x00050014, TPR 0, DFR 0xffffffff, SVR 0x1ff (enabled, spurious vector
 * 0xff), LINT0 0x8700 (ExtINT), LINT1 0x8400 (NMI), timer/thermal/perf/
 * error 0x10000 (masked), ICR 0x000c4610 (SeaBIOS's last STARTUP
 * broadcast), ESR 0, counts and TDCR 0. ID and LDR keep bits 24-31, DFR
 * bits 28-31, SVR bits 0-8; narrower than 32-bit accesses read 0 and are
 * ignored; RRD (0xc0) and CMCI (0x2f0) are absent registers.
 *
 * Choices where QEMU departs from the SDM, with QEMU followed: software
 * disabling (SVR bit 8 clear) holds fixed interrupts in IRR but neither
 * masks the LVT entries nor stops ExtINT through LINT0; at INTA a pending
 * ExtINT goes before APIC vectors. With the SDM: reserved LVT/ICR bits
 * read 0 (QEMU keeps whatever was written), ESR writes latch the errors
 * (QEMU ignores them), illegal vectors are refused with an ESR error.
 *
 * Not modelled: SMI, NMI and INIT deliveries (the CPU has no such inputs;
 * they are counted as dropped), a second CPU (IPIs to another APIC ID go
 * nowhere, as under QEMU with one CPU, and the delivery status bit is
 * never seen set), lowest-priority arbitration (one APIC), thermal and
 * performance events, TSC-deadline mode, x2APIC, moving the APIC base.
 */
#include "core/dev/lapic.h"

#include <stdio.h>
#include <string.h>

#include "core/dev/bus.h"

#define LVT_TIMER_BITS	(LVT_VECTOR | LVT_MASKED | LVT_PERIODIC)
#define LVT_EVENT_BITS	(LVT_VECTOR | LVT_DM_MASK | LVT_MASKED)
#define LVT_LINT_BITS	(LVT_VECTOR | LVT_DM_MASK | LVT_POLARITY | LVT_LEVEL | LVT_MASKED)
#define LVT_ERROR_BITS	(LVT_VECTOR | LVT_MASKED)
#define ICR_LO_BITS	0x000ccfffu
#define ICR_HI_BITS	0xff000000u
#define APIC_SVR_BITS	0x1ffu
#define TDCR_BITS	0xbu
#define DFR_FLAT	0xfu
#define DFR_CLUSTER	0x0u

static const uint32_t lvt_bits[LAPIC_NLVT] = {
	[LVT_TIMER] = LVT_TIMER_BITS, [LVT_THERMAL] = LVT_EVENT_BITS,
	[LVT_PERF] = LVT_EVENT_BITS, [LVT_LINT0] = LVT_LINT_BITS,
	[LVT_LINT1] = LVT_LINT_BITS, [LVT_ERROR] = LVT_ERROR_BITS,
};

static void vec_set(uint32_t *v, unsigned n) { v[n >> 5] |= 1u << (n & 31); }
static void vec_clr(uint32_t *v, unsigned n) { v[n >> 5] &= ~(1u << (n & 31)); }
static bool vec_test(const uint32_t *v, unsigned n) { return v[n >> 5] & (1u << (n & 31)); }

static int vec_highest(const uint32_t *v)
{
	for (int i = 7; i >= 0; i--)
		if (v[i])
			return i * 32 + 31 - __builtin_clz(v[i]);
	return -1;
}

static unsigned lvt_dm(uint32_t lvt)
{
	return (lvt & LVT_DM_MASK) >> LVT_DM_SHIFT;
}

static uint8_t lapic_ppr(const struct lapic *l)
{
	int isrv = vec_highest(l->isr);
	uint8_t isr_class = isrv < 0 ? 0 : (uint8_t)(isrv & 0xf0);

	return (l->tpr & 0xf0) >= isr_class ? l->tpr : isr_class;
}

/* The IRR vector the CPU would take now, or -1. */
static int fixed_pending(const struct lapic *l)
{
	int v = vec_highest(l->irr);

	if (!l->hw_enabled || !(l->svr & APIC_SVR_ENABLE) || v < 0)
		return -1;
	return (v & 0xf0) > (lapic_ppr(l) & 0xf0) ? v : -1;
}

/* The PIC's INTR reaches the CPU: a globally disabled APIC passes it through. */
static bool extint_pending(const struct lapic *l)
{
	uint32_t lvt = l->lvt[LVT_LINT0];

	if (!l->lint[0])
		return false;
	return !l->hw_enabled || (!(lvt & LVT_MASKED) && lvt_dm(lvt) == APIC_DM_EXTINT);
}

static void lapic_update(struct lapic *l)
{
	int level = extint_pending(l) || fixed_pending(l) >= 0;

	if (level != l->intr_level) {
		l->intr_level = level;
		intr_set(&l->intr, level);
	}
}

static void lapic_accept(struct lapic *l, unsigned vector, bool level);

static void lapic_error(struct lapic *l, uint32_t bits)
{
	uint32_t lvt = l->lvt[LVT_ERROR];
	bool fresh = bits & ~l->esr_pending;

	l->esr_pending |= bits;
	/* Only a new error interrupts, so an illegal error vector cannot loop. */
	if (fresh && !(lvt & LVT_MASKED))
		lapic_accept(l, lvt & LVT_VECTOR, false);
}

/* An interrupt arrives: IRR, and TMR says how it must be EOIed. */
static void lapic_accept(struct lapic *l, unsigned vector, bool level)
{
	if (vector < 16) {
		lapic_error(l, ESR_RECV_ILLEGAL_VECTOR);
		return;
	}
	vec_set(l->irr, vector);
	if (level)
		vec_set(l->tmr, vector);
	else
		vec_clr(l->tmr, vector);
	l->accepted++;
	lapic_update(l);
}

/* ---- timer ---- */

static unsigned timer_shift(const struct lapic *l)
{
	unsigned v = (l->tdcr & 3) | ((l->tdcr >> 1) & 4);

	return (v + 1) & 7;	/* 0b111 divides by 1 */
}

static bool timer_periodic(const struct lapic *l)
{
	return l->lvt[LVT_TIMER] & LVT_PERIODIC;
}

static uint32_t timer_count_at(const struct lapic *l, uint64_t now)
{
	uint64_t ticks;

	if (!l->timer_running)
		return 0;
	ticks = (now - l->timer_start) >> timer_shift(l);
	if (ticks < l->timer_start_count)
		return l->timer_start_count - (uint32_t)ticks;
	if (!timer_periodic(l))
		return 0;
	return l->tmict - (uint32_t)((ticks - l->timer_start_count) % l->tmict);
}

uint32_t lapic_timer_count(const struct lapic *l)
{
	return timer_count_at(l, clock_now(l->clk));
}

/* The first time the count reaches 0 strictly after `after`. */
static uint64_t timer_next_expiry(const struct lapic *l, uint64_t after)
{
	unsigned shift = timer_shift(l);
	uint64_t first, period;

	if (!l->timer_running)
		return CLOCK_NEVER;
	first = l->timer_start + ((uint64_t)l->timer_start_count << shift);
	if (first > after)
		return first;
	if (!timer_periodic(l))
		return CLOCK_NEVER;
	period = (uint64_t)l->tmict << shift;
	return first + ((after - first) / period + 1) * period;
}

static void timer_rearm(struct lapic *l, uint64_t now)
{
	uint64_t next = timer_next_expiry(l, now);

	if (next != CLOCK_NEVER && !(l->lvt[LVT_TIMER] & LVT_MASKED))
		clock_arm(l->clk, &l->timer, next);
	else
		clock_disarm(l->clk, &l->timer);
}

/*
 * Before the divider or the mode changes: restart the count-down from
 * the value it had at the last tick, so what was counted stays counted.
 */
static void timer_rebase(struct lapic *l, uint64_t now)
{
	uint32_t count = timer_count_at(l, now);
	unsigned shift = timer_shift(l);

	if (!l->timer_running)
		return;
	if (!count) {
		l->timer_running = false;
		return;
	}
	l->timer_start += ((now - l->timer_start) >> shift) << shift;
	l->timer_start_count = count;
}

static void timer_fire(void *opaque, uint64_t now)
{
	struct lapic *l = opaque;
	uint32_t lvt = l->lvt[LVT_TIMER];

	l->timer_fires++;
	if (!(lvt & LVT_MASKED))
		lapic_accept(l, lvt & LVT_VECTOR, false);
	if (!timer_periodic(l))
		l->timer_running = false;
	timer_rearm(l, now);
}

static void timer_start(struct lapic *l, uint32_t count)
{
	uint64_t now = clock_now(l->clk);

	l->tmict = count;
	l->timer_running = count != 0;
	l->timer_start = now;
	l->timer_start_count = count;
	timer_rearm(l, now);
}

/* ---- local interrupt pins ---- */

static void lint_input(struct lapic *l, unsigned pin, int level)
{
	uint32_t lvt = l->lvt[LVT_LINT0 + pin];
	int old = l->lint[pin];

	l->lint[pin] = level;
	if (l->hw_enabled && !(lvt & LVT_MASKED)) {
		switch (lvt_dm(lvt)) {
		case APIC_DM_FIXED:
			if (lvt & LVT_LEVEL) {
				if (level)
					lapic_accept(l, lvt & LVT_VECTOR, true);
				else
					vec_clr(l->irr, lvt & LVT_VECTOR);
			} else if (level && !old) {
				lapic_accept(l, lvt & LVT_VECTOR, false);
			}
			break;
		case APIC_DM_EXTINT:
			break;
		default:
			if (level && !old)
				l->dropped++;
			break;
		}
	}
	lapic_update(l);
}

void lapic_lint0(void *lapic, int level)
{
	lint_input(lapic, 0, level);
}

/* ---- the APIC bus ---- */

static bool lapic_match(const struct lapic *l, uint8_t dest, bool logical)
{
	if (!logical)
		return dest == 0xff || dest == l->id;
	if (l->dfr_model == DFR_FLAT)
		return dest & l->ldr;
	if (l->dfr_model == DFR_CLUSTER)
		return dest == 0xff ||
		       ((dest >> 4) == (l->ldr >> 4) && (dest & l->ldr & 0x0f));
	return false;
}

bool lapic_deliver(struct lapic *l, const struct apic_msg *m)
{
	if (!l->hw_enabled || !lapic_match(l, m->dest, m->logical))
		return false;
	if (m->delivery_mode == APIC_DM_FIXED || m->delivery_mode == APIC_DM_LOWEST)
		lapic_accept(l, m->vector, m->level);
	else
		l->dropped++;
	return true;
}

/*
 * An ICR write sends at once: with one CPU every message either reaches
 * this APIC or no one, so the delivery status bit never reads 1.
 */
static void lapic_send_ipi(struct lapic *l)
{
	uint32_t icr = l->icr_lo;
	unsigned dm = lvt_dm(icr), vector = icr & LVT_VECTOR;
	bool self;

	l->ipis++;
	switch ((icr >> ICR_SHORTHAND_SHIFT) & 3) {
	case 0:
		self = lapic_match(l, (uint8_t)(l->icr_hi >> 24), icr & ICR_DEST_LOGICAL);
		break;
	case 1:
	case 2:
		self = true;
		break;
	default:
		self = false;
		break;
	}
	if ((dm == APIC_DM_FIXED || dm == APIC_DM_LOWEST) && vector < 16) {
		lapic_error(l, ESR_SEND_ILLEGAL_VECTOR);
		return;
	}
	if (!self)
		return;
	if (dm == APIC_DM_FIXED || dm == APIC_DM_LOWEST)
		lapic_accept(l, vector, icr & ICR_TRIGGER_LEVEL);
	else
		l->dropped++;
}

int lapic_intr_ack(struct lapic *l)
{
	int v;

	if ((!l->hw_enabled || extint_pending(l)) && l->extint_ack)
		return l->extint_ack(l->extint_opaque);
	v = fixed_pending(l);
	if (v < 0) {
		/* INTR fell between the CPU's sampling and INTA (SDM 10.9). */
		l->spurious++;
		return l->svr & 0xff;
	}
	vec_clr(l->irr, (unsigned)v);
	vec_set(l->isr, (unsigned)v);
	lapic_update(l);
	return v;
}

static void lapic_eoi(struct lapic *l)
{
	int v = vec_highest(l->isr);

	l->eois++;
	if (v < 0)
		return;
	vec_clr(l->isr, (unsigned)v);
	if (vec_test(l->tmr, (unsigned)v) && l->eoi_broadcast)
		l->eoi_broadcast(l->eoi_opaque, (uint8_t)v);
	lapic_update(l);
}

/* ---- registers ---- */

static bool in_set(uint32_t reg, uint32_t base)
{
	return reg >= base && reg < base + 0x80;
}

static uint32_t lapic_read(void *dev, uint32_t off, unsigned size)
{
	struct lapic *l = dev;
	uint32_t reg = off & 0xff0;

	if (size != 4)
		return 0;
	if (reg >= APIC_LVT_TIMER && reg <= APIC_LVT_ERROR)
		return l->lvt[(reg - APIC_LVT_TIMER) >> 4];
	if (in_set(reg, APIC_ISR))
		return l->isr[(reg - APIC_ISR) >> 4];
	if (in_set(reg, APIC_TMR))
		return l->tmr[(reg - APIC_TMR) >> 4];
	if (in_set(reg, APIC_IRR))
		return l->irr[(reg - APIC_IRR) >> 4];
	switch (reg) {
	case APIC_ID: return (uint32_t)l->id << 24;
	case APIC_VER: return APIC_VERSION;
	case APIC_TPR: return l->tpr;
	case APIC_APR: return 0;
	case APIC_PPR: return lapic_ppr(l);
	case APIC_EOI: return 0;
	case APIC_LDR: return (uint32_t)l->ldr << 24;
	case APIC_DFR: return (uint32_t)l->dfr_model << 28 | 0x0fffffffu;
	case APIC_SVR: return l->svr;
	case APIC_ESR: return l->esr;
	case APIC_ICR_LO: return l->icr_lo;
	case APIC_ICR_HI: return l->icr_hi;
	case APIC_TMICT: return l->tmict;
	case APIC_TMCCT: return lapic_timer_count(l);
	case APIC_TDCR: return l->tdcr;
	default:
		lapic_error(l, ESR_ILLEGAL_REG);
		return 0;
	}
}

static void lvt_write(struct lapic *l, unsigned n, uint32_t v)
{
	uint64_t now = clock_now(l->clk);

	if (n == LVT_TIMER)
		timer_rebase(l, now);
	l->lvt[n] = v & lvt_bits[n];
	if (n == LVT_TIMER)
		timer_rearm(l, now);
	lapic_update(l);
}

static void lapic_write(void *dev, uint32_t off, unsigned size, uint32_t v)
{
	struct lapic *l = dev;
	uint32_t reg = off & 0xff0;
	uint64_t now;

	if (size != 4)
		return;
	if (reg >= APIC_LVT_TIMER && reg <= APIC_LVT_ERROR) {
		lvt_write(l, (reg - APIC_LVT_TIMER) >> 4, v);
		return;
	}
	/* Read-only registers ignore writes without an error, as on QEMU. */
	if (in_set(reg, APIC_ISR) || in_set(reg, APIC_TMR) || in_set(reg, APIC_IRR))
		return;
	switch (reg) {
	case APIC_ID: l->id = (uint8_t)(v >> 24); break;
	case APIC_TPR:
		l->tpr = (uint8_t)v;
		lapic_update(l);
		break;
	case APIC_EOI: lapic_eoi(l); break;
	case APIC_LDR: l->ldr = (uint8_t)(v >> 24); break;
	case APIC_DFR: l->dfr_model = (uint8_t)(v >> 28); break;
	case APIC_SVR:
		l->svr = v & APIC_SVR_BITS;
		lapic_update(l);
		break;
	case APIC_ESR:
		l->esr = l->esr_pending;
		l->esr_pending = 0;
		break;
	case APIC_ICR_LO:
		l->icr_lo = v & ICR_LO_BITS;
		lapic_send_ipi(l);
		break;
	case APIC_ICR_HI: l->icr_hi = v & ICR_HI_BITS; break;
	case APIC_TMICT: timer_start(l, v); break;
	case APIC_TDCR:
		now = clock_now(l->clk);
		timer_rebase(l, now);
		l->tdcr = v & TDCR_BITS;
		timer_rearm(l, now);
		break;
	case APIC_VER:
	case APIC_APR:
	case APIC_PPR:
	case APIC_TMCCT:
		break;
	default:
		lapic_error(l, ESR_ILLEGAL_REG);
		break;
	}
}

static const struct bus_ops lapic_ops = { lapic_read, lapic_write };

static void lapic_reset(struct lapic *l)
{
	l->id = 0;
	l->tpr = l->ldr = 0;
	l->dfr_model = DFR_FLAT;
	l->svr = 0xff;
	memset(l->isr, 0, sizeof(l->isr));
	memset(l->tmr, 0, sizeof(l->tmr));
	memset(l->irr, 0, sizeof(l->irr));
	l->esr = l->esr_pending = 0;
	l->icr_lo = l->icr_hi = 0;
	for (unsigned i = 0; i < LAPIC_NLVT; i++)
		l->lvt[i] = LVT_MASKED;
	l->tmict = l->tdcr = 0;
	l->timer_running = false;
	clock_disarm(l->clk, &l->timer);
}

int lapic_init(struct lapic *l, struct clock *clk, const struct intr_pin *intr,
	       char *err, size_t errlen)
{
	memset(l, 0, sizeof(*l));
	l->clk = clk;
	if (intr)
		l->intr = *intr;
	if (clock_add_timer(clk, &l->timer, timer_fire, l)) {
		snprintf(err, errlen, "lapic: no clock timer left");
		return -1;
	}
	l->hw_enabled = true;
	lapic_reset(l);
	return 0;
}

void lapic_firmware_state(struct lapic *l)
{
	l->svr = APIC_SVR_ENABLE | 0xff;
	l->lvt[LVT_LINT0] = LVT_LEVEL | APIC_DM_EXTINT << LVT_DM_SHIFT;
	l->lvt[LVT_LINT1] = LVT_LEVEL | APIC_DM_NMI << LVT_DM_SHIFT;
	/* The STARTUP broadcast SeaBIOS sends to count CPUs stays in the ICR. */
	l->icr_lo = 3u << ICR_SHORTHAND_SHIFT | ICR_LEVEL_ASSERT |
		    APIC_DM_STARTUP << LVT_DM_SHIFT | 0x10;
	lapic_update(l);
}

void lapic_set_base_msr(struct lapic *l, uint32_t value)
{
	bool en = value & APIC_BASE_MSR_EN;

	if (!en && l->hw_enabled) {
		l->hw_enabled = false;
		l->svr &= ~APIC_SVR_ENABLE;
	} else if (en && !l->hw_enabled) {
		/* Enabled again, the APIC starts from its power-on state. */
		lapic_reset(l);
		l->hw_enabled = true;
	}
	lapic_update(l);
}

int lapic_register(struct lapic *l, struct bus *b, char *err, size_t errlen)
{
	return bus_add_mmio(b, "lapic", LAPIC_BASE, LAPIC_SIZE, BUS_1 | BUS_2 | BUS_4,
			    &lapic_ops, l, err, errlen);
}
