#!/usr/bin/env bash
# Runs the whole test suite: installs missing Debian packages, builds the
# Release and the ASan+UBSan configurations, and runs every test in both.
set -euo pipefail
cd "$(dirname "$0")"
jobs=$(nproc)

scripts/deps.sh
for cfg in release asan; do
	dir=build
	opts=(-DCMAKE_BUILD_TYPE=Release)
	if [ "$cfg" = asan ]; then
		dir=build-asan
		opts=(-DCMAKE_BUILD_TYPE=Debug -DVMMSIM_SANITIZE=ON)
	fi
	echo "== $cfg: configure and build ($dir)"
	cmake -S . -B "$dir" "${opts[@]}" >/dev/null
	cmake --build "$dir" -j"$jobs"
	echo "== $cfg: tests"
	ctest --test-dir "$dir" -j"$jobs" --output-on-failure
done
echo "== all tests passed"
