/*
 * vmmsim run: one guest under one strategy. The guest's serial output goes
 * to stdout; the run summary to stderr (or nothing with -q); --json writes
 * the summary, the full configuration and every counter to a file, which
 * is also what `vmmsim matrix` collects from its workers.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/workloads.h"
#include "core/mon/cost.h"
#include "core/mon/json.h"
#include "core/mon/model.h"
#include "core/mon/stats.h"
#include "core/mon/vm.h"
#include "core/dev/uart.h"
#include "strategies/shadow/shadow.h"

#define DEFAULT_MEM_MIB 64
#define DEFAULT_MAX_INSNS 20000000000ull

struct run_opts {
	const char *workload_arg, *workload_name;
	char kernel[4096];
	const char *strategy;
	const char *isa;
	const char *append;
	const char *disks[2];
	int ndisks;
	const char *json, *trace, *serial_in, *serial_wait;
	const char *cost;
	uint64_t mem_mib, max_insns, shadow_roots, shadow_flood;
	bool quiet, no_baseline;
};

const char *costs_dir(void);	/* list.c */

static void run_usage(FILE *f)
{
	fprintf(f,
		"usage: vmmsim run -w WORKLOAD|FILE.elf [options]\n"
		"  -w, --workload W    a workload name (vmmsim list workloads) or a Multiboot ELF file\n"
		"  -s, --strategy S    virtualization strategy (vmmsim list strategies); default native\n"
		"      --mem MIB       guest RAM in MiB (2-3072); default %d\n"
		"      --disk IMG      raw disk image: primary master, then (given twice) slave\n"
		"      --append STR    kernel command line: the guest sees 'FILE STR' as on QEMU\n"
		"                      ('NAME.elf STR' for a workload given by name)\n"
		"      --isa ISA       x86 (default) or virtualizable: sensitive instructions trap at CPL > 0\n"
		"      --cost MODEL    cost model: a name (vmmsim list costs) or an .ini file; default era2006\n"
		"      --max-insns N   stop a guest after N instructions (each iteration of an unfinished\n"
		"                      REP counts), exit status 3; default %llu, 0: none\n"
		"      --no-baseline   do not also run the guest natively to report the overhead\n"
		"      --serial-in F   bytes the guest's COM1 receives, paced at its baud rate and never\n"
		"                      overrun (F '-': standard input); default: the terminal, key by\n"
		"                      key, when standard input is one, else nothing\n"
		"      --serial-wait S send --serial-in line k only after the guest has printed S (up to\n"
		"                      %d bytes, e.g. a shell prompt '$ ') for the k-th time; the S\n"
		"                      after the last line ends the run (exit status 0)\n"
		"      --shadow-roots N  shadow page directories cached across CR3 switches; default 8\n"
		"      --shadow-flood N  stop shadowing a guest page table after N writes to it in a\n"
		"                      row with no hidden fault between (write flood); default %d, 0: never\n"
		"      --json FILE     write the summary, configuration and all counters as JSON\n"
		"      --trace FILE    write one line per monitor exit\n"
		"  -q, --quiet         no summary on stderr (errors only)\n"
		"Guest serial output goes to stdout, the run summary to stderr.\n"
		"Exit status: 0 guest exited (debug-exit port), halted cleanly or came back to the\n"
		"--serial-wait prompt after its input; 2 bad usage or input, or an output\n"
		"(stdout, --json, --trace) that could not be written;\n"
		"3 the guest wedged (triple fault, budget spent, a spin with interrupts off,\n"
		"unsupported mode), with a register dump.\n",
		DEFAULT_MEM_MIB, DEFAULT_MAX_INSNS, UART_WAIT_MAX, SHADOW_FLOOD_DEFAULT);
}

