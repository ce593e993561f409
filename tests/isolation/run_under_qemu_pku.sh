#!/bin/bash
# Runs built isolation test binaries inside a TCG-emulated x86-64 guest whose CPU model
# has protection keys (-cpu max), for machines whose own CPU lacks PKU (the MPK tests skip
# there). Not a Bazel test: it needs qemu-system-x86, a Debian kernel image and
# busybox-static. Usage: tests/isolation/run_under_qemu_pku.sh BINARY [ARGS...] [-- BINARY ...]
# Binaries run from bazel-bin; their shared libraries are copied in via ldd. Data
# directories listed in QEMU_DATA (workspace-relative, space-separated) are copied to the
# same relative path under the guest's working directory, /.
set -euo pipefail
kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1)
[[ -n "$kernel" ]] || { echo "no /boot/vmlinuz-*: apt-get install linux-image-amd64" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || { echo "apt-get install qemu-system-x86" >&2; exit 2; }
busybox=$(command -v busybox) || { echo "apt-get install busybox-static" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,lib,lib64,proc,sys,dev,tmp,tests}
cp "$busybox" "$root/bin/busybox"
commands=()
current=()
for arg in "$@" --; do
  if [[ "$arg" == "--" ]]; then
    if ((${#current[@]})); then
      bin=${current[0]}
      cp "$bin" "$root/tests/"
      ldd "$bin" | awk '/=>/ {print $3} /ld-linux/ {print $1}' | while read -r lib; do
        [[ -f "$lib" ]] && cp -L "$lib" "$root/lib/"
      done
      commands+=("/tests/$(basename "$bin") ${current[*]:1}")
      current=()
    fi
  else
    current+=("$arg")
  fi
done
cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/"
for dir in ${QEMU_DATA:-}; do
  mkdir -p "$root/$dir" && cp -r "$dir"/. "$root/$dir/"
done
{
  echo '#!/bin/busybox sh'
  echo '/bin/busybox mount -t proc proc /proc'
  echo '/bin/busybox mount -t sysfs sys /sys'  # BTF, uprobes and bpffs for tests/bpf
  echo '/bin/busybox mount -t tmpfs tmp /tmp'
  echo '/bin/busybox mount -t devtmpfs dev /dev'
  echo 'export LD_LIBRARY_PATH=/lib TEST_TMPDIR=/tmp'
  for c in "${commands[@]}"; do
    echo "echo \"=== $c\"; $c; echo \"=== exit \$?\""
  done
  echo '/bin/busybox poweroff -f'
} > "$root/init"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1 > "$work/initrd.gz")
timeout 1800 qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m 2048 -nographic -no-reboot \
  -kernel "$kernel" -initrd "$work/initrd.gz" -append "console=ttyS0 quiet panic=-1" |
  tr -d '\r' | sed -e 's/^.*=== /=== /' | sed -n '/^=== /,$p' | grep -v 'reboot: Power down'
