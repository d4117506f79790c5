/* 16550A UART through the bus, with modeled time driving receive. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/dev/bus.h"
#include "core/dev/clock.h"
#include "core/dev/uart.h"

#define COM1 0x3f8

static struct bus bus;
static struct clock clk;
static uint64_t insns;
static struct uart uart;
static int irq4;
static FILE *txf;

static void irq_cb(void *ctrl, unsigned irq, int level)
{
	cr_assert_eq(irq, 4);
	*(int *)ctrl = level;
}

static void out(unsigned reg, uint8_t v) { bus_pio_write(&bus, COM1 + reg, 1, v); }
static uint8_t in(unsigned reg) { return (uint8_t)bus_pio_read(&bus, COM1 + reg, 1); }

static void at(uint64_t ns)
{
	insns = ns;
	clock_run_due(&clk);
}

static void start(FILE *rx)
{
	char err[128];
	struct irq_line line = { irq_cb, &irq4, 4 };

	insns = 0;
	irq4 = 0;
	bus_init(&bus);
	clock_init(&clk, &insns);
	txf = tmpfile();
	cr_assert_not_null(txf);
	cr_assert_eq(uart_init(&uart, &clk, &line, txf, rx, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(uart_register(&uart, &bus, COM1, "com1", err, sizeof(err)), 0, "%s", err);
	uart_firmware_state(&uart);
}

static FILE *input(const char *s)
{
	FILE *f = tmpfile();
	fputs(s, f);
	rewind(f);
	return f;
}

/* DLAB switches offsets 0/1 to the divisor latch; IER keeps 4 bits. */
Test(uart, divisor_latch_and_registers)
{
	start(NULL);
	out(UART_LCR, 0x83);
	out(UART_DLL, 0x0c);
	out(UART_DLM, 0x01);
	out(UART_LCR, 0x03);
	out(UART_IER, 0xff);
	cr_assert_eq(in(UART_IER), 0x0f);
	out(UART_LCR, 0x83);
	cr_assert_eq(in(UART_DLL), 0x0c);
	cr_assert_eq(in(UART_DLM), 0x01);
	out(UART_SCR, 0x5a);
	cr_assert_eq(in(UART_SCR), 0x5a);
	cr_assert_eq(in(UART_LCR), 0x83);
}

/* 9600 baud 7E1 is 10 bits of 12 x 16 crystal clocks: 1041667 ns. */
Test(uart, char_time)
{
	start(NULL);
	out(UART_LCR, 0x80);
	out(UART_DLL, 12);
	out(UART_LCR, 0x1a);
	cr_assert_eq(uart_char_ns(&uart), 1041667);
}

/* THR writes reach the output file at once; THRE and TEMT stay set. */
Test(uart, transmit)
{
	char buf[8] = { 0 };

	start(NULL);
	out(UART_THR, 'o');
	out(UART_THR, 'k');
	cr_assert_eq(in(UART_LSR) & 0x60, 0x60);
	rewind(txf);
	cr_assert_eq(fread(buf, 1, sizeof(buf), txf), 2);
	cr_assert_str_eq(buf, "ok");
}

/* Enabling ETBEI with THR empty interrupts; reading IIR acknowledges it. */
Test(uart, thre_interrupt)
{
	start(NULL);
	cr_assert_eq(in(UART_IIR), 0xc1, "FIFOs on, no interrupt, as SeaBIOS leaves it");
	out(UART_IER, UART_IER_ETBEI);
	cr_assert_eq(irq4, 1);
	cr_assert_eq(in(UART_IIR), 0xc2);
	cr_assert_eq(irq4, 0);
	cr_assert_eq(in(UART_IIR), 0xc1);
	out(UART_THR, 'x');
	cr_assert_eq(irq4, 1, "THR empties again after a write");
}

/* The IRQ follows IIR whatever OUT2 says, as on QEMU (xv6 clears MCR and
 * still takes receive interrupts). */
Test(uart, irq_without_out2)
{
	start(NULL);
	out(UART_MCR, 0);
	out(UART_IER, UART_IER_ETBEI);
	cr_assert_eq(irq4, 1);
	cr_assert_eq(in(UART_IIR) & 0x0f, UART_IIR_THRI);
	cr_assert_eq(irq4, 0, "reading IIR acknowledged THRE");
}

