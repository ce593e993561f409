#!/usr/bin/env bash
# The nginx module with real protection keys, for machines whose CPU lacks PKU: boots the
# QEMU guest of tests/isolation/run_under_qemu_pku.sh (-cpu max has PKU), starts Debian's
# nginx there with `trinity_isolation mpk` (which refuses to start without MPK) and
# `trinity_seccomp nginx-worker`, sends a good, a looping and a memory-hungry request, and
# checks the answers and the error log. Not a Bazel test (needs qemu-system-x86, a Debian
# kernel image and busybox-static; a few minutes under TCG).
# Usage: tests/nginx/run_under_qemu_pku.sh [MODULE.so]   (default: the opt build)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
module=$(realpath "${1:-$repo/bazel-out/k8-opt/bin/hosts/nginx/ngx_http_trinity_module.so}")
trinity=$repo/bazel-out/k8-opt/bin/tools/trinity
[[ -f $module && -x $trinity ]] || { echo "build first: bazel build //hosts/nginx:module //tools:trinity" >&2; exit 2; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/nginx" "$stage/etc"
cp "$module" "$repo/tests/nginx/plugins/hostile.tri" "$repo/tests/nginx/plugins/echo.tri" "$stage/nginx/"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$stage/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$stage/etc/group"
cat > "$stage/nginx/nginx.conf" <<'CONF'
load_module /nginx/ngx_http_trinity_module.so;
worker_processes 1;
error_log /nginx/error.log info;
pid /nginx/nginx.pid;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path /tmp/body; proxy_temp_path /tmp/proxy; fastcgi_temp_path /tmp/fcgi;
  uwsgi_temp_path /tmp/uwsgi; scgi_temp_path /tmp/scgi;
  trinity_isolation mpk;
  trinity_seccomp nginx-worker;
  server {
    listen 127.0.0.1:8080;
    location /h { content_by_trinity_file /nginx/hostile.tri; trinity_limits timeout=300 heap=4m fuel=0; }
    location /echo { content_by_trinity_file /nginx/echo.tri; }
  }
}
CONF

# Every command must be a dynamic executable (the runner copies their libraries in);
# `trinity policy show` brings libstdc++ and libseccomp, which the module needs.
cd "$stage"
curl=(/usr/bin/curl -m 120 -s)
out=$(QEMU_DATA="nginx etc" "$repo/tests/isolation/run_under_qemu_pku.sh" \
  "$trinity" policy show nginx-worker -- "$(command -v ip)" link set lo up -- \
  "$(command -v nginx)" -c /nginx/nginx.conf -- /usr/bin/sleep 5 -- \
  "${curl[@]}" "http://127.0.0.1:8080/echo?x=1" -- \
  "${curl[@]}" "http://127.0.0.1:8080/h?do=loop" -- \
  "${curl[@]}" "http://127.0.0.1:8080/h" -- /usr/bin/cat /nginx/error.log)
echo "$out" | grep -v '^  ' | tail -25

fail=0
check() { grep -qE -- "$1" <<<"$out" || { echo "MISSING: $1" >&2; fail=1; }; }
check 'args=\{"x": "1"\}'
check '<title>500 Internal Server Error</title>'
check '^fine$'
check 'trapped in fn handle at line 13: deadline exceeded'
check 'worker runs under seccomp policy "nginx-worker"'
if grep -qE 'without MPK isolation|exited on signal|\[emerg\]|\[alert\]' <<<"$out"; then
  echo "UNEXPECTED: unisolated, crashed or refused" >&2
  fail=1
fi
((fail == 0)) && echo "nginx module under MPK + nginx-worker seccomp: OK"
exit $fail
