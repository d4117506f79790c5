#!/usr/bin/env bash
# Runs one guest kernel under QEMU, the oracle: qemu-run.sh NAME|FILE.elf
# [qemu args...]. NAME is looked up in the guest build's workloads/ folder
# ($GUEST_DIR, else $VMMSIM_BUILD/guest/workloads, else build/guest/workloads
# of the tree). The guest's serial output (COM1) goes to stdout; the exit
# status is the guest's exit value (what it wrote to the isa-debug-exit
# port), 124 when QEMU had to be killed after $QEMU_TIMEOUT seconds
# (default 60), 125 when QEMU failed or the guest never reached the port.
# Example: qemu-run.sh syscall -append "iters=1000"
#
# Without arguments (as ctest runs every script here) it checks itself:
# the exit value must come through for a passing and a failing guest.
set -uo pipefail

self=$0
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ $# -lt 1 ]; then
	out=$("$self" syscall -append "iters=100")
	rc=$?
	if [ $rc -ne 0 ] || ! grep -qx "result: ok" <<<"$out"; then
		echo "$0: syscall iters=100 gave exit $rc:" >&2
		echo "$out" >&2
		exit 1
	fi
	out=$("$self" syscall -append "iters=banana")
	rc=$?
	if [ $rc -ne 1 ] || [ "$out" != "result: FAIL bad parameter iters" ]; then
		echo "$0: syscall iters=banana gave exit $rc: $out" >&2
		exit 1
	fi
	echo "qemu-run: 2 passed, 0 failed"
	exit 0
fi
kernel=$1
shift
if [ ! -f "$kernel" ]; then
	dir=${GUEST_DIR:-${VMMSIM_BUILD:-$root/build}/guest/workloads}
	kernel=$dir/$kernel.elf
fi
if [ ! -f "$kernel" ]; then
	echo "$0: no guest kernel $kernel (build the guests first)" >&2
	exit 2
fi

# Not -nographic: it makes SeaBIOS and iPXE print their banners on the
# serial line too. Stdin from /dev/null: QEMU leaves the terminal alone.
timeout -k 5 "${QEMU_TIMEOUT:-60}" qemu-system-i386 -kernel "$kernel" \
	-display none -vga none -nic none -serial stdio -monitor none \
	-no-reboot -m 64 -device isa-debug-exit,iobase=0xf4,iosize=4 \
	"$@" </dev/null
rc=$?
case $rc in
124|137)
	echo "$0: QEMU killed after ${QEMU_TIMEOUT:-60} s" >&2
	exit 124 ;;
esac
# isa-debug-exit makes QEMU exit with (value << 1) | 1; any other status
# means the guest ended some other way (triple fault, QEMU error).
if [ $((rc & 1)) -eq 0 ]; then
	echo "$0: QEMU exited with status $rc without a debug-exit write" >&2
	exit 125
fi
exit $((rc >> 1))
