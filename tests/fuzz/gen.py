#!/usr/bin/env python3
"""Random test-kernel generator of the differential fuzzer (tests/fuzz).

A kernel is NSTEPS independent steps, each a few random instructions run by
FZ_K (CPL 0) or FZ_U (CPL 3) of fz.h from random registers, flags, page
permissions and descriptors, followed by fz_report. The same SEED always
gives the same kernel. This file holds the areas int (integer instructions)
and exc (exceptions, faulting accesses, privileged and sensitive
instructions); gen_sys.py adds ring, paging and seg; mix draws each step
from any area.

Flags an instruction leaves undefined are tracked and masked out of the
report (fz_report's fmask). A step that exercises ring 1 (code at CPL 1, a
selector with RPL 1, a ring-1 selector or a DPL-1 descriptor or gate) is
marked with a "/* fz: ring1 */" comment: ring compression (trap+shadow,
binxlate+shadow) cannot tell ring 1 from ring 0, a documented limit the
driver triages by that mark.

usage: gen.py SEED NSTEPS AREA OUT.c
AREA: int | exc | ring | paging | seg | mix
"""
import random
import sys

CF, PF, AF, ZF, SF, OF = 1, 4, 0x10, 0x40, 0x80, 0x800
ALL = CF | PF | AF | ZF | SF | OF
AREAS = ('int', 'exc', 'ring', 'paging', 'seg', 'mix')
BASE = 0x800000
NPAGES = 8

R32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi']
DST32 = ['eax', 'ecx', 'edx']
SRC32 = ['eax', 'ecx', 'edx', 'ebx', 'esi', 'edi', 'ebp']
DST16 = ['ax', 'cx', 'dx']
SRC16 = ['ax', 'cx', 'dx', 'bx', 'si', 'di', 'bp']
DST8 = ['al', 'cl', 'dl', 'ah', 'ch', 'dh']
SRC8 = ['al', 'cl', 'dl', 'ah', 'ch', 'dh', 'bl', 'bh']
REG_OF = {}
for r in R32:
    REG_OF[r] = r
for r16, r32 in zip(['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'], R32):
    REG_OF[r16] = r32
for r8, r32 in [('al', 'eax'), ('cl', 'ecx'), ('dl', 'edx'), ('bl', 'ebx'),
                ('ah', 'eax'), ('ch', 'ecx'), ('dh', 'edx'), ('bh', 'ebx')]:
    REG_OF[r8] = r32
SZ = {'b': 1, 'w': 2, 'l': 4}
BITS = {'b': 8, 'w': 16, 'l': 32}
CONDS = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np',
         'l', 'ge', 'le', 'g']
COND_READS = {'o': OF, 'no': OF, 'b': CF, 'ae': CF, 'e': ZF, 'ne': ZF,
              'be': CF | ZF, 'a': CF | ZF, 's': SF, 'ns': SF, 'p': PF,
              'np': PF, 'l': SF | OF, 'ge': SF | OF, 'le': ZF | SF | OF,
              'g': ZF | SF | OF}


def rval(rng, bits=32):
    k = rng.random()
    m = (1 << bits) - 1
    if k < 0.15:
        return rng.choice([0, 1, m, 1 << (bits - 1), (1 << (bits - 1)) - 1,
                           2, m - 1]) & m
    if k < 0.3:
        return rng.randrange(0, 256)
    if k < 0.4:
        return (m - rng.randrange(0, 256)) & m
    if k < 0.5:
        return rng.choice([0x80, 0x7f, 0xff, 0x8000, 0x7fff, 0xffff, 0x100,
                           0x10000, 0x55555555, 0xaaaaaaaa, 0x0f0f0f0f]) & m
    return rng.getrandbits(bits)


def reg_size(r):
    if r in R32:
        return 'l'
    if len(r) == 2 and r[1] in 'lh':
        return 'b'
    return 'w'


