#!/usr/bin/env bash
# Cross-checks every workload of workloads/WORKLOADS between QEMU (the
# oracle, through qemu-run.sh) and vmmsim: each runs at a small size on
# both, the disk workloads each on a fresh scratch image (same content for
# both runs), and the serial outputs must match byte for byte. QEMU must
# also say "result: ok" and exit with 0. The disk workloads run once more
# without a disk, where both must say "result: FAIL no disk".
#
# Environment (ctest sets the first two): VMMSIM, the vmmsim binary;
# VMMSIM_BUILD, the build tree whose guest/workloads/ holds the kernels;
# GUEST_DIR overrides that folder; XCHECK_STRATEGY, if set, is passed to
# vmmsim as -s (the default is vmmsim's own, native). While $VMMSIM is not built yet, the
# script says so and checks the QEMU half alone, running each workload
# twice on QEMU, which must print the same bytes both times.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${VMMSIM_BUILD:-$root/build}
export GUEST_DIR=${GUEST_DIR:-$build/guest/workloads}
export QEMU_TIMEOUT=${QEMU_TIMEOUT:-60}
vmmsim=${VMMSIM:-$build/vmmsim}
vmmsim_timeout=${VMMSIM_TIMEOUT:-120}

# Small sizes (args[NAME]): a few million guest instructions each.
. "$here/sizes.inc"
disk_mib=4

if ! command -v qemu-system-i386 >/dev/null; then
	echo "xcheck: qemu-system-i386 is not installed (scripts/deps.sh installs it)" >&2
	exit 1
fi
if [ ! -d "$GUEST_DIR" ]; then
	echo "xcheck: no guest kernels in $GUEST_DIR (build first)" >&2
	exit 1
fi
have_vmmsim=1
if [ ! -x "$vmmsim" ]; then
	have_vmmsim=0
	echo "xcheck: $vmmsim is not built: checking the QEMU half alone (twice)"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A scratch disk with the same non-zero content every time.
scratch() {
	yes "vmmsim scratch disk" | head -c $((disk_mib << 20)) >"$1"
}

passed=0
failed=0
report() {
	if [ "$1" -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok   $2"
	else
		failed=$((failed + 1))
		echo "FAIL $2"
	fi
}

# check LABEL NAME ARGS WANT_RESULT USE_DISK
check() {
	local label=$1 name=$2 a=$3 want=$4 disk=$5
	local q="$tmp/$label.qemu" v="$tmp/$label.vmmsim" rc qopts=() vopts=()

	if [ "$disk" = 1 ]; then
		scratch "$tmp/$label.qemu.img"
		scratch "$tmp/$label.vmmsim.img"
		qopts=(-drive "file=$tmp/$label.qemu.img,format=raw,if=ide")
		vopts=(--disk "$tmp/$label.vmmsim.img")
	fi
	"$here/qemu-run.sh" "$name" -append "$a" "${qopts[@]}" >"$q" 2>"$q.err"
	rc=$?
	if ! grep -qx "$want" "$q" || [ $rc -ne $([ "$want" = "result: ok" ] && echo 0 || echo 1) ]; then
		echo "xcheck: $label on QEMU (exit $rc) did not end with '$want':" >&2
		cat "$q" "$q.err" >&2
		report 1 "$label"
		return
	fi
	if [ $have_vmmsim = 1 ]; then
		# The file, not the name: both runs must boot the very same image.
		timeout -k 5 "$vmmsim_timeout" "$vmmsim" run -q -w "$GUEST_DIR/$name.elf" \
			--append "$a" ${XCHECK_STRATEGY:+-s "$XCHECK_STRATEGY"} "${vopts[@]}" \
			>"$v" 2>"$v.err"
		rc=$?
		if [ $rc -ne 0 ]; then
			echo "xcheck: $label: vmmsim exited with $rc:" >&2
			cat "$v.err" >&2
		fi
	else
		if [ "$disk" = 1 ]; then
			scratch "$tmp/$label.qemu.img"
		fi
		"$here/qemu-run.sh" "$name" -append "$a" "${qopts[@]}" >"$v" 2>"$v.err"
		rc=0
	fi
	if ! cmp -s "$q" "$v"; then
		echo "xcheck: $label: outputs differ (- QEMU, + $([ $have_vmmsim = 1 ] && echo vmmsim || echo 'QEMU again')):" >&2
		diff -u --label qemu --label other "$q" "$v" >&2
		rc=1
	fi
	report $rc "$label"
}

while IFS=$'\t' read -r name _; do
	case $name in
	'' | '#'*) continue ;;
	esac
	if [ -z "${args[$name]+set}" ]; then
		echo "xcheck: no small size for workload $name: add it to $0" >&2
		report 1 "$name"
		continue
	fi
	case $name in
	disk*)
		check "$name" "$name" "${args[$name]}" "result: ok" 1
		check "$name-nodisk" "$name" "${args[$name]}" "result: FAIL no disk" 0
		;;
	*)
		check "$name" "$name" "${args[$name]}" "result: ok" 0
		;;
	esac
done <"$root/workloads/WORKLOADS"

echo "xcheck: $passed passed, $failed failed"
[ $failed -eq 0 ]
