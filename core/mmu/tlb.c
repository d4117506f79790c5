/* Set-associative modeled TLB with FIFO replacement; see tlb.h. */
#include "core/mmu/tlb.h"

#include <stdlib.h>
#include <string.h>

int tlb_model_init(struct tlb_model *t, unsigned entries, unsigned ways, unsigned shift)
{
	memset(t, 0, sizeof(*t));
	t->shift = shift;
	if (entries == 0)
		return 0;
	if (ways == 0 || ways > 255 || entries % ways)
		return -1;
	t->sets = entries / ways;
	t->ways = ways;
	t->e = calloc(entries, sizeof(*t->e));
	t->victim = calloc(t->sets, 1);
	return t->e && t->victim ? 0 : -1;
}

void tlb_model_free(struct tlb_model *t)
{
	free(t->e);
	free(t->victim);
	t->e = NULL;
	t->victim = NULL;
	t->sets = 0;
}

static struct tlb_entry *set_of(struct tlb_model *t, uint32_t vpn)
{
	return &t->e[(vpn % t->sets) * t->ways];
}

struct tlb_entry *tlb_lookup(struct tlb_model *t, uint32_t lin)
{
	if (!t->sets)
		return NULL;
	uint32_t vpn = lin >> t->shift;
	struct tlb_entry *s = set_of(t, vpn);
	for (unsigned w = 0; w < t->ways; w++)
		if (s[w].valid && s[w].vpn == vpn)
			return &s[w];
	return NULL;
}

static void drop(struct tlb_model *t, struct tlb_entry *e)
{
	if (!e->valid)
		return;
	e->valid = false;
	if (t->evicted)
		t->evicted(t->opaque, e, t->shift);
}

void tlb_insert(struct tlb_model *t, uint32_t lin, uint32_t pa, uint8_t flags)
{
	if (!t->sets)
		return;
	uint32_t vpn = lin >> t->shift;
	struct tlb_entry *s = set_of(t, vpn);
	struct tlb_entry *slot = NULL;

	/* A refill of a page already present (a permission or dirty-bit
	 * re-walk) replaces that entry rather than duplicating it. */
	for (unsigned w = 0; w < t->ways && !slot; w++)
		if (s[w].valid && s[w].vpn == vpn)
			slot = &s[w];
	for (unsigned w = 0; w < t->ways && !slot; w++)
		if (!s[w].valid)
			slot = &s[w];
	if (!slot) {
		uint8_t *v = &t->victim[vpn % t->sets];
		slot = &s[*v];
		*v = (uint8_t)((*v + 1) % t->ways);
	}
	drop(t, slot);
	*slot = (struct tlb_entry){ .vpn = vpn, .pfn = pa >> t->shift, .flags = flags,
				    .valid = true };
}

void tlb_invalidate(struct tlb_model *t, uint32_t lin)
{
	struct tlb_entry *e = tlb_lookup(t, lin);
	if (e)
		drop(t, e);
}

void tlb_invalidate_large(struct tlb_model *t, uint32_t lin)
{
	for (unsigned i = 0; i < t->sets * t->ways; i++) {
		struct tlb_entry *e = &t->e[i];
		if (e->valid && (e->flags & TLBF_LARGE) &&
		    ((e->vpn << t->shift) >> 22) == lin >> 22)
			drop(t, e);
	}
}

void tlb_flush(struct tlb_model *t, bool keep_global)
{
	for (unsigned i = 0; i < t->sets * t->ways; i++)
		if (!(keep_global && (t->e[i].flags & TLBF_G)))
			drop(t, &t->e[i]);
}
