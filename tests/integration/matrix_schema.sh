#!/usr/bin/env bash
# vmmsim matrix on a small matrix: results.csv has the documented columns
# (fixed ones first, then one per exit reason, then the run counters),
# every row complete; results.json parses and holds the same rows plus the
# provenance (version, commit, date, host, command line, cost-model text);
# native is added as the baseline; --repeat folds host times; the disk
# workload got its scratch image, which is gone afterwards.
set -euo pipefail
: "${VMMSIM:?set by ctest}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$VMMSIM" matrix -w compute,in,diskpio -s trap+shadow,fullsim --repeat 2 -j 2 -o "$tmp/m" \
	--append-for compute=iters=1 --append-for in=iters=200 --append-for diskpio=blocks=8 \
	2> "$tmp/log"
grep -q "native runs added for 3 workloads" "$tmp/log"
grep -q "^vmmsim: \[ *[0-9]*/18\] " "$tmp/log"	# plain progress lines, not a TTY
if ls "$tmp/m/runs/"*.img > /dev/null 2>&1; then
	echo "scratch disk images left behind" >&2
	exit 1
fi

python3 - "$tmp/m" <<'EOF'
import csv, json, os, sys
d = sys.argv[1]
def check(cond, what):
    if not cond:
        sys.exit("matrix_schema: " + what)

with open(os.path.join(d, "results.csv"), newline="") as f:
    reader = csv.reader(f)
    head = next(reader)
    rows = list(reader)
first = ["workload", "strategy", "cost_model", "status", "guest_insns", "modeled_cycles",
         "overhead", "exits", "guest_faults", "hidden_faults", "host_seconds", "guest_mips",
         "output_ok"]
check(head[:len(first)] == first, "first columns are %s" % head[:len(first)])
for c in ["isa", "append", "message", "repeats", "host_seconds_min", "host_seconds_max",
          "modeled_consistent", "cycles.guest", "cycles.shadow", "exit.IO_INSTRUCTION",
          "exit.SHADOW_HIDDEN_PF", "exit_cycles.IO_INSTRUCTION", "vm.cpu.insns",
          "vm.mon.exits", "vm.cpu.walk_refs"]:
    check(c in head, "no column " + c)
exits = [c for c in head if c.startswith("exit.")]
check(len(exits) >= 20 and len(exits) == len([c for c in head if c.startswith("exit_cycles.")]),
      "one column per exit reason, samples and cycles")
check(head.index(exits[-1]) < head.index("vm.cpu.insns"), "exit columns before counters")
check(len(head) == len(set(head)), "duplicate columns")
check(len(rows) == 9, "9 rows (3 workloads x trap+shadow, fullsim, native), got %d" % len(rows))
R = [dict(zip(head, r)) for r in rows]
for r in R:
    check(len(r) == len(head), "short row")
    key = r["workload"] + " " + r["strategy"]
    check(r["status"] == "ok", key + ": status " + r["status"] + " " + r["message"])
    for c in ["guest_insns", "modeled_cycles", "overhead", "exits", "host_seconds",
              "guest_mips", "vm.cpu.insns"]:
        check(r[c] != "", key + ": empty " + c)
    check(r["output_ok"] == "yes", key + ": output differs from native")
    check(r["repeats"] == "2" and r["modeled_consistent"] == "yes", key + ": repeats")
    check(float(r["host_seconds_min"]) <= float(r["host_seconds"]) <= float(r["host_seconds_max"]),
          key + ": median outside min..max")
    check(int(r["guest_insns"]) == int(r["vm.cpu.insns"]), key + ": guest_insns")
    if r["strategy"] == "native":
        check(float(r["overhead"]) == 1.0 and r["baseline_only"] == "yes", key + ": baseline")
    else:
        check(r["baseline_only"] == "no", key + ": baseline_only")
    if r["strategy"] == "trap+shadow":
        check(int(r["exits"]) > 0 and int(r["exits"]) == int(r["vm.mon.exits"]), key + ": exits")
        check(sum(int(r[c]) for c in exits) == int(r["exits"]), key + ": exits by reason")
check(any(r["workload"] == "diskpio" and r["append"] == "blocks=8" for r in R), "append column")

with open(os.path.join(d, "results.json")) as f:
    j = json.load(f)
for k in ["vmmsim", "date", "host", "command_line", "config", "notes", "cost_models",
          "columns", "rows"]:
    check(k in j, "results.json lacks " + k)
check(j["vmmsim"]["version"] and j["vmmsim"]["commit"] and j["vmmsim"]["build"], "version")
check(j["host"]["cpu_model"] and j["host"]["kernel"], "host")
check(j["command_line"][:2] == ["vmmsim", "matrix"], "command line")
check(len(j["cost_models"]) == 1 and "[machine]" in j["cost_models"][0]["contents"],
      "cost model contents")
check(j["columns"] == head, "JSON columns differ from the CSV header")
check(len(j["rows"]) == len(rows), "JSON rows")
for jr, r in zip(j["rows"], R):
    check(jr["workload"] == r["workload"] and jr["status"] == r["status"], "row order")
    check(jr["modeled_cycles"] == float(r["modeled_cycles"]), "modeled cycles differ")
    check(jr["output_ok"] is True, "typed booleans")
    for f in jr["files"].values():
        check(os.path.exists(os.path.join(d, f)), "missing " + f)
EOF
