#!/usr/bin/env bash
# Builds ngx_http_trinity_module.so the way Debian builds its own nginx modules: copies
# nginx-dev's sources (/usr/share/nginx/src), runs ./configure with Debian's flags
# (conf_flags, which include --with-compat) plus --add-dynamic-module, then `make modules`.
# Usage: build_module.sh OUT.so ARCHIVE.a ARCHIVE.linkopts config module.c HEADER...
set -euo pipefail

out=$(realpath -m "$1"); archive=$(realpath "$2"); linkopts=$(realpath "$3")
config=$(realpath "$4"); source=$(realpath "$5"); shift 5

src=${NGINX_SRC:-/usr/share/nginx/src}
[[ -x $src/configure ]] || { echo "build_module: $src/configure missing (apt-get install nginx-dev)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/ngx_trinity.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "$src" "$work/nginx"
mkdir -p "$work/module" "$work/include"
cp "$config" "$source" "$work/module/"
for header in "$@"; do
  # paths relative to the workspace root (runtime/trinity_c.h), as the module includes them
  mkdir -p "$work/include/$(dirname "$header")"
  cp "$header" "$work/include/$header"
done

# shellcheck disable=SC1091
source "$src/conf_flags"   # defines NGX_CONF_FLAGS, the flags Debian's nginx was built with
cd "$work/nginx"
export TRINITY_INCLUDE="$work/include"
export TRINITY_LIBS="$archive $(cat "$linkopts") -lstdc++ -lm"
if ! ./configure "${NGX_CONF_FLAGS[@]}" --add-dynamic-module="$work/module" >"$work/configure.log" 2>&1; then
  tail -30 "$work/configure.log" >&2
  exit 1
fi
if ! make -f objs/Makefile modules >"$work/make.log" 2>&1; then
  tail -40 "$work/make.log" >&2
  exit 1
fi
cp objs/ngx_http_trinity_module.so "$out"
