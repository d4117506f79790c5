/*
 * Multiboot v1 entry, exception entry stubs and the ring-3 call/return path.
 *
 * The loader enters _start in 32-bit protected mode with paging off, flat
 * 4 GiB segments, interrupts disabled and EAX = 0x2BADB002 (Multiboot
 * specification 0.6.96, section 3.2). Every IDT vector gets a 16-byte stub so
 * that a kernel can point any gate at any vector's stub; the stubs of vectors
 * that push no error code push a zero so that one frame layout serves all
 * (SDM vol. 3, 6.13 lists the vectors with an error code).
 */
#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x00000003
#define SEL_KDATA	0x10
#define SEL_UCODE	0x1b
#define SEL_UDATA	0x23
#define RT_VEC_USER_EXIT 0x81

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

	.text
	.globl _start
_start:
	cli
	movl $rt_kstack_top, %esp
	/* DF, NT, IOPL and TF are unspecified at entry; start from a known state. */
	pushl $2
	popfl
	pushl %eax
	call rt_init
	addl $4, %esp
	call kmain
	call rt_done
1:	hlt
	jmp 1b

	.align 16
	.globl rt_isr_stubs
rt_isr_stubs:
	.set vec, 0
	.rept 256
	.align 16
	.if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17)
	pushl $vec
	.else
	pushl $0
	pushl $vec
	.endif
	jmp rt_trap_common
	.set vec, vec + 1
	.endr

rt_trap_common:
	pushal
	pushl %ds
	pushl %es
	pushl %fs
	pushl %gs
	movw $SEL_KDATA, %ax
	movw %ax, %ds
	movw %ax, %es
	/* The interrupted code may have run with DF=1; the C ABI wants DF=0. */
	cld
	pushl %esp
	call rt_trap_dispatch
	addl $4, %esp
	.globl rt_trap_return
rt_trap_return:
	popl %gs
	popl %fs
	popl %es
	popl %ds
	popal
	addl $8, %esp
	iretl

/*
 * u32 rt_user_call(u32 (*fn)(u32), u32 arg, u32 eflags)
 * Enters fn at CPL 3 through IRET on the runtime's user stack; fn returns to
 * rt_user_return, whose INT through the DPL-3 exit gate lands in
 * rt_user_exit with fn's result in EAX.
 */
	.globl rt_user_call
rt_user_call:
	pushfl
	pushl %ebp
	pushl %ebx
	pushl %esi
	pushl %edi
	movl %esp, rt_user_saved_esp
	movl 24(%esp), %eax
	movl 28(%esp), %edx
	movl 32(%esp), %ecx
	movl $rt_ustack_top - 8, %ebx
	movl %edx, 4(%ebx)
	movl $rt_user_return, (%ebx)
	movw $SEL_UDATA, %si
	movw %si, %ds
	movw %si, %es
	pushl $SEL_UDATA
	pushl %ebx
	pushl %ecx
	pushl $SEL_UCODE
	pushl %eax
	iretl

	.globl rt_user_return
rt_user_return:
	int $RT_VEC_USER_EXIT

	.globl rt_user_exit
rt_user_exit:
	movw $SEL_KDATA, %cx
	movw %cx, %ds
	movw %cx, %es
	movw %cx, %fs
	movw %cx, %gs
	movl rt_user_saved_esp, %esp
	popl %edi
	popl %esi
	popl %ebx
	popl %ebp
	popfl
	ret

	.bss
	.align 16
rt_user_saved_esp:
	.long 0
	.align 4096
	.space 16384
	.globl rt_kstack_top
rt_kstack_top:
	.space 8192
	.globl rt_kstack0_top
rt_kstack0_top:
	.space 8192
	.globl rt_ustack_top
rt_ustack_top:
	.space 16
