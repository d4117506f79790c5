/*
 * System-call numbers of the guest runtime, shared by its kernel side and
 * its ring-3 side. The call is `int $0x80` with the number in EAX and up to
 * three arguments in EBX, ECX, EDX; the result comes back in EAX (negative
 * on error). Numbers from SYS_WORKLOAD up belong to the workload that
 * registers them.
 */
#ifndef GUEST_SYSCALL_H
#define GUEST_SYSCALL_H

#define SYSCALL_VECTOR 0x80

enum {
	SYS_EXIT = 0,		/* (status) never returns */
	SYS_YIELD = 1,		/* () */
	SYS_WRITE = 2,		/* (buf, len) to the console -> len */
	SYS_FORK = 3,		/* () -> child pid, 0 in the child */
	SYS_WAIT = 4,		/* (int *status or 0) -> pid, -1 without children */
	SYS_GETPID = 5,		/* () -> pid */
	SYS_SEND = 6,		/* (pid, value) blocks while the mailbox is full */
	SYS_RECV = 7,		/* (int *from or 0) blocks until a value comes */
	SYS_DISCARD = 8,	/* (addr, len) drops pages; they read zero again */
	SYS_NR_BASE,
	SYS_WORKLOAD = 16,
	SYS_MAX = 32,
};

#endif