static int parse_args(int argc, char **argv, struct run_opts *o)
{
	enum { O_MEM = 256, O_DISK, O_APPEND, O_ISA, O_MAX, O_JSON, O_TRACE, O_SERIAL_IN, O_SERIAL_WAIT, O_COST,
	       O_NO_BASELINE, O_ROOTS, O_FLOOD };
	static const struct option longs[] = {
		{ "workload", required_argument, 0, 'w' }, { "strategy", required_argument, 0, 's' },
		{ "mem", required_argument, 0, O_MEM }, { "disk", required_argument, 0, O_DISK },
		{ "append", required_argument, 0, O_APPEND }, { "isa", required_argument, 0, O_ISA },
		{ "max-insns", required_argument, 0, O_MAX }, { "json", required_argument, 0, O_JSON },
		{ "trace", required_argument, 0, O_TRACE },
		{ "serial-in", required_argument, 0, O_SERIAL_IN },
		{ "serial-wait", required_argument, 0, O_SERIAL_WAIT },
		{ "cost", required_argument, 0, O_COST },
		{ "no-baseline", no_argument, 0, O_NO_BASELINE },
		{ "shadow-roots", required_argument, 0, O_ROOTS },
		{ "shadow-flood", required_argument, 0, O_FLOOD },
		{ "quiet", no_argument, 0, 'q' }, { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	int ch;

	*o = (struct run_opts){ .strategy = "native", .isa = "x86", .mem_mib = DEFAULT_MEM_MIB,
				.max_insns = DEFAULT_MAX_INSNS, .cost = "era2006", .shadow_roots = 8,
				.shadow_flood = SHADOW_FLOOD_DEFAULT };
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":w:s:qh", longs, NULL)) != -1) {
		switch (ch) {
		case 'w': o->workload_arg = optarg; break;
		case 's': o->strategy = optarg; break;
		case 'q': o->quiet = true; break;
		case 'h': run_usage(stdout); return -1;
		case O_APPEND: o->append = optarg; break;
		case O_ISA: o->isa = optarg; break;
		case O_JSON: o->json = optarg; break;
		case O_TRACE: o->trace = optarg; break;
		case O_SERIAL_IN: o->serial_in = optarg; break;
		case O_SERIAL_WAIT:
			if (!*optarg || strlen(optarg) > UART_WAIT_MAX)
				return usage_error("run", "--serial-wait: give 1 to %d bytes",
						   UART_WAIT_MAX);
			o->serial_wait = optarg;
			break;
		case O_COST: o->cost = optarg; break;
		case O_NO_BASELINE: o->no_baseline = true; break;
		case O_DISK:
			if (o->ndisks == 2)
				return usage_error("run", "--disk given more than twice");
			o->disks[o->ndisks++] = optarg;
			break;
		case O_MEM:
			if (!parse_u64(optarg, &o->mem_mib))
				return usage_error("run", "--mem: '%s' is not a number of MiB", optarg);
			if (o->mem_mib < VM_MIN_MIB || o->mem_mib > VM_MAX_MIB)
				return usage_error("run", "--mem %s: guest RAM must be %u to %u MiB",
						   optarg, VM_MIN_MIB, VM_MAX_MIB);
			break;
		case O_MAX:
			if (!parse_u64(optarg, &o->max_insns))
				return usage_error("run", "--max-insns: '%s' is not a number", optarg);
			break;
		case O_ROOTS:
			if (!parse_u64(optarg, &o->shadow_roots) || !o->shadow_roots ||
			    o->shadow_roots > 4096)
				return usage_error("run", "--shadow-roots: '%s' is not a number from 1 "
						   "to 4096", optarg);
			break;
		case O_FLOOD:
			if (!parse_u64(optarg, &o->shadow_flood) || o->shadow_flood > 1024)
				return usage_error("run", "--shadow-flood: '%s' is not a number from 0 "
						   "to 1024", optarg);
			break;
		case ':':
			return usage_error("run", "option %s needs a value", argv[optind - 1]);
		default:
			return usage_error("run", "unknown option '%s' (see vmmsim run --help)",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("run", "unexpected argument '%s'", argv[optind]);
	if (!o->workload_arg)
		return usage_error("run", "no workload: give -w NAME or -w FILE.elf");
	if (strcmp(o->isa, "x86") && strcmp(o->isa, "virtualizable"))
		return usage_error("run", "--isa %s: use x86 or virtualizable", o->isa);
	if (o->serial_wait && !o->serial_in)
		return usage_error("run", "--serial-wait needs --serial-in (the input it paces)");
	return 0;
}

static void print_count(FILE *f, uint64_t v)
{
	char buf[32], out[48];
	int n = snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v), k = 0;

	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			out[k++] = ',';
		out[k++] = buf[i];
	}
	out[k] = 0;
	fputs(out, f);
}

