/*
 * Building, booting and running a VM; see vm.h. The machine is QEMU's
 * `pc` as far as vmmsim models it (core/dev/pc.c); the kernel is loaded by
 * the Multiboot loader (core/boot), which also says what the CPU holds at
 * entry. A strategy, when present, attaches after boot and from then on
 * owns the CPU's monitor hooks.
 */
#include "core/mon/vm.h"

#include <stdlib.h>
#include <string.h>

#include "core/cpu/seg.h"
#include "core/mon/hostperf.h"
#include "core/mon/model.h"
#include "core/mon/stats.h"


const char *const exit_reason_names[EXIT_COUNT] = {
#define X(name, num, desc) #name,
	EXIT_REASONS(X)
#undef X
};

const unsigned exit_reason_numbers[EXIT_COUNT] = {
#define X(name, num, desc) num,
	EXIT_REASONS(X)
#undef X
};

const char *const exit_reason_descs[EXIT_COUNT] = {
#define X(name, num, desc) desc,
	EXIT_REASONS(X)
#undef X
};

const struct ctr_desc mon_counter_descs[] = {
#define CTR(name, unit, desc) { #name, unit, desc, offsetof(struct mon_counters, name) },
	MON_COUNTERS(CTR)
#undef CTR
	{ 0, 0, 0, 0 },
};

static uint32_t plat_pio_read(void *p, uint16_t port, unsigned size)
{
	return bus_pio_read(&((struct vm *)p)->bus, port, size);
}

static void plat_pio_write(void *p, uint16_t port, unsigned size, uint32_t v)
{
	bus_pio_write(&((struct vm *)p)->bus, port, size, v);
}

static uint32_t plat_mmio_read(void *p, uint32_t pa, unsigned size)
{
	return bus_mmio_read(&((struct vm *)p)->bus, pa, size);
}

static void plat_mmio_write(void *p, uint32_t pa, unsigned size, uint32_t v)
{
	bus_mmio_write(&((struct vm *)p)->bus, pa, size, v);
}

static int plat_intr_ack(void *p)
{
	return pc_intr_ack(&((struct vm *)p)->pc);
}

static void plat_apic_base(void *p, uint32_t v)
{
	lapic_set_base_msr(&((struct vm *)p)->pc.lapic, v);
}

uint32_t vm_mmio_read(struct vm *vm, uint32_t pa, unsigned size)
{
	return bus_mmio_read(&vm->bus, pa, size);
}

void vm_mmio_write(struct vm *vm, uint32_t pa, unsigned size, uint32_t v)
{
	bus_mmio_write(&vm->bus, pa, size, v);
}

uint32_t vm_pio_read(struct vm *vm, uint16_t port, unsigned size)
{
	return bus_pio_read(&vm->bus, port, size);
}

void vm_pio_write(struct vm *vm, uint16_t port, unsigned size, uint32_t v)
{
	bus_pio_write(&vm->bus, port, size, v);
}

void vm_intr_update(struct vm *vm)
{
	bool open = !vm->intr_gate || vm->intr_gate(vm);

	vm->cpu->intr_held = !open;
	cpu_set_intr(vm->cpu, vm->intr_level && open);
}

static void vm_intr_pin(void *opaque, int level)
{
	struct vm *vm = opaque;

	vm->intr_level = level != 0;
	vm_intr_update(vm);
}

static void on_debug_exit(void *opaque, uint32_t value)
{
	struct vm *vm = opaque;

	vm->exit_requested = true;
	vm->exit_value = value;
	cpu_request_stop(vm->cpu, CPU_STOP_REQUESTED, NULL);
}

static void on_input_done(void *opaque)
{
	struct vm *vm = opaque;

	vm->input_done = true;
	cpu_request_stop(vm->cpu, CPU_STOP_REQUESTED, NULL);
}

static void load_seg(struct seg *s, const struct boot_seg *b)
{
	s->sel = b->selector;
	s->base = b->base;
	s->limit = b->limit;
	s->attr = (uint16_t)(b->access | (b->flags << 12));
	seg_derive(s);
}

/* The CPU state the loader measured on QEMU (core/boot/firmware.c). LDTR
 * and TR hold their reset values (SDM vol. 3A table 9-1). */
