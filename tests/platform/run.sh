#!/bin/bash
# Runs the apic platform kernel under QEMU and under vmmsim and compares
# their serial output line for line, twice: plain, and with "rx ide" (a
# line of serial input, and two disks: primary master and slave).
#
# QEMU's firmware swallows serial input that arrives while it boots, so
# QEMU gets the line only once the kernel has printed its prompt; vmmsim
# reads it from --serial-in, paced in modeled time.
#
# usage: run.sh [KERNEL.elf]   (VMMSIM: the vmmsim binary; QEMU: qemu-system-i386)
# Exit status: 0 when both runs match and every check passed.
set -u
build=${VMMSIM_BUILD:-$(cd "$(dirname "$0")/../../build-plat" 2>/dev/null && pwd)}
kernel=${1:-$build/guest/platform/apic.elf}
vmmsim=${VMMSIM:-$build/vmmsim}
qemu=${QEMU:-qemu-system-i386}
line="hello from a script"

for f in "$kernel" "$vmmsim"; do
	if [ ! -r "$f" ]; then
		echo "run.sh: cannot read $f" >&2
		exit 2
	fi
done
tmp=$(mktemp -d /tmp/vmmsim-platform-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# Two small images whose sectors are filled with tag ^ sector number.
python3 - "$tmp" <<'EOF'
import sys
for i, tag in enumerate((0xa0, 0xb0)):
    with open(f"{sys.argv[1]}/disk{i}.img", "wb") as f:
        f.write(b"".join(bytes([tag ^ n]) * 512 for n in range(64)))
EOF
printf '%s\n' "$line" > "$tmp/input.txt"

guest_lines() {
	tr -d '\r' | awk 'found { print; next }
		(i = index($0, "platform apic")) { found = 1; print substr($0, i) }'
}

run_qemu() {
	local append=$1 raw=$tmp/qemu.raw writer
	shift
	: > "$raw"
	mkfifo "$tmp/in"
	(
		exec 3> "$tmp/in"
		if [ -n "$append" ]; then
			for _ in $(seq 600); do
				grep -q "waiting for a line" "$raw" && break
				sleep 0.1
			done
			printf '%s\n' "$line" >&3
		fi
		sleep 60
	) &
	writer=$!
	timeout -k 5 60 "$qemu" -kernel "$kernel" -append "$append" "$@" -nographic \
		-no-reboot -m 64 -device isa-debug-exit,iobase=0xf4,iosize=4 \
		< "$tmp/in" > "$raw" 2>/dev/null
	local status=$?
	kill "$writer" 2>/dev/null
	wait "$writer" 2>/dev/null
	rm -f "$tmp/in"
	guest_lines < "$raw"
	return $status
}

run_vmmsim() {
	local append=$1
	shift
	timeout -k 5 300 "$vmmsim" run -q -w "$kernel" --append "$append" "$@" | guest_lines
	return "${PIPESTATUS[0]}"
}

# compare NAME APPEND [IMAGE...]: images become primary master, then slave.
compare() {
	local name=$1 append=$2 qs vs i=0 img
	local qargs=() vargs=()
	shift 2
	for img in "$@"; do
		qargs+=(-drive "file=$img,format=raw,if=ide,index=$i")
		vargs+=(--disk "$img")
		i=$((i + 1))
	done
	[ -n "$append" ] && vargs+=(--serial-in "$tmp/input.txt")
	run_qemu "$append" "${qargs[@]}" > "$tmp/q.txt"
	qs=$?
	run_vmmsim "$append" "${vargs[@]}" > "$tmp/v.txt"
	vs=$?
	echo "== $name: qemu status $qs (1: guest exit value 0), vmmsim status $vs"
	if diff -u --label qemu --label vmmsim "$tmp/q.txt" "$tmp/v.txt"; then
		echo "== $name: identical, $(wc -l < "$tmp/q.txt") lines"
	else
		fail=1
	fi
	if [ "$qs" -ne 1 ] || [ "$vs" -ne 0 ] || ! grep -q " 0 failed, 0 unexpected" "$tmp/v.txt"; then
		fail=1
	fi
}

fail=0
compare plain ""
compare "rx ide" "rx ide" "$tmp/disk0.img" "$tmp/disk1.img"
exit $fail
