// TrinityDevice: open + version handshake, then one ioctl per attestation or JIT code
// registration. Also the process-wide attestor (ProcessAttestor) that opens it once.
#include "isolation/trinity_device.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "kmod/trinity_uapi.h"

namespace trinity::isolation {
namespace {

static_assert(kKernelProtRead == TRINITY_PROT_READ && kKernelProtWrite == TRINITY_PROT_WRITE &&
              kKernelProtExec == TRINITY_PROT_EXEC);
static_assert(kRangeHole == TRINITY_RANGE_HOLE && kRangeMixedProt == TRINITY_RANGE_MIXED_PROT &&
              kRangeMixedPkey == TRINITY_RANGE_MIXED_PKEY);
static_assert(kMaxAttestedRanges == TRINITY_ATTEST_MAX_RANGES);

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// ioctl, retried when a signal interrupts the wait for the mmap lock.
int Ioctl(int fd, unsigned long request, void* arg) {
  int rc;
  do {
    rc = ioctl(fd, request, arg);
  } while (rc != 0 && errno == EINTR);
  return rc;
}

struct ProcessAttestorState {
  std::once_flag opened;
  std::unique_ptr<TrinityDevice> device;
  KernelAttestor* current = nullptr;
  bool replaced = false;
};

ProcessAttestorState& State() {
  static ProcessAttestorState* state = new ProcessAttestorState();  // never destroyed
  return *state;
}

}  // namespace

Result<std::unique_ptr<TrinityDevice>, std::string> TrinityDevice::Open(const std::string& path) {
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return Err(Errno("cannot open " + path));
  std::unique_ptr<TrinityDevice> device(new TrinityDevice(fd, path));
  trinity_version version{};
  if (Ioctl(fd, TRINITY_IOC_VERSION, &version) != 0) {
    return Err(Errno(path + ": version query failed"));
  }
  if (version.major != TRINITY_API_MAJOR) {
    return Err(path + " speaks API " + std::to_string(version.major) + "." +
               std::to_string(version.minor) + "; this runtime needs " +
               std::to_string(TRINITY_API_MAJOR) + ".x");
  }
  device->minor_ = version.minor;
  device->features_ = version.features;
  return device;
}

TrinityDevice::~TrinityDevice() { close(fd_); }

std::string TrinityDevice::source() const {
  return path_ + " (API " + std::to_string(TRINITY_API_MAJOR) + "." + std::to_string(minor_) + ")";
}

Result<KernelView, std::string> TrinityDevice::Attest(std::span<const MemoryRange> ranges) {
  if (ranges.size() > kMaxAttestedRanges) {
    return Err("at most " + std::to_string(kMaxAttestedRanges) + " ranges per attestation");
  }
  std::vector<trinity_range> request(ranges.size());
  for (size_t i = 0; i < ranges.size(); ++i) {
    request[i].start = ranges[i].start;
    request[i].length = ranges[i].length;
  }
  trinity_attest a{};
  a.ranges = reinterpret_cast<uintptr_t>(request.data());
  a.nr_ranges = static_cast<uint32_t>(request.size());
  if (Ioctl(fd_, TRINITY_IOC_ATTEST, &a) != 0) return Err(Errno(path_ + ": attestation failed"));
  KernelView view;
  view.pkru_valid = (a.result_flags & TRINITY_ATTEST_PKRU_VALID) != 0;
  view.pkru = a.pkru;
  view.seccomp_mode = a.seccomp_mode;
  view.seccomp_filters = a.seccomp_filters;
  view.vmas = a.vmas;
  view.wx_mappings = a.wx_mappings;
  view.first_wx = MemoryRange{static_cast<uintptr_t>(a.wx_start),
                              static_cast<size_t>(a.wx_end - a.wx_start)};
  for (const trinity_range& r : request) {
    view.ranges.push_back(AttestedRange{
        MemoryRange{static_cast<uintptr_t>(r.start), static_cast<size_t>(r.length)}, r.prot,
        r.pkey, r.flags, r.vmas});
  }
  return view;
}

Result<int, std::string> TrinityDevice::RegisterJitCode(const void* code, size_t size,
                                                        std::string_view name) {
  trinity_jit_code j{};
  if (name.size() >= sizeof j.name) {
    return Err("JIT code name longer than " + std::to_string(sizeof j.name - 1) + " bytes");
  }
  j.addr = reinterpret_cast<uintptr_t>(code);
  j.size = size;
  std::memcpy(j.name, name.data(), name.size());
  if (Ioctl(fd_, TRINITY_IOC_JIT_CODE, &j) != 0) {
    if (errno == EACCES) return Err(path_ + ": JIT code must be mapped read+execute and writable nowhere");
    return Err(Errno(path_ + ": JIT code registration failed"));
  }
  return static_cast<int>(j.pkey);
}

KernelAttestor* ProcessAttestor() {
  ProcessAttestorState& state = State();
  std::call_once(state.opened, [&state] {
    if (state.replaced) return;
    if (access(TRINITY_DEVICE_PATH, F_OK) != 0) return;  // no module loaded: nothing to attest
    auto device = TrinityDevice::Open(TRINITY_DEVICE_PATH);
    if (!device) {
      std::fprintf(stderr, "trinity: kernel attestation off: %s\n", device.error().c_str());
      return;
    }
    state.device = std::move(device.value());
    state.current = state.device.get();
  });
  return state.current;
}

void UseAttestor(KernelAttestor* attestor) {
  ProcessAttestorState& state = State();
  state.replaced = true;
  state.current = attestor;
}

}  // namespace trinity::isolation
