/*
 * The int 0x80 system-call interface (numbers and registers in syscall.h).
 * User pointers are checked against the caller's page tables, page by page,
 * before the kernel touches them; demand-zero pages are faulted in on the
 * way, so a system call may be the first to touch a user page.
 *
 * SEND/RECV give each process a one-value mailbox: a sender blocks while
 * the target's mailbox is full, a receiver while its own is empty. Two
 * processes passing a value back and forth thus switch on every message.
 */
#include "kernel.h"

static syscall_fn_t table[SYS_MAX];

int copy_from_user(void *dst, uint32_t src, uint32_t len)
{
	if (!vm_user_ok(current->pgdir, src, len, 0))
		return -1;
	memcpy(dst, (const void *)src, len);
	return 0;
}

int copy_to_user(uint32_t dst, const void *src, uint32_t len)
{
	if (!vm_user_ok(current->pgdir, dst, len, 1))
		return -1;
	memcpy((void *)dst, src, len);
	return 0;
}

static int32_t sys_exit(struct trapframe *tf)
{
	proc_exit((int)tf->ebx & 0xff);
}

static int32_t sys_yield(struct trapframe *tf)
{
	(void)tf;
	proc_yield();
	return 0;
}

static int32_t sys_write(struct trapframe *tf)
{
	char buf[128];
	uint32_t src = tf->ebx, len = tf->ecx, done = 0, n;

	while (done < len) {
		n = len - done < sizeof(buf) ? len - done : sizeof(buf);
		if (copy_from_user(buf, src + done, n))
			return -1;
		console_write(buf, n);
		done += n;
	}
	return (int32_t)len;
}

static int32_t sys_fork(struct trapframe *tf)
{
	return proc_fork(tf);
}

static int32_t sys_wait(struct trapframe *tf)
{
	int status, pid;

	if (tf->ebx && !vm_user_ok(current->pgdir, tf->ebx, sizeof(int), 1))
		return -1;
	pid = proc_wait(&status);
	if (pid >= 0 && tf->ebx && copy_to_user(tf->ebx, &status, sizeof(status)))
		return -1;
	return pid;
}

static int32_t sys_getpid(struct trapframe *tf)
{
	(void)tf;
	return current->pid;
}

static int32_t sys_send(struct trapframe *tf)
{
	int pid = (int)tf->ebx;
	struct proc *to = proc_find(pid);

	if (!to || to->state == P_ZOMBIE || to == current)
		return -1;
	while (to->mbox_full) {
		proc_sleep(&to->mbox_full);
		if (to->pid != pid || to->state == P_FREE || to->state == P_ZOMBIE)
			return -1;
	}
	to->mbox_val = tf->ecx;
	to->mbox_from = current->pid;
	to->mbox_full = 1;
	proc_wakeup(&to->mbox_val);
	return 0;
}

static int32_t sys_recv(struct trapframe *tf)
{
	uint32_t v;

	if (tf->ebx && !vm_user_ok(current->pgdir, tf->ebx, sizeof(int), 1))
		return -1;
	while (!current->mbox_full)
		proc_sleep(&current->mbox_val);
	v = current->mbox_val;
	current->mbox_full = 0;
	proc_wakeup(&current->mbox_full);
	if (tf->ebx)
		*(int *)tf->ebx = current->mbox_from;
	return (int32_t)v;
}

static int32_t sys_discard(struct trapframe *tf)
{
	uint32_t va = tf->ebx, end = tf->ebx + tf->ecx, pa, *pte;
	int borrowed;

	if (va & (PAGE_SIZE - 1) || end < va || va < USER_BASE || end > USER_TOP)
		return -1;
	for (; va < end; va += PAGE_SIZE) {
		pte = vm_pte(current->pgdir, va, 0);
		if (!pte || !(*pte & PTE_P))
			continue;
		borrowed = *pte & PTE_AVL0;
		pa = vm_unmap(current->pgdir, va);
		if (!borrowed)
			page_free((void *)pa);
	}
	return 0;
}

void syscall_register(int nr, syscall_fn_t fn)
{
	if (nr < SYS_WORKLOAD || nr >= SYS_MAX)
		panic("system call %d is not a workload's", nr);
	table[nr] = fn;
}

void syscall_init(void)
{
	table[SYS_EXIT] = sys_exit;
	table[SYS_YIELD] = sys_yield;
	table[SYS_WRITE] = sys_write;
	table[SYS_FORK] = sys_fork;
	table[SYS_WAIT] = sys_wait;
	table[SYS_GETPID] = sys_getpid;
	table[SYS_SEND] = sys_send;
	table[SYS_RECV] = sys_recv;
	table[SYS_DISCARD] = sys_discard;
}

void syscall_dispatch(struct trapframe *tf)
{
	uint32_t nr = tf->eax;

	if (nr < SYS_MAX && table[nr])
		tf->eax = (uint32_t)table[nr](tf);
	else
		tf->eax = (uint32_t)-1;
}
