/*
 * PCI bus 0 behind configuration mechanism #1 (0xcf8/0xcfc), and the two
 * functions of the i440FX/PIIX3 chipset that carry nothing of their own:
 * the host bridge 00:00.0 and the ISA bridge 00:01.0. See pci.c.
 */
#ifndef VMM_DEV_PCI_H
#define VMM_DEV_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bus;

#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_CLASS_REVISION	0x08
#define PCI_CACHE_LINE_SIZE	0x0c
#define PCI_LATENCY_TIMER	0x0d
#define PCI_HEADER_TYPE		0x0e
#define PCI_BAR0		0x10
#define PCI_SUBSYSTEM_VENDOR_ID	0x2c
#define PCI_INTERRUPT_LINE	0x3c
#define PCI_INTERRUPT_PIN	0x3d

#define PCI_COMMAND_IO		0x0001
#define PCI_COMMAND_MEMORY	0x0002
#define PCI_COMMAND_MASTER	0x0004
#define PCI_COMMAND_SERR	0x0100
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_BAR_IO		0x01

#define PCI_CONFIG_ENABLE	0x80000000u

struct pci_function {
	const char *name;
	uint8_t cfg[256];
	uint8_t wmask[256];	/* bits software may write */
	uint8_t w1cmask[256];	/* bits a written one clears */
	/* Called after a configuration write, with the first register touched. */
	void (*written)(void *opaque, unsigned reg, unsigned size);
	void *opaque;
};

struct pci_host {
	uint32_t addr;		/* CONFIG_ADDRESS at 0xcf8 */
	struct pci_function *fn[32][8];
};

void pci_host_init(struct pci_host *h);
/* 0xcf8 (dword) and 0xcfc-0xcff (any size and offset). */
int pci_host_register(struct pci_host *h, struct bus *b, char *err, size_t errlen);
int pci_attach(struct pci_host *h, unsigned dev, unsigned fn, struct pci_function *f,
	       char *err, size_t errlen);

/* A type-0 header; command/status as SeaBIOS leaves them under QEMU. */
void pci_function_init(struct pci_function *f, const char *name, uint16_t vendor,
		       uint16_t device, uint32_t class_rev, uint8_t header_type);
/* An I/O BAR of size bytes (a power of two >= 4) at base. */
void pci_set_io_bar(struct pci_function *f, unsigned bar, uint32_t base, uint32_t size);

uint16_t pci_cfg_read16(const struct pci_function *f, unsigned reg);
uint32_t pci_cfg_read32(const struct pci_function *f, unsigned reg);

/* Configuration cycles as the host bridge performs them (also for tests). */
uint32_t pci_config_read(struct pci_host *h, unsigned dev, unsigned fn, unsigned reg,
			 unsigned size);
void pci_config_write(struct pci_host *h, unsigned dev, unsigned fn, unsigned reg,
		      unsigned size, uint32_t value);

void pci_i440fx_init(struct pci_function *f);
void pci_piix3_isa_init(struct pci_function *f);

#endif
