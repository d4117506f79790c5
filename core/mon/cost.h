/*
 * Cost models: what each counted event costs in modeled CPU cycles, read
 * from an INI file (bench/costs/NAME.ini). The schema below is the only
 * list of keys; a file must give every key exactly once, as a number
 * within the key's range, and nothing else, or it is refused with its
 * file, line and key named. Modeled cycles are a pure function of the
 * counters and the model, so the same run gives the same cycles on any host.
 *
 * The file is a regular text file of at most COST_MAX_BYTES, with LF or
 * CRLF line ends; a NUL byte or another control character (tab aside) is
 * refused with its line. Ranges: machine.clock_ghz within [0.01, 100];
 * native.insn within [0.01, 1e9], so the native baseline that overhead
 * divides by is never zero; every other price within [0, 1e9] cycles (a
 * quarter of a second at 4 GHz: more than any one event of a PC costs).
 * Both bounds keep every modeled figure finite for any count a run makes.
 *
 * Components (section.key):
 *   machine.clock_ghz               to turn cycles into modeled seconds
 *   native.insn                     a guest instruction that runs directly
 *   native.walk_ref                 one memory reference of a page walk
 *   native.exception                hardware delivery of an exception or
 *                                   interrupt through the IDT
 *   native.io                       a port or MMIO access reaching a device
 *   native.lapic                    an access to the on-die local APIC
 *   fullsim.insn, fullsim.mem_access, fullsim.walk_ref   complete simulation
 *   trap.exit                       a trap into the monitor and back (fault
 *                                   delivery to ring 0 + return)
 *   hwassist.exit                   a VM exit and VM entry round trip
 *   binxlate.translate_insn         translating one guest kernel instruction
 *                                   into the translation cache
 *   emulate.REASON                  monitor work per exit reason
 *   shadow.hidden_fault, shadow.pte_write, shadow.sync_entry,
 *   shadow.root_hit, shadow.root_miss
 */
#ifndef VMM_MON_COST_H
#define VMM_MON_COST_H

#include <limits.h>
#include <stddef.h>

#include "core/mon/exits.h"

/* A cost model is a small text file; anything larger is not one. */
#define COST_MAX_BYTES (1 << 20)

struct cost_model {
	char name[64];
	char path[PATH_MAX];
	double clock_ghz;
	struct { double insn, walk_ref, exception, io, lapic; } native;
	struct { double insn, mem_access, walk_ref; } fullsim;
	double trap_exit, hwassist_exit;
	double binxlate_translate_insn;
	double emulate[EXIT_COUNT];
	struct { double hidden_fault, pte_write, sync_entry, root_hit, root_miss; } shadow;
	char *text;		/* the file's contents, for provenance in results */
};

/*
 * NAME (bench/costs/NAME.ini) or a path; -1 with one line in err, such as
 * "FILE:LINE: section.key: reason", "FILE: not a regular file" or
 * "--cost PATH: path too long".
 */
int cost_load(struct cost_model *m, const char *name_or_path, const char *costs_dir,
	      char *err, size_t errlen);
void cost_free(struct cost_model *m);

#endif
