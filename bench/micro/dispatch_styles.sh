#!/usr/bin/env bash
# Builds bench/micro/dispatch_styles.cc with g++ and clang++ (-O2) and compares dispatch
# by labels-as-values (both compilers) with [[clang::musttail]] handler functions (clang):
# instructions per loop iteration under callgrind and wall time (best of 5, loaded
# machines are noisy). Usage: bench/micro/dispatch_styles.sh [ITERATIONS]
set -euo pipefail
cd "$(dirname "$0")/../.."
n="${1:-100000000}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
src=bench/micro/dispatch_styles.cc
g++ -std=c++20 -O2 -o "$tmp/gcc" "$src"
clang++-14 -std=c++20 -O2 -o "$tmp/clang" "$src"

# Instructions per iteration: the difference between two iteration counts, so start-up
# and the dynamic loader cancel out.
per_iteration() {
  local ir1 ir2
  ir1=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 100000 2>&1 | awk '/Collected/ {print $4}')
  ir2=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 1100000 2>&1 | awk '/Collected/ {print $4}')
  echo "scale=2; ($ir2 - $ir1) / 1000000" | bc
}
best_time() {
  local best=999
  for _ in 1 2 3 4 5; do
    local t
    t=$( { /usr/bin/time -f %e "$@" "$n" >/dev/null; } 2>&1 )
    best=$(echo "if ($t < $best) $t else $best" | bc)
  done
  echo "$best"
}
printf "%-28s %18s %12s\n" "build" "Ir per iteration" "seconds"
for variant in "gcc labels" "clang labels" "clang musttail"; do
  set -- $variant
  printf "%-28s %18s %12s\n" "$1 $2" "$(per_iteration "$tmp/$1" "$2")" "$(best_time "$tmp/$1" "$2")"
done
echo "(${n} iterations, 4 instructions each; load average $(cut -d' ' -f1 /proc/loadavg))"
