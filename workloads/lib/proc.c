/*
 * Processes: a fixed table, round-robin scheduling on the timer or on
 * yield, sleep/wakeup on a channel, spawn, fork-style copy, exit, wait.
 *
 * Process 0 is the kernel thread: the boot context, which runs the
 * workload's kernel part on the boot stack and the kernel page directory,
 * and never enters ring 3. Every other process runs ring-3 code in its own
 * address space over a one-page kernel stack; a context switch changes the
 * kernel stack (swtch), TSS.ESP0 and CR3.
 *
 * The kernel is never preempted and no interrupt handler touches the
 * table, so nothing here needs interrupts off. The kernel thread runs with
 * interrupts on, and its blocking calls return with them on again, since
 * switching back to it may come from a system call, where they are off.
 */
#include "kernel.h"
#include "user.h"

void swtch(uint32_t *save_esp, uint32_t new_esp);
extern char trapret[];

struct proc *current;
static struct proc procs[NPROC];
static int next_pid = 1;

void proc_init(void)
{
	current = &procs[0];
	current->pid = 0;
	current->state = P_RUNNING;
	current->pgdir = kernel_pgdir;
}

static int is_kthread(const struct proc *p)
{
	return p == &procs[0];
}

static void sched(void)
{
	struct proc *prev = current, *next = NULL;
	int i, start = (int)(prev - procs);

	for (i = 1; i <= NPROC && !next; i++)
		if (procs[(start + i) % NPROC].state == P_RUNNABLE)
			next = &procs[(start + i) % NPROC];
	if (!next)
		panic("every process is blocked");
	next->state = P_RUNNING;
	if (next == prev)
		return;
	current = next;
	vm_activate(next->pgdir);
	if (next->kstack)
		tss_set_esp0((uint32_t)next->kstack + PAGE_SIZE);
	swtch(&prev->ctx_esp, next->ctx_esp);
}

void proc_yield(void)
{
	current->state = P_RUNNABLE;
	sched();
	if (is_kthread(current))
		sti();
}

void proc_sleep(const void *chan)
{
	current->chan = chan;
	current->state = P_SLEEPING;
	sched();
	current->chan = NULL;
}

void proc_wakeup(const void *chan)
{
	int i;

	for (i = 0; i < NPROC; i++)
		if (procs[i].state == P_SLEEPING && procs[i].chan == chan)
			procs[i].state = P_RUNNABLE;
}

struct proc *proc_find(int pid)
{
	int i;

	for (i = 0; i < NPROC; i++)
		if (procs[i].state != P_FREE && procs[i].pid == pid)
			return &procs[i];
	return NULL;
}

uint32_t proc_count(void)
{
	uint32_t n = 0;
	int i;

	for (i = 0; i < NPROC; i++)
		n += procs[i].state != P_FREE;
	return n;
}

static struct proc *proc_alloc(uint32_t *pgdir)
{
	struct proc *p;
	int i;

	for (i = 1; i < NPROC; i++) {
		p = &procs[i];
		if (p->state != P_FREE)
			continue;
		if (!(p->kstack = page_alloc()))
			return NULL;
		p->pid = next_pid++;
		p->pgdir = pgdir;
		p->parent = current;
		p->chan = NULL;
		p->status = 0;
		p->mbox_full = 0;
		return p;
	}
	return NULL;
}

/* A new kernel stack: the trap frame to return with, then swtch's frame. */
static void proc_start(struct proc *p, const struct trapframe *tf)
{
	uint32_t *sp = (uint32_t *)((char *)p->kstack + PAGE_SIZE);
	int i;

	sp -= sizeof(*tf) / sizeof(*sp);
	memcpy(sp, tf, sizeof(*tf));
	p->tf = (struct trapframe *)sp;
	*--sp = (uint32_t)trapret;
	for (i = 0; i < 4; i++)
		*--sp = 0;
	p->ctx_esp = (uint32_t)sp;
	p->state = P_RUNNABLE;
}

/* Every process starts here, in ring 3. */
void u_entry(int (*fn)(uint32_t), uint32_t arg)
{
	sys_exit(fn(arg));
}

