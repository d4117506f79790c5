#!/bin/bash
# Proves the monitor is transparent where x86 lets it be, and reports where
# it cannot be: under trap+shadow every conformance kernel prints exactly
# its native output, except the kernels that probe x86's sensitive
# unprivileged instructions (POPF, PUSHF, MOV from CS/SS...). Those must
# differ and the run must report the divergence; with --isa virtualizable
# (the Popek-Goldberg x86) they must print the native output again.
# Under hwassist+nested every kernel prints its native output; so it does
# under binxlate+shadow, where kernel code runs translated, except the
# sensitive kernel's probes from CPL 3 (user code runs untranslated, as
# VMware ran it), which must be reported.
# toplinear uses the top 4 MiB, where the monitor keeps its own tables:
# the window must be lent to it (WINDOW_ACCESS exits), and its one LSL
# that takes a selector from there, which would read the monitor's GDT,
# must be reported as a truncation divergence on x86.
set -u
vmmsim=${VMMSIM:?} build=${VMMSIM_BUILD:?} root=${VMMSIM_ROOT:?}
dir=$build/guest/conformance
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
sensitive=" ring sensitive stack system toplinear "

flag() {	# flag FILE KEY: prints the boolean/number at "KEY" in run JSON
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["result"]["diverged"] if sys.argv[2]=="diverged" else d["counters"][sys.argv[2]])' "$1" "$2"
}

check() {	# check NAME MSG: records a failure
	echo "FAIL $1: $2"
	fail=$((fail + 1))
}

for exp in "$root"/tests/conformance/expected/*.out; do
	name=$(basename "$exp" .out)
	elf=$dir/$name.elf
	timeout -k 5 120 "$vmmsim" run -q -s trap+shadow -w "$elf" --json "$tmp/t.json" \
		>"$tmp/t.out" 2>"$tmp/t.err"
	rc=$? want=0
	[ "$name" = triple ] && want=3	# it ends in a triple fault by design
	[ $rc -eq $want ] || check "$name" "trap+shadow exit status $rc: $(head -1 "$tmp/t.err")"
	if [[ $sensitive == *" $name "* ]]; then
		cmp -s "$tmp/t.out" "$exp" && check "$name" "x86 sensitive instructions did not show"
		[ "$(flag "$tmp/t.json" diverged)" = True ] || check "$name" "divergence not reported"
		timeout -k 5 120 "$vmmsim" run -q -s trap+shadow --isa virtualizable -w "$elf" \
			>"$tmp/v.out" 2>/dev/null
		cmp -s "$tmp/v.out" "$exp" || check "$name" "differs from native on the virtualizable ISA"
		if [ "$name" = toplinear ]; then
			[ "$(flag "$tmp/t.json" vm.mon.diverged_truncation)" -gt 0 ] ||
				check "$name" "segment truncation not reported"
			[ "$(flag "$tmp/t.json" vm.mon.exits.WINDOW_ACCESS)" -gt 0 ] ||
				check "$name" "no WINDOW_ACCESS exits"
			[ "$(diff "$tmp/t.out" "$exp" | grep -c '^<')" = 2 ] ||
				check "$name" "more than the LSL line differs from native"
		fi
	else
		# (Their runtime's PUSHF does see the real IF, and that is
		# reported, but they mask it, so their output must not change.)
		cmp -s "$tmp/t.out" "$exp" || { check "$name" "differs from native";
			diff "$tmp/t.out" "$exp" | head -6; }
	fi
done

# Under hardware assist the guest runs at its own privilege levels on its
# own tables: every kernel, the sensitive ones too, prints its native
# output, and nothing is reported as diverged.
for exp in "$root"/tests/conformance/expected/*.out; do
	name=$(basename "$exp" .out)
	timeout -k 5 120 "$vmmsim" run -q -s hwassist+nested -w "$dir/$name.elf" \
		--json "$tmp/h.json" >"$tmp/h.out" 2>"$tmp/h.err"
	rc=$? want=0
	[ "$name" = triple ] && want=3
	[ $rc -eq $want ] || check "$name" "hwassist+nested exit status $rc: $(head -1 "$tmp/h.err")"
	cmp -s "$tmp/h.out" "$exp" || check "$name" "hwassist+nested differs from native"
	[ "$(flag "$tmp/h.json" diverged)" = False ] ||
		check "$name" "hwassist+nested reported a divergence"

	timeout -k 5 120 "$vmmsim" run -q -s binxlate+shadow -w "$dir/$name.elf" \
		--json "$tmp/b.json" >"$tmp/b.out" 2>"$tmp/b.err"
	rc=$?
	[ $rc -eq $want ] || check "$name" "binxlate+shadow exit status $rc: $(head -1 "$tmp/b.err")"
	if [ "$name" = sensitive ]; then
		diff "$tmp/b.out" "$exp" | grep '^<' | grep -v 'CPL 3' | grep -v '^< sensitive: ' |
			grep -q . && check "$name" "binxlate+shadow differs beyond the CPL 3 probes"
		[ "$(flag "$tmp/b.json" diverged)" = True ] ||
			check "$name" "binxlate+shadow: user-mode reveals not reported"
	else
		cmp -s "$tmp/b.out" "$exp" || check "$name" "binxlate+shadow differs from native"
	fi
done
echo "monitor conformance: $fail failure(s)"
[ "$fail" -eq 0 ]
