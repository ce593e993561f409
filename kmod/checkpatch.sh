#!/bin/bash
# Runs the kernel's checkpatch.pl over kmod's C sources and headers (kernel style is the
# module's style). checkpatch ships in linux-source-6.1, inside its tarball: the three
# files it needs are extracted once into a cache. Exits non-zero on any error or warning.
# (--strict adds only "checks" that do not fit here: BIT() in a UAPI header, which has no
# BIT(), and the open-ended TP_* lines every TRACE_EVENT is written with.)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/trinity-checkpatch
tarball=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null || true)
if [[ ! -x "$cache/scripts/checkpatch.pl" ]]; then
  [[ -n "$tarball" ]] || { echo "kmod: checkpatch.pl needs linux-source-6.1 (apt-get install linux-source-6.1)" >&2; exit 2; }
  mkdir -p "$cache"
  tar -xJf "$tarball" -C "$cache" --strip-components=1 --wildcards \
    '*/scripts/checkpatch.pl' '*/scripts/spelling.txt' '*/scripts/const_structs.checkpatch'
fi
cd "$repo"
"$cache/scripts/checkpatch.pl" --no-tree --quiet --show-types -f kmod/*.c kmod/*.h kmod/tests/*.c
echo "kmod: checkpatch clean"
