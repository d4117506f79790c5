#!/usr/bin/env bash
# Quick start, step 1: installs the Debian 12 packages vmmsim lacks, builds
# it (Release, into build/), and runs the main job: `vmmsim report`, which
# runs the experiments behind the lecture's claims and writes
# results/report/report.md, report.tex and the plots they cite.
set -euo pipefail
cd "$(dirname "$0")"

scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
./build/vmmsim report -o results/report
echo "build.sh: vmmsim is build/vmmsim; the report is results/report/report.md"
