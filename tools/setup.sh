#!/usr/bin/env bash
# Idempotent set-up: installs every Debian package Trinity's build, tests, fuzzing and
# benchmarks need. Both README commands run it first; it does nothing when all is there.
set -euo pipefail

PACKAGES=(
  bazel-bootstrap bazel-bootstrap-source g++ clang llvm lld
  libgtest-dev libgmock-dev libbenchmark-dev
  liburing-dev libseccomp-dev libbpf-dev bpftool libelf-dev zlib1g-dev
  systemtap-sdt-dev libasmjit-dev libclang-rt-14-dev
  lua5.4 valgrind gnuplot-nox python3
  # kmod/: build trinity.ko against Debian's 6.1 headers, check its style, boot it in QEMU
  make linux-headers-amd64 linux-image-amd64 linux-source-6.1 xz-utils
  qemu-system-x86 busybox-static cpio
  # nginx host (hosts/nginx, bench/nginx): Debian's nginx, its module build kit, the
  # lua-nginx-module peer and wrk. luajit2 (OpenResty's LuaJIT, /usr/bin/luajit) replaces
  # Debian's luajit, which libnginx-mod-http-lua conflicts with.
  nginx nginx-dev libnginx-mod-http-lua luajit2 wrk
  # standard library (runtime/stdlib_*) and its benchmark peers (bench/stdlib)
  libsimdjson-dev libre2-dev libssl-dev lua-cjson lua-rex-pcre2
  # jit/: asmjit rebuilt as PIC from its Debian source package
  cmake dpkg-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# asmjit as position-independent code, built once from Debian's source package (the
# packaged libasmjit.a is not PIC, so it cannot go into PIE binaries or shared objects).
"$(dirname "$0")/build_asmjit_pic.sh"