struct run_report {
	const struct run_opts *o;
	struct vm *vm;
	struct vm_result r;
	const struct cost_model *cost;
	struct modeled mod;
	bool have_baseline;
	double baseline_cycles;
	uint64_t baseline_insns;
	const char *baseline_error;
};

static double guest_mips(const struct run_report *rep)
{
	return rep->r.host_seconds > 0 ? rep->vm->cpu->insns / rep->r.host_seconds / 1e6 : 0;
}

static void print_component(FILE *f, const char *name, double v, double total)
{
	if (v > 0)
		fprintf(f, "    %-12s %16.0f  %5.1f%%\n", name, v, total > 0 ? 100 * v / total : 0);
}

static void print_summary(FILE *f, const struct run_report *rep)
{
	const struct vm *vm = rep->vm;
	const struct modeled *m = &rep->mod;

	fprintf(f, "vmmsim: %s under %s: %s, %s\n", rep->o->workload_name, rep->o->strategy,
		vm_outcome_name(rep->r.outcome), rep->r.msg);
	uint64_t vcpl[4];
	vm_insns_by_vcpl(rep->vm, vcpl);
	fprintf(f, "  guest instructions  ");
	print_count(f, vm->cpu->insns);
	for (unsigned p = 0; p < 4; p++) {
		if (!vcpl[p] && (p == 1 || p == 2))
			continue;
		fprintf(f, "%sCPL%u ", p ? ", " : " (", p);
		print_count(f, vcpl[p]);
	}
	fprintf(f, ")%s\n", vm->vcpu.active ? " by the guest's virtual CPL" : "");
	if (vm->ctr.diverged_popf || vm->ctr.diverged_reveal)
		fprintf(f, "  DIVERGED            the guest saw x86's sensitive instructions misbehave: "
			   "%llu POPF/IRET lost an IF/IOPL change, %llu reads showed the real machine "
			   "(CPL in CS/SS, IF/IOPL in PUSHF, the monitor's tables)\n",
			(unsigned long long)vm->ctr.diverged_popf,
			(unsigned long long)vm->ctr.diverged_reveal);
	if (vm->ctr.diverged_truncation)
		fprintf(f, "  DIVERGED            %llu guest accesses faulted only because the monitor "
			   "cut segment limits below its window at 0xffc00000\n",
			(unsigned long long)vm->ctr.diverged_truncation);
	fprintf(f, "  modeled cycles      %.0f (%s cost model, %.6f s at %.1f GHz)", m->total,
		rep->cost->name, m->total / (rep->cost->clock_ghz * 1e9), rep->cost->clock_ghz);
	if (rep->have_baseline && rep->baseline_insns != vm->cpu->insns)
		/* A guest that diverged, or stopped early, did other work. */
		fprintf(f, ", overhead %.3fx native, not comparable: native ran %llu guest "
			   "instructions\n", m->total / rep->baseline_cycles,
			(unsigned long long)rep->baseline_insns);
	else if (rep->have_baseline)
		fprintf(f, ", overhead %.3fx native\n", m->total / rep->baseline_cycles);
	else if (rep->baseline_error)
		fprintf(f, ", overhead unknown (native baseline: %s)\n", rep->baseline_error);
	else
		fputc('\n', f);
	print_component(f, "guest", m->guest, m->total);
	print_component(f, "memory", m->memory, m->total);
	print_component(f, "walks", m->walks, m->total);
	print_component(f, "events", m->events, m->total);
	print_component(f, "devices", m->devices, m->total);
	print_component(f, "transitions", m->transitions, m->total);
	print_component(f, "emulation", m->emulation, m->total);
	print_component(f, "shadow", m->shadow, m->total);
	print_component(f, "translation", m->translation, m->total);
	fprintf(f, "  host time           %.3f s, %.1f guest MIPS\n", rep->r.host_seconds,
		guest_mips(rep));
	fprintf(f, "  host cycles         ");
	print_count(f, rep->r.host_cycles);
	fprintf(f, " (PAPI real-time cycles); hardware counters unavailable on this host\n");
	if (vm->ctr.exits)
		model_print_exit_table(vm, f);
}

