/* The nested MMU's table and its test hook; see nested.c. */
#ifndef VMM_STRATEGIES_NESTED_H
#define VMM_STRATEGIES_NESTED_H

#include <stdbool.h>

#include "core/mon/strategy.h"

struct vm;

extern const struct mmu_virt_ops nested_mmu;

/* Every present nested entry maps guest RAM at its own guest-physical
 * address, through tables in the monitor's memory: the isolation
 * invariant, for tests. */
bool nested_maps_only_guest_ram(struct vm *vm);

#endif
