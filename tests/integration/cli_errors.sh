#!/bin/bash
# Bad input never crashes or hangs: every case below must end with its exit
# status (2 for usage and input, 3 for a wedged guest) and, for status 2,
# exactly one line on stderr naming the problem.
set -u
vmmsim=${VMMSIM:?} build=${VMMSIM_BUILD:?}
guests=$build/guest
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

expect() {	# expect STATUS PATTERN -- ARGS...: runs vmmsim ARGS
	local want=$1 pat=$2
	shift 3
	timeout -k 5 120 "$vmmsim" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	local rc=$? lines
	lines=$(wc -l <"$tmp/err")
	if [ $rc -ne "$want" ]; then
		echo "FAIL vmmsim $*: exit $rc, want $want: $(head -2 "$tmp/err")"
		fail=$((fail + 1))
	elif [ "$want" -eq 2 ] && [ "$lines" -ne 1 ]; then
		echo "FAIL vmmsim $*: $lines lines on stderr, want one"
		fail=$((fail + 1))
	elif ! grep -q -- "$pat" "$tmp/err"; then
		echo "FAIL vmmsim $*: stderr does not say '$pat': $(head -1 "$tmp/err")"
		fail=$((fail + 1))
	fi
}

head -c 100 /dev/urandom >"$tmp/junk.elf"
head -c 200 "$guests/workloads/compute.elf" >"$tmp/short.elf"
printf '[machine]\nclock_ghz = 3\n[native]\ninsn = banana\n' >"$tmp/bad.ini"
sed 's/^walk_ref = 27 .*/walk_ref = 27\nwalk_ref = 28/' \
	"${VMMSIM_ROOT:?}/bench/costs/era2006.ini" >"$tmp/twice.ini"

expect 2 "unknown command"	-- frobnicate
expect 2 "unknown option"	-- run --frob
expect 2 "no workload"		-- run
expect 2 "no such workload"	-- run -w nosuchworkload
expect 2 "cannot open"		-- run -w "$tmp/missing.elf"
expect 2 "not an ELF"		-- run -w "$tmp/junk.elf"
expect 2 "$tmp/short.elf"	-- run -w "$tmp/short.elf"
expect 2 "no such strategy"	-- run -w compute -s warp
expect 2 "--mem"		-- run -w compute --mem 0
expect 2 "--mem"		-- run -w compute --mem lots
expect 2 "--max-insns"		-- run -w compute --max-insns -5
expect 2 "--isa"		-- run -w compute --isa arm
expect 2 "virtualizable needs a monitor" -- run -w compute --isa virtualizable
expect 2 "bad.ini:4: native.insn" -- run -w compute --cost "$tmp/bad.ini"
expect 2 "given twice"		-- run -w compute --cost "$tmp/twice.ini"
expect 2 "nosuchmodel.ini"	-- run -w compute --cost nosuchmodel
expect 2 "none.img"		-- run -w diskpio --disk "$tmp/none.img"
expect 2 "--serial-in"		-- run -w compute --serial-in "$tmp/none.txt"
expect 2 "needs --serial-in"	-- run -w compute --serial-wait '$ '
expect 2 "--serial-wait: give 1 to 64" -- run -w compute --serial-in /dev/null \
	--serial-wait "$(printf 'x%.0s' $(seq 65))"
expect 2 "unknown list"		-- list everything
expect 2 "--mem 4294967296: guest RAM must be" -- run -w compute --mem 4294967296
expect 2 "longer than"		-- run -w "$tmp/$(printf 'x%.0s' $(seq 5000)).elf"
expect 2 "is a directory"	-- run -w compute --serial-in "$tmp"
expect 2 "--json /dev/full: write failed" -- run -q -w compute --append iters=1 --json /dev/full
expect 2 "--trace /dev/full: write failed" -- run -q -w syscall -s trap+shadow --no-baseline \
	--append iters=10 --trace /dev/full
"$vmmsim" run -q -w compute --append iters=1 >/dev/full 2>"$tmp/err"
if [ $? -ne 2 ] || ! grep -q "standard output: write failed" "$tmp/err"; then
	echo "FAIL vmmsim run >/dev/full: $(head -1 "$tmp/err")"
	fail=$((fail + 1))
fi
# Wedged guests: status 3 with a register dump.
expect 3 "triple fault"		-- run -w "$guests/conformance/triple.elf"
expect 3 "budget"		-- run -w compute --max-insns 10000
expect 3 "eip="			-- run -w compute --max-insns 10000 -s trap+shadow
# A REP string instruction with a huge count, in a loop, spends the budget
# by its iterations: --max-insns stops it, under every strategy.
cat >"$tmp/rep.S" <<'ASM'
	.text
	.globl _start
	.align 4
	.long 0x1BADB002, 0, -0x1BADB002
_start:	mov $0x90000, %esp
	mov $0x3f8, %dx
1:	mov $0x100000, %esi
	mov $0x7fffffff, %ecx
	rep outsb
	mov $0x100000, %esi
	mov $0xffffffff, %ecx
	rep lodsb
	jmp 1b
ASM
if gcc -m32 -nostdlib -static -Wl,-Ttext=0x100000 -Wl,--build-id=none \
	-o "$tmp/rep.elf" "$tmp/rep.S"; then
	for s in native fullsim trap+shadow; do
		expect 3 "budget of 300000 spent" -- run -w "$tmp/rep.elf" -s $s --no-baseline \
			--max-insns 300000
	done
else
	echo "FAIL cannot build the REP guest"
	fail=$((fail + 1))
fi
echo "cli errors: $fail failure(s)"
[ "$fail" -eq 0 ]
