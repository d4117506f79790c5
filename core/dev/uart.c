/*
 * PC16550D UART, after the National Semiconductor PC16550D datasheet
 * (June 1995), sections 8.4-8.6 (registers, FIFO and interrupt operation).
 *
 * Modelled: RBR/THR, IER, IIR with the datasheet's priorities (receiver
 * line status, then received data available or character timeout, then
 * THR empty, then modem status), FCR with 16-byte receive FIFO, trigger
 * levels and the character-timeout interrupt, LCR with the divisor latch,
 * MCR with loopback (TX fed back into RX, DTR/RTS/OUT1/OUT2 to
 * DSR/CTS/RI/DCD with their delta bits), LSR with overrun, MSR, SCR.
 *
 * Transmit is instantaneous: a THR write goes straight to the output file
 * (flushed, so guest output interleaves with the simulator's stderr) and
 * THR is empty again at once, as on QEMU. Receive is paced in modeled time:
 * one character of the input file per character time at the programmed
 * format and divisor (1.8432 MHz / 16 / divisor baud), fetched only while
 * the receiver has room, as if the far end honoured flow control; so a
 * given input file arrives at the same instructions on every run, and no
 * input is lost to overruns (an interactive terminal is polled instead,
 * and its keys arrive when typed). Loopback disconnects the input. With a wait
 * string (uart_set_wait), each input line waits for the string to appear
 * in the output once more, as a person types at a prompt.
 *
 * The IRQ line follows IIR alone, as on QEMU: on a real PC, OUT2 gates the
 * UART's interrupt onto the ISA bus, but kernels written for QEMU (xv6
 * writes 0 to MCR) take receive interrupts without it, and vmmsim boots
 * what boots on qemu-system-i386. Not modelled: parity/framing errors and break (no
 * wire), the transmit FIFO's timing, DMA mode signalling, the scratch-pad
 * games of 8250 detection beyond a plain read/write register.
 */
#include "core/dev/uart.h"

#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "core/dev/bus.h"

#define UART_XTAL_HZ	1843200ull
#define UART_MSR_DELTAS	(UART_MSR_DCTS | UART_MSR_DDSR | UART_MSR_TERI | UART_MSR_DDCD)
#define UART_LSR_ERRS	(UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)
/* MSR inputs of an unconnected port, as QEMU's chardev backend reports them. */
#define UART_MSR_IDLE	(UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS)

static bool fifo_on(const struct uart *u)
{
	return u->fcr & UART_FCR_ENABLE;
}

static unsigned rx_capacity(const struct uart *u)
{
	return fifo_on(u) ? UART_FIFO_SIZE : 1;
}

static unsigned rx_trigger(const struct uart *u)
{
	static const unsigned level[4] = { 1, 4, 8, 14 };
	return fifo_on(u) ? level[u->fcr >> 6] : 1;
}

uint64_t uart_char_ns(const struct uart *u)
{
	unsigned divisor = (unsigned)u->dlm << 8 | u->dll;
	unsigned bits = 1 + 5 + (u->lcr & 3) + ((u->lcr & 0x08) ? 1 : 0) +
			((u->lcr & 0x04) ? 2 : 1);

	if (divisor == 0)
		divisor = 65536;
	/* 16 clocks of the 1.8432 MHz crystal per bit, divided down. */
	return ((uint64_t)bits * divisor * 16 * 1000000000ull + UART_XTAL_HZ - 1) /
	       UART_XTAL_HZ;
}

static uint8_t uart_iir(const struct uart *u)
{
	uint8_t id = UART_IIR_NO_INT;

	if ((u->ier & UART_IER_ELSI) && (u->lsr & UART_LSR_ERRS))
		id = UART_IIR_RLSI;
	else if ((u->ier & UART_IER_ERBFI) && u->rx_count >= rx_trigger(u))
		id = UART_IIR_RDI;
	else if ((u->ier & UART_IER_ERBFI) && u->timeout_ipending)
		id = UART_IIR_CTI;
	else if ((u->ier & UART_IER_ETBEI) && u->thr_ipending)
		id = UART_IIR_THRI;
	else if ((u->ier & UART_IER_EDSSI) && (u->msr & UART_MSR_DELTAS))
		id = UART_IIR_MSI;
	return id | (fifo_on(u) ? UART_IIR_FIFO : 0);
}

static void uart_update_irq(struct uart *u)
{
	int level = !(uart_iir(u) & UART_IIR_NO_INT);

	if (level != u->irq_level) {
		u->irq_level = level;
		irq_set(&u->irq, level);
	}
}

/* Input may flow: no wait string, or it has been seen for this line. */
static bool rx_released(const struct uart *u)
{
	return !u->wait_len || u->lines_sent < u->wait_seen;
}

static bool rx_can_fetch(const struct uart *u)
{
	return u->in && !u->in_eof && !(u->mcr & UART_MCR_LOOP) &&
	       u->rx_count < rx_capacity(u) && rx_released(u);
}

