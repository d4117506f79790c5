/* Port-I/O and MMIO dispatch; see bus.h for the model. */
#include "core/dev/bus.h"

#include <stdio.h>
#include <string.h>

void bus_init(struct bus *b)
{
	memset(b, 0, sizeof(*b));
}

static int space_add(struct bus_space *s, const char *kind, const char *name,
		     uint32_t base, uint32_t len, unsigned sizes,
		     const struct bus_ops *ops, void *dev, char *err, size_t errlen)
{
	uint64_t end = (uint64_t)base + len;

	if (len == 0 || !ops || !(sizes & (BUS_1 | BUS_2 | BUS_4))) {
		snprintf(err, errlen, "%s region %s: empty range or no access size", kind, name);
		return -1;
	}
	for (int i = 0; i < s->n; i++) {
		const struct bus_region *o = &s->r[i];
		if (base < (uint64_t)o->base + o->len && o->base < end) {
			snprintf(err, errlen,
				 "%s range %#x-%#llx of %s overlaps %#x-%#llx of %s", kind,
				 base, (unsigned long long)(end - 1), name, o->base,
				 (unsigned long long)o->base + o->len - 1, o->name);
			return -1;
		}
	}
	if (s->n == BUS_MAX_REGIONS) {
		snprintf(err, errlen, "%s region %s: bus full", kind, name);
		return -1;
	}
	s->r[s->n] = (struct bus_region){ .name = name, .base = base, .len = len,
					  .sizes = sizes, .ops = ops, .dev = dev };
	s->n++;
	return 0;
}

int bus_add_pio(struct bus *b, const char *name, uint32_t base, uint32_t len,
		unsigned sizes, const struct bus_ops *ops, void *dev, char *err,
		size_t errlen)
{
	if ((uint64_t)base + len > 0x10000) {
		snprintf(err, errlen, "port range %#x+%#x of %s beyond port 0xffff", base, len, name);
		return -1;
	}
	if (space_add(&b->pio, "port", name, base, len, sizes, ops, dev, err, errlen))
		return -1;
	for (uint32_t p = base; p < base + len; p++)
		b->pio_map[p] = (uint8_t)b->pio.n;
	return 0;
}

int bus_add_mmio(struct bus *b, const char *name, uint32_t base, uint32_t len,
		 unsigned sizes, const struct bus_ops *ops, void *dev, char *err,
		 size_t errlen)
{
	if ((uint64_t)base + len > 0x100000000ull) {
		snprintf(err, errlen, "MMIO range %#x+%#x of %s beyond 4 GiB", base, len, name);
		return -1;
	}
	return space_add(&b->mmio, "MMIO", name, base, len, sizes, ops, dev, err, errlen);
}

static struct bus_region *pio_find(struct bus *b, uint16_t port)
{
	unsigned i = b->pio_map[port];
	return i ? &b->pio.r[i - 1] : NULL;
}

struct bus_region *bus_mmio_find(struct bus *b, uint32_t addr)
{
	for (int i = 0; i < b->mmio.n; i++) {
		struct bus_region *r = &b->mmio.r[i];
		if (addr - r->base < r->len)
			return r;
	}
	return NULL;
}

/*
 * One access to one region; sizes the device does not accept, or accesses
 * running past its end, are split into bytes that are dispatched one by one
 * (each may land on another device, or on nothing).
 */
static bool fits(const struct bus_region *r, uint32_t addr, unsigned size)
{
	return (r->sizes & size) && addr - r->base + size <= r->len;
}

/*
 * Byte accesses that no region accepts are the unclaimed ones; anything
 * wider than a region accepts is split into bytes.
 */
static uint32_t space_read(struct bus *b, struct bus_space *s, bool pio,
			   uint32_t addr, unsigned size)
{
	struct bus_region *r = pio ? pio_find(b, (uint16_t)addr) : bus_mmio_find(b, addr);

	if (r && fits(r, addr, size)) {
		r->reads++;
		return r->ops->read ? r->ops->read(r->dev, addr - r->base, size)
				    : 0xffffffffu >> (32 - 8 * size);
	}
	if (size == 1) {
		s->unclaimed_reads++;
		return pio ? 0xff : 0;
	}
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= space_read(b, s, pio, pio ? (uint16_t)(addr + i) : addr + i, 1) << (8 * i);
	return v;
}

static void space_write(struct bus *b, struct bus_space *s, bool pio,
			uint32_t addr, unsigned size, uint32_t value)
{
	struct bus_region *r = pio ? pio_find(b, (uint16_t)addr) : bus_mmio_find(b, addr);

	if (r && fits(r, addr, size)) {
		r->writes++;
		if (r->ops->write)
			r->ops->write(r->dev, addr - r->base, size, value);
		return;
	}
	if (size == 1) {
		s->unclaimed_writes++;
		return;
	}
	for (unsigned i = 0; i < size; i++)
		space_write(b, s, pio, pio ? (uint16_t)(addr + i) : addr + i, 1,
			    (value >> (8 * i)) & 0xff);
}

uint32_t bus_pio_read(struct bus *b, uint16_t port, unsigned size)
{
	return space_read(b, &b->pio, true, port, size);
}

void bus_pio_write(struct bus *b, uint16_t port, unsigned size, uint32_t value)
{
	space_write(b, &b->pio, true, port, size, value);
}

uint32_t bus_mmio_read(struct bus *b, uint32_t addr, unsigned size)
{
	return space_read(b, &b->mmio, false, addr, size);
}

void bus_mmio_write(struct bus *b, uint32_t addr, unsigned size, uint32_t value)
{
	space_write(b, &b->mmio, false, addr, size, value);
}
