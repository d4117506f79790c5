/*
 * Multiboot v1 kernel loader (Multiboot Specification 0.6.96 sections 3.1
 * and 3.2; ELF32 file and program headers as in the System V ABI), read
 * with libelf, behaving as QEMU 7.2's `-kernel` loader for the same file.
 *
 * Modelled:
 *  - The header is searched at 4-byte steps from offset 0 up to, not
 *    including, 8192 - 48 (QEMU's bound, which assumes a 48-byte header);
 *    a magic whose checksum fails is skipped and the search goes on.
 *  - Flags: bits 0 (page-align modules: there are none) and 1 (memory
 *    info: always given) are honoured, bit 2 (video mode) is ignored as
 *    QEMU ignores it, any other bit in 0-15 is refused (section 3.1.2).
 *  - Without bit 16 the PT_LOAD segments are loaded at p_paddr, p_filesz
 *    bytes from the file and zeros up to p_memsz. e_entry is used as is,
 *    except when it falls in [p_vaddr, p_vaddr + p_filesz) of an
 *    executable (PF_X) segment whose p_vaddr != p_paddr: then it becomes
 *    e_entry - p_vaddr + p_paddr (QEMU's load_elf rule; a probe linked at
 *    0x80100000 with p_paddr 0x100000 starts at 0x10000c on QEMU). xv6's
 *    physical e_entry lies in no segment's p_vaddr range and stays as is.
 *  - With bit 16 (the "a.out kludge") the address fields win over the
 *    program headers, even in an ELF file, as in QEMU: the image starts
 *    header_addr - load_addr bytes before the header in the file, runs to
 *    load_end_addr (0: end of file), is zeroed to bss_end_addr (0: none),
 *    and starts at entry_addr.
 *  - QEMU copies the span [lowest, highest loaded address) as one buffer,
 *    page-aligns its length and puts after it the command line "PATH
 *    CMDLINE" (the kernel path exactly as given, one space, the -append
 *    text verbatim, so no -append leaves a trailing space), then the boot
 *    loader name "qemu"; mods_addr points where the command line starts.
 *    Gaps between segments and the tail of that page read as zero here.
 *
 * Refused, with "PATH: reason": a file that cannot be opened or is not
 * a regular file; not ELF; truncated header, program headers or segment
 * data; ELFCLASS64 or any class but ELFCLASS32; data not ELFDATA2LSB;
 * e_machine not EM_386; e_type not ET_EXEC; no header in the searched
 * range; a bad checksum; unsupported required flags; p_filesz > p_memsz;
 * overlapping segment data; no PT_LOAD with p_memsz > 0; more than
 * MB_MAX_SEGMENTS of them; an image (with its command line page) outside
 * guest RAM or over the IVT/BDA, the memory map and MBI, the EBDA or the
 * boot GDT; an entry point in no loaded segment. QEMU boots some of these
 * and lets the guest crash or hang; vmmsim says why instead.
 *
 * Not modelled: modules (-initrd), VBE/framebuffer info, the a.out or ELF
 * symbol table fields (QEMU gives none), raw binaries and ELF64 kernels
 * even with bit 16 (vmmsim's CPU is 32-bit only), gzip-compressed files.
 */
#include "core/boot/multiboot.h"

#include <errno.h>
#include <fcntl.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/boot/firmware.h"

#define MB_MAX_SEGMENTS		64
#define MB_SEARCH_END		(MULTIBOOT_SEARCH - 48)
#define MB_HEADER_MIN		12u
#define MB_HEADER_AOUT		32u
#define MB_LOADER_NAME		"qemu"
#define MB_PAGE_ALIGN(x)	(((x) + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1))

struct mb_seg {
	int index;		/* program header number, -1 for the a.out image */
	uint32_t paddr;
	uint64_t filesz, memsz, offset;
};

struct mb_kernel {
	const char *path;
	char *err;
	size_t errlen;
	int fd;
	Elf *elf;
	const uint8_t *file;
	size_t size;
	const void *phdr;	/* may be unaligned: libelf maps an odd e_phoff as is */
	size_t phnum;
	size_t hdr_off;
	struct multiboot_header hdr;
	struct mb_seg seg[MB_MAX_SEGMENTS];
	int nseg;
	uint64_t low, high;
	uint32_t entry;
};

