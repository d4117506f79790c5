/* The apic platform kernel's parts (apic.c, apic_local.c). */
#ifndef PLATFORM_APIC_H
#define PLATFORM_APIC_H

#include "plat.h"

/* Vectors the kernel programs. */
#define VEC_PIC_BASE	0x20
#define VEC_PIT		0x30
#define VEC_COM1	0x34
#define VEC_IDE		0x3e
#define VEC_TIMER	0x40
#define VEC_LOW		0x48
#define VEC_TPR		0x55
#define VEC_MID		0x58
#define VEC_HIGH	0x68
#define VEC_ERROR	0xfe
#define VEC_SPURIOUS	0xff

extern struct plat_mp apic_mp;

/* apic_local.c: the local APIC on its own (timer, priorities, IPIs). */
void apic_local_tests(void);

static inline void apic_eoi(void) { lapic_wr(APIC_EOI, 0); }

#endif