static void write_json(FILE *f, const struct run_report *rep, const struct stats *st)
{
	const struct run_opts *o = rep->o;
	const struct vm *vm = rep->vm;
	const struct modeled *m = &rep->mod;
	struct json j;
	struct utsname un;
	const struct cpu_tlb_config *t = &vm->cfg.cpu.tlb;

	json_begin(&j, f);
	json_obj(&j, NULL);
	json_obj(&j, "vmmsim");
	json_str(&j, "version", VMMSIM_VERSION);
	json_str(&j, "commit", vmmsim_commit());
	json_str(&j, "build", VMMSIM_BUILD_TYPE);
	json_obj_end(&j);

	json_obj(&j, "config");
	json_str(&j, "workload", o->workload_name);
	json_str(&j, "kernel", o->kernel);
	json_str(&j, "strategy", o->strategy);
	json_str(&j, "isa", o->isa);
	json_str(&j, "cost_model", rep->cost->name);
	json_u64(&j, "mem_mib", o->mem_mib);
	json_str(&j, "append", o->append ? o->append : "");
	json_u64(&j, "max_insns", o->max_insns);
	json_u64(&j, "shadow_roots", o->shadow_roots);
	json_u64(&j, "shadow_flood", o->shadow_flood);
	json_arr(&j, "disks");
	for (int d = 0; d < o->ndisks; d++)
		json_str(&j, NULL, o->disks[d]);
	json_arr_end(&j);
	json_obj(&j, "tlb");
	json_u64(&j, "dtlb_entries", t->dtlb_entries);
	json_u64(&j, "dtlb_ways", t->dtlb_ways);
	json_u64(&j, "dtlb4m_entries", t->dtlb4m_entries);
	json_u64(&j, "itlb_entries", t->itlb_entries);
	json_u64(&j, "itlb_ways", t->itlb_ways);
	json_u64(&j, "itlb4m_entries", t->itlb4m_entries);
	json_obj_end(&j);
	json_obj_end(&j);

	json_obj(&j, "result");
	json_str(&j, "outcome", vm_outcome_name(rep->r.outcome));
	if (rep->r.outcome == VM_EXITED)
		json_u64(&j, "exit_value", rep->r.exit_value);
	else
		json_null(&j, "exit_value");
	json_str(&j, "message", rep->r.msg);
	json_bool(&j, "diverged", vm->ctr.diverged_popf || vm->ctr.diverged_reveal ||
				   vm->ctr.diverged_truncation);
	json_obj_end(&j);

	json_obj(&j, "modeled");
	json_dbl(&j, "cycles", m->total);
	json_dbl(&j, "seconds", m->total / (rep->cost->clock_ghz * 1e9));
	if (rep->have_baseline) {
		json_dbl(&j, "native_cycles", rep->baseline_cycles);
		json_dbl(&j, "overhead", m->total / rep->baseline_cycles);
		json_u64(&j, "native_insns", rep->baseline_insns);
		json_bool(&j, "overhead_comparable", rep->baseline_insns == rep->vm->cpu->insns);
	}
	json_obj(&j, "components");
	json_dbl(&j, "guest", m->guest);
	json_dbl(&j, "memory", m->memory);
	json_dbl(&j, "walks", m->walks);
	json_dbl(&j, "events", m->events);
	json_dbl(&j, "devices", m->devices);
	json_dbl(&j, "transitions", m->transitions);
	json_dbl(&j, "emulation", m->emulation);
	json_dbl(&j, "shadow", m->shadow);
	json_dbl(&j, "translation", m->translation);
	json_obj_end(&j);
	json_obj(&j, "exits");
	for (unsigned r = 0; r < EXIT_COUNT; r++) {
		const struct exit_stat *e = &vm->ctr.exit[r];
		if (!e->count)
			continue;
		json_obj(&j, exit_reason_names[r]);
		json_u64(&j, "samples", e->count);
		json_dbl(&j, "cycles", e->cycles);
		json_dbl(&j, "min", e->min);
		json_dbl(&j, "max", e->max);
		json_obj_end(&j);
	}
	json_obj_end(&j);
	json_obj_end(&j);

	json_obj(&j, "cost_model");
	json_str(&j, "name", rep->cost->name);
	json_str(&j, "path", rep->cost->path);
	json_str(&j, "contents", rep->cost->text);
	json_obj_end(&j);

	json_obj(&j, "host");
	json_dbl(&j, "seconds", rep->r.host_seconds);
	json_dbl(&j, "guest_mips", guest_mips(rep));
	json_u64(&j, "real_cycles", rep->r.host_cycles);
	json_str(&j, "hw_counters", "unavailable");
	if (uname(&un) == 0) {
		json_str(&j, "kernel", un.release);
		json_str(&j, "machine", un.machine);
	}
	json_obj_end(&j);

	json_obj(&j, "counters");
	for (size_t k = 0; k < st->n; k++)
		json_u64(&j, st->rows[k].path, st->rows[k].value);
	json_obj_end(&j);
	json_obj_end(&j);
	json_end(&j);
}

