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
# Under nested paging every access to the APIC's registers exits too.
"$vmmsim" run -q -s hwassist+nested -w "$kernel" --json "$tmp/h.json" >"$tmp/h.out" || {
	echo "FAIL: apic kernel under hwassist+nested"; exit 1; }
cmp -s "$tmp/n.out" "$tmp/h.out" || { echo "FAIL: hwassist+nested output differs";
	diff "$tmp/n.out" "$tmp/h.out" | head; exit 1; }
hmmio=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["modeled"]["exits"]["MMIO"]["samples"])' "$tmp/h.json")
[ "$hmmio" -gt 0 ] || { echo "FAIL: no MMIO exits counted under hwassist+nested"; exit 1; }
# A kernel that panics on the CGA screen and spins with interrupts off: the
# run ends as wedged as soon as it spins (not when the budget is spent),
# and the register dump shows what the screen says.
"$vmmsim" run -q -w "$kernel" --append wedge >/dev/null 2>"$tmp/w.err"
rc=$?
[ $rc -eq 3 ] || { echo "FAIL: wedge: exit $rc, want 3"; exit 1; }
grep -q "the guest spins for ever: JMP to itself" "$tmp/w.err" ||
	{ echo "FAIL: wedge: the spin is not named"; head -2 "$tmp/w.err"; exit 1; }
grep -q "CGA text screen (0xb8000), rows 3-3:" "$tmp/w.err" &&
	grep -q "|panic: the apic kernel wedged on purpose$" "$tmp/w.err" ||
	{ echo "FAIL: wedge: the dump does not show the CGA screen"; tail -5 "$tmp/w.err"; exit 1; }
echo "platform: identical to QEMU, and under trap+shadow with $mmio MMIO exits"
