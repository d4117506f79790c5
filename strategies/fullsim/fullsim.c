/*
 * Complete machine simulation (SimOS/Bochs style, the lecture's "one way"):
 * every guest instruction is interpreted and every memory access goes
 * through a software MMU. vmmsim's CPU model is exactly such a simulator,
 * so this strategy needs no hooks: the guest runs on it at its own
 * privilege levels, nothing traps, and the guest cannot tell. What differs
 * is the price: the fullsim cost class charges every instruction and every
 * memory access the cost of simulating it (fullsim.* in the cost model),
 * and its host time is what the "~100x slower" claim is measured on.
 */
#include "core/mon/strategy.h"

const struct cpu_virt_ops fullsim_cpu = {
	.name = "fullsim",
};
