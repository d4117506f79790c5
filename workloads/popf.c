/*
 * popf: interrupt-off critical sections written with PUSHF/CLI/POPF, as a
 * kernel writes them, under a fast-running PIT. Each round runs three
 * section patterns, each protected section lasting several timer periods
 * (measured on the PIT's own counter, so the same on any host speed):
 *
 *  A  save/restore:  f = PUSHF; CLI; <section>; POPF f (IF back to 1)
 *  B  restore-off:   CLI; f = PUSHF; STI; <ticks come in>; POPF f (IF
 *                    back to 0); <section>; STI
 *  C  nested save:   outer = PUSHF; CLI; inner = PUSHF; CLI; if inner
 *                    had IF set, STI (as a restore that trusts its saved
 *                    flags does); <section>; POPF outer
 *
 * On hardware nothing interrupts a section. A kernel run deprivileged
 * (CPL 1, IOPL 0) sees POPF ignore IF, so B's sections take interrupts,
 * and PUSHF show the real IF (1), so C re-enables them. Every timer
 * interrupt taken inside a section is counted, and so are the ticks
 * outside, which prove the timer ran. (A's POPF cannot turn interrupts
 * back on there either, but that only shows as a tick arriving late, and
 * how late a tick may be on a loaded host running QEMU has no bound, so it
 * is not judged.)
 *
 * Parameters: iters (default 40) rounds; hz (default 10000) timer rate;
 * span (default 3) PIT periods per section.
 * Prints: the number of sections, interrupts taken inside them (0), and
 * whether the timer ran outside the sections (yes); no tick counts, which
 * depend on host speed.
 */
#include "kernel.h"

#define LET_IN_PERIODS 4

static uint32_t iters, hz, span;
static const struct param params[] = {
	{ "iters", &iters, 40, 1, 1000000 },
	{ "hz", &hz, 10000, 100, 50000 },
	{ "span", &span, 3, 2, 1000 },
	{ 0 },
};

static uint32_t inside, sections;

static inline uint32_t save_flags(void)
{
	uint32_t f;

	__asm__ volatile("pushfl; popl %0" : "=r"(f) : : "memory");
	return f;
}

static inline uint32_t save_flags_cli(void)
{
	uint32_t f;

	__asm__ volatile("pushfl; popl %0; cli" : "=r"(f) : : "memory");
	return f;
}

static inline void restore_flags(uint32_t f)
{
	__asm__ volatile("pushl %0; popfl" : : "g"(f) : "memory", "cc");
}

/* Waits, with interrupts on, for the next tick or a few periods. */
static void let_ticks_in(void)
{
	uint32_t t = ticks, n;
	uint16_t prev = pit_read_count(), now;

	for (n = 0; ticks == t && n < LET_IN_PERIODS;) {
		now = pit_read_count();
		n += now > prev;
		prev = now;
	}
}

static void protected_section(uint32_t t0)
{
	pit_wait_periods(span);
	inside += ticks - t0;
	sections++;
}

static void pattern_save_restore(void)
{
	uint32_t f = save_flags_cli();

	protected_section(ticks);
	restore_flags(f);
	let_ticks_in();
	sti();
}

static void pattern_restore_off(void)
{
	uint32_t f;

	cli();
	f = save_flags();
	sti();
	let_ticks_in();
	restore_flags(f);
	protected_section(ticks);
	sti();
}

static void pattern_nested(void)
{
	uint32_t outer, inner, t0;

	outer = save_flags_cli();
	t0 = ticks;
	inner = save_flags_cli();
	if (inner & EFLAGS_IF)
		sti();
	protected_section(t0);
	restore_flags(outer);
	sti();
}

static int popf_main(void)
{
	uint32_t i, t_start, total;

	pit_set_hz(hz);
	t_start = ticks;
	for (i = 0; i < iters; i++) {
		pattern_save_restore();
		pattern_restore_off();
		pattern_nested();
	}
	total = ticks - t_start;
	pit_set_hz(DEFAULT_HZ);

	printk("sections: %u\n", sections);
	printk("interrupts inside protected sections: %u\n", inside);
	printk("timer ran outside sections: %s\n", total > inside ? "yes" : "no");
	if (inside)
		return fail("%u interrupts inside protected sections", inside);
	if (total <= inside)
		return fail("the timer never interrupted outside the sections");
	return 0;
}

WORKLOAD("popf", params, popf_main);
