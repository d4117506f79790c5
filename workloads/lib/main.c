/*
 * Boot and the run's frame: reads what the Multiboot v1 loader handed over
 * (spec 0.6.96, 3.3: the command line, the memory map or else mem_upper)
 * before anything can overwrite it, brings the machine up, parses the
 * workload's parameters, runs its kernel part on the kernel thread and ends
 * the run through the isa-debug-exit port with 0 for "result: ok", 1
 * otherwise.
 *
 * Parameters are key=value words of the command line; words that are not
 * (such as the image path QEMU puts first) are ignored. A value is decimal
 * or 0x-prefixed hexadecimal, nothing else, within the workload's bounds.
 */
#include "kernel.h"

#define MB_BOOT_MAGIC 0x2badb002
#define MB_INFO_MEM (1u << 0)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MMAP (1u << 6)
#define MB_MMAP_AVAILABLE 1
#define DEBUG_EXIT_PORT 0xf4
#define MAX_RANGES 32

struct __attribute__((packed)) mb_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
};

struct __attribute__((packed)) mb_mmap {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type;
};

extern char __image_end[];

static char cmdline[1024];
static uint64_t ranges[MAX_RANGES][2];
static int nranges;
static char fail_reason[160];

void machine_exit(uint32_t code)
{
	outl(DEBUG_EXIT_PORT, code);
	for (;;) {
		cli();
		hlt();
	}
}

void panic(const char *fmt, ...)
{
	char buf[160];
	va_list ap;

	cli();
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printk("result: FAIL panic: %s\n", buf);
	machine_exit(1);
}

int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fail_reason, sizeof(fail_reason), fmt, ap);
	va_end(ap);
	return 1;
}

static void read_boot_info(uint32_t magic, const struct mb_info *mbi)
{
	const struct mb_mmap *e;
	uint32_t off;

	if (magic != MB_BOOT_MAGIC)
		panic("not started by a Multiboot loader (eax=0x%08x)", magic);
	if ((mbi->flags & MB_INFO_CMDLINE) && mbi->cmdline) {
		const char *s = (const char *)mbi->cmdline;
		size_t i;

		for (i = 0; i + 1 < sizeof(cmdline) && s[i]; i++)
			cmdline[i] = s[i];
	}
	if (mbi->flags & MB_INFO_MMAP) {
		for (off = 0; off < mbi->mmap_length && nranges < MAX_RANGES;
		     off += e->size + sizeof(e->size)) {
			e = (const struct mb_mmap *)(mbi->mmap_addr + off);
			if (e->type != MB_MMAP_AVAILABLE)
				continue;
			ranges[nranges][0] = e->addr;
			ranges[nranges][1] = e->addr + e->len;
			nranges++;
		}
	} else if (mbi->flags & MB_INFO_MEM) {
		ranges[0][0] = 0x100000;
		ranges[0][1] = 0x100000 + (uint64_t)mbi->mem_upper * 1024;
		nranges = 1;
	}
}

static int is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static int parse_uint(const char *s, size_t n, uint32_t *out)
{
	uint32_t v = 0, base = 10, d;
	size_t i = 0;

	if (n > 2 && s[0] == '0' && s[1] == 'x') {
		base = 16;
		i = 2;
	}
	if (i == n)
		return -1;
	for (; i < n; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			d = (uint32_t)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (uint32_t)(c - 'a' + 10);
		else
			return -1;
		if (v > (0xffffffffu - d) / base)
			return -1;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

/* Returns 0, or prints the result line for a bad command line and 1. */
static int parse_params(const struct param *params)
{
	const struct param *p;
	const char *s = cmdline, *w, *eq;
	size_t klen;
	uint32_t v;

	for (p = params; p && p->key; p++)
		*p->val = p->def;
	while (*s) {
		while (*s == ' ')
			s++;
		for (w = s, eq = NULL; *s && *s != ' '; s++)
			if (*s == '=' && !eq)
				eq = s;
		if (!eq || eq == w || !(*w >= 'a' && *w <= 'z'))
			continue;
		for (klen = 0; w + klen < eq && is_key_char(w[klen]); klen++)
			;
		if (w + klen != eq)
			continue;
		for (p = params; p && p->key; p++)
			if (strlen(p->key) == klen && memcmp(p->key, w, klen) == 0)
				break;
		if (!p || !p->key) {
			char key[32];

			if (klen >= sizeof(key))
				klen = sizeof(key) - 1;
			memcpy(key, w, klen);
			key[klen] = '\0';
			printk("result: FAIL unknown parameter %s\n", key);
			return 1;
		}
		if (parse_uint(eq + 1, (size_t)(s - eq - 1), &v) ||
		    v < p->min || v > p->max) {
			printk("result: FAIL bad parameter %s\n", p->key);
			return 1;
		}
		*p->val = v;
	}
	return 0;
}

void kmain(uint32_t magic, const struct mb_info *mbi)
{
	const struct param *p;
	int r;

	console_init();
	read_boot_info(magic, mbi);
	mm_init((uint32_t)__image_end, (const uint64_t (*)[2])ranges, nranges);
	desc_init();
	vm_init();
	trap_init();
	syscall_init();
	proc_init();

	if (parse_params(the_workload.params))
		machine_exit(1);
	printk("%s:", the_workload.name);
	for (p = the_workload.params; p && p->key; p++)
		printk(" %s=%u", p->key, *p->val);
	printk("\n");

	sti();
	r = the_workload.main();
	cli();
	if (r == 0) {
		printk("result: ok\n");
		machine_exit(0);
	}
	printk("result: FAIL %s\n", fail_reason[0] ? fail_reason : "unspecified");
	machine_exit(1);
}
