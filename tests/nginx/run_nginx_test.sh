#!/usr/bin/env bash
# Bazel entry point of the nginx module's end-to-end test (a script target, since the
# test drives Debian's nginx binary and HTTP, which Python's standard library does well).
exec python3 "$(dirname "$0")/nginx_module_test.py" "$@"
