/*
 * Nested paging in the CPU (core/cpu/mem.c): every guest-physical address,
 * the guest's page-table entries' too, goes through the nested table, so a
 * cold 2-level walk over a 2-level nested table reads (2+1)(2+1)-1 = 8
 * entries; a guest-physical page the nested table lacks is a nested fault
 * for the monitor; device memory faults on every access and is never
 * cached; INVLPG of a guest 4 MiB page drops all its 4 KiB pieces.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "core/cpu/emu.h"
#include "core/cpu/exec.h"
#include "core/mmu/tlb.h"
#include "tests/unit/helpers_cpu.h"

#define GPD 0x100000u	/* the guest's page directory (guest-physical) */
#define GPT 0x101000u	/* its table for 0-4 MiB, identity */
#define NPD 0x200000u	/* the nested directory (machine) */
#define NPT 0x201000u	/* its table for 0-4 MiB */
#define DEV_VA 0x300000u /* guest-linear page mapped to a device address */

static struct tm *m;
static unsigned nfaults;
static uint32_t fault_gpa[8];

static enum npt_result on_npt_fault(void *monitor, struct cpu *c, uint32_t gpa, bool write)
{
	(void)monitor;
	(void)write;
	if (nfaults < 8)
		fault_gpa[nfaults] = gpa;
	nfaults++;
	if (gpa >= TM_RAM)
		return NPT_DEVICE;
	tm_wr32(m, NPT + ((gpa >> 12) & 1023) * 4, (gpa & PAGE_MASK) | PTE_P | PTE_RW | PTE_US);
	(void)c;
	return NPT_RETRY;
}

static void setup(void)
{
	m = tm_new();
	nfaults = 0;
	memset(m->phys.ram + GPD, 0, 4096);
	memset(m->phys.ram + NPD, 0, 4096);
	tm_wr32(m, GPD, GPT | PTE_P | PTE_RW | PTE_US);
	tm_wr32(m, NPD, NPT | PTE_P | PTE_RW | PTE_US);
	for (uint32_t k = 0; k < 1024; k++) {
		tm_wr32(m, GPT + k * 4, (k << 12) | PTE_P | PTE_RW | PTE_US);
		tm_wr32(m, NPT + k * 4, (k << 12) | PTE_P | PTE_RW | PTE_US);
	}
	/* The data page starts unmapped in the nested table. */
	tm_wr32(m, NPT + (TM_DATA >> 12) * 4, 0);
	tm_wr32(m, GPT + (DEV_VA >> 12) * 4, 0xfee00000u | PTE_P | PTE_RW);
	m->cpu->hooks.npt_fault = on_npt_fault;
	m->cpu->cr3 = GPD;
	m->cpu->cr0 |= CR0_PG;
	cpu_set_nested(m->cpu, true, NPD, TM_RAM);
}

static void teardown(void) { tm_free(m); }

TestSuite(cpu_nested, .init = setup, .fini = teardown);

/* One fetch walk and one data walk, both cold: 8 references each, plus
 * the nested walk retried after the data page's nested fault. */
Test(cpu_nested, two_dimensional_walk_references)
{
	static const uint8_t code[] = {
		0xa1, 0x00, 0x00, 0x02, 0x00,	/* mov eax, [0x20000] */
		0xf4,				/* hlt */
	};

	tm_wr32(m, TM_DATA, 0x5eed);
	cr_assert_eq(tm_run(m, code, sizeof(code), 100), CPU_STOP_HALTED);
	cr_assert_eq(m->cpu->r[REG_EAX], 0x5eed);
	cr_assert_eq(nfaults, 1);
	cr_assert_eq(fault_gpa[0], TM_DATA);
	cr_assert_eq(m->cpu->ctr.walks, 2);
	cr_assert_eq(m->cpu->ctr.walk_refs, 8 + 8 + 2);
}

/* A guest-physical device address faults on every access, reaches the bus
 * (all-ones: the test machine has no devices) and is never cached. */
Test(cpu_nested, device_memory_faults_every_time)
{
	static const uint8_t code[] = {
		0xa1, 0x00, 0x00, 0x30, 0x00,	/* mov eax, [0x300000] */
		0x8b, 0x1d, 0x04, 0x00, 0x30, 0x00,	/* mov ebx, [0x300004] */
		0xf4,
	};

	cr_assert_eq(tm_run(m, code, sizeof(code), 100), CPU_STOP_HALTED);
	cr_assert_eq(m->cpu->r[REG_EAX], 0xffffffffu);
	cr_assert_eq(m->cpu->r[REG_EBX], 0xffffffffu);
	cr_assert_eq(nfaults, 2);
	cr_assert_eq(fault_gpa[0], 0xfee00000u);
	cr_assert_eq(fault_gpa[1], 0xfee00004u);
	cr_assert_null(tlb_lookup(&m->cpu->dtlb, DEV_VA));
}

/* INVLPG of an address in a guest 4 MiB page drops every 4 KiB piece of
 * it that the TLB holds, and only those. */
Test(cpu_nested, invlpg_drops_a_large_page_whole)
{
	static const uint8_t code[] = {
		0xa1, 0x00, 0x00, 0x82, 0x00,	/* mov eax, [0x820000] */
		0x8b, 0x1d, 0x00, 0x10, 0x82, 0x00,	/* mov ebx, [0x821000] */
		0x8b, 0x0d, 0x00, 0x10, 0x02, 0x00,	/* mov ecx, [0x21000] */
		0x0f, 0x01, 0x3d, 0x00, 0x00, 0x80, 0x00,	/* invlpg [0x800000] */
		0xf4,
	};

	tm_wr32(m, GPD + 2 * 4, 0 | PTE_P | PTE_RW | PTE_PS);	/* 0x800000: 4 MiB at 0 */
	m->cpu->cr4 |= CR4_PSE;
	cr_assert_eq(tm_run(m, code, sizeof(code), 100), CPU_STOP_HALTED);
	cr_assert_null(tlb_lookup(&m->cpu->dtlb, 0x820000));
	cr_assert_null(tlb_lookup(&m->cpu->dtlb, 0x821000));
	cr_assert_not_null(tlb_lookup(&m->cpu->dtlb, 0x21000));
}
