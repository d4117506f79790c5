#!/bin/bash
# A terminal as the guest's serial line: under a pseudo-terminal, with no
# --serial-in, vmmsim reads the keys typed (raw: no line editing, no echo)
# and the apic kernel receives the line; the terminal settings are the
# same after the run as before it; the summary says why no native
# baseline could be made (typed input cannot be replayed).
set -u
vmmsim=${VMMSIM:?} build=${VMMSIM_BUILD:?}
exec python3 - "$vmmsim" "$build/guest/platform/apic.elf" <<'PY'
import os, pty, select, sys, time

vmmsim, kernel = sys.argv[1], sys.argv[2]
cmd = (f"stty -g; echo BEGIN; '{vmmsim}' run -s trap+shadow -w '{kernel}' --append rx; "
       "echo STATUS $?; stty -g")
pid, fd = pty.fork()
if pid == 0:
    os.execv("/bin/sh", ["sh", "-c", cmd])
buf = b""

def read_until(pat, timeout):
    global buf
    end = time.time() + timeout
    while pat not in buf and time.time() < end:
        if select.select([fd], [], [], 0.2)[0]:
            try:
                d = os.read(fd, 65536)
            except OSError:
                break
            if not d:
                break
            buf += d
    return pat in buf

fails = []
if not read_until(b"waiting for a line", 60):
    fails.append("the kernel never asked for a line")
os.write(fd, b"typed at a terminal\r")
read_until(b"\nSTATUS", 120)
read_until(b"\x00never", 3)
os.waitpid(pid, 0)
text = buf.decode("latin-1").replace("\r", "")
lines = text.split("\n")
if 'rx: "typed at a terminal" (19 characters)' not in text:
    fails.append("the typed line did not arrive")
if "STATUS 0" not in text:
    fails.append("vmmsim did not exit 0")
if "serial input cannot be read a second time" not in text:
    fails.append("the summary does not say why there is no baseline")
before = lines[0].strip()
after = [l for l in lines if l.strip()][-1].strip()
if before != after:
    fails.append(f"terminal settings changed: {before} -> {after}")
for f in fails:
    print("FAIL:", f)
if fails:
    print(text[-2000:])
    sys.exit(1)
print("interactive: typed line received, terminal restored")
PY
