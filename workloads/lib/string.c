/*
 * The C library pieces the guest needs, and that gcc itself may call for
 * structure copies and loops it recognises. They touch no global state, so
 * ring-3 code calls them too. memset and memcpy use REP STOS/MOVS so that
 * the compiler cannot turn their loops back into calls to themselves.
 */
#include "kernel.h"

void *memset(void *d, int c, size_t n)
{
	void *p = d;
	uint32_t word = (uint8_t)c * 0x01010101u;
	size_t words = n / 4, bytes = n % 4;

	__asm__ volatile("cld; rep stosl"
			 : "+D"(p), "+c"(words) : "a"(word) : "memory");
	__asm__ volatile("rep stosb"
			 : "+D"(p), "+c"(bytes) : "a"(word) : "memory");
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	void *dp = d;
	size_t words = n / 4, bytes = n % 4;

	__asm__ volatile("cld; rep movsl"
			 : "+D"(dp), "+S"(s), "+c"(words) : : "memory");
	__asm__ volatile("rep movsb"
			 : "+D"(dp), "+S"(s), "+c"(bytes) : : "memory");
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p < *q ? -1 : 1;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (uint8_t)*a - (uint8_t)*b;
}
