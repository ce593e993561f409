"""NOT_UNDER_SANITIZERS: target_compatible_with for targets that load the module into
Debian's uninstrumented nginx, which cannot host ASan/UBSan-instrumented code (no
sanitizer runtime in that process). The settings live in hosts/nginx/BUILD."""

NOT_UNDER_SANITIZERS = select({
    "//hosts/nginx:asan": ["//hosts/nginx:sanitizers_cannot_load"],
    "//hosts/nginx:ubsan": ["//hosts/nginx:sanitizers_cannot_load"],
    "//conditions:default": [],
})
