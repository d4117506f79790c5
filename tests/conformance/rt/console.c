/*
 * COM1 polled output, a printf subset, the check counters and the exit path.
 *
 * The UART is driven as a 16550 at 0x3f8: 8N1, FIFO on, polled on the LSR's
 * transmitter-holding-register-empty bit, so no interrupt is ever needed.
 * The exit value goes to QEMU's isa-debug-exit device at 0xf4 (vmmsim models
 * the same port); if the write does not end the machine, the CPU halts.
 *
 * printf understands %c %s %d %u %x %X %% with an optional '0' flag and
 * width, and the 'll' length modifier for %x and %u.
 */
#include "rt.h"

#define COM1		0x3f8
#define UART_LSR_THRE	0x20

static u32 n_pass, n_fail;
static int uart_ready;

static void uart_init(void)
{
	outb(COM1 + 1, 0x00);	/* IER: no interrupts */
	outb(COM1 + 3, 0x80);	/* LCR: DLAB */
	outb(COM1 + 0, 0x01);	/* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);	/* 8N1 */
	outb(COM1 + 2, 0x07);	/* FIFO on, cleared */
	outb(COM1 + 4, 0x03);	/* DTR, RTS */
	uart_ready = 1;
}

void rt_putc(char c)
{
	int spin = 100000;

	if (!uart_ready)
		uart_init();
	while (!(inb(COM1 + 5) & UART_LSR_THRE) && --spin)
		;
	outb(COM1, c);
}

/* Bitwise long division: a freestanding kernel has no libgcc 64-bit divide. */
static u32 divmod64(u64 *v, u32 base)
{
	u64 q = 0;
	u32 r = 0;
	int i;

	for (i = 63; i >= 0; i--) {
		r = (r << 1) | ((*v >> i) & 1);
		if (r >= base) {
			r -= base;
			q |= 1ull << i;
		}
	}
	*v = q;
	return r;
}

static void put_num(u64 v, unsigned int base, int width, char pad, int neg)
{
	char buf[24];
	int n = 0;

	do
		buf[n++] = "0123456789abcdef"[divmod64(&v, base)];
	while (v);
	if (neg)
		buf[n++] = '-';
	while (n < width--)
		rt_putc(pad);
	while (n)
		rt_putc(buf[--n]);
}

void rt_vprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		char pad = ' ';
		int width = 0, ll = 0;
		const char *s;
		u64 v;
		s32 d;

		if (*fmt != '%') {
			rt_putc(*fmt);
			continue;
		}
		if (*++fmt == '0')
			pad = '0', fmt++;
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + *fmt++ - '0';
		if (fmt[0] == 'l' && fmt[1] == 'l')
			ll = 1, fmt += 2;
		switch (*fmt) {
		case 'c':
			rt_putc(va_arg(ap, int));
			break;
		case 's':
			for (s = va_arg(ap, const char *); *s; s++)
				rt_putc(*s);
			break;
		case 'd':
			d = va_arg(ap, s32);
			put_num(d < 0 ? -(s64)d : d, 10, width, pad, d < 0);
			break;
		case 'u':
		case 'x':
		case 'X':
			v = ll ? va_arg(ap, u64) : va_arg(ap, u32);
			put_num(v, *fmt == 'u' ? 10 : 16, width, pad, 0);
			break;
		case '%':
			rt_putc('%');
			break;
		default:
			rt_putc('?');
			break;
		}
	}
}

void rt_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rt_vprintf(fmt, ap);
	va_end(ap);
}

void rt_pass(const char *fmt, ...)
{
	va_list ap;

	n_pass++;
	rt_printf("PASS ");
	va_start(ap, fmt);
	rt_vprintf(fmt, ap);
	va_end(ap);
	rt_putc('\n');
}

/* Prints "FAIL <name>" and leaves the line open for the caller's details. */
static void fail_head(const char *fmt, va_list ap)
{
	n_fail++;
	rt_printf("FAIL ");
	rt_vprintf(fmt, ap);
	rt_printf(": ");
}

void rt_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail_head(fmt, ap);
	va_end(ap);
	rt_printf("check failed\n");
}

/* Counts and prints a PASS line, or the head of a FAIL line whose tail
 * (what was got and expected) the caller prints. */
static int check_head(int ok, const char *fmt, va_list ap)
{
	if (ok) {
		n_pass++;
		rt_printf("PASS ");
		rt_vprintf(fmt, ap);
		rt_putc('\n');
	} else {
		fail_head(fmt, ap);
	}
	return ok;
}

int rt_check(u32 got, u32 exp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (!check_head(got == exp, fmt, ap))
		rt_printf("got 0x%x expected 0x%x\n", got, exp);
	va_end(ap);
	return got == exp;
}

int rt_check64(u64 got, u64 exp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (!check_head(got == exp, fmt, ap))
		rt_printf("got 0x%llx expected 0x%llx\n", got, exp);
	va_end(ap);
	return got == exp;
}

/* One check of a result together with the flags it left. */
int rt_check_rf(u32 got, u32 gflags, u32 exp, u32 eflags, const char *fmt, ...)
{
	int ok = got == exp && gflags == eflags;
	va_list ap;

	va_start(ap, fmt);
	if (ok) {
		n_pass++;
		rt_printf("PASS ");
		rt_vprintf(fmt, ap);
		rt_putc('\n');
	} else {
		fail_head(fmt, ap);
		rt_printf("got 0x%x flags 0x%x expected 0x%x flags 0x%x\n",
			  got, gflags, exp, eflags);
	}
	va_end(ap);
	return ok;
}

/* Checks that exactly one exception with this vector, error code and saved
 * EIP was caught since the last rt_trap_reset(). */
void rt_check_trap(const char *name, u32 vector, u32 err, u32 eip)
{
	if (rt_trap.count == 1 && rt_trap.vector == vector &&
	    rt_trap.err == err && rt_trap.eip == eip) {
		n_pass++;
		rt_printf("PASS %s\n", name);
		return;
	}
	n_fail++;
	if (!rt_trap.count)
		rt_printf("FAIL %s: got no exception expected vector %u error 0x%x\n",
			  name, vector, err);
	else
		rt_printf("FAIL %s: got %u exception(s), vector %u error 0x%x eip 0x%x expected vector %u error 0x%x eip 0x%x\n",
			  name, rt_trap.count, rt_trap.vector, rt_trap.err,
			  rt_trap.eip, vector, err, eip);
}

void rt_exit(u32 value)
{
	outb(0xf4, value);
	for (;;)
		asm volatile("cli; hlt");
}

void rt_done(void)
{
	rt_printf("%s: %u passed, %u failed\n", rt_name, n_pass, n_fail);
	rt_exit(n_fail ? 1 : 0);
}
