/*
 * National Semiconductor PC16550D UART (COM1 at 0x3f8, IRQ4 on a PC).
 * See uart.c for what is modelled.
 */
#ifndef VMM_DEV_UART_H
#define VMM_DEV_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/dev/clock.h"
#include "core/dev/irq.h"

struct bus;

#define UART_FIFO_SIZE 16

/* Register offsets (LCR.DLAB selects DLL/DLM at 0 and 1). */
enum {
	UART_RBR = 0, UART_THR = 0, UART_DLL = 0,
	UART_IER = 1, UART_DLM = 1,
	UART_IIR = 2, UART_FCR = 2,
	UART_LCR = 3, UART_MCR = 4, UART_LSR = 5, UART_MSR = 6, UART_SCR = 7,
};

#define UART_IER_ERBFI	0x01
#define UART_IER_ETBEI	0x02
#define UART_IER_ELSI	0x04
#define UART_IER_EDSSI	0x08

#define UART_IIR_NO_INT	0x01
#define UART_IIR_MSI	0x00
#define UART_IIR_THRI	0x02
#define UART_IIR_RDI	0x04
#define UART_IIR_RLSI	0x06
#define UART_IIR_CTI	0x0c
#define UART_IIR_FIFO	0xc0

#define UART_FCR_ENABLE	0x01
#define UART_FCR_CLR_RX	0x02
#define UART_FCR_CLR_TX	0x04

#define UART_LCR_DLAB	0x80

#define UART_MCR_DTR	0x01
#define UART_MCR_RTS	0x02
#define UART_MCR_OUT1	0x04
#define UART_MCR_OUT2	0x08
#define UART_MCR_LOOP	0x10

#define UART_LSR_DR	0x01
#define UART_LSR_OE	0x02
#define UART_LSR_PE	0x04
#define UART_LSR_FE	0x08
#define UART_LSR_BI	0x10
#define UART_LSR_THRE	0x20
#define UART_LSR_TEMT	0x40
#define UART_LSR_FIFOE	0x80

#define UART_MSR_DCTS	0x01
#define UART_MSR_DDSR	0x02
#define UART_MSR_TERI	0x04
#define UART_MSR_DDCD	0x08
#define UART_MSR_CTS	0x10
#define UART_MSR_DSR	0x20
#define UART_MSR_RI	0x40
#define UART_MSR_DCD	0x80

#define UART_WAIT_MAX	64

struct uart {
	uint8_t ier, fcr, lcr, mcr, lsr, msr, scr, dll, dlm;
	uint8_t rx[UART_FIFO_SIZE];
	unsigned rx_head, rx_count;
	bool thr_ipending, timeout_ipending;
	int irq_level;
	struct irq_line irq;
	FILE *out, *in;
	bool in_eof, in_tty;	/* in_tty: poll the terminal, never wait on it */
	struct clock *clk;
	struct clock_timer rx_timer, timeout_timer;
	uint64_t tx_bytes, rx_bytes;
	/* --serial-wait: input line k goes only after the k-th sighting of
	 * wait in the output (tail holds the last output characters). */
	char wait[UART_WAIT_MAX], tail[UART_WAIT_MAX];
	size_t wait_len, tail_len;
	uint64_t wait_seen, lines_sent;
	void (*on_input_done)(void *opaque);
	void *done_opaque;
};

/* in may be NULL (nothing ever arrives); out may be NULL (output dropped). */
int uart_init(struct uart *u, struct clock *clk, const struct irq_line *irq,
	      FILE *out, FILE *in, char *err, size_t errlen);
int uart_register(struct uart *u, struct bus *b, uint16_t base, const char *name,
		  char *err, size_t errlen);

/* Holds each line of input until the guest has written s (1 to
 * UART_WAIT_MAX bytes, e.g. a shell prompt) once more; -1 if s is too long.
 * Once a file's input is all delivered, the next s calls done (if not
 * NULL): the guest is back at its prompt with nothing left to type. */
int uart_set_wait(struct uart *u, const char *s, void (*done)(void *opaque), void *opaque);

/* 115200 baud 8N1 with FIFOs on and OUT2 set, as SeaBIOS leaves COM1. */
void uart_firmware_state(struct uart *u);

/* Modeled nanoseconds one character takes at the programmed format. */
uint64_t uart_char_ns(const struct uart *u);

#endif
