#!/usr/bin/env bash
# vmmsim plot draws a small matrix's results: a .dat, a PNG and an SVG per
# plot (overhead, exits by reason, TLB and walks, guest MIPS), each
# non-empty and of its format, the data files holding what results.csv
# says. Without gnuplot on PATH, or without its scripts, with a results.csv
# that is a directory or has a numeric cell that is not a finite number, it
# says so in one line and exits 2; names holding a quote, a backslash or a
# line break still give well-formed data files.
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
# A results.csv that is not a regular file is named as such, in one line.
rm "$tmp/x/results.csv"
mkdir "$tmp/x/results.csv"
rc=0
"$VMMSIM" plot "$tmp/x" 2> "$tmp/err" || rc=$?
[ $rc -eq 2 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q "not a regular file" "$tmp/err" ||
	fail "results.csv a directory: exit $rc: $(cat "$tmp/err")"

# edit DIR CODE: the matrix's results.csv with CODE (Python) run on each
# row r, a dict, written to DIR/results.csv.
edit() {
	mkdir -p "$1"
	python3 - "$tmp/m/results.csv" "$1/results.csv" "$2" <<'PY'
import csv, sys
with open(sys.argv[1], newline="") as f:
    rows = list(csv.DictReader(f))
for r in rows:
    exec(sys.argv[3])
with open(sys.argv[2], "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
PY
}
# Names with a quote, a backslash or a line break (a hand-edited file) give
# well-formed data files: every line one row of quoted names and numbers,
# and none of those characters inside a name.
edit "$tmp/names" '
if r["workload"] == "in": r["workload"] = "i\"n\\x\ny"
if r["strategy"] == "fullsim": r["strategy"] = "full\"sim\\"'
"$VMMSIM" plot "$tmp/names" 2> "$tmp/err" || fail "odd names: exit $?: $(cat "$tmp/err")"
python3 - "$tmp/names/plots" <<'PY' || fail "odd names"
import glob, re, sys
name = r'"[^"\\\x00-\x1f\x7f]*"'
row = re.compile(name + r'( (' + name + r'|NaN|[-+0-9.eE]+))*')
dats = glob.glob(sys.argv[1] + "/*.dat")
if len(dats) < 4:
    sys.exit("plot: odd names: %d data files" % len(dats))
for d in dats:
    lines = open(d).read().split("\n")[:-1]
    if len(lines) != 3:
        sys.exit("plot: odd names: %s has %d lines, want 3" % (d, len(lines)))
    for l in lines:
        if not row.fullmatch(l):
            sys.exit("plot: odd names: %s: malformed line %r" % (d, l))
PY
# A numeric cell that is not a finite number is refused in one line naming
# the row and the column, not dropped from the plot.
for bad in overhead=abc guest_mips=inf exit.IO_INSTRUCTION=12x; do
	col=${bad%%=*} val=${bad#*=}
	edit "$tmp/num-$col" "
if r['workload'] == 'in' and r['strategy'] == 'trap+shadow': r['$col'] = '$val'"
	rc=0
	"$VMMSIM" plot "$tmp/num-$col" 2> "$tmp/err" || rc=$?
	[ $rc -eq 2 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] &&
		grep -qF "results.csv: data row" "$tmp/err" &&
		grep -qF "(in under trap+shadow): $col: '$val'" "$tmp/err" ||
		fail "$col=$val: exit $rc: $(cat "$tmp/err")"
done
exit 0
