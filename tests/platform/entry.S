/*
 * Multiboot v1 entry and interrupt stubs of the platform kernels. The
 * loader enters _start in protected mode, paging off, interrupts off,
 * EAX = 0x2BADB002 and EBX = the Multiboot information (Multiboot 0.6.96
 * section 3.2). Every vector gets a stub that pushes its number, so one
 * C dispatcher serves all; the kernels use no vector with an error code
 * but the exceptions, which only report and stop.
 */
#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x00000003
#define SEL_KDATA	0x10

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

	.text
	.globl _start
_start:
	cli
	movl $plat_stack_top, %esp
	pushl $2
	popfl
	pushl %ebx
	pushl %eax
	call plat_main
1:	hlt
	jmp 1b

	.align 16
	.globl plat_isr_stubs
plat_isr_stubs:
	.set vec, 0
	.rept 256
	.align 16
	.if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17)
	pushl $vec
	.else
	pushl $0
	pushl $vec
	.endif
	jmp plat_isr_common
	.set vec, vec + 1
	.endr

plat_isr_common:
	pushal
	cld
	pushl %esp
	call plat_dispatch
	addl $4, %esp
	popal
	addl $8, %esp
	iretl

	.bss
	.align 16
	.space 16384
plat_stack_top:
