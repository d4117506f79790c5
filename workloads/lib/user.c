/*
 * Ring-3 helpers: the entry every spawned process starts in, and a printf
 * that formats on the caller's stack and writes through the system call.
 * Nothing here may touch kernel data, which ring 3 cannot reach.
 */
#include "user.h"

void u_entry(int (*fn)(uint32_t), uint32_t arg)
{
	sys_exit(fn(arg));
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