static void apply_boot_state(struct cpu *c, const struct boot_state *b)
{
	for (unsigned r = 0; r < 8; r++)
		c->r[r] = b->gpr[r];
	c->eip = b->eip;
	c->cr0 = b->cr0;
	cpu_set_eflags(c, b->eflags);
	for (unsigned s = 0; s < BOOT_NSREG; s++)
		load_seg(&c->seg[s], &b->seg[s]);
	c->seg[SEG_LDTR] = (struct seg){ .limit = 0xffff, .attr = DESC_P | SYS_LDT };
	c->seg[SEG_TR] = (struct seg){ .limit = 0xffff, .attr = DESC_P | SYS_TSS16_BUSY };
	seg_derive(&c->seg[SEG_LDTR]);
	seg_derive(&c->seg[SEG_TR]);
	c->gdtr = (struct dtr){ b->gdtr.base, b->gdtr.limit };
	c->idtr = (struct dtr){ b->idtr.base, b->idtr.limit };
	cpu_set_cpl(c, b->seg[BOOT_CS].selector & 3);
}

struct vm *vm_create(const struct vm_config *cfg, char *err, size_t errlen)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	const struct strategy *st = cfg->strategy;
	uint32_t mon_bytes = 0;

	if (!vm) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	vm->cfg = *cfg;
	vm->strat = st;
	vm->exit_cycles = model_exit_cycles(vm);
	if (cfg->mem_mib < VM_MIN_MIB || cfg->mem_mib > VM_MAX_MIB) {
		snprintf(err, errlen, "--mem %u: guest RAM must be %u to %u MiB", cfg->mem_mib,
			 VM_MIN_MIB, VM_MAX_MIB);
		goto fail;
	}
	if (st && st->cpu)
		mon_bytes += st->cpu->monitor_bytes;
	if (st && st->mmu)
		mon_bytes += st->mmu->monitor_bytes;
	if (phys_init(&vm->phys, cfg->mem_mib << 20, mon_bytes, err, errlen))
		goto fail;
	vm->mon_cpu_base = vm->phys.guest_size;
	vm->mon_mmu_base = vm->mon_cpu_base + (st && st->cpu ? st->cpu->monitor_bytes : 0);
	clock_init(&vm->clock, NULL);
	bus_init(&vm->bus);
	/* The pc platform has a local APIC (CPUID.01H:EDX.APIC). */
	vm->cfg.cpu.apic = true;
	vm->cpu = cpu_new(&vm->phys, &vm->clock, &vm->cfg.cpu, err, errlen);
	if (!vm->cpu)
		goto fail;

	struct pc_config pcc = {
		.serial_out = cfg->serial_out, .serial_in = cfg->serial_in,
		.serial_wait = cfg->serial_wait,
		.disks = { cfg->disks[0], cfg->disks[1] },
		.disk_undo = { cfg->disk_undo[0], cfg->disk_undo[1] }, .disk_replay = cfg->disk_replay,
		.on_exit = on_debug_exit, .exit_opaque = vm, .on_input_done = on_input_done,
	};
	struct intr_pin pin = { .set = vm_intr_pin, .cpu = vm };
	if (pc_devices_init(&vm->pc, &vm->bus, &vm->clock, &vm->phys, &pcc, &pin, err, errlen))
		goto fail;
	vm->pc_up = true;

	struct cpu_hooks *h = &vm->cpu->hooks;
	h->platform = vm;
	h->pio_read = plat_pio_read;
	h->pio_write = plat_pio_write;
	h->mmio_read = plat_mmio_read;
	h->mmio_write = plat_mmio_write;
	h->intr_ack = plat_intr_ack;
	h->apic_base_written = plat_apic_base;

	if (multiboot_load_as(&vm->phys, cfg->kernel, cfg->boot_name ? cfg->boot_name : cfg->kernel,
			      cfg->cmdline, &vm->boot, err, errlen))
		goto fail;
	apply_boot_state(vm->cpu, &vm->boot);

	if (st && st->cpu && st->cpu->attach && st->cpu->attach(vm, err, errlen))
		goto fail;
	if (st && st->mmu && st->mmu->attach && st->mmu->attach(vm, err, errlen))
		goto fail;
	if (st && st->cpu && st->cpu->ready)
		st->cpu->ready(vm);
	return vm;
