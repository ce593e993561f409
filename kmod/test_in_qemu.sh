#!/bin/bash
# Tests trinity.ko where it can be loaded: boots Debian's 6.1 kernel under QEMU (TCG;
# -cpu max, so the guest has protection keys) with an initramfs of busybox, the module,
# static test programs and the trinity binary with its libraries, and runs
# kmod/tests/guest_test.sh as init. Exits 0 only when every guest check passed.
# Bounded: the guest fuzzes for KMOD_FUZZ_SECONDS (10) and is killed after
# KMOD_QEMU_TIMEOUT seconds (300). Needs tools/setup.sh's packages; run from anywhere.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
# shellcheck source=kmod/kernel_release.sh
source kmod/kernel_release.sh
release=$(trinity_kernel_release)
kernel=/boot/vmlinuz-$release
[[ -f "$kernel" ]] || { echo "kmod: no $kernel (apt-get install linux-image-amd64)" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || { echo "kmod: apt-get install qemu-system-x86" >&2; exit 2; }
busybox=$(command -v busybox) || { echo "kmod: apt-get install busybox-static" >&2; exit 2; }
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' ||
  { echo "kmod: the guest needs a static busybox: apt-get install busybox-static" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,lib,lib64,proc,sys,dev,tmp}

kmod/build.sh "$root/trinity.ko"
strip --strip-debug "$root/trinity.ko"  # the emulated CPU unpacks every byte at boot
for prog in ioctl_check ioctl_fuzz; do
  gcc -static -O2 -Wall -Wextra -Werror -pthread -o "$root/bin/$prog" "kmod/tests/$prog.c"
done
if ! bazel build -c opt //tools:trinity //tests/isolation:kernel_attestation_test \
    //tests/isolation:kernel_checks_test > "$work/bazel.log" 2>&1; then
  cat "$work/bazel.log" >&2
  exit 1
fi
bin=$(bazel info -c opt bazel-bin 2>/dev/null)
for exe in "$bin/tools/trinity" "$bin/tests/isolation/kernel_attestation_test" \
           "$bin/tests/isolation/kernel_checks_test"; do
  [[ -x "$exe" ]] || { echo "kmod: $exe was not built" >&2; exit 1; }
  cp "$exe" "$root/bin/"
  strip --strip-debug "$root/bin/$(basename "$exe")"
  ldd "$exe" | awk '/=>/ {print $3}' | while read -r lib; do
    [[ -f "$lib" ]] && cp -L "$lib" "$root/lib/"
  done
done
cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
cp kmod/tests/fib20.tri kmod/tests/loop_jit.tri "$root/"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [[ -e "$root/bin/$applet" ]] || ln -s busybox "$root/bin/$applet"
done
cp kmod/tests/guest_test.sh "$root/init"
echo "${KMOD_FUZZ_SECONDS:-10}" > "$root/fuzz_seconds"
(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1 > "$work/initrd.gz")

start=$EPOCHREALTIME
timeout "${KMOD_QEMU_TIMEOUT:-300}" qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 1024 \
  -nographic -nic none -no-reboot -kernel "$kernel" -initrd "$work/initrd.gz" \
  -append "console=ttyS0 quiet panic=-1 oops=panic" </dev/null | tr -d '\r' > "$work/console.log" || true
elapsed=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
grep -v 'reboot: Power down' "$work/console.log" || true
summary=$(grep -E '^kmod-guest: [0-9]+ passed, [0-9]+ failed' "$work/console.log" | tail -1 || true)
echo "kmod: boot to result ${elapsed} s (kernel $release, QEMU TCG)"
if [[ -z "$summary" ]]; then
  echo "kmod: the guest did not finish; its console:" >&2
  tail -60 "$work/console.log" >&2
  exit 1
fi
[[ "$summary" == *" 0 failed" ]]