class Step:
    """One step: an instruction sequence plus its environment."""

    def __init__(self, rng, n, area):
        self.rng = rng
        self.n = n
        self.area = area
        self.insns = []
        self.undef = 0       # flags undefined at this point
        self.umask = 0       # union of undefined flags over all prefixes
        self.setup = []      # C statements after fz_begin
        self.teardown = []   # C statements after fz_report
        self.pflags = 0
        self.cpl = 0
        self.ptr = {}        # register -> address it holds (valid bases)
        self.regs = {}
        self.seed = rng.getrandbits(31) | 1
        self.pages = ['n'] * NPAGES
        self.wp = 0
        self.tags = set()    # marks printed in the step's source (see note_sel)

    # -- environment -------------------------------------------------------
    def rand_addr(self, size=4, cross=None):
        rng = self.rng
        p = rng.randrange(NPAGES)
        k = rng.random()
        if cross is None:
            cross = k < 0.3
        if cross and p < NPAGES - 1:
            off = 4096 - rng.randrange(1, size) if size > 1 else 4095
            if size == 1:
                off = 4096 - rng.randrange(1, 4)
        elif k < 0.45:
            off = rng.randrange(0, 16)
        elif k < 0.6:
            off = 4096 - size - rng.randrange(0, 16)
        else:
            off = rng.randrange(0, 4096 - size)
        return BASE + p * 4096 + off

    def init_env(self):
        rng = self.rng
        self.cpl = 3 if rng.random() < 0.5 else 0
        for r in ['ebx', 'esi', 'edi', 'ebp']:
            a = BASE + 0x100 + rng.randrange(0, NPAGES * 4096 - 0x200)
            if rng.random() < 0.4:
                a = BASE + 4096 * rng.randrange(1, NPAGES) - rng.randrange(0, 8)
            self.regs[r] = a
            self.ptr[r] = a
        for r in ['eax', 'ecx', 'edx']:
            self.regs[r] = rval(rng)
        fl = 2
        for f in (CF, PF, AF, ZF, SF, OF):
            if rng.random() < 0.5:
                fl |= f
        if rng.random() < 0.3:
            fl |= 0x400  # DF
        fl |= rng.randrange(4) << 12  # IOPL
        if rng.random() < 0.2:
            fl |= 0x40000  # AC (CR0.AM is 0)
        if rng.random() < 0.2:
            fl |= 0x200000  # ID
        if rng.random() < 0.2:
            fl |= 0x200
        self.regs['eflags'] = fl
        self.regs['esp'] = 'FZ_KSTK' if self.cpl == 0 else '(u32)fz_ustack + 2048'

    def rand_pages(self, prob=0.5):
        rng = self.rng
        if rng.random() < prob:
            return
        kinds = ['n', 'np', 'ro', 'sup', 'supro']
        for i in range(NPAGES):
            if rng.random() < 0.35:
                self.pages[i] = rng.choice(kinds)
        self.wp = 1 if rng.random() < 0.5 else 0

    def emit_pages(self):
        fl = {'n': 'PTE_P | PTE_W | PTE_U', 'np': '0', 'ro': 'PTE_P | PTE_U',
              'sup': 'PTE_P | PTE_W', 'supro': 'PTE_P'}
        out = []
        for i, k in enumerate(self.pages):
            if k != 'n':
                out.append('fz_pte[%d] = (FZ_BASE + %d * 4096) | %s;' % (i, i, fl[k]))
        if self.wp:
            out.append('write_cr0(read_cr0() | CR0_WP);')
        if out:
            out.append('write_cr3((u32)rt_pd);')
        if self.wp:
            self.teardown.append('write_cr0(read_cr0() & ~CR0_WP);')
        return out

    def note_sel(self, *sels):
        """Marks the step "ring1" if a selector it uses has RPL 1 or names
        GDT 9 or 10 (ring-1 code and data, set up by fz_setup)."""
        for sel in sels:
            if sel & 3 == 1 or (not sel & 4 and (sel >> 3) & 0x1fff in (9, 10)):
                self.tags.add('ring1')

    def note_dpl(self, dpl):
        """Marks the step "ring1" if it installs a DPL-1 descriptor or gate."""
        if dpl == 1:
            self.tags.add('ring1')

    # -- instruction helpers -----------------------------------------------
    def add(self, text, defines=0, undefs=0, reads=0, writes=()):
        if reads & self.undef:
            self.insns.append('cmpl @ebp, @eax')
            self.undef = 0
        self.insns.append(text)
        self.undef = (self.undef & ~(defines | undefs)) | undefs
        self.umask |= self.undef
        for w in writes:
            self.ptr.pop(REG_OF.get(w, w), None)

    def mem(self, size, cross=None, ss_ok=True):
        """A memory operand for an access of `size` bytes."""
        rng = self.rng
        bases = [r for r in self.ptr if ss_ok or r != 'ebp']
        target = self.rand_addr(size, cross)
        if not bases or rng.random() < 0.15:
            return '0x%x' % target
        b = rng.choice(bases)
        disp = target - self.ptr[b]
        return '%d(@%s)' % (disp, b)

    def reg(self, s, dst=True):
        rng = self.rng
        pool = {'l': (DST32, SRC32), 'w': (DST16, SRC16), 'b': (DST8, SRC8)}[s]
        return rng.choice(pool[0] if dst else pool[1])

    def imm(self, s):
        return '$0x%x' % rval(self.rng, BITS[s])

    # -- instruction generators ---------------------------------------------
    def g_alu2(self):
        rng = self.rng
        op = rng.choice(['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'])
        s = rng.choice('blw' + 'l')
        form = rng.choice(['rr', 'ir', 'im', 'rm', 'mr', 'ir8'])
        reads = CF if op in ('adc', 'sbb') else 0
        undefs = AF if op in ('and', 'or', 'xor') else 0
        lock = ''
        if form in ('im', 'rm') and op != 'cmp' and rng.random() < 0.2:
            lock = 'lock '
        if form == 'rr':
            d = self.reg(s)
            t = '%s%s @%s, @%s' % (op, s, self.reg(s, False), d)
            w = [d]
        elif form == 'ir' or (form == 'ir8' and s == 'b'):
            d = self.reg(s)
            t = '%s%s %s, @%s' % (op, s, self.imm(s), d)
            w = [d]
        elif form == 'ir8':
            d = self.reg(s)
            t = '%s%s $%d, @%s' % (op, s, rng.randrange(-128, 128), d)
            w = [d]
        elif form == 'im':
            t = '%s%s%s %s, %s' % (lock, op, s, self.imm(s), self.mem(SZ[s]))
            w = []
        elif form == 'rm':
            t = '%s%s%s @%s, %s' % (lock, op, s, self.reg(s, False), self.mem(SZ[s]))
            w = []
        else:
            d = self.reg(s)
            t = '%s%s %s, @%s' % (op, s, self.mem(SZ[s]), d)
            w = [d]
        if op == 'cmp':
            w = []
        self.add(t, ALL, undefs, reads, w)

    def g_test(self):
        rng = self.rng
        s = rng.choice('bwl')
        f = rng.choice(['rr', 'ir', 'im', 'rm'])
        if f == 'rr':
            t = 'test%s @%s, @%s' % (s, self.reg(s, False), self.reg(s, False))
        elif f == 'ir':
            t = 'test%s %s, @%s' % (s, self.imm(s), self.reg(s, False))
        elif f == 'im':
            t = 'test%s %s, %s' % (s, self.imm(s), self.mem(SZ[s]))
        else:
            t = 'test%s @%s, %s' % (s, self.reg(s, False), self.mem(SZ[s]))
        self.add(t, ALL, AF)

    def g_unary(self):
        rng = self.rng
        op = rng.choice(['inc', 'dec', 'neg', 'not'])
        s = rng.choice('bwl')
        defs = {'inc': ALL & ~CF, 'dec': ALL & ~CF, 'neg': ALL, 'not': 0}[op]
        if rng.random() < 0.5:
            d = self.reg(s)
            self.add('%s%s @%s' % (op, s, d), defs, 0, 0, [d])
        else:
            lock = 'lock ' if rng.random() < 0.2 else ''
            self.add('%s%s%s %s' % (lock, op, s, self.mem(SZ[s])), defs)

    def g_shift(self):
        rng = self.rng
        op = rng.choice(['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sar', 'sal'])
        s = rng.choice('bwl')
        bits = BITS[s]
        rot = op in ('rol', 'ror', 'rcl', 'rcr')
        reads = CF if op in ('rcl', 'rcr') else 0
        k = rng.random()
        if k < 0.25:
            cnt, cs = 1, ''
        elif k < 0.65:
            cnt = rng.choice([0, 1, 2, bits - 1, bits, bits + 1, 31, 32, 33,
                              rng.randrange(0, 256)])
            cs = '$%d, ' % cnt
        else:
            cnt, cs = None, '@cl, '
        if rng.random() < 0.5:
            d = self.reg(s)
            opnd, w = '@%s' % d, [d]
        else:
            opnd, w = self.mem(SZ[s]), []
        undefs = 0
        if cnt is None:
            undefs = OF | (0 if rot else AF)
            if not rot and s != 'l' and op != 'sar':
                undefs |= CF
        else:
            m = cnt & 31
            if m != 0:
                if m != 1:
                    undefs |= OF
                if not rot:
                    undefs |= AF
                    if m >= bits and op != 'sar':
                        undefs |= CF
        defs = (CF | OF) if rot else ALL
        if cnt is not None and (cnt & 31) == 0:
            defs = 0
        self.add('%s%s %s%s' % (op, s, cs, opnd), defs, undefs, reads, w)

    def g_shld(self):
        rng = self.rng
        op = rng.choice(['shld', 'shrd'])
        s = rng.choice('wl')
        bits = BITS[s]
        if rng.random() < 0.5:
            cnt = rng.randrange(0, bits + 1) if s == 'w' else rng.randrange(0, 64)
            cs = '$%d, ' % cnt
        else:
            cnt = None
            if s == 'w':
                if rng.random() < 0.3:
                    self.add('movb $16, @cl', 0, 0, 0, ['cl'])
                else:
                    self.add('andb $15, @cl', ALL, AF, 0, ['cl'])
            cs = '@cl, '
        src = self.reg(s, False)
        if rng.random() < 0.5:
            d = self.reg(s)
            opnd, w = '@%s' % d, [d]
        else:
            opnd, w = self.mem(SZ[s]), []
        if cnt is not None and (cnt & 31) == 0:
            self.add('%s%s %s@%s, %s' % (op, s, cs, src, opnd), 0, 0, 0, w)
            return
        undefs = AF
        if cnt is None or (cnt & 31) != 1:
            undefs |= OF
        self.add('%s%s %s@%s, %s' % (op, s, cs, src, opnd), ALL, undefs, 0, w)

    def g_muldiv(self):
        rng = self.rng
        op = rng.choice(['mul', 'imul', 'div', 'idiv', 'imul2', 'imul3'])
        s = rng.choice('bwl')
        if op in ('div', 'idiv') and rng.random() < 0.6:
            # make the quotient fit more often
            if s == 'b':
                self.add('movb $%d, @ah' % rng.randrange(0, 4), 0, 0, 0, ['ah'])
            else:
                v = rng.choice([0, 0, 1, 0xffffffff, rng.randrange(0, 16)])
                if s == 'w':
                    v &= 0xffff
                self.add('mov%s $0x%x, @%s' % (s, v, 'dx' if s == 'w' else 'edx'),
                         0, 0, 0, ['edx'])
        if op in ('imul2', 'imul3'):
            if s == 'b':
                s = 'l'
            d = self.reg(s)
            src = ('@%s' % self.reg(s, False)) if rng.random() < 0.5 else self.mem(SZ[s])
            if op == 'imul2':
                t = 'imul%s %s, @%s' % (s, src, d)
            else:
                t = 'imul%s $%d, %s, @%s' % (s, rng.choice([rng.randrange(-128, 128), rval(rng, 16) - 32768]), src, d)
            self.add(t, ALL, SF | ZF | AF | PF, 0, [d])
            return
        if rng.random() < 0.5:
            src = '@%s' % self.reg(s, False)
        else:
            src = self.mem(SZ[s])
        if op in ('mul', 'imul'):
            undefs = SF | ZF | AF | PF
        else:
            undefs = ALL
        w = ['eax'] if s == 'b' else ['eax', 'edx']
        self.add('%s%s %s' % (op, s, src), ALL, undefs, 0, w)

    def g_bitop(self):
        rng = self.rng
        op = rng.choice(['bt', 'bts', 'btr', 'btc'])
        s = rng.choice('wl')
        k = rng.random()
        defs, undefs = CF, OF | SF | AF | PF
        if k < 0.3:
            d = self.reg(s)
            self.add('%s%s $%d, @%s' % (op, s, rng.randrange(0, 256), d), defs, undefs, 0,
                     [d] if op != 'bt' else [])
        elif k < 0.5:
            d = self.reg(s)
            self.add('%s%s @%s, @%s' % (op, s, self.reg(s, False), d), defs, undefs, 0,
                     [d] if op != 'bt' else [])
        elif k < 0.7:
            lock = 'lock ' if op != 'bt' and rng.random() < 0.2 else ''
            self.add('%s%s%s $%d, %s' % (lock, op, s, rng.randrange(0, 256), self.mem(SZ[s])),
                     defs, undefs)
        else:
            # bit string in memory: offset register with a small value
            r = rng.choice(['eax', 'ecx', 'edx'])
            bases = list(self.ptr)
            if not bases:
                return
            b = rng.choice(bases)
            off = rng.randrange(-600, 600)
            a = self.ptr[b]
            disp = 0
            if not (BASE + 0x100 <= a + (off >> 3) + disp < BASE + NPAGES * 4096 - 0x100):
                off = 0
            if s == 'w':
                off = max(-0x7000, min(0x7fff, off))
                self.add('movl $%d, @%s' % (off, r), 0, 0, 0, [r])
                rr = {'eax': 'ax', 'ecx': 'cx', 'edx': 'dx'}[r]
            else:
                self.add('movl $%d, @%s' % (off, r), 0, 0, 0, [r])
                rr = r
            lock = 'lock ' if op != 'bt' and rng.random() < 0.2 else ''
            self.add('%s%s%s @%s, (@%s)' % (lock, op, s, rr, b), defs, undefs)

    def g_bsf(self):
        rng = self.rng
        op = rng.choice(['bsf', 'bsr'])
        s = rng.choice('wl')
        d = self.reg(s)
        src = ('@%s' % self.reg(s, False)) if rng.random() < 0.5 else self.mem(SZ[s])
        fix = self.reg(s, False)
        while REG_OF[fix] == REG_OF[d]:
            fix = self.reg(s, False)
        self.add('%s%s %s, @%s' % (op, s, src, d), ZF, ALL & ~ZF, 0, [d])
        self.add('cmovz%s @%s, @%s' % (s, fix, d), 0, 0, ZF, [d])

    def g_misc(self):
        rng = self.rng
        k = rng.randrange(16)
        if k == 0:
            d = rng.choice(DST32)
            self.add('bswap @%s' % d, 0, 0, 0, [d])
        elif k == 1:
            op = rng.choice(['movzb', 'movsb', 'movzw', 'movsw'])
            ss = 'b' if op.endswith('b') else 'w'
            ds = rng.choice(['w', 'l']) if ss == 'b' else 'l'
            d = self.reg(ds)
            src = ('@%s' % self.reg(ss, False)) if rng.random() < 0.5 else self.mem(SZ[ss])
            self.add('%s%s %s, @%s' % (op, ds, src, d), 0, 0, 0, [d])
        elif k == 2:
            op = rng.choice(['cbtw', 'cwtl', 'cwtd', 'cltd'])
            self.add(op, 0, 0, 0, ['eax', 'edx'])
        elif k == 3:
            c = rng.choice(CONDS)
            if rng.random() < 0.5:
                d = rng.choice(DST8)
                self.add('set%s @%s' % (c, d), 0, 0, COND_READS[c], [d])
            else:
                self.add('set%s %s' % (c, self.mem(1)), 0, 0, COND_READS[c])
        elif k == 4:
            c = rng.choice(CONDS)
            s = rng.choice('wl')
            d = self.reg(s)
            src = ('@%s' % self.reg(s, False)) if rng.random() < 0.5 else self.mem(SZ[s])
            self.add('cmov%s%s %s, @%s' % (c, s, src, d), 0, 0, COND_READS[c], [d])
        elif k == 5:
            self.add('lahf', 0, 0, SF | ZF | AF | PF | CF, ['ah'])
        elif k == 6:
            self.add('sahf', SF | ZF | AF | PF | CF, 0, 0)
        elif k == 7:
            op = rng.choice(['clc', 'stc', 'cmc', 'cld', 'std'])
            self.add(op, CF if op in ('clc', 'stc', 'cmc') else 0, 0, CF if op == 'cmc' else 0)
        elif k == 8:
            s = rng.choice('bwl')
            if rng.random() < 0.5:
                d = self.reg(s)
                self.add('xchg%s @%s, @%s' % (s, self.reg(s), d), 0, 0, 0,
                         [d, 'eax', 'ecx', 'edx'])
            else:
                d = self.reg(s)
                self.add('xchg%s @%s, %s' % (s, d, self.mem(SZ[s])), 0, 0, 0, [d])
        elif k == 9:
            s = rng.choice('bwl')
            d = self.reg(s)
            lock = 'lock ' if rng.random() < 0.3 else ''
            if rng.random() < 0.4:
                self.add('xadd%s @%s, @%s' % (s, d, self.reg(s)), ALL, 0, 0,
                         ['eax', 'ecx', 'edx'])
            else:
                self.add('%sxadd%s @%s, %s' % (lock, s, d, self.mem(SZ[s])), ALL, 0, 0, [d])
        elif k == 10:
            s = rng.choice('bwl')
            src = self.reg(s)
            lock = 'lock ' if rng.random() < 0.3 else ''
            if rng.random() < 0.3:
                self.add('cmpxchg%s @%s, @%s' % (s, src, self.reg(s)), ALL, 0, 0,
                         ['eax', 'ecx', 'edx'])
            else:
                self.add('%scmpxchg%s @%s, %s' % (lock, s, src, self.mem(SZ[s])), ALL, 0, 0,
                         ['eax'])
        elif k == 11:
            lock = 'lock ' if rng.random() < 0.3 else ''
            m = self.mem(8)
            # flags other than ZF: QEMU leaves stale ones (QEMU_DIFFERENCES.md)
            self.add('%scmpxchg8b %s' % (lock, m), ZF, CF | PF | AF | SF | OF, 0,
                     ['eax', 'edx'])
            # QEMU leaves garbage in the other flags (even bits above 11):
            # keep ZF in CL and redefine every flag
            self.add('setz @cl', 0, 0, ZF, ['ecx'])
            self.insns.append('cmpl @ebp, @eax')
            self.undef = 0
        elif k == 12:
            op = rng.choice(['daa', 'das', 'aaa', 'aas', 'aam', 'aad'])
            if op in ('daa', 'das'):
                self.add(op, ALL, OF, CF | AF, ['eax'])
            elif op in ('aaa', 'aas'):
                self.add(op, ALL, OF | SF | ZF | PF, AF, ['eax'])
            else:
                b = rng.choice([10, 0, 1, 16, 255, rng.randrange(256)])
                self.add('%s $%d' % (op, b), ALL, OF | AF | CF, 0, ['eax'])
        elif k == 13:
            d = self.reg('l')
            regs = ['eax', 'ecx', 'edx', 'ebx', 'esi', 'edi', 'ebp']
            b = rng.choice(regs + [''])
            i = rng.choice(regs + [''])
            disp = rng.choice([0, rng.randrange(-128, 128), rval(rng) - (1 << 31)])
            sc = rng.choice([1, 2, 4, 8])
            if not b and not i:
                b = 'eax'
            addr = '%d(%s%s)' % (disp, ('@' + b) if b else '',
                                 (',@%s,%d' % (i, sc)) if i else '')
            if rng.random() < 0.25:
                # 16-bit operand size
                self.add('leaw %s, @%s' % (addr, d[1:]), 0, 0, 0, [d])
            else:
                self.add('leal %s, @%s' % (addr, d), 0, 0, 0, [d])
        elif k == 14:
            # 16-bit address-size LEA (0x67): [bx+si], [bp+di] ... + disp
            d = self.reg('l')
            forms = ['(@bx,@si)', '(@bx,@di)', '(@bp,@si)',
                     '(@bp,@di)', '(@si)', '(@di)', '(@bp)', '(@bx)']
            disp = rng.choice([0, rng.randrange(-128, 128), rng.randrange(0, 65536)])
            self.add('addr16 lea%s %d%s, @%s' % (rng.choice('wl'), disp - (65536 if disp > 32767 else 0),
                                                  rng.choice(forms), d), 0, 0, 0, [d])
            # fix leaw/leal register names
            t = self.insns[-1]
            if t.startswith('addr16 leaw'):
                self.insns[-1] = t.replace(', @e', ', @')
        else:
            s = rng.choice('bwl')
            if rng.random() < 0.5:
                d = self.reg(s)
                self.add('mov%s %s, @%s' % (s, self.mem(SZ[s]), d), 0, 0, 0, [d])
            elif rng.random() < 0.5:
                self.add('mov%s @%s, %s' % (s, self.reg(s, False), self.mem(SZ[s])))
            else:
                self.add('mov%s %s, %s' % (s, self.imm(s), self.mem(SZ[s])))

    def g_string(self):
        rng = self.rng
        op = rng.choice(['movs', 'stos', 'lods', 'cmps', 'scas'])
        s = rng.choice('bwl')
        if 'esi' not in self.ptr or 'edi' not in self.ptr:
            return
        rep = rng.choice(['', 'rep ', 'rep ', 'repe ', 'repne '])
        if op in ('movs', 'stos', 'lods'):
            if rep in ('repe ', 'repne '):
                rep = 'rep '
        else:
            if rep == 'rep ':
                rep = 'repe '
        n = rng.choice([0, 1, 2, 3, 5, 8, 13, 20])
        self.add('movl $%d, @ecx' % n, 0, 0, 0, ['ecx'])
        if rng.random() < 0.3:
            self.add(rng.choice(['std', 'cld']))
        defs = ALL if op in ('cmps', 'scas') and not rep else 0
        # with ECX = 0 a REP'd CMPS/SCAS does not touch the flags
        self.add('%s%s%s' % (rep, op, s), defs, 0, 0, ['esi', 'edi', 'ecx', 'eax'])

    def g_jcc(self):
        rng = self.rng
        c = rng.choice(CONDS)
        self.add('j%s 2f' % c, 0, 0, COND_READS[c])
        self.add('inc%s @%s' % ('l', rng.choice(DST32)), ALL & ~CF, 0, 0, ['eax', 'ecx', 'edx'])
        self.insns.append('2:')

    def g_stack(self):
        """PUSH/POP and friends; at CPL 3 with ESP in the test area."""
        rng = self.rng
        k = rng.randrange(12)
        if k == 0:
            self.add('pushl @%s' % rng.choice(SRC32))
        elif k == 1:
            self.add('pushw @%s' % rng.choice(SRC16))
        elif k == 2:
            self.add('pushl $0x%x' % rval(rng))
        elif k == 3:
            self.add('pushl %s' % self.mem(4))
        elif k == 4:
            d = rng.choice(DST32)
            self.add('popl @%s' % d, 0, 0, 0, [d])
        elif k == 5:
            self.add('popl %s' % self.mem(4))
        elif k == 6:
            self.add(rng.choice(['pushal', 'pushaw']))
        elif k == 7:
            self.add(rng.choice(['popal', 'popaw']), 0, 0, 0, list(R32))
        elif k == 8:
            self.add('pushfl' if rng.random() < 0.7 else 'pushfw', 0, 0, ALL)
        elif k == 9:
            v = rval(rng) & ~(0x100 | 0x4000 | 0x10000 | 0x20000)
            self.add('pushl $0x%x' % v)
            self.add('popfl', ALL, 0, 0)
        elif k == 10:
            lvl = rng.choice([0, 0, 1, 2, 3, 5])
            self.add('enter $%d, $%d' % (rng.choice([0, 4, 8, 0x100, rng.randrange(0, 64)]), lvl),
                     0, 0, 0, ['ebp'])
        elif self.cpl == 3:
            self.add('leave', 0, 0, 0, ['ebp'])

    def g_exc(self):
        """Instructions whose point is an exception."""
        rng = self.rng
        k = rng.randrange(14)
        if k == 0:
            self.add('ud2')
        elif k == 1:
            self.add('int3')
        elif k == 2:
            self.add('into', 0, 0, OF)
        elif k == 3:
            v = rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 9, 15, 16, 0x20, 0x30, 0x40,
                            0x80, 0xff])
            self.add('int $0x%x' % v)
        elif k == 4:
            # BOUND with a pair in memory: use a small signed index
            r = rng.choice(DST32)
            self.add('movl $%d, @%s' % (rng.randrange(-5, 40), r), 0, 0, 0, [r])
            self.add('boundl @%s, %s' % (r, self.mem(8)))
        elif k == 5:
            self.add(rng.choice(['cli', 'sti', 'hlt', 'clts', 'invd', 'wbinvd']) if self.cpl == 3
                     else rng.choice(['cli', 'cld', 'clts']))
        elif k == 6:
            if self.cpl == 3:
                self.add(rng.choice(['movl @cr0, @eax', 'movl @eax, @cr3', 'movl @cr4, @eax',
                                     'lgdt (@ebx)', 'lidt (@ebx)', 'lldt @ax',
                                     'ltr @ax', 'invlpg (@ebx)', 'rdmsr', 'wrmsr',
                                     'movl @dr7, @eax', 'lmsw @ax']),
                         0, 0, 0, ['eax'])
            else:
                self.add('rdtsc; xorl @eax, @eax; xorl @edx, @edx', ALL, 0, 0,
                         ['eax', 'edx'])
        elif k == 7:
            port = rng.choice([0x80, 0x80, 0x84, 0x100, 0x200])
            op = rng.choice(['inb', 'inw', 'inl', 'outb', 'outw', 'outl'])
            r = {'b': '@al', 'w': '@ax', 'l': '@eax'}[op[-1]]
            if op.startswith('in'):
                if rng.random() < 0.5:
                    self.add('movl $0x%x, @edx' % port, 0, 0, 0, ['edx'])
                    self.add('%s @dx, %s' % (op, r), 0, 0, 0, ['eax'])
                else:
                    self.add('%s $0x%x, %s' % (op, rng.choice([0x80, 0x84]), r), 0, 0, 0, ['eax'])
            else:
                if rng.random() < 0.5:
                    self.add('movl $0x%x, @edx' % port, 0, 0, 0, ['edx'])
                    self.add('%s %s, @dx' % (op, r))
                else:
                    self.add('%s %s, $0x%x' % (op, r, rng.choice([0x80, 0x84])))
        elif k == 8:
            # lock on a register destination and other #UD encodings
            self.add(rng.choice(['.byte 0xf0, 0x01, 0xc0', '.byte 0x0f, 0x0b',
                                 '.byte 0x0f, 0xff', '.byte 0x8d, 0xc0',
                                 '.byte 0xc4, 0xc0', '.byte 0xc5, 0xc0',
                                 '.byte 0x8e, 0xc8', '.byte 0xfe, 0xf8',
                                 '.byte 0xff, 0xf8', '.byte 0x0f, 0xc7, 0xc8',
                                 '.byte 0x0f, 0x01, 0xe8', '.byte 0x62, 0xc0']))
        elif k == 9:
            # divide errors
            s = rng.choice('bwl')
            self.add('movl $0x%x, @edx' % rval(rng), 0, 0, 0, ['edx'])
            self.add('%s%s @%s' % (rng.choice(['div', 'idiv']), s,
                                      {'b': 'cl', 'w': 'cx', 'l': 'ecx'}[s]),
                     ALL, ALL, 0, ['eax', 'edx'])
        elif k == 10:
            # segment register loads
            sel = rng.choice([0, 3, 0x8, 0x10, 0x13, 0x18, 0x1b, 0x20, 0x23, 0x28,
                              0x2b, 0x30, 0x38, 0x100, 0xfffc, rng.randrange(0, 0x10000)])
            sr = rng.choice(['ds', 'es', 'fs', 'ss'])
            self.note_sel(sel)
            self.add('movl $0x%x, @eax' % sel, 0, 0, 0, ['eax'])
            self.add('movw @ax, @%s' % sr)
            if sr != 'ss' and sel & ~3:
                self.add('movl (@ebx), @ecx' if 'ebx' in self.ptr else 'nop', 0, 0, 0, ['ecx'])
            self.add('movw @%s, @dx' % sr, 0, 0, 0, ['edx'])
            self.restore_seg(sr)
        elif k == 11:
            # near/far control transfers to bad places
            sel = rng.choice([0, 3, 0x10, 0x13, 0x23, 0x28, 0x30, 0x4, 0x8, 0xb, 0x18, 0x1b,
                              0x1000, rng.randrange(0, 0x10000)])
            k2 = rng.randrange(4)
            self.note_sel(sel)
            if k2 == 0:
                self.add('ljmp $0x%x, $3f' % sel)
            elif k2 == 1:
                self.add('lcall $0x%x, $3f' % sel)
            elif self.cpl == 3:
                # far return / IRET through a frame built here (VM, TF, NT, RF clear)
                fl = rval(rng) & ~(0x100 | 0x4000 | 0x10000 | 0x20000 | 0x80000 | 0x100000)
                ss = rng.choice([0x23, 0x2b, 0x20, 0x10, 0, rng.randrange(0, 0x10000)])
                if rng.random() < 0.5:
                    self.note_sel(ss)
                    self.add('pushl $0x%x' % ss)
                    self.add('pushl @esp')
                if k2 == 2:
                    self.add('pushl $0x%x' % fl)
                self.add('pushl $0x%x' % sel)
                self.add('pushl $3f')
                self.add('iretl' if k2 == 2 else rng.choice(['lret', 'lret $4']), ALL if k2 == 2 else 0)
            else:
                self.add('nop')
            self.insns.append('3:')
        elif k == 12:
            # fetch from a test page (not present / supervisor / NX-free);
            # never from where the CALL pushes its return address, which
            # would run the address's bytes as code
            a = self.rand_addr(1)
            esp = self.regs['esp']
            if isinstance(esp, int) and esp - 0x40 <= a < esp + 8:
                a = a - 0x100 if a - 0x100 >= BASE else a + 0x100
            self.add('movl $0x%x, @eax' % a, 0, 0, 0, ['eax'])
            self.add('.byte 0xc6, 0x00, 0xc3', 0, 0, 0)  # mov byte [eax], ret
            self.add('call *@eax')
        else:
            sr = rng.choice(['ds', 'es', 'fs'])
            v = rval(rng)
            self.note_sel(v & 0xffff)
            self.add('pushl $0x%x' % v)
            self.add('popl @%s' % sr)
            self.restore_seg(sr)

    def restore_seg(self, sr):
        v = 0x23 if self.cpl == 3 else 0x10
        self.insns.append('pushl $0x%x' % v)
        self.insns.append('popl @%s' % sr)

    def g_sens(self):
        """x86's sensitive but unprivileged instructions: under --isa virtualizable they must
        show the bare machine."""
        rng = self.rng
        k = rng.randrange(12)
        if k == 0:
            self.add('%s %s' % (rng.choice(['sgdt', 'sidt']), self.mem(6, cross=False)))
        elif k == 1:
            self.add('smsw @%s' % rng.choice(['ax', 'cx', 'dx']), 0, 0, 0, ['eax', 'ecx', 'edx'])
        elif k == 2:
            self.add('smsw %s' % self.mem(2))
        elif k == 3:
            op = rng.choice(['str', 'sldt'])
            if rng.random() < 0.5:
                d = rng.choice(['ax', 'cx', 'dx', 'eax', 'ecx', 'edx'])
                self.add('%s @%s' % (op, d), 0, 0, 0, ['eax', 'ecx', 'edx'])
            else:
                self.add('%s %s' % (op, self.mem(2)))
        elif k == 4:
            sr = rng.choice(['cs', 'ss', 'ds'])
            if rng.random() < 0.5:
                self.add('movw @%s, @%s' % (sr, rng.choice(['ax', 'cx', 'dx'])), 0, 0, 0, ['eax', 'ecx', 'edx'])
            else:
                self.add('movw @%s, %s' % (sr, self.mem(2)))
        elif k == 5:
            self.add('push%s @%s' % (rng.choice(['l', 'w']), rng.choice(['cs', 'ss'])))
            self.add('pop%s @%s' % ('l', rng.choice(DST32)), 0, 0, 0, ['eax', 'ecx', 'edx'])
        elif k == 6:
            self.add('pushfl\\n\\tpopl @edx', 0, 0, ALL, ['edx'])
        elif k in (7, 8):
            op = rng.choice(['lar', 'lsl'])
            sel = rng.choice([0x8, 0xb, 0x10, 0x13, 0x1b, 0x23, 0x28, 0x2b, 0x30, 0x38, 0x43, 0x49, 0x51, 0x5a, 0x62, 0, 0x100])
            self.note_sel(sel)
            self.add('movl $0x%x, @ecx\\n\\tmovl $0x12345678, @edx' % sel, 0, 0, 0, ['ecx', 'edx'])
            self.add('%sl @ecx, @edx\\n\\tsetz @cl' % op, ZF, 0, 0, ['ecx', 'edx'])
        elif k == 9:
            sel = rng.choice([0x8, 0xb, 0x10, 0x13, 0x1b, 0x23, 0x28, 0x30, 0x38, 0x43, 0x49, 0x51, 0x5a, 0x62, 0, 0x100])
            self.note_sel(sel)
            self.add('movl $0x%x, @ecx\\n\\t%s @cx\\n\\tsetz @dl' % (sel, rng.choice(['verr', 'verw'])),
                     ZF, 0, 0, ['ecx', 'edx'])
        elif k == 10:
            self.add('movl %s, @eax\\n\\tmovw @ax, @ds\\n\\tmovw @ds, @dx' %
                     ('$0x23' if self.cpl == 3 else '$0x10'), 0, 0, 0, ['eax', 'edx'])
        else:
            self.add('arpl @%s, @%s' % (rng.choice(['ax', 'cx', 'dx']), rng.choice(['ax', 'cx', 'dx'])),
                     ZF, 0, 0, ['eax', 'ecx', 'edx'])

    def g_df(self):
        """Exception during delivery of another: benign/contributory/#PF pairs (SDM 6.15, #DF)."""
        rng = self.rng
        first = rng.choice(['de', 'gp', 'pf', 'ud', 'np_int', 'bp'])
        # the handler of the first exception is made unusable
        vec = {'de': 0, 'gp': 13, 'pf': 14, 'ud': 6, 'np_int': 0x30, 'bp': 3}[first]
        how = rng.choice(['np', 'np', 'badsel', 'limit', 'dpl'])
        if how == 'limit' and (vec not in (14, 0x30) or self.cpl == 3):
            # (a user step leaves through INT 0x82, beyond a cut IDT limit)
            how = 'np'
        if how == 'np':
            self.setup.append('rt_idt[%d] &= ~(1ull << 47);' % vec)
        elif how == 'badsel':
            self.setup.append('rt_idt[%d] = rt_gate_desc(0x%x, (u32)rt_isr_stubs + 16 * %d, 0xe, 3, 0);'
                              % (vec, rng.choice([0, 0x10, 0x100, 0x28, 0x4]), vec))
        elif how == 'limit':
            self.setup.append('{ struct rt_dtr d = { %d * 8 - 1, (u32)rt_idt }; asm volatile("lidt %%0" : : "m"(d)); }' % vec)
        else:
            self.setup.append('rt_idt[%d] = rt_gate_desc(8, (u32)rt_isr_stubs + 16 * %d, 0xe, 0, 0);' % (vec, vec))
        if rng.random() < 0.4:
            # and the #NP/#GP handler too: then #DF
            v2 = rng.choice([11, 13])
            self.setup.append('rt_idt[%d] &= ~(1ull << 47);' % v2)
        self.teardown.append('fz_restore_sys();')
        self.teardown.append('{ struct rt_dtr d = { sizeof(rt_idt) - 1, (u32)rt_idt }; asm volatile("lidt %0" : : "m"(d)); }')
        if first == 'de':
            self.add('xorl @ecx, @ecx\\n\\tdivl @ecx', ALL, ALL, 0, ['ecx', 'eax', 'edx'])
        elif first == 'gp':
            self.add('movl $0x100, @ecx\\n\\tmovw @cx, @fs', 0, 0, 0, ['ecx'])
        elif first == 'pf':
            self.setup.append('fz_pte[3] = 0; write_cr3((u32)rt_pd);')
            self.add('movl 0x803010, @ecx', 0, 0, 0, ['ecx'])
        elif first == 'ud':
            self.add('ud2')
        elif first == 'np_int':
            self.add('int $0x30')
        else:
            self.add('int3')

    def weights(self):
        a = self.area
        if a == 'int':
            return [(self.g_alu2, 6), (self.g_test, 1), (self.g_unary, 2), (self.g_shift, 4),
                    (self.g_shld, 2), (self.g_muldiv, 3), (self.g_bitop, 2), (self.g_bsf, 1),
                    (self.g_misc, 6), (self.g_string, 2), (self.g_jcc, 1)]
        if a == 'exc':
            return [(self.g_alu2, 2), (self.g_misc, 2), (self.g_string, 3), (self.g_stack, 3),
                    (self.g_exc, 4), (self.g_shift, 1), (self.g_muldiv, 1), (self.g_bitop, 1),
                    (self.g_df, 1), (self.g_sens, 2)]
        return [(self.g_alu2, 3), (self.g_misc, 3), (self.g_string, 2), (self.g_stack, 2),
                (self.g_exc, 2), (self.g_shift, 2), (self.g_muldiv, 1), (self.g_bitop, 1),
                (self.g_shld, 1), (self.g_bsf, 1)]

    def build(self):
        rng = self.rng
        self.init_env()
        if self.area in ('exc', 'mix') or rng.random() < 0.2:
            self.rand_pages(0.3 if self.area == 'exc' else 0.6)
        w = self.weights()
        if self.area in ('exc', 'mix') and self.cpl == 3 and rng.random() < 0.5:
            # stack in the test area, possibly next to a bad page
            a = BASE + 4096 * rng.randrange(1, NPAGES) + rng.choice([0, 2, 4, 6, 8, 12, 16, 32, 0x40])
            self.regs['esp'] = '0x%x' % a
        total = sum(x for _, x in w)
        for _ in range(rng.randrange(1, 5)):
            r = rng.uniform(0, total)
            for g, x in w:
                r -= x
                if r <= 0:
                    break
            g()
        if not self.insns:
            self.add('nop')
        self.setup += self.emit_pages()
        return self

    def c_code(self):
        lines = ['static void st%d(void)' % self.n, '{']
        if self.tags:
            lines.append('\t/* fz: %s */' % ' '.join(sorted(self.tags)))
        lines.append('\tfz_begin(0x%x);' % self.seed)
        for s in self.setup:
            lines.append('\t' + s)
        for r in ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'esp', 'eflags']:
            v = self.regs[r]
            lines.append('\tfz_in.%s = %s;' % (r, v if isinstance(v, str) else '0x%x' % v))
        body = '\\n\\t'.join(self.insns).replace('@', '%%')
        mac = 'FZ_U' if self.cpl == 3 else 'FZ_K'
        lines.append('\t%s("%s");' % (mac, body))
        lines.append('\tfz_report(%d, 0x%x, %d);' % (self.n, self.umask, self.pflags))
        for s in self.teardown:
            lines.append('\t' + s)
        lines.append('}')
        return '\n'.join(lines)


