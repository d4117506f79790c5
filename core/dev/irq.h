/*
 * Interrupt wiring. A device holds an irq_line to its interrupt controller
 * and drives it with a level; edge-triggered controllers (the 8259A in edge
 * mode) latch the 0->1 transition themselves. A controller signals the CPU
 * through an intr_pin (the INTR input) and answers the CPU's interrupt
 * acknowledge with a vector.
 */
#ifndef VMM_DEV_IRQ_H
#define VMM_DEV_IRQ_H

typedef void irq_set_fn(void *ctrl, unsigned irq, int level);

struct irq_line {
	irq_set_fn *set;
	void *ctrl;
	unsigned irq;
};

static inline void irq_set(const struct irq_line *l, int level)
{
	if (l->set)
		l->set(l->ctrl, l->irq, level);
}

static inline void irq_raise(const struct irq_line *l) { irq_set(l, 1); }
static inline void irq_lower(const struct irq_line *l) { irq_set(l, 0); }

/* The CPU's INTR input, as driven by the interrupt controller. */
struct intr_pin {
	void (*set)(void *cpu, int level);
	void *cpu;
};

static inline void intr_set(const struct intr_pin *p, int level)
{
	if (p->set)
		p->set(p->cpu, level);
}

#endif
