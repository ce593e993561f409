// Probing for memory protection keys: the CPU must implement them (CPUID PKU), the kernel
// must have enabled them (OSPKE), and pkey_alloc must work (CONFIG_X86_INTEL_MEMORY_
// PROTECTION_KEYS, no seccomp filter refusing it). Each failure is reported by name.
#include "isolation/mpk_support.h"

#include <cpuid.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace trinity::isolation {
namespace {

MpkSupport Probe() {
  const char* disable = std::getenv("TRINITY_DISABLE_MPK");
  if (disable != nullptr && disable[0] != '\0' && std::strcmp(disable, "0") != 0) {
    return {false, "memory protection keys disabled by TRINITY_DISABLE_MPK"};
  }
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid_max(0, nullptr) < 7) {
    return {false, "CPU lacks memory protection keys (no CPUID leaf 7)"};
  }
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  if ((ecx & (1u << 3)) == 0) {
    return {false, "CPU lacks memory protection keys (CPUID.(EAX=7,ECX=0):ECX.PKU = 0)"};
  }
  if ((ecx & (1u << 4)) == 0) {
    return {false, "kernel has not enabled memory protection keys (CPUID OSPKE = 0)"};
  }
  int key = pkey_alloc(0, 0);
  if (key < 0) {
    return {false, std::string("pkey_alloc failed: ") + std::strerror(errno)};
  }
  pkey_free(key);
  return {true, ""};
}

}  // namespace

const MpkSupport& ProbeMpkSupport() {
  static const MpkSupport support = Probe();
  return support;
}

void NoteRunningUnisolated() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::fprintf(stderr, "trinity: %s; running plugins without MPK isolation\n",
                 ProbeMpkSupport().reason.c_str());
  });
}

size_t PageSize() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

size_t PageRound(size_t n) { return (n + PageSize() - 1) & ~(PageSize() - 1); }

}  // namespace trinity::isolation
