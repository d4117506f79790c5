/*
 * redpill: the sensitive unprivileged instructions of Robin and Irvine
 * (USENIX Security 2000), run from ring 0 and from ring 3, each checked
 * against what the kernel itself set up: SGDT, SIDT, SLDT, SMSW, STR
 * (descriptor-table registers, CR0's low half), PUSHF and POPF (IF and
 * IOPL), LAR, LSL, VERR, VERW (descriptor rights, limits, DPLs), MOV from
 * CS and SS, PUSH and POP of segment registers, and far CALL, RET and JMP
 * (which carry the privilege level in the selector's RPL). On hardware, or
 * under a monitor that hides itself, every value is the kernel's own: the
 * GDT and IDT it loaded, the CR0 it wrote, its CPL, the IF and IOPL it
 * set, the descriptors it wrote. Anything else reveals a monitor.
 *
 * Parameters: none.
 * Prints: what each instruction returned at each ring (addresses are the
 * kernel's own tables, fixed for a given image), then "result: ok" when
 * nothing differed, else "result: FAIL <first difference> (+n more)".
 */
#include "kernel.h"
#include "user.h"

#define SYS_REPORT SYS_WORKLOAD
#define NSEL 5
#define AR_MASK 0x00f0ff00u	/* LAR's defined bits (SDM LAR) */

static const struct param params[] = { { 0 } };

static const uint16_t selectors[NSEL] = {
	KERNEL_CS, KERNEL_DS, USER_CS, USER_DS, TSS_SEL,
};

struct seg_probe {
	uint32_t ar, limit;
	uint8_t lar_ok, lsl_ok, verr, verw;
};

struct probes {
	struct dtr gdtr, idtr;
	uint16_t ldtr, msw, tr;
	uint32_t flags_cli, flags_sti, popf_if, popf_iopl;
	uint16_t mov_cs, mov_ss;
	uint16_t push[6];	/* cs ss ds es fs gs */
	uint16_t popped[5];	/* ds es fs gs ss, read back after POP */
	uint16_t lcall_cs, ljmp_cs;
	struct seg_probe seg[NSEL];
};

static struct probes ring3;
static int ring3_reported;
static const char *first_reveal;
static char reveal_buf[96];
static uint32_t reveals;

static inline uint32_t flags(void)
{
	uint32_t f;

	__asm__ volatile("pushfl; popl %0" : "=r"(f) : : "memory");
	return f;
}

static inline uint32_t popf_then_pushf(uint32_t f)
{
	__asm__ volatile("pushl %0; popfl; pushfl; popl %0" : "+r"(f) : : "memory", "cc");
	return f;
}

static uint32_t far_call(uint32_t sel)
{
	uint32_t fp[2], got;

	__asm__ volatile("movl $1f, (%1)\n\tmovl %2, 4(%1)\n\tlcall *(%1)\n\tjmp 2f\n"
			 "1:\tmovl %%cs, %0\n\tlret\n2:"
			 : "=&a"(got) : "r"(fp), "r"(sel) : "memory");
	return got & 0xffff;
}

static uint32_t far_jmp(uint32_t sel)
{
	uint32_t fp[2], got;

	__asm__ volatile("movl $1f, (%1)\n\tmovl %2, 4(%1)\n\tljmp *(%1)\n"
			 "1:\tmovl %%cs, %0"
			 : "=&a"(got) : "r"(fp), "r"(sel) : "memory");
	return got & 0xffff;
}

static void probe_segments(struct probes *p)
{
	uint32_t v, i;
	uint16_t s;
	uint8_t ok;

	for (i = 0; i < NSEL; i++) {
		s = selectors[i];
		v = 0;
		__asm__ volatile("larl %2, %0; setz %1" : "+r"(v), "=q"(ok) : "r"((uint32_t)s) : "cc");
		p->seg[i].ar = ok ? v & AR_MASK : 0;
		p->seg[i].lar_ok = ok;
		v = 0;
		__asm__ volatile("lsll %2, %0; setz %1" : "+r"(v), "=q"(ok) : "r"((uint32_t)s) : "cc");
		p->seg[i].limit = ok ? v : 0;
		p->seg[i].lsl_ok = ok;
		__asm__ volatile("verr %w1; setz %0" : "=q"(ok) : "r"((uint32_t)s) : "cc");
		p->seg[i].verr = ok;
		__asm__ volatile("verw %w1; setz %0" : "=q"(ok) : "r"((uint32_t)s) : "cc");
		p->seg[i].verw = ok;
	}
}

/* Runs at either ring; only ring 0 may touch IF, and only it does. */
static void probe(struct probes *p, int ring0)
{
	uint32_t f, v[6], cs;

	memset(p, 0, sizeof(*p));
	__asm__ volatile("sgdt %0" : "=m"(p->gdtr));
	__asm__ volatile("sidt %0" : "=m"(p->idtr));
	__asm__ volatile("sldt %0" : "=m"(p->ldtr));
	__asm__ volatile("smsw %0" : "=m"(p->msw));
	__asm__ volatile("str %0" : "=m"(p->tr));
	if (ring0) {
		cli();
		p->flags_cli = flags();
		sti();
	}
	p->flags_sti = flags();
	f = p->flags_sti;
	p->popf_if = popf_then_pushf(f & ~EFLAGS_IF);
	if (ring0)
		sti();
	p->popf_iopl = popf_then_pushf((f & ~EFLAGS_IOPL) | 3u << EFLAGS_IOPL_SHIFT);
	popf_then_pushf(f & ~EFLAGS_IOPL);
	if (ring0)
		sti();
	__asm__ volatile("movl %%cs, %0" : "=r"(cs));
	p->mov_cs = (uint16_t)cs;
	__asm__ volatile("movl %%ss, %0" : "=r"(v[0]));
	p->mov_ss = (uint16_t)v[0];
	__asm__ volatile("pushl %%cs; popl %0; pushl %%ss; popl %1; pushl %%ds; popl %2\n\t"
			 "pushl %%es; popl %3; pushl %%fs; popl %4; pushl %%gs; popl %5"
			 : "=r"(v[0]), "=r"(v[1]), "=r"(v[2]), "=r"(v[3]), "=r"(v[4]), "=r"(v[5]));
	for (f = 0; f < 6; f++)
		p->push[f] = (uint16_t)v[f];
	__asm__ volatile("pushl %%ds; popl %%ds; pushl %%es; popl %%es; pushl %%fs; popl %%fs\n\t"
			 "pushl %%gs; popl %%gs; pushl %%ss; popl %%ss\n\t"
			 "movl %%ds, %0; movl %%es, %1; movl %%fs, %2; movl %%gs, %3; movl %%ss, %4"
			 : "=r"(v[0]), "=r"(v[1]), "=r"(v[2]), "=r"(v[3]), "=r"(v[4]));
	for (f = 0; f < 5; f++)
		p->popped[f] = (uint16_t)v[f];
	p->lcall_cs = (uint16_t)far_call(cs & 0xffff);
	p->ljmp_cs = (uint16_t)far_jmp(cs & 0xffff);
	probe_segments(p);
}

static int u_main(uint32_t arg)
{
	struct probes p;

	(void)arg;
	probe(&p, 0);
	return sys_call3(SYS_REPORT, (uint32_t)&p, sizeof(p), 0) != 0;
}

static int32_t sys_report(struct trapframe *tf)
{
	if (tf->ecx != sizeof(ring3) || copy_from_user(&ring3, tf->ebx, sizeof(ring3)))
		return -1;
	ring3_reported = 1;
	return 0;
}

static void expect(int ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return;
	if (!reveals++) {
		va_start(ap, fmt);
		vsnprintf(reveal_buf, sizeof(reveal_buf), fmt, ap);
		va_end(ap);
		first_reveal = reveal_buf;
	}
}

static void report_tables(const char *r, const struct probes *p)
{
	printk("%s sgdt base=0x%08x limit=0x%04x\n", r, p->gdtr.base, p->gdtr.limit);
	printk("%s sidt base=0x%08x limit=0x%04x\n", r, p->idtr.base, p->idtr.limit);
	printk("%s sldt 0x%04x smsw 0x%04x str 0x%04x\n", r, p->ldtr, p->msw, p->tr);
	expect(p->gdtr.base == (uint32_t)dt.gdt && p->gdtr.limit == sizeof(dt.gdt) - 1,
	       "%s sgdt shows another GDT", r);
	expect(p->idtr.base == (uint32_t)dt.idt && p->idtr.limit == sizeof(dt.idt) - 1,
	       "%s sidt shows another IDT", r);
	expect(p->ldtr == 0, "%s sldt shows an LDT", r);
	expect(p->msw == (cr0_value & 0xffff), "%s smsw differs from the CR0 written", r);
	expect(p->tr == TSS_SEL, "%s str shows another TSS", r);
}

static const char *const seg_names[6] = { "cs", "ss", "ds", "es", "fs", "gs" };