static void rx_schedule(struct uart *u)
{
	if (!rx_can_fetch(u) || u->rx_timer.armed)
		return;
	clock_arm(u->clk, &u->rx_timer, clock_now(u->clk) + uart_char_ns(u));
}

static void rx_clear(struct uart *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
	u->timeout_ipending = false;
	u->lsr &= ~UART_LSR_DR;
	clock_disarm(u->clk, &u->timeout_timer);
}

/* The FIFO timeout counts four character times from the last RX event. */
static void timeout_restart(struct uart *u)
{
	u->timeout_ipending = false;
	if (fifo_on(u) && u->rx_count)
		clock_arm(u->clk, &u->timeout_timer,
			  clock_now(u->clk) + 4 * uart_char_ns(u));
	else
		clock_disarm(u->clk, &u->timeout_timer);
}

static void rx_push(struct uart *u, uint8_t c)
{
	if (u->rx_count >= rx_capacity(u)) {
		u->lsr |= UART_LSR_OE;
		return;
	}
	u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = c;
	u->rx_count++;
	u->rx_bytes++;
	u->lsr |= UART_LSR_DR;
	timeout_restart(u);
}

/* A key from an interactive terminal, if one is waiting: a person types
 * in real time, so the modeled machine does not wait for them. */
#define TTY_NOTHING	(-2)

static int tty_getc(struct uart *u)
{
	struct pollfd p = { .fd = fileno(u->in), .events = POLLIN };
	unsigned char b;

	if (poll(&p, 1, 0) <= 0)
		return TTY_NOTHING;
	ssize_t r = read(p.fd, &b, 1);
	if (r == 1)
		return b;
	return r == 0 ? EOF : TTY_NOTHING;
}

static void rx_timer_fire(void *opaque, uint64_t now)
{
	struct uart *u = opaque;

	if (!rx_can_fetch(u))
		return;
	int c = u->in_tty ? tty_getc(u) : fgetc(u->in);
	if (c == TTY_NOTHING) {
		/* Nobody typed yet: look again a character time later. */
		clock_arm(u->clk, &u->rx_timer, now + uart_char_ns(u));
		return;
	}
	if (c == EOF) {
		u->in_eof = true;
		return;
	}
	if (c == '\n')
		u->lines_sent++;
	rx_push(u, (uint8_t)c);
	uart_update_irq(u);
	if (rx_can_fetch(u))
		clock_arm(u->clk, &u->rx_timer, u->rx_timer.deadline + uart_char_ns(u));
}

static void timeout_timer_fire(void *opaque, uint64_t now)
{
	struct uart *u = opaque;

	if (fifo_on(u) && u->rx_count) {
		u->timeout_ipending = true;
		uart_update_irq(u);
	}
}

static uint8_t rbr_read(struct uart *u)
{
	uint8_t c = 0;

	if (u->rx_count) {
		c = u->rx[u->rx_head];
		u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
		u->rx_count--;
	}
	if (!u->rx_count)
		u->lsr &= ~UART_LSR_DR;
	timeout_restart(u);
	rx_schedule(u);
	return c;
}

/* Every byte of a file's input has reached the guest (a terminal never
 * runs dry: a person may type more). */
static bool input_delivered(struct uart *u)
{
	if (!u->in || u->in_tty || u->rx_count)
		return false;
	if (!u->in_eof) {
		int c = fgetc(u->in);
		if (c != EOF) {
			ungetc(c, u->in);
			return false;
		}
		u->in_eof = true;
	}
	return true;
}

/* One character of output against the wait string. */
static void wait_feed(struct uart *u, uint8_t c)
{
	if (u->tail_len == u->wait_len) {
		memmove(u->tail, u->tail + 1, u->wait_len - 1);
		u->tail_len--;
	}
	u->tail[u->tail_len++] = (char)c;
	if (u->tail_len == u->wait_len && !memcmp(u->tail, u->wait, u->wait_len)) {
		u->tail_len = 0;
		u->wait_seen++;
		if (u->on_input_done && input_delivered(u))
			u->on_input_done(u->done_opaque);
		else
			rx_schedule(u);
	}
}

static void thr_write(struct uart *u, uint8_t c)
{
	u->thr_ipending = false;
	uart_update_irq(u);
	if (u->mcr & UART_MCR_LOOP) {
		rx_push(u, c);
	} else {
		if (u->out) {
			fputc(c, u->out);
			fflush(u->out);
		}
		if (u->wait_len)
			wait_feed(u, c);
	}
	u->tx_bytes++;
	/* The shift register takes the byte at once: THR is empty again. */
	u->thr_ipending = true;
}