/* Loopback: TX lands in RX, MCR outputs show up as MSR inputs with deltas. */
Test(uart, loopback)
{
	start(NULL);
	in(UART_MSR);
	out(UART_MCR, UART_MCR_LOOP);
	cr_assert_eq(in(UART_MSR), 0x0b, "CTS, DSR, DCD fell: their deltas, no TERI");
	out(UART_MCR, UART_MCR_LOOP | UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT1 |
			  UART_MCR_OUT2);
	cr_assert_eq(in(UART_MSR), 0xfb);
	cr_assert_eq(in(UART_MSR), 0xf0, "reading MSR clears the deltas");
	out(UART_MCR, UART_MCR_LOOP);
	cr_assert_eq(in(UART_MSR) & UART_MSR_TERI, UART_MSR_TERI, "RI trailing edge");
	out(UART_THR, 'Q');
	cr_assert_eq(in(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	cr_assert_eq(in(UART_RBR), 'Q');
	cr_assert_eq(in(UART_LSR) & UART_LSR_DR, 0);
	rewind(txf);
	cr_assert_eq(fgetc(txf), EOF, "loopback sends nothing out");
}

/* IIR priority: line status, then data, then THRE, then modem status. */
Test(uart, iir_priorities)
{
	start(NULL);
	out(UART_FCR, 0);
	out(UART_MCR, UART_MCR_LOOP);
	out(UART_IER, 0x0f);
	cr_assert_eq(in(UART_IIR), UART_IIR_THRI, "THRE beats the pending MSR deltas");
	out(UART_THR, 'a');
	out(UART_THR, 'b');
	cr_assert_eq(in(UART_IIR), UART_IIR_RLSI, "the overrun comes first");
	cr_assert_eq(in(UART_LSR) & UART_LSR_OE, UART_LSR_OE);
	cr_assert_eq(in(UART_IIR), UART_IIR_RDI);
	cr_assert_eq(in(UART_RBR), 'a', "the overrunning byte was lost");
	cr_assert_eq(in(UART_IIR), UART_IIR_THRI);
	cr_assert_eq(in(UART_IIR), UART_IIR_MSI);
	in(UART_MSR);
	cr_assert_eq(in(UART_IIR), UART_IIR_NO_INT);
}

/* Receive is paced one character per character time, from modeled time. */
Test(uart, receive_paced)
{
	start(input("xyz"));
	out(UART_IER, UART_IER_ERBFI);
	uint64_t t = uart_char_ns(&uart);
	cr_assert_eq(t, 86806, "115200 8N1");
	at(t - 1);
	cr_assert_eq(in(UART_LSR) & UART_LSR_DR, 0);
	cr_assert_eq(irq4, 0);
	at(t);
	cr_assert_eq(irq4, 1);
	cr_assert_eq(in(UART_IIR), 0xc4);
	at(3 * t);
	cr_assert_eq(uart.rx_count, 3);
	cr_assert_eq(in(UART_RBR), 'x');
	cr_assert_eq(in(UART_RBR), 'y');
	cr_assert_eq(in(UART_RBR), 'z');
	cr_assert_eq(irq4, 0);
	at(10 * t);
	cr_assert_eq(in(UART_LSR) & UART_LSR_DR, 0, "end of input: nothing more");
}

/* Trigger level 4, then a character timeout for the rest after 4 char times. */
Test(uart, fifo_trigger_and_timeout)
{
	start(input("abcde"));
	out(UART_FCR, 0x41);
	out(UART_IER, UART_IER_ERBFI);
	uint64_t t = uart_char_ns(&uart);
	at(3 * t);
	cr_assert_eq(irq4, 0, "3 bytes are below the trigger level");
	at(4 * t);
	cr_assert_eq(in(UART_IIR), 0xc4);
	for (int i = 0; i < 4; i++)
		in(UART_RBR);
	at(5 * t);
	cr_assert_eq(uart.rx_count, 1);
	cr_assert_eq(in(UART_IIR), 0xc1);
	at(9 * t);
	cr_assert_eq(in(UART_IIR), 0xcc);
	cr_assert_eq(irq4, 1);
	cr_assert_eq(in(UART_RBR), 'e');
	cr_assert_eq(irq4, 0);
}

/* The receiver stops fetching while full, then resumes: nothing is lost. */
Test(uart, no_overrun_from_input)
{
	char text[40];
	for (int i = 0; i < 39; i++)
		text[i] = (char)('A' + i % 26);
	text[39] = 0;
	start(input(text));
	uint64_t t = uart_char_ns(&uart);
	at(100 * t);
	cr_assert_eq(uart.rx_count, UART_FIFO_SIZE);
	cr_assert_eq(in(UART_LSR) & UART_LSR_OE, 0);
	for (int i = 0; i < 39; i++) {
		at(insns + t);
		cr_assert_eq(in(UART_RBR), (uint8_t)text[i], "byte %d", i);
	}
}

static int input_done;

static void on_done(void *opaque)
{
	(*(int *)opaque)++;
}

/* With a wait string, input line k arrives only after the k-th sighting;
 * the sighting after the last line says the input is done. */
Test(uart, wait_for_prompt)
{
	start(input("ab\ncd\n"));
	input_done = 0;
	cr_assert_eq(uart_set_wait(&uart, "$ ", on_done, &input_done), 0);
	uint64_t t = uart_char_ns(&uart);
	at(20 * t);
	cr_assert_eq(uart.rx_count, 0, "nothing before the prompt");
	out(UART_THR, '$');
	at(insns + 5 * t);
	cr_assert_eq(uart.rx_count, 0, "half a prompt is none");
	out(UART_THR, ' ');
	at(insns + 20 * t);
	cr_assert_eq(uart.rx_count, 3, "the first line, up to its newline");
	cr_assert_eq(in(UART_RBR), 'a');
	cr_assert_eq(in(UART_RBR), 'b');
	cr_assert_eq(in(UART_RBR), '\n');
	at(insns + 20 * t);
	cr_assert_eq(uart.rx_count, 0, "the second line waits for the second prompt");
	out(UART_THR, '$');
	out(UART_THR, ' ');
	at(insns + 20 * t);
	cr_assert_eq(uart.rx_count, 3);
	cr_assert_eq(in(UART_RBR), 'c');
	out(UART_THR, '$');
	out(UART_THR, ' ');
	cr_assert_eq(input_done, 0, "the last line is not read yet");
	in(UART_RBR);
	in(UART_RBR);
	out(UART_THR, '$');
	out(UART_THR, ' ');
	cr_assert_eq(input_done, 1, "back at the prompt with nothing left to send");
}

/* A wait string longer than the window is refused. */
Test(uart, wait_too_long)
{
	char s[UART_WAIT_MAX + 2];
	memset(s, 'x', sizeof(s) - 1);
	s[sizeof(s) - 1] = 0;
	start(NULL);
	cr_assert_eq(uart_set_wait(&uart, s, NULL, NULL), -1);
	s[UART_WAIT_MAX] = 0;
	cr_assert_eq(uart_set_wait(&uart, s, NULL, NULL), 0);
}
