#!/usr/bin/env bash
# Measures what the fuzz corpus reaches: builds the harnesses with source-based coverage
# (no fuzzer instrumentation; replay_main.cc feeds them files), replays the committed seeds
# plus anything fuzz/out/corpus/ holds, and prints line and branch coverage of runtime/ and lang/.
# COVERAGE_HTML=1 also writes an HTML report to fuzz/out/coverage/html/.
set -euo pipefail
cd "$(dirname "$0")/.."
source fuzz/targets.sh

OUT=fuzz/out/coverage
MODE=coverage fuzz/build.sh
rm -rf "$OUT/profiles" && mkdir -p "$OUT/profiles"

objects=()
for t in "${TARGETS[@]}"; do
  inputs=("fuzz/corpus/$t/")
  [[ -d fuzz/out/corpus/$t ]] && inputs+=("fuzz/out/corpus/$t")
  LLVM_PROFILE_FILE="$OUT/profiles/$t.profraw" "$OUT/$t" "${inputs[@]}" 2>&1 | tail -n 1 | sed "s/^/$t: /"
  objects+=(-object "$OUT/$t")
done
llvm-profdata-14 merge -sparse "$OUT"/profiles/*.profraw -o "$OUT/merged.profdata"

# The first -object is the main binary for llvm-cov; the rest add their coverage mappings.
filter=(-ignore-filename-regex='(^|/)(fuzz|usr)/')
echo
echo "== coverage of runtime/ and lang/ by all targets together"
llvm-cov-14 report "${objects[@]:1}" -instr-profile="$OUT/merged.profdata" "${filter[@]}" \
  | tee "$OUT/report.txt"
for t in "${TARGETS[@]}"; do
  llvm-profdata-14 merge -sparse "$OUT/profiles/$t.profraw" -o "$OUT/$t.profdata"
  llvm-cov-14 report "$OUT/$t" -instr-profile="$OUT/$t.profdata" "${filter[@]}" \
    | awk -v t="$t" '/^TOTAL/ {printf "%-18s lines %s  branches %s\n", t, $10, $13}'
done
if [[ ${COVERAGE_HTML:-0} == 1 ]]; then
  llvm-cov-14 show "${objects[@]:1}" -instr-profile="$OUT/merged.profdata" "${filter[@]}" \
    -format=html -output-dir="$OUT/html"
  echo "coverage.sh: HTML report in $OUT/html/index.html"
fi
