#!/bin/bash
# Write-flood unshadowing: forkwait frees and refills the page tables of
# exited processes. With the default --shadow-flood the shadow MMU stops
# tracing those pages after a few writes in a row (counted as unshadowed),
# so far fewer writes are traced than with --shadow-flood 0; the guest
# prints exactly what it prints natively either way, and the shadows still
# map only guest RAM (isolation is checked by the unit tests).
set -u
vmmsim=${VMMSIM:?} root=${VMMSIM_ROOT:?}
source "$root/tests/integration/sizes.inc"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
a=${args[forkwait]}

"$vmmsim" run -q -w forkwait --append "$a" >"$tmp/native.out" || fail=1
for f in 0 4; do
	"$vmmsim" run -q -w forkwait -s trap+shadow --shadow-flood $f --append "$a" \
		--json "$tmp/$f.json" >"$tmp/$f.out" || { echo "FAIL: flood $f: status $?"; fail=1; }
	cmp -s "$tmp/native.out" "$tmp/$f.out" || { echo "FAIL: flood $f: output differs"; fail=1; }
done
python3 - "$tmp" <<'PY' || fail=1
import json, sys
c = {f: json.load(open(f"{sys.argv[1]}/{f}.json"))["counters"] for f in ("0", "4")}
tw = {f: c[f]["vm.mon.traced_writes"] for f in c}
un = {f: c[f]["vm.mon.unshadowed"] for f in c}
ok = un["0"] == 0 and un["4"] > 0 and tw["4"] * 10 < tw["0"]
print(("" if ok else "FAIL: ") + "traced writes %d (flood 0) vs %d (flood 4), %d pages unshadowed"
      % (tw["0"], tw["4"], un["4"]))
sys.exit(0 if ok else 1)
PY
exit $fail
