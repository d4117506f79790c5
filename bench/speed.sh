#!/usr/bin/env bash
# Host speed of the simulator against QEMU TCG, measured in the same run:
# guest MIPS of vmmsim (native strategy, every counter on) and of QEMU on
#   - compute:   a compute-bound ring-3 kernel (sorting, hashing, matmul)
#   - tlbstress: paging on, random read-modify-writes over 64 MiB (16384
#                4 KiB pages), which misses every TLB
# and vmmsim's peak resident size against guest RAM.
#
# QEMU does not count instructions, so its MIPS come from vmmsim's exact
# instruction counts of the same kernel (the guest executes the same
# instructions on both): (I_big - I_small) / (T_big - T_small), which also
# cancels QEMU's start-up time.
#
# usage: bench/speed.sh [BUILD_DIR]      (default: build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-${VMMSIM_BUILD:-$root/build}}
vmmsim=$build/vmmsim
guests=$build/guest/workloads
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for tool in qemu-system-i386 python3 /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "speed.sh: $tool is missing" >&2; exit 2; }
done
[ -x "$vmmsim" ] || { echo "speed.sh: no $vmmsim (build first)" >&2; exit 2; }

# field FILE PATH: a value from a run's JSON
field() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("/"): d=d[k]
print(d)' "$1" "$2"
}

vmm_run() {	# vmm_run NAME MEM ARGS OUT.json
	/usr/bin/time -f %M -o "$tmp/rss" "$vmmsim" run -q -w "$guests/$1.elf" --mem "$2" \
		--append "$3" --json "$4" >/dev/null
}

qemu_time() {	# qemu_time NAME MEM ARGS: wall seconds of a whole QEMU run
	local t0 t1
	t0=$(date +%s.%N)
	timeout 300 qemu-system-i386 -kernel "$guests/$1.elf" -append "$3" -m "$2" \
		-display none -vga none -nic none -serial null -monitor none -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=4 </dev/null || true
	t1=$(date +%s.%N)
	python3 -c "print($t1 - $t0)"
}

printf '%-10s %14s %14s %8s %12s\n' kernel "vmmsim MIPS" "QEMU TCG MIPS" ratio "peak RSS"
bench() {	# bench NAME MEM SMALL_ARGS BIG_ARGS
	local name=$1 mem=$2 small=$3 big=$4
	vmm_run "$name" "$mem" "$small" "$tmp/s.json"
	vmm_run "$name" "$mem" "$big" "$tmp/b.json"
	local rss; rss=$(cat "$tmp/rss")
	local is ib sec
	is=$(field "$tmp/s.json" counters/vm.cpu.insns)
	ib=$(field "$tmp/b.json" counters/vm.cpu.insns)
	sec=$(field "$tmp/b.json" host/seconds)
	local qs qb
	qs=$(qemu_time "$name" "$mem" "$small")
	qb=$(qemu_time "$name" "$mem" "$big")
	python3 - "$name" "$mem" "$is" "$ib" "$sec" "$qs" "$qb" "$rss" <<'PY'
import sys
name, mem, i_s, i_b, sec, q_s, q_b, rss = sys.argv[1:]
i_s, i_b, sec, q_s, q_b = int(i_s), int(i_b), float(sec), float(q_s), float(q_b)
vm = i_b / sec / 1e6
qm = (i_b - i_s) / max(q_b - q_s, 1e-3) / 1e6
print(f"{name:<10} {vm:14.1f} {qm:14.1f} {vm / qm:8.3f} {int(rss) / 1024:7.0f} MiB"
      f" (guest RAM {mem} MiB)")
PY
}
bench compute 64 "iters=10" "iters=600"
bench tlbstress 128 "pages=16384 iters=1000" "pages=16384 iters=4000000"
