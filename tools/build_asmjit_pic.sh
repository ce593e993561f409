#!/usr/bin/env bash
# Builds asmjit as position-independent code from Debian's own source package, so the JIT
# can live in PIE executables and shared objects (the nginx module). Debian's libasmjit.a
# is built without -fPIC. Idempotent: does nothing when the library is already installed.
set -euo pipefail

PREFIX=${TRINITY_ASMJIT_PREFIX:-/usr/local/lib/trinity-asmjit}
LIB="$PREFIX/libasmjit_pic.a"
[[ -f $LIB ]] && exit 0

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

# `apt-get source` needs a deb-src entry for bookworm.
if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
  $SUDO tee /etc/apt/sources.list.d/trinity-debian-src.sources >/dev/null <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  $SUDO apt-get update -qq
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get source -qq asmjit >/dev/null 2>&1 || { echo "build_asmjit_pic: apt-get source asmjit failed" >&2; exit 1; }
src=$(find . -maxdepth 1 -type d -name 'asmjit-*' | head -1)
# The same version as the headers libasmjit-dev installs (checked, so the two never drift).
want=$(dpkg-query -W -f='${Version}' libasmjit-dev)
have=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
if [[ $want != "$have" ]]; then
  echo "build_asmjit_pic: source $have does not match libasmjit-dev $want" >&2
  exit 1
fi
cmake -S "$src" -B build -DASMJIT_STATIC=ON -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
  -DCMAKE_BUILD_TYPE=Release -DASMJIT_NO_AARCH64=ON >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
$SUDO mkdir -p "$PREFIX"
$SUDO install -m 0644 build/libasmjit.a "$LIB"
echo "build_asmjit_pic: installed $LIB" >&2
