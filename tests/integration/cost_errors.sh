#!/bin/bash
# A bad cost model (--cost FILE) is refused before any guest runs: exit
# status 2 and exactly one line on stderr naming the file and the line or
# key at fault, never a hang (FIFO), unbounded reading (/dev/zero), a wrong
# line number (blank lines), or an inf/nan result (absurd but finite values).
# Both shipped models must still load and run.
set -u
vmmsim=${VMMSIM:?} root=${VMMSIM_ROOT:?}
era=$root/bench/costs/era2006.ini
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# expect STATUS PATTERN... -- ARGS: every PATTERN (fixed strings) must be on
# the one line of stderr. The timeout turns a hang into a failure.
expect() {
	local want=$1 pats=()
	shift
	while [ "$1" != "--" ]; do
		pats+=("$1")
		shift
	done
	shift
	timeout -k 2 20 "$vmmsim" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	local rc=$? lines cmd="$*"
	lines=$(wc -l <"$tmp/err")
	cmd=${cmd:0:120}
	if [ $rc -ne "$want" ]; then
		echo "FAIL vmmsim $cmd: exit $rc, want $want: $(head -c 300 "$tmp/err")"
		fail=$((fail + 1))
		return
	fi
	if [ "$want" -eq 2 ] && [ "$lines" -ne 1 ]; then
		echo "FAIL vmmsim $cmd: $lines lines on stderr, want one"
		fail=$((fail + 1))
		return
	fi
	for p in "${pats[@]}"; do
		if ! grep -qF -- "$p" "$tmp/err"; then
			echo "FAIL vmmsim $cmd: stderr does not say '$p': $(head -c 300 "$tmp/err")"
			fail=$((fail + 1))
			return
		fi
	done
}
run() { echo "-- run -w syscall -q --append iters=10 --cost $1"; }
# set KEY VALUE: era2006 with the first line 'KEY = ...' changed.
set_key() { sed "0,/^$1 = .*/s//$1 = $2/" "$era"; }

# Not regular files: a FIFO must not block, /dev/zero must not be read.
mkfifo "$tmp/fifo"
expect 2 "$tmp/fifo: not a regular file" $(run "$tmp/fifo")
expect 2 "/dev/zero: not a regular file" $(run /dev/zero)
mkdir "$tmp/dir.ini"
expect 2 "$tmp/dir.ini: not a regular file" $(run "$tmp/dir.ini")
# Too large to be a cost model (a sparse file: nothing is written).
truncate -s 2M "$tmp/huge.ini"
expect 2 "$tmp/huge.ini: larger than" "1 MiB" $(run "$tmp/huge.ini")
# A path that does not fit is refused, not cut to another file's name.
long=$tmp/$(printf 'd%.0s' $(seq 250))
long=$long/$long/$long/$long/$long/$long/$long/$long/$long/$long/$long/$long/$long/$long/$long/$long/$long/x.ini
expect 2 "path too long" $(run "$long")

# Line numbers count blank and comment lines, with LF or CRLF line ends.
{ sed -n 1,12p "$era"; printf '\n\n; a comment\n\nbogus = 1\n'; } >"$tmp/blank.ini"
expect 2 "$tmp/blank.ini:17: machine.bogus: unknown key" $(run "$tmp/blank.ini")
sed 's/$/\r/' "$tmp/blank.ini" >"$tmp/crlf.ini"
expect 2 "$tmp/crlf.ini:17: machine.bogus: unknown key" $(run "$tmp/crlf.ini")

# Values out of range, with the line and key named.
set_key insn 1e308 >"$tmp/insn.ini"
expect 2 "$tmp/insn.ini:15: native.insn: 1e308 is outside [0.01, 1000000000]" \
	$(run "$tmp/insn.ini")
set_key clock_ghz 1e-300 >"$tmp/clock.ini"
expect 2 "$tmp/clock.ini:12: machine.clock_ghz: 1e-300 is outside [0.01, 100]" \
	$(run "$tmp/clock.ini")
set_key clock_ghz 0 >"$tmp/clock0.ini"
expect 2 "$tmp/clock0.ini:12: machine.clock_ghz: 0 is outside" $(run "$tmp/clock0.ini")
set_key insn 0 >"$tmp/insn0.ini"
expect 2 "$tmp/insn0.ini:15: native.insn: 0 is outside" $(run "$tmp/insn0.ini")
set_key exit -1 >"$tmp/neg.ini"
expect 2 "$tmp/neg.ini:27: trap.exit: -1 is outside [0, 1000000000]" $(run "$tmp/neg.ini")
set_key IRET 1e400 >"$tmp/over.ini"
expect 2 "$tmp/over.ini:" "emulate.IRET: 1e400 is outside" $(run "$tmp/over.ini")
set_key walk_ref 4e-320 >"$tmp/under.ini"
expect 2 "$tmp/under.ini:16: native.walk_ref: 4e-320 is out of range" $(run "$tmp/under.ini")
set_key walk_ref nan >"$tmp/nan.ini"
expect 2 "$tmp/nan.ini:16: native.walk_ref: 'nan' is not a number" $(run "$tmp/nan.ini")
set_key walk_ref inf >"$tmp/inf.ini"
expect 2 "$tmp/inf.ini:16: native.walk_ref: inf is outside" $(run "$tmp/inf.ini")

# Bytes no text file holds: named at their line, not as a later missing key.
{ sed -n 1,12p "$era"; printf 'insn = 1\0 junk\n'; sed -n '13,$p' "$era"; } >"$tmp/nul.ini"
expect 2 "$tmp/nul.ini:13: contains a NUL byte" $(run "$tmp/nul.ini")
printf '\r\r\r\r' >"$tmp/cr.ini"
expect 2 "$tmp/cr.ini:1: contains a carriage return" $(run "$tmp/cr.ini")
printf '[machine]\n\x7fELF\x01\x01\n' >"$tmp/elf.ini"
expect 2 "$tmp/elf.ini:2: contains control character 0x7f" $(run "$tmp/elf.ini")
printf '; fine\n\xff\xfe\xfd junk\n' >"$tmp/junk.ini"
expect 2 "$tmp/junk.ini:2: expected key = value" $(run "$tmp/junk.ini")
head -c 4096 "$vmmsim" >"$tmp/binary.ini"
expect 2 "$tmp/binary.ini:1: contains" $(run "$tmp/binary.ini")
printf '[model]\nname = %s\n' "$(printf 'n%.0s' $(seq 100))" >"$tmp/name.ini"
expect 2 "$tmp/name.ini:2: model.name: longer than 63" $(run "$tmp/name.ini")

# The shipped models are within every range, by name and by path (CRLF too).
expect 0 -- run -w syscall -q --append iters=10 --cost era2006
expect 0 -- run -w syscall -q --append iters=10 --cost modern
sed 's/$/\r/' "$era" >"$tmp/era-crlf.ini"
expect 0 $(run "$tmp/era-crlf.ini")

[ $fail -eq 0 ] || { echo "cost_errors: $fail failures"; exit 1; }
exit 0
