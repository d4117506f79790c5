"""System-level step generators of the differential fuzzer: the areas ring
(interrupt and call gates, IRET to other rings, IOPL and the I/O bitmap,
POPF, far returns at CPL 0), paging (random PTE/PDE flags and aliases, a
4 MiB page, a second page table, TLB invalidation) and seg (random GDT and
LDT descriptors, segment loads and accesses within their limits, LAR LSL
VERR VERW). Used by gen.py, whose Step class these methods extend.
"""
from gen import rval, BASE, NPAGES, ALL, CF, PF, AF, ZF, SF, OF

KCODE, KDATA, UCODE, UDATA = 0x08, 0x10, 0x1b, 0x23
CONF3, CONF0 = 0x38, 0x40     # conforming code DPL 3 / DPL 0 (GDT 7, 8)
R1CODE, R1DATA = 0x49, 0x51   # GDT 9, 10 (RPL 1)
R2CODE, R2DATA = 0x5a, 0x62   # GDT 11, 12 (RPL 2)
FLAGS_SAFE = ~(0x100 | 0x4000 | 0x10000 | 0x20000 | 0x80000 | 0x100000) & 0xffffffff


def rflags(rng, iopl=None, keep_if=None):
    v = rng.getrandbits(32) & (0x8d5 | 0x400 | 0x200 | 0x3000 | 0x40000 | 0x200000)
    v |= 2
    if iopl is not None:
        v = (v & ~0x3000) | (iopl << 12)
    return v


def gate(rng, sel, off, typ, dpl, present=True, params=0):
    s = 'rt_gate_desc(0x%x, (u32)%s, 0x%x, %d, %d)' % (sel, off, typ, dpl, params)
    if not present:
        s = '(%s & ~(1ull << 47))' % s
    return s


def rand_sel(rng, pool, extra=()):
    k = rng.random()
    if k < 0.8:
        return rng.choice(list(pool) + list(extra))
    return rng.choice([0, 3, 0x100, 0x28, 0x30, 0x10, 0x1b, 0x4, rng.randrange(0, 0x10000)])


