#!/usr/bin/env bash
# Builds the same harnesses for AFL++ (afl-clang-fast++, ASan + UBSan) into fuzz/out/afl/,
# installing the Debian afl++ package first if it is missing. Run one with e.g.
#   afl-fuzz -i fuzz/corpus/fuzz_load -o fuzz/out/afl-findings -x fuzz/dicts/bytecode.dict -- fuzz/out/afl/fuzz_load
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v afl-clang-fast++ > /dev/null; then
  if ! apt-cache policy afl++ | grep -q 'Candidate: [0-9]'; then
    echo "build_afl.sh: no afl++ package available from apt; install AFL++ by hand" >&2
    exit 1
  fi
  apt-get install -y afl++
fi
# AFL++ picks its LLVM instrumentation itself; clang 14 is the one it is built against here.
MODE=afl CXX=afl-clang-fast++ fuzz/build.sh
