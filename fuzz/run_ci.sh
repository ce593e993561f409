#!/usr/bin/env bash
# CI entry for fuzzing: builds the harnesses, replays every file in fuzz/regressions/
# through every target, then fuzzes each target for ${FUZZ_SECONDS:-60} s, one at a time.
# Exits non-zero on any crash; new crashing inputs land in fuzz/out/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
source fuzz/targets.sh

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
OUT=fuzz/out/libfuzzer
fuzz/build.sh

mapfile -t regressions < <(find fuzz/regressions -type f ! -name '*.md' | sort)
echo "run_ci.sh: replaying ${#regressions[@]} regression inputs through ${#TARGETS[@]} targets"
if (( ${#regressions[@]} > 0 )); then
  for t in "${TARGETS[@]}"; do
    # Given files instead of directories, libFuzzer runs each one once and stops.
    if ! "$OUT/$t" "${regressions[@]}" > "fuzz/out/replay_$t.log" 2>&1; then
      tail -n 40 "fuzz/out/replay_$t.log"
      echo "run_ci.sh: $t fails on a regression input (log: fuzz/out/replay_$t.log)" >&2
      exit 1
    fi
  done
fi

status=0
for t in "${TARGETS[@]}"; do
  # The committed seeds are read-only input; what the fuzzer finds goes to out/.
  work=fuzz/out/corpus/$t
  artifacts=fuzz/out/artifacts/$t/
  mkdir -p "$work" "$artifacts"
  echo "run_ci.sh: fuzzing $t for ${FUZZ_SECONDS}s"
  # shellcheck disable=SC2046
  if ! "$OUT/$t" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$artifacts" $(dict_flags "$t") \
      "$work" "fuzz/corpus/$t/" > "fuzz/out/fuzz_$t.log" 2>&1; then
    tail -n 60 "fuzz/out/fuzz_$t.log"
    echo "run_ci.sh: $t crashed; input in $artifacts — copy it to fuzz/regressions/$t/" >&2
    status=1
  else
    grep -E "^(Done|stat::number_of_executed_units|stat::new_units_added)" "fuzz/out/fuzz_$t.log" || true
  fi
done
exit $status
