/*
 * The runtime's only assembly: the Multiboot v1 header and entry point
 * (Multiboot spec 0.6.96, 3.1 and 3.2), one stub per IDT vector that builds
 * a struct trapframe (SDM 6.12.1: the CPU pushes SS:ESP only on a privilege
 * change and an error code only for some exceptions), the common return
 * path, and the kernel-stack switch between processes.
 */
#define KERNEL_DS 0x10	/* GDT_KDATA << 3, see x86.h */
#define EFLAGS_FIXED 0x2

#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00000003	/* page-align modules, memory info wanted */

	.section .multiboot, "a"
	.balign 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.section .bss
	.balign 16
	.globl boot_stack_top
boot_stack:
	.skip 32768
boot_stack_top:

	.text
	.globl _start
_start:
	cli
	/* The loader zeroes BSS too, but only a kernel that clears its own does not care which loader ran it. */
	mov %eax, %esi
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	cld
	rep stosb
	mov $boot_stack_top, %esp
	pushl $EFLAGS_FIXED
	popfl
	pushl %ebx
	pushl %esi
	call kmain
1:	hlt
	jmp 1b

/* Vectors whose exceptions push an error code (SDM table 6-1). */
#define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

.macro vector v
	.balign 8
vec\v:
	.if HAS_ERR(\v)
	.else
	pushl $0
	.endif
	pushl $\v
	jmp trap_common
	.section .rodata
	.long vec\v
	.text
.endm

	.section .rodata
	.balign 4
	.globl trap_vectors
trap_vectors:
	.text
	.altmacro
	.set v, 0
	.rept 48
	vector %v
	.set v, v + 1
	.endr
	vector 0x80
	.noaltmacro

trap_common:
	pushal
	pushl %ds
	pushl %es
	pushl %fs
	pushl %gs
	mov $KERNEL_DS, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	pushl %esp
	cld
	call trap
	addl $4, %esp
	.globl trapret
trapret:
	popl %gs
	popl %fs
	popl %es
	popl %ds
	popal
	addl $8, %esp
	iret

/* void swtch(uint32_t *save_esp, uint32_t new_esp): callee-saved registers only. */
	.globl swtch
swtch:
	mov 4(%esp), %eax
	mov 8(%esp), %edx
	pushl %ebp
	pushl %ebx
	pushl %esi
	pushl %edi
	mov %esp, (%eax)
	mov %edx, %esp
	popl %edi
	popl %esi
	popl %ebx
	popl %ebp
	ret