static void report_segments(const char *r, const struct probes *p, int cpl)
{
	uint16_t want_code = cpl ? USER_CS : KERNEL_CS, want_data = cpl ? USER_DS : KERNEL_DS;
	uint32_t i, hi, dpl, rpl, visible, type, limit;
	const struct seg_probe *s;

	printk("%s mov cs -> rpl %u, mov ss -> rpl %u\n", r, SEL_RPL(p->mov_cs), SEL_RPL(p->mov_ss));
	expect(SEL_RPL(p->mov_cs) == (uint32_t)cpl, "%s mov cs shows rpl %u", r, SEL_RPL(p->mov_cs));
	expect(SEL_RPL(p->mov_ss) == (uint32_t)cpl, "%s mov ss shows rpl %u", r, SEL_RPL(p->mov_ss));
	printk("%s push", r);
	for (i = 0; i < 6; i++) {
		printk(" %s=0x%04x", seg_names[i], p->push[i]);
		expect(p->push[i] == (i ? want_data : want_code), "%s push %s shows 0x%04x",
		       r, seg_names[i], p->push[i]);
	}
	printk("\n%s pop ds=0x%04x es=0x%04x fs=0x%04x gs=0x%04x ss=0x%04x\n", r,
	       p->popped[0], p->popped[1], p->popped[2], p->popped[3], p->popped[4]);
	for (i = 0; i < 5; i++)
		expect(p->popped[i] == want_data, "%s pop changed a segment register", r);
	printk("%s far call -> cs rpl %u, far jmp -> cs rpl %u\n", r,
	       SEL_RPL(p->lcall_cs), SEL_RPL(p->ljmp_cs));
	expect(p->lcall_cs == want_code && p->ljmp_cs == want_code,
	       "%s far call/jmp shows cs 0x%04x", r, p->lcall_cs);

	for (i = 0; i < NSEL; i++) {
		s = &p->seg[i];
		hi = (uint32_t)(dt.gdt[selectors[i] >> 3] >> 32);
		dpl = (hi >> 13) & 3;
		rpl = SEL_RPL(selectors[i]);
		type = (hi >> 8) & 0x1f;
		visible = dpl >= (uint32_t)cpl && dpl >= rpl;
		printk("%s sel 0x%02x lar=", r, selectors[i]);
		if (s->lar_ok)
			printk("0x%08x", s->ar);
		else
			printk("-");
		if (s->lsl_ok)
			printk(" lsl=0x%08x", s->limit);
		else
			printk(" lsl=-");
		printk(" verr=%u verw=%u\n", s->verr, s->verw);
		expect(s->lar_ok == visible && (!visible || s->ar == (hi & AR_MASK)),
		       "%s lar 0x%02x differs from the descriptor written", r, selectors[i]);
		limit = ((uint32_t)dt.gdt[selectors[i] >> 3] & 0xffff) | (hi & 0xf0000);
		if (hi & (1u << 23))
			limit = limit << 12 | 0xfff;
		expect(s->lsl_ok == visible && (!visible || s->limit == limit),
		       "%s lsl 0x%02x differs from the descriptor written", r, selectors[i]);
		/* Code segments here are readable, data segments writable. */
		expect(s->verr == (visible && (type & 0x10)), "%s verr 0x%02x", r, selectors[i]);
		expect(s->verw == (visible && (type & 0x18) == 0x10), "%s verw 0x%02x", r, selectors[i]);
	}
}

static void report_flags(const char *r, const struct probes *p, int cpl)
{
	uint32_t iopl = (p->flags_sti & EFLAGS_IOPL) >> EFLAGS_IOPL_SHIFT;
	uint32_t popf_if = !!(p->popf_if & EFLAGS_IF);
	uint32_t popf_iopl = (p->popf_iopl & EFLAGS_IOPL) >> EFLAGS_IOPL_SHIFT;

	if (!cpl) {
		printk("%s pushf after cli -> if=%u iopl=%u\n", r,
		       !!(p->flags_cli & EFLAGS_IF), (p->flags_cli & EFLAGS_IOPL) >> EFLAGS_IOPL_SHIFT);
		expect(!(p->flags_cli & EFLAGS_IF), "%s pushf shows if=1 after cli", r);
		expect(!(p->flags_cli & EFLAGS_IOPL), "%s pushf shows iopl>0", r);
	}
	printk("%s pushf -> if=%u iopl=%u\n", r, !!(p->flags_sti & EFLAGS_IF), iopl);
	printk("%s popf if=0 -> if=%u, popf iopl=3 -> iopl=%u\n", r, popf_if, popf_iopl);
	expect(p->flags_sti & EFLAGS_IF, "%s pushf shows if=0 with interrupts on", r);
	expect(iopl == 0, "%s pushf shows iopl=%u", r, iopl);
	/* Ring 0 may change both; ring 3 (CPL > IOPL) has its POPF ignore both. */
	expect(popf_if == (cpl ? 1u : 0u), "%s popf if=0 left if=%u", r, popf_if);
	expect(popf_iopl == (cpl ? 0u : 3u), "%s popf iopl=3 left iopl=%u", r, popf_iopl);
}

static int redpill_main(void)
{
	struct probes ring0;
	int pid, status;

	probe(&ring0, 1);
	syscall_register(SYS_REPORT, sys_report);
	pid = proc_spawn(u_main, 0);
	if (proc_join(pid, &status))
		return 1;
	if (status != 0 || !ring3_reported)
		return fail("the ring-3 probe did not report (status %d)", status);

	report_tables("ring0", &ring0);
	report_flags("ring0", &ring0, 0);
	report_segments("ring0", &ring0, 0);
	report_tables("ring3", &ring3);
	report_flags("ring3", &ring3, 3);
	report_segments("ring3", &ring3, 3);
	printk("revealing values: %u\n", reveals);
	if (reveals > 1)
		return fail("%s (+%u more)", first_reveal, reveals - 1);
	if (reveals)
		return fail("%s", first_reveal);
	return 0;
}

WORKLOAD("redpill", params, redpill_main);
