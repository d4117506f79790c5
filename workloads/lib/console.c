/*
 * Console on COM1, a 16550A UART at 0x3f8 (NS16550A datasheet): 115200 8N1,
 * FIFOs on, interrupts off, polled transmit (wait for LSR.THRE). Also the
 * runtime's formatter, vsnprintf, which keeps no state of its own so that
 * ring-3 code may call it as well: %d %u %x %X %c %s %p %%, with '0', '-'
 * and a width; 'l' is accepted and ignored (long is 32 bits here). Its two
 * outputs: printk, straight to the UART, and u_printf, through the write
 * system call from ring 3.
 */
#include "kernel.h"
#include "user.h"

#define COM1 0x3f8
#define UART_THR 0
#define UART_DLL 0
#define UART_IER 1
#define UART_DLM 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_LCR_DLAB 0x80
#define UART_LCR_8N1 0x03
#define UART_LSR_THRE 0x20
#define UART_SPIN_LIMIT 100000

void console_init(void)
{
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, UART_LCR_DLAB);
	outb(COM1 + UART_DLL, 1);
	outb(COM1 + UART_DLM, 0);
	outb(COM1 + UART_LCR, UART_LCR_8N1);
	outb(COM1 + UART_FCR, 0x07);
	outb(COM1 + UART_MCR, 0x03);
}

static void uart_putc(char c)
{
	int spin;

	/* Bounded, so that a UART without THRE still lets the run finish. */
	for (spin = 0; spin < UART_SPIN_LIMIT; spin++)
		if (inb(COM1 + UART_LSR) & UART_LSR_THRE)
			break;
	outb(COM1 + UART_THR, (uint8_t)c);
}

void console_write(const char *s, size_t n)
{
	while (n--)
		uart_putc(*s++);
}

struct outbuf {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct outbuf *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_num(struct outbuf *o, uint32_t v, unsigned base, int upper,
		    int neg, int width, char pad, int left)
{
	char tmp[12];
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int n = 0, total;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	total = n + neg;
	if (neg && pad == '0')
		put(o, '-');
	for (; !left && total < width; width--)
		put(o, pad);
	if (neg && pad != '0')
		put(o, '-');
	while (n)
		put(o, tmp[--n]);
	for (; left && total < width; width--)
		put(o, ' ');
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct outbuf o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		int width = 0, left = 0;
		char pad = ' ';

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == '-') {
			left = 1;
			fmt++;
		}
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l')
			fmt++;
		switch (*fmt) {
		case 'd': {
			int32_t v = va_arg(ap, int32_t);

			put_num(&o, v < 0 ? -(uint32_t)v : (uint32_t)v, 10, 0,
				v < 0, width, pad, left);
			break;
		}
		case 'u':
			put_num(&o, va_arg(ap, uint32_t), 10, 0, 0, width, pad, left);
			break;
		case 'x':
		case 'X':
			put_num(&o, va_arg(ap, uint32_t), 16, *fmt == 'X', 0,
				width, pad, left);
			break;
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			put_num(&o, (uint32_t)va_arg(ap, void *), 16, 0, 0, 8, '0', 0);
			break;
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			int n = (int)strlen(s);

			for (; !left && n < width; width--)
				put(&o, ' ');
			while (*s)
				put(&o, *s++);
			for (; left && n < width; width--)
				put(&o, ' ');
			break;
		}
		case '\0':
			fmt--;
			break;
		default:
			put(&o, '%');
			put(&o, *fmt);
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

void printk(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	console_write(buf, (size_t)n);
}

void u_printf(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	sys_write(buf, (uint32_t)n);
}
