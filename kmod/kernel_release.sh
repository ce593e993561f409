# Sourced by kmod's scripts: the Debian 6.1 kernel they build for and boot, as its
# release string (6.1.0-57-amd64): the newest 6.1 headers installed, which
# linux-headers-amd64 and linux-image-amd64 keep in step with the image in /boot.
trinity_kernel_release() {
  local dir
  dir=$(ls -d /usr/src/linux-headers-6.1.*-amd64 2>/dev/null | sort -V | tail -1)
  [[ -n "$dir" ]] || { echo "kmod: no Debian 6.1 headers (apt-get install linux-headers-amd64)" >&2; return 2; }
  echo "${dir#/usr/src/linux-headers-}"
}