class SysMixin:
    # ---------------------------------------------------------------- ring
    def ring_build(self):
        rng = self.rng
        self.init_env()
        self.cpl = 3
        self.regs['esp'] = '(u32)fz_ustack + 2048'
        self.regs['eflags'] = rflags(rng)
        self.teardown.append('fz_restore_sys();')
        kinds = ['int', 'int', 'callgate', 'callgate', 'iretmod', 'iretmod', 'io', 'popf', 'kiret']
        kind = rng.choice(kinds)
        getattr(self, 'r_' + kind)()
        # occasionally a second transition in the same step
        if kind != 'kiret' and rng.random() < 0.3:
            getattr(self, 'r_' + rng.choice(['int', 'callgate', 'io', 'popf']))(again=True)
        self.post_probe()
        return self

    def tss_stacks(self):
        rng = self.rng
        if rng.random() < 0.25:
            ss = rand_sel(rng, [R1DATA, R2DATA, 0x50, KDATA, UDATA, 0, R1CODE])
            self.note_sel(ss)
            self.setup.append('rt_tss.ss1 = 0x%x;' % ss)
        if rng.random() < 0.25:
            ss = rand_sel(rng, [R2DATA, R1DATA, 0x61, UDATA, 0])
            self.note_sel(ss)
            self.setup.append('rt_tss.ss2 = 0x%x;' % ss)
        if rng.random() < 0.25:
            a = BASE + 4096 * rng.randrange(1, NPAGES) + rng.choice([0, 4, 8, 12, 20, 0x40])
            self.setup.append('rt_tss.esp%d = 0x%x;' % (rng.choice([1, 2]), a))
            self.rand_pages(0.2)

    def r_int(self, again=False):
        rng = self.rng
        vec = rng.choice([0x40, 0x41, 0x42, 0x43, 0x47, 3, 4, 6, 0])
        # (no task gates: vmmsim stops the run at a task switch; no 16-bit gates)
        typ = rng.choice([0xe, 0xe, 0xf, 0xf, 0xc, 0x0, 0x9, 0x2])
        dpl = rng.choice([3, 3, 3, 0, 1, 2])
        sel = rand_sel(rng, [KCODE, KCODE, R1CODE, R2CODE, CONF0, CONF3 | 3, UCODE], [R1CODE & ~3, 0x1b & ~3])
        present = rng.random() < 0.9
        self.note_sel(sel)
        self.note_dpl(dpl)
        self.setup.append('rt_idt[0x%x] = %s;' % (vec, gate(rng, sel, 'fz_cap_h', typ, dpl, present)))
        self.tss_stacks()
        if rng.random() < 0.3:
            self.add('pushl $0x%x' % (rflags(rng) & FLAGS_SAFE))
            self.add('popfl', ALL)
        if vec == 3:
            self.add(rng.choice(['int3', 'int $3']))
        elif vec == 4:
            self.add(rng.choice(['into', 'int $4']), 0, 0, OF)
        elif vec == 6:
            self.add('int $6')
        elif vec == 0:
            self.add('int $0')
        else:
            self.add('int $0x%x' % vec)

    def r_callgate(self, again=False):
        rng = self.rng
        idx = rng.randrange(13, 17)
        # (no gate to a conforming DPL < 3 segment: QEMU 7.2 then moves CPL to the
        # segment's DPL, where the SDM keeps CPL; the case is left out, not triaged)
        tgt = rand_sel(rng, [KCODE, R1CODE, R2CODE, CONF3 | 3, UCODE, R1CODE, R2CODE])
        params = rng.choice([0, 0, 1, 2, 3, 4, 31])
        ret = rng.randrange(4)
        if rng.random() < 0.7:
            ret = min(params, 3)
        dpl = rng.choice([3, 3, 3, 0, 2])
        present = rng.random() < 0.92
        typ = 0xc if rng.random() < 0.92 else rng.choice([0xe, 0xf, 0x2, 0x0])
        self.note_sel(tgt)
        self.note_dpl(dpl)
        self.setup.append('rt_gdt[%d] = %s;' % (idx, gate(rng, tgt, 'fz_cg%d' % ret, typ, dpl, present, params)))
        segs = []
        for _ in range(3):
            segs.append(rng.choice([KDATA, R1DATA, R2DATA, UDATA, UDATA, UCODE, CONF0, 0, 0x13]))
        self.note_sel(*segs)
        self.setup.append('fz_segs[0] = 0x%x; fz_segs[1] = 0x%x; fz_segs[2] = 0x%x;' % tuple(segs))
        self.tss_stacks()
        for i in range(rng.choice([0, 1, 2, 4])):
            self.add('pushl $0x%x' % (0xa0a0a000 + i))
        rpl = rng.choice([3, 3, 3, 0, 1, 2])
        self.note_sel((idx << 3) | rpl)
        if rng.random() < 0.85:
            self.add('lcall $0x%x, $0' % ((idx << 3) | rpl))
        else:
            self.add('ljmp $0x%x, $0' % ((idx << 3) | rpl))
        self.add('movw @ds, @ax\\n\\tmovw @es, @cx\\n\\tmovw @fs, @dx', 0, 0, 0, ['eax', 'ecx', 'edx'])
        self.insns.append('pushl $0x23\\n\\tpopl @ds\\n\\tpushl $0x23\\n\\tpopl @es')

    def r_iretmod(self, again=False):
        rng = self.rng
        self.setup.append('rt_idt[0x48] = %s;' % gate(rng, KCODE, 'fz_iret_mod', 0xe, 3))
        k = rng.random()
        if k < 0.5:
            cs, ss = rng.choice([(UCODE, UDATA), (R1CODE, R1DATA), (R2CODE, R2DATA), (CONF3 | 3, UDATA),
                                 (CONF0 | 3, UDATA), (KCODE, KDATA)])
        else:
            cs = rand_sel(rng, [UCODE, R1CODE, R2CODE, CONF3 | 3, CONF0 | 3, CONF0 | 1, KCODE, R1CODE | 2, 0x1b & ~1])
            ss = rand_sel(rng, [UDATA, R1DATA, R2DATA, KDATA, UDATA & ~1, R1DATA | 2, 0, 3])
        self.note_sel(cs, ss)
        fl = rflags(rng)  # NT clear: IRET at CPL 0 with NT set would be a task return
        esp = rng.choice(['(u32)fz_ustack + 1024', '(u32)fz_stk1 + 1024', '(u32)fz_stk2 + 1024',
                          '0x%x' % (BASE + 4096 * rng.randrange(1, NPAGES) + rng.choice([0, 4, 6]))])
        self.setup.append('fz_iret_frame[1] = 0x%x; fz_iret_frame[2] = 0x%x; fz_iret_frame[3] = %s; '
                          'fz_iret_frame[4] = 0x%x;' % (cs, fl, esp, ss))
        self.add('movl $3f, fz_iret_frame')
        self.add('int $0x48', ALL)
        self.insns.append('3:')
        # what the new ring sees
        self.add('movw @cs, @ax\\n\\tmovw @ss, @cx', 0, 0, 0, ['eax', 'ecx'])
        self.r_ring_probe()

    def r_ring_probe(self):
        rng = self.rng
        for _ in range(rng.randrange(0, 3)):
            k = rng.randrange(7)
            if k == 0:
                self.add('pushfl\\n\\tpopl @edx', 0, 0, ALL, ['edx'])
            elif k == 1:
                self.add(rng.choice(['cli', 'sti']))
            elif k == 2:
                self.add('movl $0x200, @edx\\n\\tinb @dx, @al', 0, 0, 0, ['eax', 'edx'])
            elif k == 3:
                self.add('pushl $0x%x\\n\\tpopfl' % (rflags(rng) & FLAGS_SAFE), ALL)
            elif k == 4:
                sel = rng.choice([KDATA, R1DATA, R2DATA, UDATA, 0x53, 0x60])
                self.note_sel(sel)
                self.add('movl $0x%x, @edx\\n\\tmovw @dx, @%s' % (sel, rng.choice(['ds', 'es', 'fs'])),
                         0, 0, 0, ['edx'])
            elif k == 5:
                self.add('movl @cr0, @edx', 0, 0, 0, ['edx'])
            else:
                self.add('movl $0x204, @edx\\n\\toutb @al, @dx', 0, 0, 0, ['edx'])

    def r_io(self, again=False):
        rng = self.rng
        self.regs['eflags'] = (self.regs['eflags'] & ~0x3000) | (rng.randrange(4) << 12)
        self.setup.append('rt_tss.iomap[0x40] = 0x%x; rt_tss.iomap[0x41] = 0x%x;' %
                          (rng.getrandbits(8), rng.choice([0xff, 0, rng.getrandbits(8)])))
        if rng.random() < 0.2:
            self.setup.append('rt_tss.iomap_base = 0x%x;' % rng.choice([0x2028, 0x2020, 0x2027, 0xdfff, 0x68 - 0x40, 0x2100, 0x68 + 1]))
        for _ in range(rng.randrange(1, 4)):
            op = rng.choice(['inb', 'inw', 'inl', 'outb', 'outw', 'outl', 'insb', 'outsb', 'insw', 'outsl'])
            sz = {'b': 1, 'w': 2, 'l': 4}[op[-1]]
            port = 0x200 + rng.randrange(0, 16 // sz) * sz
            r = {'b': '@al', 'w': '@ax', 'l': '@eax'}[op[-1]]
            if op in ('insb', 'insw', 'outsb', 'outsl'):
                self.add('movl $0x%x, @edx' % port, 0, 0, 0, ['edx'])
                self.add('movl $%d, @ecx' % rng.randrange(1, 4), 0, 0, 0, ['ecx'])
                self.add('rep %s' % op, 0, 0, 0, ['ecx', 'esi', 'edi'])
            elif op.startswith('in'):
                self.add('movl $0x%x, @edx' % port, 0, 0, 0, ['edx'])
                self.add('%s @dx, %s' % (op, r), 0, 0, 0, ['eax'])
            else:
                self.add('movl $0x%x, @edx' % port, 0, 0, 0, ['edx'])
                self.add('%s %s, @dx' % (op, r))

    def r_popf(self, again=False):
        rng = self.rng
        self.regs['eflags'] = (self.regs['eflags'] & ~0x3000) | (rng.randrange(4) << 12)
        for _ in range(rng.randrange(1, 4)):
            k = rng.randrange(6)
            v = rflags(rng) & FLAGS_SAFE
            if k == 0:
                self.add('pushl $0x%x\\n\\tpopfl' % v, ALL)
            elif k == 1:
                self.add('pushw $0x%x\\n\\tpopfw' % (v & 0xffff), ALL)
            elif k == 2:
                self.add('pushl $0x%x\\n\\tpushl $0x1b\\n\\tpushl $3f\\n\\tiretl\\n3:' % v, ALL)
            elif k == 3:
                self.add(rng.choice(['cli', 'sti']))
            elif k == 4:
                self.add('pushfl\\n\\tpopl @ecx', 0, 0, ALL, ['ecx'])
            else:
                self.add('pushfw\\n\\tpopw @dx', 0, 0, ALL, ['edx'])

    def r_kiret(self, again=False):
        rng = self.rng
        self.cpl = 0
        self.regs['esp'] = 'FZ_KSTK'
        for _ in range(rng.randrange(1, 3)):
            v = rflags(rng) & FLAGS_SAFE
            k = rng.randrange(4)
            if k == 0:
                self.add('pushl $0x%x\\n\\tpushl $0x8\\n\\tpushl $3f\\n\\tiretl\\n3:' % v, ALL)
            elif k == 1:
                self.add('pushl $0x%x\\n\\tpopfl' % v, ALL)
            elif k == 2:
                sel = rand_sel(rng, [KCODE, CONF0, UCODE, R2CODE | 0])
                self.note_sel(sel)
                self.add('pushl $0x%x\\n\\tpushl $3f\\n\\tlret\\n3:' % sel)
            else:
                sel = rand_sel(rng, [KCODE, CONF0, 0x43, UCODE])
                self.note_sel(sel)
                self.add('pushl $0x%x\\n\\tpushl $0x%x\\n\\tpushl $3f\\n\\tiretl\\n3:' % (v, sel), ALL)
            self.add('pushfl\\n\\tpopl @edx', 0, 0, ALL, ['edx'])

    def post_probe(self):
        pass

    # -------------------------------------------------------------- paging
    def paging_build(self):
        rng = self.rng
        self.init_env()
        self.pflags = 1
        pte_bits = lambda: rng.choice([0x7, 0x7, 0x5, 0x3, 0x1, 0x0, 0x6]) | \
            (0x20 if rng.random() < 0.3 else 0) | (0x40 if rng.random() < 0.3 else 0) | \
            (0x100 if rng.random() < 0.2 else 0) | (0x18 if rng.random() < 0.1 else 0)
        # test PTEs: random flags, sometimes another frame (aliasing)
        perm = list(range(NPAGES))
        if rng.random() < 0.3:
            rng.shuffle(perm)
        self.ptes = {}
        for i in range(NPAGES):
            if rng.random() < 0.6 or perm[i] != i:
                b = pte_bits()
                self.ptes[('pte', i)] = BASE + perm[i] * 4096 | b
                self.setup.append('fz_pte[%d] = (FZ_BASE + %d * 4096) | 0x%x;' % (i, perm[i], b))
        # a 4 MiB page at 16 MiB onto the test frames, a page table at 20 MiB
        self.big = rng.random() < 0.5
        self.pt2 = rng.random() < 0.5
        pd_bits = lambda: rng.choice([0x7, 0x7, 0x5, 0x3, 0x1, 0x6]) | (0x20 if rng.random() < 0.3 else 0) | \
            (0x40 if rng.random() < 0.3 else 0) | (0x100 if rng.random() < 0.2 else 0)
        if self.big:
            b = pd_bits()
            self.ptes[('pd', 4)] = 0x800000 | 0x80 | b
            self.setup.append('rt_pd[4] = 0x800000 | 0x80 | 0x%x;' % b)
        if self.pt2:
            self.setup.append('for (int i = 0; i < 1024; i++) fz_pt2[i] = 0;')
            for i in range(NPAGES):
                f, b = rng.randrange(NPAGES), pte_bits()
                self.ptes[('pt2', i)] = BASE + f * 4096 | b
                self.setup.append('fz_pt2[%d] = (FZ_BASE + %d * 4096) | 0x%x;' % (i, f, b))
            self.setup.append('rt_pd[5] = (u32)fz_pt2 | 0x%x;' % (pd_bits() & ~0x80))
        self.wp = 1 if rng.random() < 0.5 else 0
        if self.wp:
            self.setup.append('write_cr0(read_cr0() | CR0_WP);')
            self.teardown.append('write_cr0(read_cr0() & ~CR0_WP);')
        self.setup.append('write_cr3((u32)rt_pd);')
        self.cpl = 3 if rng.random() < 0.5 else 0
        self.regs['esp'] = 'FZ_KSTK' if self.cpl == 0 else '(u32)fz_ustack + 2048'
        # pointers into the three windows
        wins = [BASE]
        if self.big:
            wins.append(0x1000000)
        if self.pt2:
            wins.append(0x1400000)
        for r in ['ebx', 'esi', 'edi', 'ebp']:
            w = rng.choice(wins)
            a = w + rng.randrange(0, NPAGES) * 4096 + rng.choice([0, 0x10, 0x800, 0xffc, 0xffe, 0xff8,
                                                                   rng.randrange(0, 4096)])
            if w == BASE and a < BASE + 0x20:
                a += 0x20
            self.regs[r] = a
            self.ptr[r] = a
        for _ in range(rng.randrange(1, 5)):
            self.p_access()
        if rng.random() < 0.6 and self.cpl == 0:
            self.p_tlb()
            for _ in range(rng.randrange(1, 3)):
                self.p_access()
        self.kernel_only = self.cpl == 0
        return self

    def p_mem(self, size):
        rng = self.rng
        b = rng.choice(list(self.ptr))
        off = rng.choice([0, 0, -4, 4, 8, 0x1000 - (self.ptr[b] & 0xfff) - rng.randrange(1, size + 1)
                          if size > 1 else 0])
        # keep inside the 8 test pages of the window
        a = self.ptr[b] + off
        w = a & ~0x3fffff if a >= 0x1000000 else BASE
        if not (w <= a and a + size <= w + NPAGES * 4096):
            off = 0
        return '%d(@%s)' % (off, b)

    def p_access(self):
        rng = self.rng
        k = rng.randrange(9)
        s = rng.choice('bwl')
        if k in (0, 1):
            self.add('mov%s %s, @%s' % (s, self.p_mem(4), {'b': 'al', 'w': 'ax', 'l': 'eax'}[s]), 0, 0, 0, ['eax'])
        elif k in (2, 3):
            self.add('mov%s $0x%x, %s' % (s, rval(rng, 8), self.p_mem(4)))
        elif k == 4:
            self.add('%saddl @ecx, %s' % ('lock ' if rng.random() < 0.3 else '', self.p_mem(4)), ALL)
        elif k == 5:
            self.add('xchgl @edx, %s' % self.p_mem(4), 0, 0, 0, ['edx'])
        elif k == 6:
            self.add('cmpxchgl @edx, %s' % self.p_mem(4), ALL, 0, 0, ['eax'])
        elif k == 7:
            # execute from the page: write RET, call it
            m = self.p_mem(1)
            self.add('leal %s, @eax' % m, 0, 0, 0, ['eax'])
            self.add('movb $0xc3, (@eax)')
            self.add('call *@eax')
        else:
            m = self.p_mem(4)
            if 'esi' in self.ptr:
                self.add('leal %s, @edi\\n\\tmovl $2, @ecx\\n\\trep movsw' % m, 0, 0, 0, ['ecx', 'edi', 'esi'])
                if not self.ptr:
                    self.ptr['ebx'] = self.regs['ebx']

    def p_tlb(self):
        """Change a translation from the snippet, then make it visible as the SDM requires."""
        rng = self.rng
        i = rng.randrange(NPAGES)
        wins = ['pte'] + (['big'] if self.big else []) + (['pt2'] if self.pt2 else [])
        w = rng.choice(wins)
        if w == 'big':
            newv = 0x800000 | 0x80 | rng.choice([7, 5, 3, 1, 0x27, 0x67, 0x107, 0x4])
            old = self.ptes.get(('pd', 4), 0)
            va = 0x1000000 + i * 4096
            self.add('movl $0x%x, rt_pd+16' % newv)
        else:
            newv = BASE + rng.randrange(NPAGES) * 4096 | rng.choice([7, 5, 3, 1, 0, 0x27, 0x67, 0x107, 0x6])
            if w == 'pte':
                old = self.ptes.get(('pte', i), BASE + i * 4096 | 7)
                va = BASE + i * 4096
                self.add('movl fz_pte, @eax\\n\\tmovl $0x%x, %d(@eax)' % (newv, i * 4), 0, 0, 0, ['eax'])
            else:
                old = self.ptes.get(('pt2', i), 0)
                va = 0x1400000 + i * 4096
                self.add('movl $0x%x, fz_pt2+%d' % (newv, i * 4))
        glob = (old | newv) & 0x100
        hows = ['invlpg', 'pge'] + ([] if glob else ['cr3'])
        how = rng.choice(hows)
        if how == 'invlpg':
            self.add('invlpg 0x%x' % (va + rng.choice([0, 0x10, 0xfff])))
        elif how == 'cr3':
            self.add('movl @cr3, @eax\\n\\tmovl @eax, @cr3', 0, 0, 0, ['eax'])
        else:
            self.add('movl @cr4, @eax\\n\\tandl $~0x80, @eax\\n\\tmovl @eax, @cr4\\n\\torl $0x80, @eax\\n\\tmovl @eax, @cr4',
                     ALL, AF, 0, ['eax'])

    # -------------------------------------------------------- segmentation
    def seg_build(self):
        rng = self.rng
        self.init_env()
        self.cpl = 3 if rng.random() < 0.4 else 0
        self.regs['esp'] = 'FZ_KSTK' if self.cpl == 0 else '(u32)fz_ustack + 2048'
        self.teardown.append('fz_restore_sys();')
        # random descriptors in GDT 13..20 and LDT 1..6
        self.descs = {}
        use_ldt = rng.random() < 0.5
        if use_ldt:
            self.setup.append('rt_load_ldt(8);')
        slots = [(('gdt', i), (i << 3)) for i in range(13, 21)]
        if use_ldt:
            slots += [(('ldt', i), (i << 3) | 4) for i in range(1, 7)]
        for (tab, i), sel in slots:
            d = self.rand_desc()
            self.descs[sel] = d
            base, limit, access, flags = d
            self.note_dpl((access >> 5) & 3)
            self.setup.append('rt_%s[%d] = rt_seg_desc(0x%x, 0x%x, 0x%x, 0x%x);' %
                              (tab, i, base, limit, access, flags))
        for _ in range(rng.randrange(1, 4)):
            self.s_op()
        return self

    def rand_desc(self):
        rng = self.rng
        typ = rng.choice([0x2, 0x2, 0x3, 0x0, 0x6, 0x4, 0xa, 0x8, 0xe, 0xb])
        dpl = rng.choice([0, 0, 3, 3, 1, 2])
        p = 0x80 if rng.random() < 0.9 else 0
        s = 0x10 if rng.random() < 0.95 else 0
        g = rng.random() < 0.5
        db = rng.random() < 0.8
        k = rng.random()
        if k < 0.4:
            base = BASE - rng.choice([0, 0x1000, 0x10000, 0x7ff000, 0x800000])
        elif k < 0.6:
            base = (BASE - 0x80000000) & 0xffffffff  # wraps: base + 0x80000000 + x
        else:
            base = BASE + rng.randrange(0, NPAGES) * 4096 + rng.randrange(0, 64)
        limit = rng.choice([0xfffff, 0xffff, 0x7fff, 0x1fff, 0xfff, rng.randrange(0, 0x100000)])
        return base, limit, p | (dpl << 5) | s | typ, (8 if g else 0) | (4 if db else 0)

    def eff_limits(self, d):
        """Offsets valid for a data access through this descriptor (lo, hi inclusive)."""
        base, limit, access, flags = d
        lim = (limit << 12) | 0xfff if flags & 8 else limit
        typ = access & 0xf
        if not access & 0x10 or typ & 8:
            if typ & 8 and typ & 2 and access & 0x10:
                return 0, lim
            return None
        if typ & 4:   # expand-down
            hi = 0xffffffff if flags & 4 else 0xffff
            if lim >= hi:
                return None
            return lim + 1, hi
        return 0, lim

    def s_op(self):
        rng = self.rng
        sel = rng.choice(list(self.descs)) | rng.choice([0, 0, 0, 3, 1, 2])
        if self.cpl == 3:
            sel |= 3 if rng.random() < 0.7 else 0
        d = self.descs[sel & ~3]
        self.note_sel(sel)
        k = rng.randrange(7)
        sr = rng.choice(['es', 'fs', 'ds'])
        if k == 5:
            # LAR LSL VERR VERW of any selector
            op = rng.choice(['lar', 'lsl', 'verr', 'verw'])
            s2 = rng.choice([sel, sel, 0x28, 0x30, 0x8, 0x1b, 0x38, 0x43, 0x49, 0x62, 0, 0x100])
            self.note_sel(s2)
            self.add('movl $0x%x, @ecx\\n\\tmovl $0x1234, @edx' % s2, 0, 0, 0, ['ecx', 'edx'])
            if op in ('lar', 'lsl'):
                self.add('%sl @ecx, @edx' % op, ZF, 0, 0, ['edx'])
            else:
                self.add('%s @cx' % op, ZF)
            self.add('setz @al', 0, 0, ZF, ['eax'])
            return
        if k == 6:
            # MOV SS and an access through it
            self.add('movl $0x%x, @ecx\\n\\tmovw @ss, @dx\\n\\tmovw @cx, @ss' % sel, 0, 0, 0, ['ecx', 'edx'])
            lim = self.eff_limits(d)
            base = d[0]
            if lim:
                off = self.pick_off(base, lim, 4)
                if off is not None:
                    self.add('movl @ss:0x%x, @ecx' % off, 0, 0, 0, ['ecx'])
            self.add('movw @dx, @ss')
            return
        if k == 4:
            # far pointer loads
            op = rng.choice(['lesl', 'lfsl', 'ldsl'])
            self.add('movl $0x%x, fz_farptr\\n\\tmovw $0x%x, fz_farptr+4' % (rng.getrandbits(32), sel))
            self.add('%s fz_farptr, @ecx' % op, 0, 0, 0, ['ecx'])
            sr = {'lesl': 'es', 'lfsl': 'fs', 'ldsl': 'ds'}[op]
        else:
            self.add('movl $0x%x, @ecx\\n\\tmovw @cx, @%s' % (sel, sr), 0, 0, 0, ['ecx'])
        lim = self.eff_limits(d)
        if lim:
            base = d[0]
            for _ in range(rng.randrange(1, 3)):
                size = rng.choice([1, 2, 4])
                off = self.pick_off(base, lim, size)
                if off is None:
                    break
                s = {1: 'b', 2: 'w', 4: 'l'}[size]
                reg = {1: 'al', 2: 'ax', 4: 'eax'}[size]
                writable = d[2] & 0x18 == 0x10 and d[2] & 2
                if rng.random() < 0.5 or not writable:
                    self.add('mov%s @%s:0x%x, @%s' % (s, sr, off, reg), 0, 0, 0, ['eax'])
                else:
                    self.add('add%s $1, @%s:0x%x' % (s, sr, off), ALL)
        self.restore_seg(sr)

    def pick_off(self, base, lim, size):
        """An offset within [lo, hi] whose linear address lands in the test area."""
        rng = self.rng
        lo, hi = lim
        for _ in range(20):
            lin = BASE + rng.randrange(0, NPAGES * 4096 - size)
            off = (lin - base) & 0xffffffff
            if lo <= off and off + size - 1 <= hi:
                return off
        return None


def make(rng, n, area, Step):
    cls = type('SysStep', (SysMixin, Step), {})
    st = cls(rng, n, area)
    if area == 'ring':
        st.ring_build()
    elif area == 'paging':
        st.paging_build()
    else:
        st.seg_build()
    if not st.insns:
        st.add('nop')
    return st
