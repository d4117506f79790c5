#!/bin/bash
# Scripted serial input and the native baseline of a monitor run.
#  - --serial-wait holds each input line until the guest prints its prompt:
#    the apic kernel, fed a line and reading two disks under trap+shadow,
#    prints what it prints natively.
#  - The baseline run that gives the overhead figure starts from the same
#    input (the file is read again) and the same disks (the monitor run's
#    overwritten sectors are kept and replayed): the overhead is reported,
#    and the image holds exactly what the monitor run wrote.
#  - Input that cannot be read twice (a pipe) still runs, and the summary
#    says why there is no overhead figure.
set -u
vmmsim=${VMMSIM:?} build=${VMMSIM_BUILD:?}
kernel=$build/guest/platform/apic.elf
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

python3 - "$tmp" <<'PY'
import sys
for i, tag in enumerate((0xa0, 0xb0)):
    with open(f"{sys.argv[1]}/disk{i}.img", "wb") as f:
        f.write(b"".join(bytes([tag ^ n]) * 512 for n in range(64)))
PY
printf 'hello from a script\n' >"$tmp/in.txt"
disks=(--disk "$tmp/disk0.img" --disk "$tmp/disk1.img")

"$vmmsim" run -q -w "$kernel" --append "rx ide" "${disks[@]}" --serial-in "$tmp/in.txt" \
	>"$tmp/native.out" || bad "native run, status $?"
"$vmmsim" run -s trap+shadow -w "$kernel" --append "rx ide" "${disks[@]}" \
	--serial-in "$tmp/in.txt" --serial-wait "waiting for a line" \
	>"$tmp/ts.out" 2>"$tmp/ts.err" || bad "trap+shadow run, status $?"
cmp -s "$tmp/native.out" "$tmp/ts.out" || { bad "trap+shadow output differs";
	diff "$tmp/native.out" "$tmp/ts.out" | head; }
grep -q "hello from a script" "$tmp/ts.out" || bad "the line did not reach the guest"
grep -Eq "overhead [0-9.]+x native" "$tmp/ts.err" ||
	bad "no overhead figure: $(grep -m1 overhead "$tmp/ts.err")"

# diskpio writes its blocks, reads them back and verifies them.
truncate -s 8M "$tmp/a.img"
truncate -s 8M "$tmp/b.img"
"$vmmsim" run -q -w diskpio --disk "$tmp/a.img" >/dev/null || bad "diskpio natively"
"$vmmsim" run -s trap+shadow -w diskpio --disk "$tmp/b.img" >"$tmp/d.out" 2>"$tmp/d.err" ||
	bad "diskpio under trap+shadow"
grep -q "result: ok" "$tmp/d.out" || bad "diskpio under trap+shadow: $(tail -1 "$tmp/d.out")"
grep -Eq "overhead [0-9.]+x native" "$tmp/d.err" || bad "diskpio: no overhead figure"
cmp -s "$tmp/a.img" "$tmp/b.img" || bad "the image after trap+shadow differs from a native run's"

cat "$tmp/in.txt" | "$vmmsim" run -s trap+shadow -w "$kernel" --append rx --serial-in - \
	>"$tmp/p.out" 2>"$tmp/p.err" || bad "input from a pipe, status $?"
grep -q "hello from a script" "$tmp/p.out" || bad "the piped line did not reach the guest"
grep -q "serial input cannot be read a second time" "$tmp/p.err" ||
	bad "pipe: $(grep -m1 overhead "$tmp/p.err")"

[ $fail -eq 0 ] && echo "serial input: prompt-paced, replayed for the baseline; disks replayed"
exit $fail