static int mb_fail(struct mb_kernel *k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int mb_fail(struct mb_kernel *k, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!k->err || !k->errlen)
		return -1;
	n = snprintf(k->err, k->errlen, "%s: ", k->path);
	if (n >= 0 && (size_t)n < k->errlen) {
		va_start(ap, fmt);
		vsnprintf(k->err + n, k->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Identification first, by hand, so a short or foreign file gets a reason. */
static int mb_check_ident(struct mb_kernel *k)
{
	unsigned char id[EI_NIDENT];
	ssize_t n = pread(k->fd, id, sizeof(id), 0);

	if (n < 0)
		return mb_fail(k, "cannot read: %s", strerror(errno));
	if ((size_t)n < SELFMAG || memcmp(id, ELFMAG, SELFMAG))
		return mb_fail(k, "not an ELF file (no \\177ELF magic)");
	if ((size_t)n < EI_NIDENT)
		return mb_fail(k, "truncated ELF identification (%zd of %d bytes)",
			       n, EI_NIDENT);
	if (id[EI_CLASS] == ELFCLASS64)
		return mb_fail(k, "wrong ELF class: ELFCLASS64, a 32-bit (ELFCLASS32) kernel is needed");
	if (id[EI_CLASS] != ELFCLASS32)
		return mb_fail(k, "wrong ELF class %u, ELFCLASS32 is needed", id[EI_CLASS]);
	if (id[EI_DATA] != ELFDATA2LSB)
		return mb_fail(k, "wrong ELF data encoding %u, ELFDATA2LSB (little-endian) is needed",
			       id[EI_DATA]);
	return 0;
}

static int mb_open(struct mb_kernel *k)
{
	struct stat st;
	Elf32_Ehdr *eh;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	k->fd = open(k->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (k->fd < 0)
		return mb_fail(k, "cannot open: %s", strerror(errno));
	if (fstat(k->fd, &st) < 0)
		return mb_fail(k, "cannot stat: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return mb_fail(k, "not a regular file");
	if (mb_check_ident(k))
		return -1;
	if ((uint64_t)st.st_size < sizeof(Elf32_Ehdr))
		return mb_fail(k, "truncated ELF header (%lld of %zu bytes)",
			       (long long)st.st_size, sizeof(Elf32_Ehdr));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return mb_fail(k, "libelf: %s", elf_errmsg(-1));
	k->elf = elf_begin(k->fd, ELF_C_READ_MMAP, NULL);
	if (!k->elf)
		return mb_fail(k, "not a valid ELF file: %s", elf_errmsg(-1));
	if (elf_kind(k->elf) != ELF_K_ELF)
		return mb_fail(k, "not an ELF file");
	k->file = (const uint8_t *)elf_rawfile(k->elf, &k->size);
	if (!k->file)
		return mb_fail(k, "cannot read: %s", elf_errmsg(-1));
	eh = elf32_getehdr(k->elf);
	if (!eh)
		return mb_fail(k, "bad ELF header: %s", elf_errmsg(-1));
	if (eh->e_machine != EM_386)
		return mb_fail(k, "wrong machine %u, EM_386 (i386) is needed", eh->e_machine);
	if (eh->e_type != ET_EXEC)
		return mb_fail(k, "wrong ELF type %u, ET_EXEC (an executable) is needed",
			       eh->e_type);
	return 0;
}

static int mb_find_header(struct mb_kernel *k)
{
	const uint32_t known = MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO |
			       MULTIBOOT_VIDEO_MODE;
	long bad = -1;
	size_t off;
	uint32_t w[3], required;

	for (off = 0; off < MB_SEARCH_END && off + MB_HEADER_MIN <= k->size; off += 4) {
		memcpy(w, k->file + off, sizeof(w));
		if (w[0] != MULTIBOOT_HEADER_MAGIC)
			continue;
		if (w[0] + w[1] + w[2] == 0)
			break;
		if (bad < 0)
			bad = (long)off;
	}
	if (off >= MB_SEARCH_END || off + MB_HEADER_MIN > k->size) {
		if (bad >= 0)
			return mb_fail(k, "bad Multiboot header checksum at offset 0x%lx", bad);
		return mb_fail(k, "no Multiboot header in the first %d bytes",
			       MULTIBOOT_SEARCH);
	}
	k->hdr_off = off;
	memset(&k->hdr, 0, sizeof(k->hdr));
	memcpy(&k->hdr, k->file + off, MB_HEADER_MIN);
	required = k->hdr.flags & 0xffffu;
	if (required & ~known)
		return mb_fail(k, "Multiboot header requires unsupported features (flags 0x%08x)",
			       k->hdr.flags);
	if (k->hdr.flags & MULTIBOOT_AOUT_KLUDGE) {
		if (off + MB_HEADER_AOUT > k->size)
			return mb_fail(k, "truncated: Multiboot address fields past end of file");
		memcpy(&k->hdr, k->file + off, MB_HEADER_AOUT);
	}
	return 0;
}

static void mb_span(struct mb_kernel *k, uint64_t start, uint64_t len)
{
	if (start < k->low)
		k->low = start;
	if (start + len > k->high)
		k->high = start + len;
}

/* The program header table is checked whatever the Multiboot flags say. */
static int mb_check_phdrs(struct mb_kernel *k)
{
	Elf32_Ehdr *eh = elf32_getehdr(k->elf);

	/* libelf clamps the count to what the file holds; the header does not. */
	k->phnum = eh->e_phnum;
	if (k->phnum == PN_XNUM && !eh->e_shoff)
		return mb_fail(k, "program header count PN_XNUM (0xffff) but no section header "
			       "table to hold the real count");
	if (k->phnum == PN_XNUM && elf_getphdrnum(k->elf, &k->phnum))
		return mb_fail(k, "bad program header count: %s", elf_errmsg(-1));
	if (!k->phnum)
		return 0;
	if (eh->e_phentsize != sizeof(Elf32_Phdr))
		return mb_fail(k, "program header entry size %u, %zu expected",
			       eh->e_phentsize, sizeof(Elf32_Phdr));
	if ((uint64_t)eh->e_phoff + (uint64_t)k->phnum * sizeof(Elf32_Phdr) > k->size)
		return mb_fail(k, "truncated: %zu program headers at 0x%x run past end of file (%zu bytes)",
			       k->phnum, eh->e_phoff, k->size);
	k->phdr = elf32_getphdr(k->elf);
	if (!k->phdr)
		return mb_fail(k, "bad program headers: %s", elf_errmsg(-1));
	return 0;
}

static int mb_elf_segments(struct mb_kernel *k)
{
	Elf32_Ehdr *eh = elf32_getehdr(k->elf);
	Elf32_Phdr ph;
	const Elf32_Phdr *p = &ph;
	size_t i;
	int loaded = 0;

	k->entry = eh->e_entry;
	for (i = 0; i < k->phnum; i++) {
		struct mb_seg *s;

		memcpy(&ph, (const uint8_t *)k->phdr + i * sizeof(ph), sizeof(ph));

		if (p->p_type != PT_LOAD)
			continue;
		if (k->nseg == MB_MAX_SEGMENTS)
			return mb_fail(k, "more than %d PT_LOAD segments", MB_MAX_SEGMENTS);
		if (p->p_filesz > p->p_memsz)
			return mb_fail(k, "segment %zu: p_filesz 0x%x exceeds p_memsz 0x%x",
				       i, p->p_filesz, p->p_memsz);
		if ((uint64_t)p->p_offset + p->p_filesz > k->size)
			return mb_fail(k, "truncated: segment %zu data [0x%x, 0x%llx) runs past end of file (%zu bytes)",
				       i, p->p_offset,
				       (unsigned long long)p->p_offset + p->p_filesz, k->size);
		s = &k->seg[k->nseg++];
		s->index = (int)i;
		s->paddr = p->p_paddr;
		s->filesz = p->p_filesz;
		s->memsz = p->p_memsz;
		s->offset = p->p_offset;
		/* QEMU's load_elf counts empty segments in the span too. */
		mb_span(k, p->p_paddr, p->p_memsz);
		if (p->p_memsz)
			loaded++;
		if (p->p_vaddr != p->p_paddr && (p->p_flags & PF_X) &&
		    eh->e_entry >= p->p_vaddr &&
		    (uint64_t)eh->e_entry < (uint64_t)p->p_vaddr + p->p_filesz)
			k->entry = eh->e_entry - p->p_vaddr + p->p_paddr;
	}
	if (!loaded)
		return mb_fail(k, "no loadable segment (PT_LOAD with p_memsz > 0)");
	return 0;
}

/* Multiboot section 3.1.3, with QEMU's checks and their order. */
static int mb_aout_image(struct mb_kernel *k)
{
	const struct multiboot_header *h = &k->hdr;
	uint64_t text, load_size, mem_size;
	struct mb_seg *s;

	if (h->header_addr < h->load_addr)
		return mb_fail(k, "Multiboot header_addr 0x%x below load_addr 0x%x",
			       h->header_addr, h->load_addr);
	if (h->header_addr - h->load_addr > k->hdr_off)
		return mb_fail(k, "Multiboot header_addr 0x%x and load_addr 0x%x start the image before the file",
			       h->header_addr, h->load_addr);
	text = k->hdr_off - (h->header_addr - h->load_addr);
	if (h->load_end_addr) {
		if (h->load_end_addr < h->load_addr)
			return mb_fail(k, "Multiboot load_end_addr 0x%x below load_addr 0x%x",
				       h->load_end_addr, h->load_addr);
		load_size = h->load_end_addr - h->load_addr;
	} else {
		load_size = k->size - text;
	}
	if (load_size > 0xffffffffull - h->load_addr)
		return mb_fail(k, "Multiboot image of 0x%llx bytes at 0x%x does not fit in 4 GiB",
			       (unsigned long long)load_size, h->load_addr);
	if (text + load_size > k->size)
		return mb_fail(k, "truncated: Multiboot image [0x%llx, 0x%llx) runs past end of file (%zu bytes)",
			       (unsigned long long)text,
			       (unsigned long long)(text + load_size), k->size);
	mem_size = load_size;
	if (h->bss_end_addr) {
		if (h->bss_end_addr < h->load_addr + load_size)
			return mb_fail(k, "Multiboot bss_end_addr 0x%x below the end of the loaded image 0x%llx",
				       h->bss_end_addr,
				       (unsigned long long)(h->load_addr + load_size));
		mem_size = h->bss_end_addr - h->load_addr;
	}
	if (!mem_size)
		return mb_fail(k, "no loadable segment (the Multiboot image is empty)");
	s = &k->seg[k->nseg++];
	s->index = -1;
	s->paddr = h->load_addr;
	s->filesz = load_size;
	s->memsz = mem_size;
	s->offset = text;
	mb_span(k, h->load_addr, mem_size);
	k->entry = h->entry_addr;
	return 0;
}

static int mb_seg_name(const struct mb_seg *s, char *buf, size_t len)
{
	if (s->index < 0)
		return snprintf(buf, len, "the Multiboot image");
	return snprintf(buf, len, "segment %d", s->index);
}

static uint64_t mb_seg_end(const struct mb_seg *s)
{
	return s->paddr + (s->memsz > s->filesz ? s->memsz : s->filesz);
}

/* Checks the file's own consistency: overlaps and the entry point. */
static int mb_check_segments(struct mb_kernel *k)
{
	char a[32], b[32];

	for (int i = 0; i < k->nseg; i++) {
		const struct mb_seg *s = &k->seg[i];

		for (int j = i + 1; j < k->nseg; j++) {
			const struct mb_seg *t = &k->seg[j];

			/* Zero-fill counts: a segment's bss over another's code
			 * leaves the result to the loader's order. */
			uint64_t se = mb_seg_end(s), te = mb_seg_end(t);
			if (se == s->paddr || te == t->paddr || se <= t->paddr || te <= s->paddr)
				continue;
			mb_seg_name(s, a, sizeof(a));
			mb_seg_name(t, b, sizeof(b));
			return mb_fail(k, "%s and %s overlap at physical address 0x%x",
				       a, b, s->paddr > t->paddr ? s->paddr : t->paddr);
		}
	}
	for (int i = 0; i < k->nseg; i++) {
		const struct mb_seg *s = &k->seg[i];

		if (k->entry >= s->paddr && k->entry < s->paddr + s->memsz)
			return 0;
	}
	return mb_fail(k, "entry point 0x%x is outside every loaded segment", k->entry);
}

/* Checks where the image lands: inside guest RAM, off the loader's structures. */
static int mb_check_placement(struct mb_kernel *k, const struct fw_layout *l,
			      uint64_t end)
{
	char name[32];

	for (int i = 0; i < k->nseg; i++) {
		const struct mb_seg *s = &k->seg[i];

		if (s->paddr + s->memsz <= l->guest_size)
			continue;
		mb_seg_name(s, name, sizeof(name));
		return mb_fail(k, "%s at [0x%x, 0x%llx) is outside guest RAM (%u KiB)",
			       name, s->paddr, (unsigned long long)(s->paddr + s->memsz),
			       l->guest_size >> 10);
	}
	if (end > l->guest_size)
		return mb_fail(k, "image with its command line [0x%llx, 0x%llx) is outside guest RAM (%u KiB)",
			       (unsigned long long)k->low, (unsigned long long)end,
			       l->guest_size >> 10);
	for (int i = 0; i < fw_nareas; i++) {
		const struct fw_area *a = &fw_areas[i];

		if (end <= a->start || k->low >= a->end)
			continue;
		return mb_fail(k, "image [0x%llx, 0x%llx) overlaps %s at [0x%x, 0x%x)",
			       (unsigned long long)k->low, (unsigned long long)end,
			       a->name, a->start, a->end);
	}
	return 0;
}

static int mb_zero(struct phys *mem, uint64_t start, uint64_t end)
{
	static const uint8_t zero[PAGE_SIZE];

	while (start < end) {
		uint32_t n = end - start > PAGE_SIZE ? PAGE_SIZE : (uint32_t)(end - start);

		if (phys_dma_write(mem, (uint32_t)start, zero, n))
			return -1;
		start += n;
	}
	return 0;
}

static int mb_write(struct mb_kernel *k, struct phys *mem, const struct fw_layout *l,
		    const char *cmd, uint32_t cmd_addr, uint64_t end,
		    struct boot_state *out)
{
	size_t cmd_len = strlen(cmd) + 1;
	struct fw_handoff h = {
		.entry = k->entry,
		.load_addr = (uint32_t)k->low,
		.cmdline = cmd_addr,
		.boot_loader_name = cmd_addr + (uint32_t)cmd_len,
		.mods_addr = cmd_addr,
	};

	/* Firmware tables first: an image over them wins, as on QEMU. */
	if (fw_install_tables(mem) || mb_zero(mem, k->low, end))
		return -1;
	for (int i = 0; i < k->nseg; i++) {
		const struct mb_seg *s = &k->seg[i];

		if (s->filesz && phys_dma_write(mem, s->paddr, k->file + s->offset,
						(uint32_t)s->filesz))
			return -1;
	}
	if (phys_dma_write(mem, h.cmdline, cmd, (uint32_t)cmd_len) ||
	    phys_dma_write(mem, h.boot_loader_name, MB_LOADER_NAME, sizeof(MB_LOADER_NAME)))
		return -1;
	return fw_install(mem, l, &h, out);
}

static int mb_load(struct mb_kernel *k, struct phys *mem, const char *name, const char *cmdline,
		   struct boot_state *out)
{
	struct fw_layout l;
	uint64_t cmd_addr, end;
	size_t cmd_len;
	char *cmd;
	int rc;

	if (fw_layout(mem->guest_size, &l))
		return mb_fail(k, "guest RAM of %u KiB is below the %u KiB a Multiboot boot needs",
			       mem->guest_size >> 10, MB_MIN_RAM >> 10);
	if (mb_open(k) || mb_check_phdrs(k) || mb_find_header(k))
		return -1;
	k->low = UINT64_MAX;
	k->high = 0;
	rc = (k->hdr.flags & MULTIBOOT_AOUT_KLUDGE) ? mb_aout_image(k) : mb_elf_segments(k);
	if (rc || mb_check_segments(k))
		return -1;

	cmd_len = strlen(name) + 1 + strlen(cmdline) + 1;
	cmd = malloc(cmd_len);
	if (!cmd)
		return mb_fail(k, "out of memory for the command line");
	snprintf(cmd, cmd_len, "%s %s", name, cmdline);
	cmd_addr = k->low + MB_PAGE_ALIGN(k->high - k->low);
	end = k->low + MB_PAGE_ALIGN(MB_PAGE_ALIGN(k->high - k->low) + cmd_len +
				     sizeof(MB_LOADER_NAME));
	rc = mb_check_placement(k, &l, end);
	if (!rc && mb_write(k, mem, &l, cmd, (uint32_t)cmd_addr, end, out))
		rc = mb_fail(k, "cannot write the image into guest RAM");
	free(cmd);
	return rc;
}

int multiboot_load(struct phys *mem, const char *path, const char *cmdline,
		   struct boot_state *out, char *err, size_t errlen)
{
	return multiboot_load_as(mem, path, path, cmdline, out, err, errlen);
}

int multiboot_load_as(struct phys *mem, const char *path, const char *name, const char *cmdline,
		      struct boot_state *out, char *err, size_t errlen)
{
	struct mb_kernel *k = calloc(1, sizeof(*k));
	int rc;

	if (!k) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	k->path = path;
	k->err = err;
	k->errlen = errlen;
	k->fd = -1;
	rc = mb_load(k, mem, name, cmdline ? cmdline : "", out);
	if (k->elf)
		elf_end(k->elf);
	if (k->fd >= 0)
		close(k->fd);
	free(k);
	return rc;
}
