/*
 * triple: a kernel that ends in a triple fault (SDM vol. 3A 6.15, #DF
 * "Abort"): its IDT is empty, so a breakpoint cannot be delivered (#GP),
 * nor can that #GP (#DF), nor the #DF. A bare machine shuts down; QEMU
 * with -no-reboot exits; vmmsim ends the run with exit status 3 and a dump
 * of the CPU (under a monitor: of both the virtual and the physical one).
 */
#include "rt.h"

RT_KERNEL("triple");

void kmain(void)
{
	static const struct rt_dtr empty = { 0, 0 };

	rt_printf("about to triple fault\n");
	asm volatile("lidt %0; int3" : : "m"(empty));
	rt_fail("still running after a triple fault");
}
