#!/usr/bin/env bash
# vmmsim plot draws a small matrix's results: a .dat, a PNG and an SVG per
# plot (overhead, exits by reason, TLB and walks, guest MIPS), each
# non-empty and of its format, the data files holding what results.csv
# says. Without gnuplot on PATH, or without its scripts, it says so in one
# line and exits 2.
set -euo pipefail
: "${VMMSIM:?set by ctest}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "plot: $*" >&2; exit 1; }

"$VMMSIM" matrix -w compute,in -s trap+shadow,fullsim -j 2 -o "$tmp/m" \
	--append-for compute=iters=1 --append-for in=iters=200 2> /dev/null
"$VMMSIM" plot "$tmp/m" 2> "$tmp/log" || fail "vmmsim plot: exit $?: $(cat "$tmp/log")"
for p in overhead-era2006 exits-trap_shadow tlb mips; do
	png="$tmp/m/plots/$p.png" svg="$tmp/m/plots/$p.svg"
	[ -s "$png" ] || fail "$p.png missing or empty"
	[ "$(head -c 4 "$png" | od -An -c | tr -d ' ')" = "211PNG" ] || fail "$p.png is no PNG"
	[ -s "$svg" ] && grep -q "<svg" "$svg" || fail "$p.svg missing or no SVG"
done
[ -s "$tmp/m/plots/tlb-misses.dat" ] && [ -s "$tmp/m/plots/tlb-walkrefs.dat" ] ||
	fail "tlb data files"

python3 - "$tmp/m" <<'EOF'
import csv, shlex, sys
d = sys.argv[1]
def check(cond, what):
    if not cond:
        sys.exit("plot: " + what)
def dat(name):
    with open(d + "/plots/" + name + ".dat") as f:
        lines = [shlex.split(l) for l in f if l.strip()]
    return lines[0], {l[0]: dict(zip(lines[0][1:], l[1:])) for l in lines[1:]}
with open(d + "/results.csv", newline="") as f:
    R = {(r["workload"], r["strategy"]): r for r in csv.DictReader(f)}
head, rows = dat("overhead-era2006")
check(head == ["workload", "trap+shadow", "fullsim"], "overhead series: %s" % head)
for w in ["compute", "in"]:
    for s in ["trap+shadow", "fullsim"]:
        check(abs(float(rows[w][s]) / float(R[(w, s)]["overhead"]) - 1) < 1e-6,
              "overhead of %s %s" % (w, s))
head, rows = dat("exits-trap_shadow")
check("IO_INSTRUCTION" in head, "exit reasons: %s" % head)
check(int(float(rows["in"]["IO_INSTRUCTION"])) == int(R[("in", "trap+shadow")]["exit.IO_INSTRUCTION"]),
      "IO exits of in")
head, rows = dat("mips")
check(head[1:4] == ["trap+shadow", "trap+shadow min", "trap+shadow max"], "mips columns: %s" % head)
EOF

# No gnuplot on PATH: one line, exit 2.
rc=0
PATH=/nonexistent "$VMMSIM" plot "$tmp/m" 2> "$tmp/err" || rc=$?
[ $rc -eq 2 ] || fail "without gnuplot: exit $rc"
[ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q "gnuplot not found" "$tmp/err" ||
	fail "without gnuplot: $(cat "$tmp/err")"
# No scripts where VMMSIM_PLOTS points: one line, exit 2.
rc=0
VMMSIM_PLOTS="$tmp/none" "$VMMSIM" plot "$tmp/m" 2> "$tmp/err" || rc=$?
[ $rc -eq 2 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q "VMMSIM_PLOTS" "$tmp/err" ||
	fail "without scripts: exit $rc: $(cat "$tmp/err")"
# Not a results file: one line, exit 2.
mkdir "$tmp/x"
echo "a,b" > "$tmp/x/results.csv"
rc=0
"$VMMSIM" plot "$tmp/x" 2> "$tmp/err" || rc=$?
[ $rc -eq 2 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] || fail "bad results: exit $rc"
exit 0
