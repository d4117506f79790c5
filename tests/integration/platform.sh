#!/bin/bash
# The APIC-era platform (MP tables, local APIC, I/O APIC, COM1 receive, two
# disks): the apic kernel prints the same under vmmsim as under QEMU TCG,
# plain and driven by serial input with two disks (tests/platform/run.sh),
# and the same again under trap+shadow, where LAPIC/IOAPIC accesses are
# emulated MMIO exits.
set -u
vmmsim=${VMMSIM:?} build=${VMMSIM_BUILD:?} root=${VMMSIM_ROOT:?}
kernel=$build/guest/platform/apic.elf
"$root/tests/platform/run.sh" "$kernel" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$vmmsim" run -q -w "$kernel" >"$tmp/n.out" || exit 1
"$vmmsim" run -q -s trap+shadow -w "$kernel" --json "$tmp/t.json" >"$tmp/t.out" || {
	echo "FAIL: apic kernel under trap+shadow"; exit 1; }
cmp -s "$tmp/n.out" "$tmp/t.out" || { echo "FAIL: trap+shadow output differs";
	diff "$tmp/n.out" "$tmp/t.out" | head; exit 1; }
mmio=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["modeled"]["exits"]["MMIO"]["samples"])' "$tmp/t.json")
[ "$mmio" -gt 0 ] || { echo "FAIL: no MMIO exits counted"; exit 1; }
echo "platform: identical to QEMU, and under trap+shadow with $mmio MMIO exits"
