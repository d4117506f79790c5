/*
 * The ring-3 side of the guest runtime. A workload's user code is ordinary
 * C in the same image: its code and constants are mapped read-only for ring
 * 3, but everything writable of the kernel is supervisor-only, so user code
 * keeps its data on its stack or in demand-zero memory at USER_BASE and up,
 * never in globals. It may call the pure helpers of string.c and vsnprintf.
 */
#ifndef GUEST_USER_H
#define GUEST_USER_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "syscall.h"

#define USER_HEAP ((void *)0x40000000u)

static inline int32_t sys_call3(uint32_t nr, uint32_t a, uint32_t b, uint32_t c)
{
	int32_t ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return ret;
}

static inline void __attribute__((noreturn)) sys_exit(int status)
{
	sys_call3(SYS_EXIT, (uint32_t)status, 0, 0);
	__builtin_unreachable();
}

static inline void sys_yield(void)
{
	sys_call3(SYS_YIELD, 0, 0, 0);
}

static inline int32_t sys_write(const void *buf, uint32_t len)
{
	return sys_call3(SYS_WRITE, (uint32_t)buf, len, 0);
}

static inline int32_t sys_fork(void)
{
	return sys_call3(SYS_FORK, 0, 0, 0);
}

static inline int32_t sys_wait(int *status)
{
	return sys_call3(SYS_WAIT, (uint32_t)status, 0, 0);
}

static inline int32_t sys_getpid(void)
{
	return sys_call3(SYS_GETPID, 0, 0, 0);
}

static inline int32_t sys_send(int pid, uint32_t value)
{
	return sys_call3(SYS_SEND, (uint32_t)pid, value, 0);
}

static inline uint32_t sys_recv(int *from)
{
	return (uint32_t)sys_call3(SYS_RECV, (uint32_t)from, 0, 0);
}

static inline int32_t sys_discard(void *addr, uint32_t len)
{
	return sys_call3(SYS_DISCARD, (uint32_t)addr, len, 0);
}

/* console.c, proc.c */
void u_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void u_entry(int (*fn)(uint32_t), uint32_t arg) __attribute__((noreturn));

/* string.c and console.c, shared with the kernel */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

#endif
