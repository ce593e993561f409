#!/usr/bin/env bash
# Builds the fuzz harnesses in fuzz/ into fuzz/out/<mode>/ by compiling runtime/, lang/ and
# fuzz/ sources directly with clang, because the Bazel toolchain is gcc and has no libFuzzer.
# MODE=libfuzzer (default: libFuzzer + ASan + UBSan), coverage (source-based coverage with a
# replay main), afl (AFL++ afl-clang-fast++ + ASan + UBSan; used by build_afl.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${MODE:-libfuzzer}
JOBS=${JOBS:-2}  # the machine is shared; raise only when it is yours
OUT=${OUT:-fuzz/out/$MODE}
source fuzz/targets.sh

case "$MODE" in
  libfuzzer)
    CXX=${CXX:-clang++-14}
    SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
    LIB_FLAGS="-O1 -g -fno-omit-frame-pointer $SAN -fsanitize=fuzzer-no-link"
    ENGINE_LINK="$SAN -fsanitize=fuzzer"
    TOOL_LINK="$SAN -fsanitize=fuzzer-no-link"
    ;;
  coverage)
    CXX=${CXX:-clang++-14}
    LIB_FLAGS="-O0 -g -fprofile-instr-generate -fcoverage-mapping"
    ENGINE_LINK="-fprofile-instr-generate"
    TOOL_LINK="-fprofile-instr-generate"
    ;;
  afl)
    CXX=${CXX:-afl-clang-fast++}
    SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
    LIB_FLAGS="-O1 -g -fno-omit-frame-pointer $SAN"
    # afl-clang-fast turns -fsanitize=fuzzer into its own persistent-mode driver.
    ENGINE_LINK="$SAN -fsanitize=fuzzer"
    TOOL_LINK="$SAN"
    ;;
  *) echo "build.sh: unknown MODE '$MODE'" >&2; exit 2 ;;
esac
CXXFLAGS="-std=c++20 -I. -Wall -Wno-unused-function $LIB_FLAGS ${EXTRA_CXXFLAGS:-}"

mkdir -p "$OUT/obj"

# An object is stale when it is missing or older than its source or any header it included
# last time (from the -MMD dependency file).
stale() {
  local obj=$1 src=$2 dep="${1%.o}.d"
  [[ -f $obj && -f $dep ]] || return 0
  [[ $src -nt $obj ]] && return 0
  local f
  for f in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$dep"); do
    [[ -e $f && $f -nt $obj ]] && return 0
  done
  return 1
}

compile() {
  local src=$1 obj=$2
  if stale "$obj" "$src"; then
    echo "  CXX $src"
    $CXX $CXXFLAGS -MMD -MP -c "$src" -o "$obj"
  fi
}

# Runs compile jobs at most $JOBS at a time; a failed job leaves a marker file behind.
FAILED="$OUT/obj/.failed"
rm -f "$FAILED"
run_job() {
  while (( $(jobs -rp | wc -l) >= JOBS )); do wait -n || true; done
  { compile "$@" || touch "$FAILED"; } &
}
wait_all() {
  wait
  [[ ! -e $FAILED ]] || { echo "build.sh: compilation failed" >&2; exit 1; }
}

echo "build.sh: MODE=$MODE CXX=$CXX OUT=$OUT"
LIB_OBJS=()
for src in runtime/*.cc lang/*.cc fuzz/checked_run.cc fuzz/differential_run.cc fuzz/invariants.cc \
           fuzz/module_generator.cc; do
  obj="$OUT/obj/$(echo "${src%.cc}" | tr / _).o"
  LIB_OBJS+=("$obj")
  run_job "$src" "$obj"
done
for t in "${TARGETS[@]}" tri_to_tbc dump_generated replay_main; do
  run_job "fuzz/$t.cc" "$OUT/obj/fuzz_$t.o"
done
# The trace JIT, for fuzz_jit only: it links asmjit, rebuilt as PIC by tools/setup.sh
# (tools/build_asmjit_pic.sh), since these binaries are position-independent.
JIT_OBJS=()
for src in jit/*.cc; do
  obj="$OUT/obj/$(echo "${src%.cc}" | tr / _).o"
  JIT_OBJS+=("$obj")
  run_job "$src" "$obj"
done
ASMJIT_LIB=${ASMJIT_LIB:-/usr/local/lib/trinity-asmjit/libasmjit_pic.a}
wait_all

# An archive, so each binary links only the objects it needs (and coverage reports list
# only code a target can reach). Relink only what changed.
newer_than() {  # newer_than FILE DEPS...: true when FILE is missing or older than a dep
  local f=$1 d; shift
  [[ -e $f ]] || return 0
  for d in "$@"; do [[ $d -nt $f ]] && return 0; done
  return 1
}
ARCHIVE="$OUT/libtrinity_fuzz.a"
# The reference tier registers itself when linked; nothing calls into its object by name,
# so it is linked as an object, not picked (or not) from the archive.
REFERENCE_OBJ="$OUT/obj/runtime_reference_interpreter.o"
members=$(printf '%s\n' "${LIB_OBJS[@]##*/}" | sort)
if newer_than "$ARCHIVE" "${LIB_OBJS[@]}" || [[ $(ar t "$ARCHIVE" | sort) != "$members" ]]; then
  rm -f "$ARCHIVE"
  ar rcs "$ARCHIVE" "${LIB_OBJS[@]}"
fi
# The system libraries behind the standard library (runtime/stdlib_*).
SYSTEM_LIBS="-lsimdjson -lre2 -lcrypto -lz"
link() {  # link BINARY LINK_FLAGS OBJECTS...
  local bin=$1 flags=$2; shift 2
  local jit=() libs=()
  # fuzz_jit alone takes the JIT's objects and asmjit.
  if [[ $bin == */fuzz_jit ]]; then
    jit=("${JIT_OBJS[@]}")
    libs=("$ASMJIT_LIB" -lpthread -lrt)
  fi
  if newer_than "$bin" "$@" "${jit[@]}" "$REFERENCE_OBJ" "$ARCHIVE"; then
    echo "  LINK $bin"
    $CXX $flags "$@" "${jit[@]}" "$REFERENCE_OBJ" "$ARCHIVE" "${libs[@]}" $SYSTEM_LIBS -o "$bin"
  fi
}
for t in "${TARGETS[@]}"; do
  if [[ $MODE == coverage ]]; then
    link "$OUT/$t" "$ENGINE_LINK" "$OUT/obj/fuzz_$t.o" "$OUT/obj/fuzz_replay_main.o"
  else
    link "$OUT/$t" "$ENGINE_LINK" "$OUT/obj/fuzz_$t.o"
  fi
done
link "$OUT/tri_to_tbc" "$TOOL_LINK" "$OUT/obj/fuzz_tri_to_tbc.o"
link "$OUT/dump_generated" "$TOOL_LINK" "$OUT/obj/fuzz_dump_generated.o"
echo "build.sh: built ${TARGETS[*]} tri_to_tbc dump_generated in $OUT"
