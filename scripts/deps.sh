#!/usr/bin/env bash
# Installs the Debian 12 packages vmmsim needs, only those missing.
set -euo pipefail

pkgs=(
	build-essential cmake pkg-config gcc-multilib
	libzydis-dev libelf-dev libpapi-dev libcriterion-dev
	gnuplot-nox qemu-system-x86 python3
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