fail:
	vm_destroy(vm);
	return NULL;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	if (vm->strat && vm->strat->mmu && vm->strat->mmu->detach && vm->mmu_priv)
		vm->strat->mmu->detach(vm);
	if (vm->strat && vm->strat->cpu && vm->strat->cpu->detach && vm->cpu_priv)
		vm->strat->cpu->detach(vm);
	if (vm->pc_up)
		pc_devices_free(&vm->pc);
	cpu_free(vm->cpu);
	phys_free(&vm->phys);
	free(vm);
}

const char *vm_outcome_name(enum vm_outcome o)
{
	static const char *const names[] = {
		[VM_EXITED] = "exited", [VM_HALTED] = "halted", [VM_BUDGET] = "budget",
		[VM_INPUT_DONE] = "input-done",
		[VM_TRIPLE_FAULT] = "triple-fault", [VM_UNSUPPORTED] = "unsupported",
	};
	return names[o];
}

void vm_run(struct vm *vm, struct vm_result *res)
{
	struct hostperf hp;
	struct cpu *c = vm->cpu;
	uint64_t budget = vm->cfg.max_insns ? vm->cfg.max_insns : UINT64_MAX;

	memset(res, 0, sizeof(*res));
	hostperf_start(&hp);
	enum cpu_stop why = cpu_run(c, budget > c->insns ? budget - c->insns : 0);
	hostperf_stop(&hp);
	res->host_seconds = hp.seconds;
	res->host_cycles = (uint64_t)hp.real_cycles;

	switch (why) {
	case CPU_STOP_REQUESTED:
		if (vm->input_done && !vm->exit_requested) {
			res->outcome = VM_INPUT_DONE;
			snprintf(res->msg, sizeof(res->msg), "the guest printed the --serial-wait "
				 "string after the last input line");
			break;
		}
		res->outcome = VM_EXITED;
		res->exit_value = vm->exit_value;
		snprintf(res->msg, sizeof(res->msg), "guest exit value %u", vm->exit_value);
		break;
	case CPU_STOP_HALTED:
		res->outcome = VM_HALTED;
		snprintf(res->msg, sizeof(res->msg), "clean halt (%s)", c->stop_msg);
		break;
	case CPU_STOP_BUDGET:
		res->outcome = VM_BUDGET;
		if (c->stop_msg[0])
			snprintf(res->msg, sizeof(res->msg), "%s", c->stop_msg);
		else
			snprintf(res->msg, sizeof(res->msg),
				 "instruction budget of %llu spent (--max-insns) at EIP %#x",
				 (unsigned long long)budget, c->eip);
		break;
	case CPU_STOP_TRIPLE_FAULT:
		res->outcome = VM_TRIPLE_FAULT;
		snprintf(res->msg, sizeof(res->msg), "%s", c->stop_msg);
		break;
	default:
		res->outcome = VM_UNSUPPORTED;
		snprintf(res->msg, sizeof(res->msg), "%s", c->stop_msg);
		break;
	}
}

/*
 * The CGA text screen (0xb8000, 80x25, character and attribute bytes):
 * a kernel that panics before its serial driver runs, or that only ever
 * draws on the screen, leaves its last words there. Prints the rows from
 * the first to the last that hold anything, or nothing for a blank screen.
 */
#define CGA_TEXT 0xb8000u
#define CGA_COLS 80
#define CGA_ROWS 25

static bool cga_row_blank(const uint8_t *row)
{
	for (unsigned x = 0; x < CGA_COLS; x++)
		if (row[2 * x] != 0 && row[2 * x] != ' ')
			return false;
	return true;
}

