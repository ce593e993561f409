#!/usr/bin/env bash
# Footprint report: stripped .text/.data of the trinity command and of a minimal
# embedding host (bench/minimal_host.cc, runtime only), and peak RSS per live instance.
# Usage: bench/footprint.sh [INSTANCES]   (writes bench/results/footprint.{md,json})
set -euo pipefail

cd "$(dirname "$0")/.."
instances="${1:-1000}"
out_dir=bench/results
mkdir -p "$out_dir"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

bazel build -c opt //tools:trinity //bench:minimal_host //bench:instance_rss 2>&1 |
  grep -v linux-sandbox >&2 || true
# bazel-bin follows whichever configuration built last; the opt outputs are named directly.
bin=bazel-out/k8-opt/bin
[[ -x $bin/tools/trinity && -x $bin/bench/minimal_host && -x $bin/bench/instance_rss ]] ||
  { echo "footprint: build failed" >&2; exit 1; }

# Prints "text data rodata file" byte counts of a stripped copy of $1.
sections() {
  local copy="$tmp/$(basename "$1")"
  cp "$1" "$copy"
  chmod u+w "$copy"
  strip "$copy"
  size -A "$copy" | awk -v file="$(stat -c %s "$copy")" '
    $1 == ".text" { text = $2 } $1 == ".data" { data = $2 } $1 == ".rodata" { ro = $2 }
    END { printf "%d %d %d %d\n", text, data, ro, file }'
}

read -r t_text t_data t_ro t_file < <(sections $bin/tools/trinity)
read -r h_text h_data h_ro h_file < <(sections $bin/bench/minimal_host)

# The minimal host must actually work, or its size means nothing.
$bin/bench/instance_rss --emit "$tmp/plugin.tbc" 1 >/dev/null
host_check="$($bin/bench/minimal_host "$tmp/plugin.tbc" square 7)"
if [[ "$host_check" != "49" ]]; then
  echo "footprint: minimal_host printed '$host_check', expected 49" >&2
  exit 1
fi

rss="$($bin/bench/instance_rss "$instances")"
get() { awk -v k="$1" '$1 == k { print $2 }' <<<"$rss"; }
per_instance="$(get rss_per_instance_kib)"
heap_per_instance="$(get heap_bytes_per_instance)"
module_bytes="$(get module_bytes)"
date="$(date -Iseconds)"
uname_a="$(uname -a)"

cat >"$out_dir/footprint.json" <<JSON
{
  "date": "$date",
  "uname": "$uname_a",
  "trinity": {"text": $t_text, "data": $t_data, "rodata": $t_ro, "stripped_file": $t_file},
  "minimal_host": {"text": $h_text, "data": $h_data, "rodata": $h_ro, "stripped_file": $h_file},
  "instances": $instances,
  "module_bytes": $module_bytes,
  "rss_per_instance_kib": $per_instance,
  "heap_bytes_per_instance": $heap_per_instance
}
JSON

cat >"$out_dir/footprint.md" <<MD
# Trinity footprint

- date: $date
- machine: \`$uname_a\`
- command: \`bench/footprint.sh $instances\`

| binary (stripped) | .text | .data | .rodata | file |
|---|---:|---:|---:|---:|
| trinity (CLI: compiler + runtime) | $t_text | $t_data | $t_ro | $t_file |
| minimal_host (//runtime:trinity only) | $h_text | $h_data | $h_ro | $h_file |

Per live instance ($instances instances of a ${module_bytes}-byte header-rewriting plugin,
each started and called once): peak RSS growth **${per_instance} KiB**, plugin heap
${heap_per_instance} bytes.
MD

cat "$out_dir/footprint.md"
