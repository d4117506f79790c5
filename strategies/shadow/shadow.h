/* The shadow MMU's table and its test/config hooks; see shadow.c. */
#ifndef VMM_STRATEGIES_SHADOW_H
#define VMM_STRATEGIES_SHADOW_H

#include <stdbool.h>

#include "core/mon/strategy.h"

struct vm;

extern const struct mmu_virt_ops shadow_mmu;
/* Size of the shadow-root cache for VMs created from now on (--shadow-roots). */
extern unsigned shadow_roots_config;
/* Traced writes in a row to one page, with no hidden fault between, after
 * which the page stops being shadowed (--shadow-flood); 0: never. */
#define SHADOW_FLOOD_DEFAULT 4
extern unsigned shadow_flood_config;

/* Every present shadow entry maps guest RAM or the monitor's own tables
 * (its page tables, the window): the isolation invariant, for tests. */
bool shadow_maps_only_guest_ram(struct vm *vm);

#endif
