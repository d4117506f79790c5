/*
 * MP table search and parse (MultiProcessor Specification 1.4, section 4
 * and chapter 4's tables), printing every entry, so a difference between
 * two machines' tables shows up as a different line.
 *
 * The floating pointer is searched on 16-byte boundaries in the first KiB
 * of the EBDA (segment at 0x40e), the last KiB of base memory (KiB count
 * at 0x413) and 0xf0000-0xfffff, in that order; it must sum to 0, and so
 * must the configuration table's base part (and its empty extended part).
 */
#include "plat.h"

struct mp_floating {
	char sig[4];
	u32 physptr;
	u8 length, rev, checksum, feature[5];
} __attribute__((packed));

struct mp_config {
	char sig[4];
	u16 length;
	u8 rev, checksum;
	char oem[8], product[12];
	u32 oem_table;
	u16 oem_size, count;
	u32 lapic;
	u16 ext_length;
	u8 ext_checksum, reserved;
} __attribute__((packed));

struct mp_processor {
	u8 type, apic_id, apic_version, flags;
	u32 signature, features, reserved[2];
} __attribute__((packed));

struct mp_entry8 {
	u8 type, b1, b2, b3, b4, b5, b6, b7;
} __attribute__((packed));

static const char *const irq_types[4] = { "INT", "NMI", "SMI", "ExtINT" };

static u8 sum(const void *p, u32 n)
{
	const u8 *b = p;
	u8 s = 0;

	while (n--)
		s += *b++;
	return s;
}

static const struct mp_floating *search(u32 base, u32 len)
{
	for (u32 a = base; a + 16 <= base + len; a += 16) {
		const struct mp_floating *f = (const void *)a;

		if (f->sig[0] == '_' && f->sig[1] == 'M' && f->sig[2] == 'P' &&
		    f->sig[3] == '_' && !sum(f, 16))
			return f;
	}
	return 0;
}

static const struct mp_floating *find(void)
{
	u32 ebda = (u32)*(const u16 *)phys_ptr(0x40e) << 4;
	u32 top = (u32)*(const u16 *)phys_ptr(0x413) * 1024;
	const struct mp_floating *f = 0;

	if (ebda)
		f = search(ebda, 1024);
	if (!f && top >= 1024)
		f = search(top - 1024, 1024);
	if (!f)
		f = search(0xf0000, 0x10000);
	return f;
}

static void print_name(const char *what, const char *s, int n)
{
	plat_printf("%s \"", what);
	for (int i = 0; i < n; i++)
		plat_printf("%c", s[i]);
	plat_printf("\"");
}

static void entry8(struct plat_mp *mp, const struct mp_entry8 *e)
{
	switch (e->type) {
	case 1:
		print_name("mp: bus", (const char *)&e->b2, 6);
		plat_printf(" id %u\n", e->b1);
		break;
	case 2:
		plat_printf("mp: ioapic id %u version %x flags %x addr %08x\n", e->b1, e->b2,
			    e->b3, *(const u32 *)&e->b4);
		mp->ioapic_addr = *(const u32 *)&e->b4;
		mp->ioapic_id = e->b1;
		break;
	case 3:
	case 4:
		plat_printf("mp: %s %s flags %x bus %u irq %x -> %s %x pin %u\n",
			    e->type == 3 ? "ioint" : "lint", irq_types[e->b1 & 3],
			    e->b2 | e->b3 << 8, e->b4, e->b5,
			    e->type == 3 ? "ioapic" : "lapic", e->b6, e->b7);
		/* Bus 1 is ISA on this table; a parser would match bus names. */
		if (e->type == 3 && e->b4 == 1 && e->b5 < 16)
			mp->isa_pin[e->b5] = e->b7;
		break;
	default:
		plat_printf("mp: unknown entry type %u\n", e->type);
		break;
	}
}

int plat_mp_parse(struct plat_mp *mp)
{
	const struct mp_floating *f = find();
	const struct mp_config *c;
	const u8 *p, *end;

	for (int i = 0; i < 16; i++)
		mp->isa_pin[i] = -1;
	mp->ioapic_addr = 0;
	mp->ncpus = 0;
	if (!plat_check("mp floating pointer found", f != 0, 1))
		return -1;
	plat_printf("mp: floating pointer at %08x table %08x length %u rev %u features %x %x %x %x %x\n",
		    (u32)f, f->physptr, f->length, f->rev, f->feature[0], f->feature[1],
		    f->feature[2], f->feature[3], f->feature[4]);
	mp->imcrp = f->feature[1] & 0x80;
	c = (const void *)f->physptr;
	if (!plat_check("mp PCMP signature", c->sig[0] == 'P' && c->sig[1] == 'C' &&
			c->sig[2] == 'M' && c->sig[3] == 'P', 1) ||
	    !plat_check("mp table checksum", sum(c, c->length), 0) ||
	    !plat_check("mp extended table checksum",
			(u8)(sum((const u8 *)c + c->length, c->ext_length) + c->ext_checksum), 0))
		return -1;
	print_name("mp: table oem", c->oem, 8);
	print_name(" product", c->product, 12);
	plat_printf(" length %u rev %u entries %u lapic %08x oem table %x/%u ext %u\n",
		    c->length, c->rev, c->count, c->lapic, c->oem_table, c->oem_size,
		    c->ext_length);
	p = (const u8 *)(c + 1);
	end = (const u8 *)c + c->length;
	for (u32 n = 0; n < c->count && p < end; n++) {
		if (*p == 0) {
			const struct mp_processor *cpu = (const void *)p;

			plat_printf("mp: cpu apic %u version %x flags %x signature %x features %08x\n",
				    cpu->apic_id, cpu->apic_version, cpu->flags, cpu->signature,
				    cpu->features);
			mp->ncpus++;
			p += sizeof(*cpu);
		} else {
			entry8(mp, (const void *)p);
			p += 8;
		}
	}
	plat_check("mp entries end at the table length", (u32)p, (u32)end);
	return mp->ioapic_addr ? 0 : -1;
}