/* What a baseline run needs to start where the run did. */
struct replay {
	struct disk_undo undo[2];
	off_t in_start;		/* serial input offset; -1: not a seekable file */
	bool tty;		/* the input is an interactive terminal */
};

/* An interactive terminal as the guest's serial line: keys go to the
 * guest as typed (no line editing, no echo: the guest echoes), ^C still
 * stops vmmsim; the terminal is restored on every way out. */
static struct termios tty_saved;
static bool tty_raw;

static void tty_restore(void)
{
	if (tty_raw)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &tty_saved);
	tty_raw = false;
}

static void tty_signal(int sig)
{
	tty_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void tty_make_raw(void)
{
	struct termios t;

	if (tcgetattr(STDIN_FILENO, &tty_saved))
		return;
	t = tty_saved;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO | IEXTEN);
	t.c_iflag &= ~(tcflag_t)(ICRNL | INLCR | IXON);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t))
		return;
	tty_raw = true;
	atexit(tty_restore);
	signal(SIGINT, tty_signal);
	signal(SIGTERM, tty_signal);
	signal(SIGHUP, tty_signal);
}

static FILE *open_out(const char *path, const char *what)
{
	FILE *f = fopen(path, "w");
	if (!f)
		usage_error("run", "%s %s: cannot open for writing: %s", what, path,
			    strerror(errno));
	return f;
}

/* Closes an output file; a write that failed on the way (a full disk) is
 * an error of the run: EXIT_USAGE after one line, else rc. */
static int close_out(FILE *f, const char *what, const char *path, int rc)
{
	bool bad = ferror(f);
	int saved = errno;

	if (fclose(f) && !bad) {
		bad = true;
		saved = errno;
	}
	if (!bad)
		return rc;
	usage_error("run", "%s %s: write failed: %s", what, path, strerror(saved));
	return EXIT_USAGE;
}

