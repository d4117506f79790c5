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

/* CRC-32 (IEEE 802.3, reflected 0xedb88320), four bits at a time. */
uint32_t crc32_update(uint32_t crc, const void *buf, size_t n)
{
	static const uint32_t nibble[16] = {
		0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac,
		0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
		0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
		0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
	};
	const uint8_t *p = buf;

	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		crc = (crc >> 4) ^ nibble[crc & 15];
		crc = (crc >> 4) ^ nibble[crc & 15];
	}
	return ~crc;
}
