#!/usr/bin/env bash
# What goes wrong in a matrix is a row, never a crash of the matrix: a
# missing kernel (failed, with the run's own message), a spent instruction
# budget (budget), a guest that diverges under trap-and-emulate (popf:
# diverged, output differs from native). Bad options and values are one
# line on stderr and exit status 2. Ctrl-C stops the workers (exit 130)
# and writes no results.
set -euo pipefail
: "${VMMSIM:?set by ctest}" "${VMMSIM_BUILD:?set by ctest}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "matrix_failures: $*" >&2; exit 1; }

# A workload directory holding only compute (cr3wr's kernel is missing).
mkdir "$tmp/wl"
ln -s "$VMMSIM_BUILD/guest/workloads/compute.elf" "$tmp/wl/compute.elf"
VMMSIM_WORKLOADS="$tmp/wl" "$VMMSIM" matrix -w compute,cr3wr -s trap+shadow -j 2 -o "$tmp/a" \
	--append-for compute=iters=1 2> "$tmp/a.log" || fail "matrix with a missing kernel: exit $?"

"$VMMSIM" matrix -w compute -s trap+shadow -j 2 -o "$tmp/b" --max-insns 200000 2> "$tmp/b.log" ||
	fail "matrix with a budget: exit $?"

"$VMMSIM" matrix -w popf -s trap+shadow -j 2 -o "$tmp/c" --append-for popf=iters=2 \
	2> "$tmp/c.log" || fail "matrix with popf: exit $?"

python3 - "$tmp" <<'EOF'
import csv, sys
def rows(d):
    with open(d + "/results.csv", newline="") as f:
        return {(r["workload"], r["strategy"]): r for r in csv.DictReader(f)}
def check(cond, what):
    if not cond:
        sys.exit("matrix_failures: " + what)
t = sys.argv[1]
a = rows(t + "/a")
check(len(a) == 4, "4 rows with the missing kernel")
for s in ["trap+shadow", "native"]:
    r = a[("cr3wr", s)]
    check(r["status"] == "failed", "cr3wr %s: %s" % (s, r["status"]))
    check("cr3wr.elf" in r["message"] and "cannot open" in r["message"], "message: " + r["message"])
    check(r["modeled_cycles"] == "" and r["output_ok"] == "" and r["overhead"] == "",
          "a failed row has no numbers")
    check(a[("compute", s)]["status"] == "ok", "compute beside it still runs")
b = rows(t + "/b")
for s in ["trap+shadow", "native"]:
    r = b[("compute", s)]
    check(r["status"] == "budget", "compute %s with --max-insns: %s" % (s, r["status"]))
    check(r["guest_insns"] != "" and "budget" in r["message"], "budget row: " + r["message"])
    check(r["overhead"] == "", "no overhead without a native run that finished")
c = rows(t + "/c")
r = c[("popf", "trap+shadow")]
check(r["status"] == "diverged" and r["output_ok"] == "no" and r["exit_value"] == "1",
      "popf under trap+shadow: %s output_ok %s" % (r["status"], r["output_ok"]))
check(c[("popf", "native")]["status"] == "ok", "popf native")
EOF

# Usage errors: exactly one line, exit status 2.
usage() {
	local rc=0
	"$VMMSIM" "$@" > /dev/null 2> "$tmp/err" || rc=$?
	[ $rc -eq 2 ] || fail "vmmsim $*: exit $rc, expected 2"
	[ "$(wc -l < "$tmp/err")" -eq 1 ] || fail "vmmsim $*: not one line: $(cat "$tmp/err")"
	grep -q "^vmmsim $1: " "$tmp/err" || fail "vmmsim $*: $(cat "$tmp/err")"
}
usage matrix -w nosuch
usage matrix -s nosuch
usage matrix -j 0
usage matrix --repeat 0
usage matrix --repeat x
usage matrix --cost nosuch
usage matrix --isa arm
usage matrix --isa virtualizable -s native
usage matrix --append-for compute
usage matrix --append-for nosuch=iters=1
usage matrix --max-insns -5
usage matrix --timeout x
usage matrix --bogus
usage matrix extra
usage matrix -o
usage plot
usage plot a b
usage plot "$tmp/nonexistent"
usage report --cost nosuch
usage report -j x
usage report --bogus
"$VMMSIM" matrix --help | grep -q "^usage: vmmsim matrix" || fail "matrix --help"
"$VMMSIM" report --help | grep -q "^usage: vmmsim report" || fail "report --help"
"$VMMSIM" plot --help | grep -q "^usage: vmmsim plot" || fail "plot --help"

# Ctrl-C: the workers go, the matrix says so and writes no results.
"$VMMSIM" matrix -w in,ptemod,forkwait -s trap+shadow -j 2 -o "$tmp/int" 2> "$tmp/int.log" &
pid=$!
for _ in $(seq 100); do
	[ -n "$(ls "$tmp/int/runs" 2> /dev/null)" ] && break
	sleep 0.05
done
sleep 0.3
kill -INT $pid
rc=0
wait $pid || rc=$?
[ $rc -eq 130 ] || fail "interrupted matrix: exit $rc, expected 130"
grep -q "interrupted" "$tmp/int.log" || fail "no word of the interruption"
[ ! -e "$tmp/int/results.csv" ] || fail "an interrupted matrix wrote results"
sleep 0.2
if pgrep -f "$tmp/int/runs" > /dev/null; then
	fail "workers survived the interruption"
fi
exit 0