/*
 * The same guest natively, quietly, for the overhead figure: from the same
 * serial input (read again from where the run started) and the same disks
 * (the run's undo logs give back what it overwrote; see disk_undo.h).
 */
static void run_baseline(const struct vm_config *cfg, const struct replay *rp,
			 struct run_report *rep)
{
	struct vm_config b = *cfg;
	char err[256];

	for (unsigned i = 0; i < 2; i++) {
		if (rp->undo[i].overflow) {
			rep->baseline_error = "the guest overwrote more disk than can be kept "
					      "to replay";
			return;
		}
	}
	if (cfg->serial_in && rp->tty && !rep->vm->pc.com1.rx_bytes) {
		b.serial_in = NULL;	/* nobody typed: the same as no input */
	} else if (cfg->serial_in) {
		if (rp->in_start < 0 || fseeko(cfg->serial_in, rp->in_start, SEEK_SET)) {
			rep->baseline_error = "the serial input cannot be read a second time";
			return;
		}
		clearerr(cfg->serial_in);
	}
	FILE *null = fopen("/dev/null", "w");
	b.strategy = strategy_find("native");
	b.serial_out = null;
	b.trace = NULL;
	b.cpu.isa_virtualizable = false;
	b.disk_replay = true;
	struct vm *vm = vm_create(&b, err, sizeof(err));
	if (vm) {
		struct vm_result r;
		struct modeled m;
		vm_run(vm, &r);
		model_compute(vm, cfg->cost, &m);
		if (vm_finished(r.outcome)) {
			rep->have_baseline = true;
			rep->baseline_cycles = m.total;
			rep->baseline_insns = vm->cpu->insns;
		} else {
			rep->baseline_error = "the native run did not finish";
		}
		vm_destroy(vm);
	} else {
		rep->baseline_error = "the native run could not start";
	}
	if (null)
		fclose(null);
}

/* A workload given by name boots as "NAME.elf ARGS" wherever the build
 * put it, so that its counters do not depend on the checkout's path; a
 * kernel file boots as "FILE ARGS" with FILE as given, as on QEMU. */
