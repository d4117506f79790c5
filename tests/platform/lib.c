/*
 * Platform kernel runtime: COM1 polled output and a printf subset, a flat
 * GDT, an IDT routing every vector to plat_dispatch, checks and the exit
 * through isa-debug-exit.
 *
 * COM1 is driven as SeaBIOS left it (115200 8N1, FIFOs on), polled on
 * LSR.THRE, so printing needs no interrupt. printf knows %c %s %u %d %x
 * with an optional '0' flag and width.
 */
#include "plat.h"

#define UART_LSR_THRE	0x20
#define SEL_KCODE	0x08
#define SEL_KDATA	0x10
#define WAIT_SPINS	400000000u
#define WAIT_HALTS	100000u

u32 plat_mbi;
volatile u32 plat_unexpected;
static u32 n_pass, n_fail;
static plat_handler handlers[256];

static u64 gdt[3] __attribute__((aligned(8))) = {
	0,
	0x00cf9a000000ffffull,	/* 0x08: flat 32-bit code */
	0x00cf92000000ffffull,	/* 0x10: flat 32-bit data */
};
static u64 idt[256] __attribute__((aligned(8)));
extern u32 plat_isr_stubs[];

struct dtr {
	u16 limit;
	u32 base;
} __attribute__((packed));

/* The frame plat_isr_common builds: PUSHAD, then vector and error code. */
struct frame {
	u32 edi, esi, ebp, esp, ebx, edx, ecx, eax;
	u32 vector, err, eip, cs, eflags;
};

static void putc(char c)
{
	u32 spin = 1000000;

	while (!(inb(COM1 + 5) & UART_LSR_THRE) && --spin)
		;
	outb(COM1, (u8)c);
}

static void put_num(u32 v, u32 base, int width, char pad, int neg)
{
	char buf[12];
	int n = 0;

	do {
		buf[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		buf[n++] = '-';
	while (n < width--)
		putc(pad);
	while (n)
		putc(buf[--n]);
}

void plat_vprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		char pad = ' ';
		int width = 0;

		if (*fmt != '%') {
			if (*fmt == '\n')
				putc('\r');
			putc(*fmt);
			continue;
		}
		fmt++;
		if (*fmt == '0')
			pad = '0';
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + *fmt++ - '0';
		switch (*fmt) {
		case 'c': putc((char)va_arg(ap, int)); break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			int len = 0;
			while (s[len])
				len++;
			while (len < width--)
				putc(' ');
			while (*s)
				putc(*s++);
			break;
		}
		case 'u': put_num(va_arg(ap, u32), 10, width, pad, 0); break;
		case 'd': {
			int v = va_arg(ap, int);
			put_num(v < 0 ? -(u32)v : (u32)v, 10, width, pad, v < 0);
			break;
		}
		case 'x': put_num(va_arg(ap, u32), 16, width, pad, 0); break;
		case '%': putc('%'); break;
		default: break;
		}
	}
}

void plat_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	plat_vprintf(fmt, ap);
	va_end(ap);
}

int plat_check(const char *what, u32 got, u32 want)
{
	if (got == want) {
		n_pass++;
		plat_printf("PASS %s\n", what);
		return 1;
	}
	n_fail++;
	plat_printf("FAIL %s: got %x want %x\n", what, got, want);
	return 0;
}

void plat_done(const char *name)
{
	cli();
	plat_printf("%s: %u passed, %u failed, %u unexpected interrupts\n", name, n_pass,
		    n_fail, plat_unexpected);
	outb(0xf4, n_fail || plat_unexpected ? 1 : 0);
	for (;;)
		asm volatile("hlt");
}

int plat_wait(volatile u32 *flag, u32 want, const char *what, int sleep)
{
	u32 n = sleep ? WAIT_HALTS : WAIT_SPINS;
	u32 eflags;

	asm volatile("pushfl; popl %0" : "=r"(eflags));
	while (*flag < want && n--) {
		if (sleep)
			sti_hlt();
		else
			asm volatile("" : : : "memory");
	}
	if (eflags & EFLAGS_IF)
		sti();
	if (*flag >= want)
		return 0;
	plat_check(what, *flag, want);
	return -1;
}

void plat_set_handler(u32 vector, plat_handler h)
{
	handlers[vector & 0xff] = h;
}

void plat_dispatch(struct frame *f)
{
	if (handlers[f->vector]) {
		handlers[f->vector](f->vector);
		return;
	}
	if (f->vector < 32) {
		plat_printf("FAIL exception %u error %x at eip %x\n", f->vector, f->err, f->eip);
		n_fail++;
		plat_done("platform");
	}
	plat_unexpected++;
	plat_printf("unexpected interrupt vector %x\n", f->vector);
}

static void set_gate(u32 vec, u32 handler)
{
	idt[vec] = (u64)(handler & 0xffff) | (u64)SEL_KCODE << 16 |
		   (u64)0x8e00 << 32 | (u64)(handler >> 16) << 48;
}

void plat_setup(void)
{
	struct dtr g = { sizeof(gdt) - 1, (u32)gdt }, i = { sizeof(idt) - 1, (u32)idt };

	asm volatile("lgdt %0\n\t"
		     "ljmp %1, $1f\n"
		     "1:\tmovw %w2, %%ax\n\t"
		     "movw %%ax, %%ds\n\tmovw %%ax, %%es\n\tmovw %%ax, %%ss\n\t"
		     "movw %%ax, %%fs\n\tmovw %%ax, %%gs"
		     : : "m"(g), "i"(SEL_KCODE), "i"(SEL_KDATA) : "eax", "memory");
	for (u32 v = 0; v < 256; v++)
		set_gate(v, (u32)plat_isr_stubs + 16 * v);
	asm volatile("lidt %0" : : "m"(i));
}

/* Multiboot 0.6.96 section 3.3: cmdline is valid with flags bit 2. */
int plat_cmdline_has(const char *word)
{
	const u32 *mbi = (const u32 *)plat_mbi;
	const char *s;

	if (!mbi || !(mbi[0] & 4))
		return 0;
	for (s = (const char *)mbi[4]; *s; s++) {
		const char *a = s, *w = word;

		if (s != (const char *)mbi[4] && s[-1] != ' ')
			continue;
		while (*w && *a == *w)
			a++, w++;
		if (!*w && (!*a || *a == ' '))
			return 1;
	}
	return 0;
}