void vm_dump_screen(const struct vm *vm, FILE *f)
{
	if (vm->phys.guest_size < CGA_TEXT + 2 * CGA_COLS * CGA_ROWS)
		return;
	const uint8_t *scr = vm->phys.ram + CGA_TEXT;
	int first = -1, last = -1;

	for (int y = 0; y < CGA_ROWS; y++) {
		if (!cga_row_blank(scr + 2 * CGA_COLS * y)) {
			if (first < 0)
				first = y;
			last = y;
		}
	}
	if (first < 0)
		return;
	fprintf(f, "CGA text screen (0xb8000), rows %d-%d:\n", first, last);
	for (int y = first; y <= last; y++) {
		const uint8_t *row = scr + 2 * CGA_COLS * y;
		char line[CGA_COLS + 1];
		int n = 0;
		for (unsigned x = 0; x < CGA_COLS; x++) {
			uint8_t ch = row[2 * x];
			line[x] = ch >= 0x20 && ch < 0x7f ? (char)ch : ch ? '?' : ' ';
			if (line[x] != ' ')
				n = (int)x + 1;
		}
		line[n] = 0;
		fprintf(f, "  |%s\n", line);
	}
}

void vm_dump(struct vm *vm, FILE *f)
{
	if (vm->strat && vm->strat->cpu && vm->strat->cpu->dump) {
		fprintf(f, "virtual CPU (what the guest believes):\n");
		vm->strat->cpu->dump(vm, f);
		fprintf(f, "physical CPU (what the monitor runs it on):\n");
	} else {
		fprintf(f, "CPU:\n");
	}
	cpu_dump(vm->cpu, f);
	vm_dump_screen(vm, f);
}

void vm_insns_by_vcpl(struct vm *vm, uint64_t out[4])
{
	const struct cpu_virt_ops *cv = vm->strat ? vm->strat->cpu : NULL;
	const uint64_t *by_cpl = &vm->cpu->ctr.insns_cpl0;

	cpu_sync_counters(vm->cpu);
	memset(out, 0, 4 * sizeof(*out));
	for (unsigned p = 0; p < 4; p++)
		out[cv && cv->vcpl_of ? cv->vcpl_of[p] : p] += by_cpl[p];
}

void vm_collect_stats(struct vm *vm, struct stats *s)
{
	char path[96];

	cpu_sync_counters(vm->cpu);
	stats_add(s, "vm.cpu.insns", "insns", "guest instructions retired", vm->cpu->insns);
	stats_add_table(s, "vm.cpu", cpu_counter_descs, &vm->cpu->ctr);
	uint64_t vcpl[4];
	vm_insns_by_vcpl(vm, vcpl);
	for (unsigned v = 0; v < 4; v++) {
		snprintf(path, sizeof(path), "vm.guest.insns_vcpl%u", v);
		stats_add(s, path, "insns", "guest instructions at this virtual CPL", vcpl[v]);
	}
	stats_add_table(s, "vm.mon", mon_counter_descs, &vm->ctr);
	for (unsigned r = 0; r < EXIT_COUNT; r++) {
		snprintf(path, sizeof(path), "vm.mon.exits.%s", exit_reason_names[r]);
		stats_add(s, path, "exits", exit_reason_descs[r], vm->ctr.exit[r].count);
	}
	for (int k = 0; k < vm->bus.pio.n; k++) {
		const struct bus_region *r = &vm->bus.pio.r[k];
		snprintf(path, sizeof(path), "vm.dev.%s.reads", r->name);
		stats_add(s, path, "accesses", "port reads of the device", r->reads);
		snprintf(path, sizeof(path), "vm.dev.%s.writes", r->name);
		stats_add(s, path, "accesses", "port writes to the device", r->writes);
	}
	for (int k = 0; k < vm->bus.mmio.n; k++) {
		const struct bus_region *r = &vm->bus.mmio.r[k];
		snprintf(path, sizeof(path), "vm.dev.%s.reads", r->name);
		stats_add(s, path, "accesses", "MMIO reads of the device", r->reads);
		snprintf(path, sizeof(path), "vm.dev.%s.writes", r->name);
		stats_add(s, path, "accesses", "MMIO writes to the device", r->writes);
	}
	stats_add(s, "vm.dev.unclaimed.port_reads", "accesses", "reads of unclaimed ports",
		  vm->bus.pio.unclaimed_reads);
	stats_add(s, "vm.dev.unclaimed.port_writes", "accesses", "writes to unclaimed ports",
		  vm->bus.pio.unclaimed_writes);
}