/* The modem inputs: fed from the MCR outputs in loopback, else idle. */
static void msr_update(struct uart *u)
{
	uint8_t now = UART_MSR_IDLE, old = u->msr;

	if (u->mcr & UART_MCR_LOOP) {
		now = 0;
		if (u->mcr & UART_MCR_RTS)
			now |= UART_MSR_CTS;
		if (u->mcr & UART_MCR_DTR)
			now |= UART_MSR_DSR;
		if (u->mcr & UART_MCR_OUT1)
			now |= UART_MSR_RI;
		if (u->mcr & UART_MCR_OUT2)
			now |= UART_MSR_DCD;
	}
	uint8_t changed = (old ^ now) & 0xf0, deltas = old & UART_MSR_DELTAS;
	if (changed & UART_MSR_CTS)
		deltas |= UART_MSR_DCTS;
	if (changed & UART_MSR_DSR)
		deltas |= UART_MSR_DDSR;
	if ((changed & UART_MSR_RI) && !(now & UART_MSR_RI))
		deltas |= UART_MSR_TERI;
	if (changed & UART_MSR_DCD)
		deltas |= UART_MSR_DDCD;
	u->msr = now | deltas;
}

static uint32_t uart_read(void *dev, uint32_t off, unsigned size)
{
	struct uart *u = dev;
	uint8_t v = 0;

	switch (off) {
	case UART_RBR:
		v = (u->lcr & UART_LCR_DLAB) ? u->dll : rbr_read(u);
		break;
	case UART_IER:
		v = (u->lcr & UART_LCR_DLAB) ? u->dlm : u->ier;
		break;
	case UART_IIR:
		v = uart_iir(u);
		/* Reading IIR is what acknowledges a THR-empty interrupt. */
		if ((v & 0x0f) == UART_IIR_THRI)
			u->thr_ipending = false;
		break;
	case UART_LCR: v = u->lcr; break;
	case UART_MCR: v = u->mcr; break;
	case UART_LSR:
		v = u->lsr;
		u->lsr &= ~UART_LSR_ERRS;
		break;
	case UART_MSR:
		v = u->msr;
		u->msr &= ~UART_MSR_DELTAS;
		break;
	case UART_SCR: v = u->scr; break;
	}
	uart_update_irq(u);
	return v;
}

static void fcr_write(struct uart *u, uint8_t v)
{
	if ((v ^ u->fcr) & UART_FCR_ENABLE)
		rx_clear(u);
	else if (v & UART_FCR_CLR_RX)
		rx_clear(u);
	u->fcr = v & 0xc9;
	rx_schedule(u);
}

static void uart_write(void *dev, uint32_t off, unsigned size, uint32_t value)
{
	struct uart *u = dev;
	uint8_t v = (uint8_t)value;

	switch (off) {
	case UART_THR:
		if (u->lcr & UART_LCR_DLAB)
			u->dll = v;
		else
			thr_write(u, v);
		break;
	case UART_IER:
		if (u->lcr & UART_LCR_DLAB) {
			u->dlm = v;
			break;
		}
		/* Enabling ETBEI with THR already empty interrupts at once. */
		if ((v & ~u->ier & UART_IER_ETBEI) && (u->lsr & UART_LSR_THRE))
			u->thr_ipending = true;
		u->ier = v & 0x0f;
		break;
	case UART_FCR: fcr_write(u, v); break;
	case UART_LCR: u->lcr = v; break;
	case UART_MCR:
		u->mcr = v & 0x1f;
		msr_update(u);
		rx_schedule(u);
		break;
	case UART_SCR: u->scr = v; break;
	default: break;
	}
	uart_update_irq(u);
}

static const struct bus_ops uart_ops = { uart_read, uart_write };

int uart_init(struct uart *u, struct clock *clk, const struct irq_line *irq,
	      FILE *out, FILE *in, char *err, size_t errlen)
{
	memset(u, 0, sizeof(*u));
	u->clk = clk;
	if (irq)
		u->irq = *irq;
	u->out = out;
	u->in = in;
	u->in_tty = in && isatty(fileno(in));
	/* Reset values; the divisor is undefined there, QEMU's 12 is used. */
	u->lsr = UART_LSR_THRE | UART_LSR_TEMT;
	u->msr = UART_MSR_IDLE;
	u->dll = 12;
	if (clock_add_timer(clk, &u->rx_timer, rx_timer_fire, u) ||
	    clock_add_timer(clk, &u->timeout_timer, timeout_timer_fire, u)) {
		snprintf(err, errlen, "uart: no clock timer left");
		return -1;
	}
	rx_schedule(u);
	return 0;
}

int uart_set_wait(struct uart *u, const char *s, void (*done)(void *opaque), void *opaque)
{
	size_t n = strlen(s);

	if (n > UART_WAIT_MAX)
		return -1;
	memcpy(u->wait, s, n);
	u->wait_len = n;
	u->tail_len = 0;
	u->on_input_done = done;
	u->done_opaque = opaque;
	return 0;
}

int uart_register(struct uart *u, struct bus *b, uint16_t base, const char *name,
		  char *err, size_t errlen)
{
	return bus_add_pio(b, name, base, 8, BUS_1, &uart_ops, u, err, errlen);
}

void uart_firmware_state(struct uart *u)
{
	u->dll = 1;
	u->dlm = 0;
	u->lcr = 0x03;
	u->mcr = UART_MCR_OUT2;
	u->fcr = UART_FCR_ENABLE;
	msr_update(u);
	clock_disarm(u->clk, &u->rx_timer);
	rx_schedule(u);
	uart_update_irq(u);
}
