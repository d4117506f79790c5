#!/bin/bash
# Proves the machine matches the oracle: every conformance kernel prints,
# byte for byte, the same under vmmsim (native) as under QEMU TCG and as its
# reviewed expected output; sdm_vs_qemu, whose expected output holds the
# SDM's answers where QEMU departs from them, must match under vmmsim.
set -u
vmmsim=${VMMSIM:?} build=${VMMSIM_BUILD:?} root=${VMMSIM_ROOT:?}
dir=$build/guest/conformance
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0

for exp in "$root"/tests/conformance/expected/*.out; do
	name=$(basename "$exp" .out)
	elf=$dir/$name.elf
	n=$((n + 1))
	timeout -k 5 120 "$vmmsim" run -q -w "$elf" >"$tmp/v.out" 2>"$tmp/v.err"
	if ! cmp -s "$tmp/v.out" "$exp"; then
		echo "FAIL $name: vmmsim differs from the expected output"
		diff "$tmp/v.out" "$exp" | head -10
		fail=$((fail + 1))
		continue
	fi
	[ "$name" = sdm_vs_qemu ] && continue
	"$root/tests/conformance/run-qemu.sh" "$elf" 60 >"$tmp/q.out" 2>/dev/null
	if ! cmp -s "$tmp/v.out" "$tmp/q.out"; then
		echo "FAIL $name: vmmsim and QEMU print different lines"
		diff "$tmp/v.out" "$tmp/q.out" | head -10
		fail=$((fail + 1))
	fi
done
echo "conformance vs QEMU: $((n - fail)) of $n kernels identical"
[ "$fail" -eq 0 ]
