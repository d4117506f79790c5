#!/bin/bash
# Modeled numbers are deterministic on any machine and in any build: every
# counter, every exit reason and the modeled cycles of a few workloads under
# each strategy equal the reference dumps kept in tests/expected/counters/
# (written by a Release build). A difference means the model changed: if it
# did so on purpose, rewrite the references with
#   VMMSIM=build/vmmsim VMMSIM_ROOT=. tests/integration/counters_reference.sh --update
# and say why in the commit.
set -u
vmmsim=${VMMSIM:?} root=${VMMSIM_ROOT:?}
source "$root/tests/integration/sizes.inc"
ref=$root/tests/expected/counters
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
update=0
[ "${1:-}" = --update ] && update=1 && mkdir -p "$ref"
fail=0

dump() {
	python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rows = [("outcome", d["result"]["outcome"]), ("exit_value", d["result"]["exit_value"]),
        ("diverged", d["result"]["diverged"]), ("modeled.cycles", d["modeled"]["cycles"])]
rows += [("modeled." + k, v) for k, v in sorted(d["modeled"]["components"].items())]
for r, e in sorted(d["modeled"]["exits"].items()):
    rows += [("exits.%s.%s" % (r, k), e[k]) for k in ("samples", "cycles", "min", "max")]
rows += sorted(d["counters"].items())
for k, v in rows:
    print(k, v)
PY
}

for w in pgfault in forkwait tlbstress popf; do
	for s in native fullsim trap+shadow binxlate+shadow hwassist+nested; do
		name=$w.${s/+/-}
		"$vmmsim" run -q -w "$w" -s "$s" --no-baseline --append "${args[$w]}" \
			--json "$tmp/$name.json" >/dev/null
		st=$?
		# popf under trap+shadow is meant to diverge (exit status 1).
		if [ $st -gt 1 ]; then
			echo "FAIL: $w under $s: status $st"
			fail=1
			continue
		fi
		dump "$tmp/$name.json" >"$tmp/$name.txt" || { fail=1; continue; }
		if [ $update = 1 ]; then
			cp "$tmp/$name.txt" "$ref/$name.txt"
		elif ! diff -u "$ref/$name.txt" "$tmp/$name.txt" >"$tmp/$name.diff"; then
			echo "FAIL: $w under $s: counters differ from tests/expected/counters/$name.txt"
			head -20 "$tmp/$name.diff"
			fail=1
		fi
	done
done
[ $fail = 0 ] && echo "every counter matches its reference"
exit $fail