static const char *boot_name(const struct run_opts *o)
{
	const char *slash = strrchr(o->kernel, '/');

	if (!strcmp(o->workload_arg, o->kernel))
		return NULL;
	return slash ? slash + 1 : o->kernel;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	struct cost_model cost;
	char err[PATH_MAX + 256];
	int rc = parse_args(argc, argv, &o);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (workload_resolve(o.workload_arg, o.kernel, sizeof(o.kernel), &o.workload_name, err,
			     sizeof(err)))
		return usage_error("run", "%s", err);
	const struct strategy *st = strategy_find(o.strategy);
	if (!st)
		return usage_error("run", "-s %s: no such strategy (see 'vmmsim list strategies')",
				   o.strategy);
	if (!strcmp(o.isa, "virtualizable") && !(st->cpu && st->cpu->attach))
		return usage_error("run", "--isa virtualizable needs a monitor strategy (such as "
				   "trap+shadow): under %s the guest itself would take the traps",
				   st->name);
	if (cost_load(&cost, o.cost, costs_dir(), err, sizeof(err)))
		return usage_error("run", "%s", err);

	struct vm_config cfg = {
		.kernel = o.kernel, .boot_name = boot_name(&o), .cmdline = o.append,
		.mem_mib = (uint32_t)o.mem_mib,
		.disks = { o.disks[0], o.disks[1] }, .serial_out = stdout,
		.strategy = st, .max_insns = o.max_insns, .cost = &cost,
	};
	cpu_default_config(&cfg.cpu);
	cfg.cpu.isa_virtualizable = !strcmp(o.isa, "virtualizable");

	FILE *json = NULL, *serial_in = NULL;
	struct replay rp = { .in_start = -1 };
	rc = EXIT_USAGE;
	shadow_roots_config = (unsigned)o.shadow_roots;
	shadow_flood_config = (unsigned)o.shadow_flood;
	if (o.serial_in && !strcmp(o.serial_in, "-"))
		serial_in = stdin;
	else if (o.serial_in && !(serial_in = fopen(o.serial_in, "rb"))) {
		usage_error("run", "--serial-in %s: cannot open: %s", o.serial_in, strerror(errno));
		goto out;
	} else if (!o.serial_in && isatty(STDIN_FILENO)) {
		serial_in = stdin;	/* interactive: the terminal types into COM1 */
	}
	cfg.serial_in = serial_in;
	cfg.serial_wait = o.serial_wait;
	if (serial_in) {
		struct stat sb;
		bool known = !fstat(fileno(serial_in), &sb);
		if (known && S_ISDIR(sb.st_mode)) {
			usage_error("run", "--serial-in %s: is a directory",
				    o.serial_in ? o.serial_in : "-");
			goto out;
		}
		if (known && S_ISREG(sb.st_mode))
			rp.in_start = ftello(serial_in);
		rp.tty = isatty(fileno(serial_in));
		if (rp.tty)
			tty_make_raw();
	}
	bool baseline = strcmp(st->name, "native") && !o.no_baseline;
	for (unsigned i = 0; i < 2 && baseline; i++)
		cfg.disk_undo[i] = &rp.undo[i];
	if (o.trace && !(cfg.trace = open_out(o.trace, "--trace")))
		goto out;
	if (o.json && !(json = open_out(o.json, "--json")))
		goto out;

	struct run_report rep = { .o = &o, .cost = &cost };
	rep.vm = vm_create(&cfg, err, sizeof(err));
	if (!rep.vm) {
		fprintf(stderr, "vmmsim run: %s\n", err);
		goto out;
	}
	vm_run(rep.vm, &rep.r);
	fflush(stdout);
	model_compute(rep.vm, &cost, &rep.mod);
	bool wedged = !vm_finished(rep.r.outcome);
	const struct mon_counters *mc = &rep.vm->ctr;
	/* A guest that diverged and then halted (a kernel panic, say) did
	 * other work than natively: there is no overhead to compare, and its
	 * native run may go on for much longer. */
	if (baseline && rep.r.outcome == VM_HALTED &&
	    (mc->diverged_popf || mc->diverged_reveal || mc->diverged_truncation))
		rep.baseline_error = "not run, the guest diverged and halted";
	else if (baseline && !wedged)
		run_baseline(&cfg, &rp, &rep);

	if (!o.quiet || wedged)
		print_summary(stderr, &rep);
	if (wedged)
		vm_dump(rep.vm, stderr);
	else if (!o.quiet && rep.r.outcome == VM_HALTED)
		vm_dump_screen(rep.vm, stderr);	/* a panic may be written there */
	if (json) {
		struct stats rows;
		stats_init(&rows);
		vm_collect_stats(rep.vm, &rows);
		write_json(json, &rep, &rows);
		stats_free(&rows);
	}
	vm_destroy(rep.vm);
	rc = wedged ? EXIT_WEDGED : EXIT_OK;
out:
	if (json)
		rc = close_out(json, "--json", o.json, rc);
	if (cfg.trace)
		rc = close_out(cfg.trace, "--trace", o.trace, rc);
	if (rc != EXIT_USAGE && (fflush(stdout) || ferror(stdout))) {
		usage_error("run", "standard output: write failed: %s", strerror(errno));
		rc = EXIT_USAGE;
	}
	if (serial_in && serial_in != stdin)
		fclose(serial_in);
	tty_restore();
	for (unsigned i = 0; i < 2; i++)
		disk_undo_free(&rp.undo[i]);
	cost_free(&cost);
	return rc;
}
