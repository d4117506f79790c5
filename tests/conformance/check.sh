#!/bin/bash
# Runs every conformance kernel that has an expected/NAME.out and compares
# its serial output byte for byte with that file.
#
# usage: check.sh [--vmmsim PATH] ELF_DIR
#   without --vmmsim the kernels run under QEMU (run-qemu.sh); sdm_vs_qemu
#   is then skipped, since its expected file holds the SDM's answers, which
#   QEMU is known not to give (QEMU_DIFFERENCES.md).
# Ends with "conformance: N passed, M failed[, K skipped]"; exit status 1
# if any kernel's output differs.
set -u
here=$(cd "$(dirname "$0")" && pwd)
vmmsim=
if [ "${1:-}" = --vmmsim ]; then
	vmmsim=${2:?--vmmsim needs a path}
	shift 2
fi
dir=${1:?usage: check.sh [--vmmsim PATH] ELF_DIR}
pass=0 fail=0 skip=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

for exp in "$here"/expected/*.out; do
	name=$(basename "$exp" .out)
	elf=$dir/$name.elf
	if [ -z "$vmmsim" ] && [ "$name" = sdm_vs_qemu ]; then
		echo "SKIP $name (QEMU departs from the SDM here by design)"
		skip=$((skip + 1))
		continue
	fi
	if [ ! -r "$elf" ]; then
		echo "FAIL $name: $elf missing"
		fail=$((fail + 1))
		continue
	fi
	if [ -n "$vmmsim" ]; then
		timeout -k 5 120 "$vmmsim" run -q -w "$elf" >"$tmp" 2>/dev/null
	else
		"$here/run-qemu.sh" "$elf" >"$tmp" 2>/dev/null
	fi
	if cmp -s "$tmp" "$exp"; then
		echo "PASS $name"
		pass=$((pass + 1))
	else
		echo "FAIL $name: output differs from expected/$name.out"
		diff "$exp" "$tmp" | head -20
		fail=$((fail + 1))
	fi
done
if [ "$skip" -gt 0 ]; then
	echo "conformance: $pass passed, $fail failed, $skip skipped"
else
	echo "conformance: $pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
