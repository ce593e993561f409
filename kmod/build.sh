#!/bin/bash
# Builds trinity.ko out of tree against Debian's 6.1 kernel headers (never the running
# kernel's: the host may run another kernel and cannot load modules at all). Sources are
# copied to a scratch directory, so the tree (or Bazel's sandbox) gets no build litter.
# Usage: kmod/build.sh OUTPUT.ko    (KDIR=/path/to/headers overrides the headers)
set -euo pipefail
out=${1:?usage: kmod/build.sh OUTPUT.ko}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=kmod/kernel_release.sh
source "$here/kernel_release.sh"
kdir=${KDIR:-/usr/src/linux-headers-$(trinity_kernel_release)}
[[ -f "$kdir/Makefile" ]] || { echo "kmod: no kernel headers at $kdir (apt-get install linux-headers-amd64)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here"/Kbuild "$here"/*.c "$here"/*.h "$work/"
# W=1 turns on the extra warnings and -Werror makes any of them fail the build.
if ! make -s -C "$kdir" M="$work" W=1 KCFLAGS=-Werror modules >"$work/build.log" 2>&1; then
  cat "$work/build.log" >&2
  exit 1
fi
cp "$work/trinity.ko" "$out"
