#!/bin/bash
# Runs one conformance kernel under QEMU, prints its serial output and exits
# with the guest's exit value (0 = all checks passed, 1 = a check failed).
# QEMU's isa-debug-exit turns a guest write of V into host status 2V+1; a
# run that ends any other way (timeout, reset after a triple fault) exits
# with 124 (timeout) or 125.
#
# usage: run-qemu.sh KERNEL.elf [TIMEOUT_SECONDS]
set -u
kernel=${1:?usage: run-qemu.sh KERNEL.elf [TIMEOUT_SECONDS]}
limit=${2:-30}
qemu=${QEMU:-qemu-system-i386}

if [ ! -r "$kernel" ]; then
	echo "run-qemu.sh: cannot read $kernel" >&2
	exit 2
fi
# The firmware's banner shares the serial line; the guest's output starts
# with its "conformance NAME" header, so everything before that is dropped.
timeout -k 5 "$limit" "$qemu" -kernel "$kernel" -nographic -no-reboot \
	-m 64 -device isa-debug-exit,iobase=0xf4,iosize=4 </dev/null |
	awk 'found { print; next }
	     (i = index($0, "conformance ")) { found = 1; print substr($0, i) }'
status=${PIPESTATUS[0]}
case $status in
124|137)
	echo "run-qemu.sh: $kernel timed out after ${limit}s" >&2
	exit 124 ;;
esac
if [ $((status & 1)) -eq 1 ]; then
	exit $((status >> 1))
fi
echo "run-qemu.sh: $kernel did not exit through port 0xf4 (status $status)" >&2
exit 125