/*
 * Runs entry(arg) in ring 3 of a fresh address space; returning exits.
 * With a block, a copy of it goes to the top of the user stack and arg is
 * its user address: ring 3 cannot read the kernel's own copy.
 */
static int spawn(int (*entry)(uint32_t), uint32_t arg, const void *block,
		 uint32_t len)
{
	uint32_t *pd = vm_create(), top = USER_TOP - PAGE_SIZE, frame, used;
	struct trapframe tf;
	uint32_t *stack;
	struct proc *p;

	if (!pd)
		return -1;
	if (len > PAGE_SIZE / 2 || vm_demand_zero(pd, top) || !(p = proc_alloc(pd))) {
		vm_free(pd);
		return -1;
	}
	frame = *vm_pte(pd, top, 0) & PTE_ADDR;
	used = (len + 3) & ~3u;
	if (block) {
		memcpy((void *)(frame + PAGE_SIZE - used), block, len);
		arg = USER_TOP - used;
	}
	stack = (uint32_t *)(frame + PAGE_SIZE - used);
	*--stack = arg;
	*--stack = (uint32_t)entry;
	*--stack = 0;

	memset(&tf, 0, sizeof(tf));
	tf.cs = USER_CS;
	tf.ds = tf.es = tf.fs = tf.gs = tf.ss = USER_DS;
	tf.eflags = EFLAGS_IF | EFLAGS_FIXED;
	tf.eip = (uint32_t)u_entry;
	tf.esp = USER_TOP - used - 3 * sizeof(uint32_t);
	proc_start(p, &tf);
	return p->pid;
}

int proc_spawn(int (*entry)(uint32_t), uint32_t arg)
{
	return spawn(entry, arg, NULL, 0);
}

int proc_spawn_block(int (*entry)(uint32_t), const void *block, uint32_t len)
{
	return spawn(entry, 0, block, len);
}

int proc_fork(struct trapframe *tf)
{
	uint32_t *pd = vm_copy(current->pgdir);
	struct proc *p;

	if (!pd)
		return -1;
	if (!(p = proc_alloc(pd))) {
		vm_free(pd);
		return -1;
	}
	proc_start(p, tf);
	p->tf->eax = 0;
	return p->pid;
}

void proc_exit(int status)
{
	struct proc *p = current;
	int i, zombies = 0;

	if (is_kthread(p))
		panic("the kernel thread cannot exit");
	vm_activate(kernel_pgdir);
	vm_free(p->pgdir);
	p->pgdir = kernel_pgdir;
	for (i = 0; i < NPROC; i++) {
		if (procs[i].state == P_FREE || procs[i].parent != p)
			continue;
		procs[i].parent = &procs[0];
		zombies += procs[i].state == P_ZOMBIE;
	}
	if (zombies)
		proc_wakeup(&procs[0]);
	p->status = status;
	p->state = P_ZOMBIE;
	proc_wakeup(p->parent);
	sched();
	panic("a zombie ran");
}

/* The kernel stack of a zombie is freed here, once it can no longer run. */
int proc_wait(int *status)
{
	struct proc *p;
	int i, children, pid;

	for (;;) {
		children = 0;
		for (i = 1; i < NPROC; i++) {
			p = &procs[i];
			if (p->state == P_FREE || p->parent != current)
				continue;
			children++;
			if (p->state != P_ZOMBIE)
				continue;
			pid = p->pid;
			if (status)
				*status = p->status;
			page_free(p->kstack);
			p->kstack = NULL;
			p->state = P_FREE;
			return pid;
		}
		if (!children)
			return -1;
		proc_sleep(current);
		if (is_kthread(current))
			sti();
	}
}

int proc_join(int pid, int *status)
{
	if (pid < 0)
		return fail("cannot create a process");
	if (proc_wait(status) != pid)
		return fail("wait did not return the child");
	return 0;
}

int check_no_leak(uint32_t free_before)
{
	uint32_t now = mm_free_pages();

	if (now != free_before)
		return fail("%d pages leaked", (int)(free_before - now));
	return 0;
}
