#!/usr/bin/env bash
# Long fuzzing campaign for one target, e.g. overnight on a dedicated machine:
#   nohup fuzz/campaign.sh fuzz_generated 8h > fuzz/out/campaign.log 2>&1 &
# Usage: campaign.sh TARGET [DURATION: 90s|45m|8h, default 1h]   env: FORKS (parallel jobs, default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
source fuzz/targets.sh

target=${1:?usage: campaign.sh TARGET [DURATION]; targets: ${TARGETS[*]}}
duration=${2:-1h}
case "$duration" in
  *h) seconds=$(( ${duration%h} * 3600 )) ;;
  *m) seconds=$(( ${duration%m} * 60 )) ;;
  *s) seconds=${duration%s} ;;
  *) seconds=$duration ;;
esac
FORKS=${FORKS:-1}

fuzz/build.sh
work=fuzz/out/corpus/$target
artifacts=fuzz/out/artifacts/$target/
mkdir -p "$work" "$artifacts"
# -fork keeps going after a crash (each crash is saved), which suits unattended runs.
# shellcheck disable=SC2046
fuzz/out/libfuzzer/"$target" -fork="$FORKS" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$artifacts" $(dict_flags "$target") "$work" "fuzz/corpus/$target/" || true

# A minimised copy of everything found, for refreshing the committed seeds by hand.
min=fuzz/out/corpus-min/$target
rm -rf "$min" && mkdir -p "$min"
fuzz/out/libfuzzer/"$target" -merge=1 "$min" "fuzz/corpus/$target/" "$work" > /dev/null 2>&1 || true
echo "campaign.sh: $(ls "$work" | wc -l) inputs in $work, $(ls "$min" | wc -l) after merging into $min"
crashes=$(ls "$artifacts" 2>/dev/null | wc -l)
echo "campaign.sh: $crashes crash/timeout/oom inputs in $artifacts"
(( crashes == 0 ))