def make_step(rng, n, area):
    if area == 'mix':
        area = rng.choice(['int', 'exc', 'ring', 'paging', 'seg'])
    if area in ('ring', 'paging', 'seg'):
        import gen_sys  # imported here: gen_sys builds on this module
        return gen_sys.make(rng, n, area, Step)
    return Step(rng, n, area).build()


def generate(seed, nsteps, area):
    """The C source of kernel SEED of AREA, NSTEPS steps."""
    if area not in AREAS:
        raise ValueError('unknown area %r (areas: %s)' % (area, ' '.join(AREAS)))
    rng = random.Random(seed)
    steps = [make_step(rng, i, area) for i in range(nsteps)]
    src = ['/* generated: gen.py %d %d %s */' % (seed, nsteps, area),
           '#include "fz.h"', 'RT_KERNEL("fz");', '']
    for s in steps:
        src.append(s.c_code())
        src.append('')
    src.append('void kmain(void)')
    src.append('{')
    src.append('\tfz_setup();')
    for s in steps:
        src.append('\tst%d();' % s.n)
    src.append('}')
    return '\n'.join(src) + '\n'


def main():
    if len(sys.argv) != 5:
        sys.exit('usage: gen.py SEED NSTEPS AREA OUT.c  (AREA: %s)' % ' '.join(AREAS))
    text = generate(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
    with open(sys.argv[4], 'w') as f:
        f.write(text)


if __name__ == '__main__':
    main()
