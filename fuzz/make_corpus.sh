#!/usr/bin/env bash
# Regenerates the committed seed corpus in fuzz/corpus/: .tri programs from
# tests/conformance/ and examples/ for the source targets, their compiled .tbc (via
# out/libfuzzer/tri_to_tbc, built by build.sh) for the bytecode targets, and fixed-seed
# byte strings for fuzz_generated, and both kinds behind a mode byte for fuzz_tiers. Run after
# adding conformance programs or changing the wire format.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOL=fuzz/out/libfuzzer/tri_to_tbc
[[ -x $TOOL ]] || fuzz/build.sh

SRC=fuzz/corpus/fuzz_compile
TBC=fuzz/corpus/fuzz_load
GEN=fuzz/corpus/fuzz_generated
rm -rf "$SRC" "$TBC" "$GEN"
mkdir -p "$SRC" "$TBC" "$GEN"
# The run targets take the same inputs as their load/compile siblings.
ln -sfn fuzz_compile fuzz/corpus/fuzz_compile_run
ln -sfn fuzz_load fuzz/corpus/fuzz_run

compiled=0 rejected=0
for tri in tests/conformance/*.tri examples/*.tri; do
  [[ -e $tri ]] || continue
  name="$(basename "$(dirname "$tri")")_$(basename "${tri%.tri}")"
  cp "$tri" "$SRC/$name.tri"
  # Programs that must not compile stay source-only seeds.
  if ASAN_OPTIONS=detect_leaks=0 "$TOOL" "$tri" "$TBC/$name.tbc" 2>/dev/null; then
    compiled=$((compiled + 1))
  else
    rm -f "$TBC/$name.tbc"
    rejected=$((rejected + 1))
  fi
done

# Reproducible pseudo-random seeds of assorted lengths: the generator reads any bytes.
python3 - "$GEN" <<'PY'
import random, sys
rng = random.Random(20240601)
for i, n in enumerate([0, 1, 4, 16, 32, 64, 64, 128, 128, 256, 256, 512, 512, 1024, 1024, 2048]):
    open(f"{sys.argv[1]}/seed_{i:02d}", "wb").write(bytes(rng.randrange(256) for _ in range(n)))
PY

# fuzz_tiers reads a mode byte first: 0 = generator choices follow, 1 = .tri text follows.
TIERS=fuzz/corpus/fuzz_tiers
rm -rf "$TIERS"
mkdir -p "$TIERS"
for f in "$GEN"/*; do { printf '\x00'; cat "$f"; } > "$TIERS/gen_$(basename "$f")"; done
for f in "$SRC"/*.tri; do { printf '\x01'; cat "$f"; } > "$TIERS/src_$(basename "$f")"; done

echo "make_corpus.sh: $(ls "$SRC" | wc -l) source seeds, $compiled bytecode seeds" \
     "($rejected programs do not compile), $(ls "$GEN" | wc -l) generator seeds"
