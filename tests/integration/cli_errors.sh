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
# Wedged guests: status 3 with a register dump.
expect 3 "triple fault"		-- run -w "$guests/conformance/triple.elf"
expect 3 "budget"		-- run -w compute --max-insns 10000
expect 3 "eip="			-- run -w compute --max-insns 10000 -s trap+shadow
echo "cli errors: $fail failure(s)"
[ "$fail" -eq 0 ]
