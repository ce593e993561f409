// Kernel cross-checks (kernel_checks.h): what the layer believes, compared field by field
// with a KernelView. Kept free of key-pool details so the comparisons can be tested with
// made-up views where no kernel module can be loaded.
#include "isolation/kernel_checks.h"

#include <cstdio>

#include "isolation/mpk_isolation.h"
#include "isolation/pkru.h"

namespace trinity::isolation {
namespace {

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

void ComparePkru(const KernelView& view, int64_t user_pkru, std::vector<std::string>& out) {
  if (user_pkru < 0) {
    if (view.pkru_valid) out.push_back("kernel uses protection keys, runtime found none");
    return;
  }
  if (!view.pkru_valid) {
    out.push_back("runtime uses protection keys, kernel reports none");
  } else if (view.pkru != static_cast<uint32_t>(user_pkru)) {
    out.push_back("thread PKRU: kernel " + Hex(view.pkru) + ", runtime " + Hex(user_pkru));
  }
}

void CompareWx(const KernelView& view, std::vector<std::string>& out) {
  if (view.wx_mappings == 0) return;
  out.push_back(std::to_string(view.wx_mappings) +
                " writable+executable mapping(s), the first at [" + Hex(view.first_wx.start) +
                ", " + Hex(view.first_wx.start + view.first_wx.length) +
                "): plugin domains can write key-0 memory, so code could be planted there");
}

Result<Unit, std::string> Verdict(const std::string& moment, const KernelAttestor& attestor,
                                  const std::vector<std::string>& disagreements) {
  if (disagreements.empty()) return Unit{};
  std::string message = "kernel attestation (" + attestor.source() + ") " + moment + ": ";
  for (size_t i = 0; i < disagreements.size(); ++i) {
    message += (i == 0 ? "" : "; ") + disagreements[i];
  }
  return Err(message);
}

}  // namespace

int64_t UserPkru() { return MpkAvailable() ? static_cast<int64_t>(ReadPkru()) : -1; }

std::vector<std::string> CompareProcess(const KernelView& view, int64_t user_pkru) {
  std::vector<std::string> out;
  ComparePkru(view, user_pkru, out);
  CompareWx(view, out);
  return out;
}

std::vector<std::string> CompareDomain(const KernelView& view, const DomainBelief& belief) {
  std::vector<std::string> out;
  if (view.pkru_valid && (!CanRead(view.pkru, belief.pkey) || !CanWrite(view.pkru, belief.pkey))) {
    out.push_back("thread PKRU " + Hex(view.pkru) + " denies the host key " +
                  std::to_string(belief.pkey) + " of instance " + std::to_string(belief.id));
  }
  if (view.ranges.size() != 1) {
    out.push_back("expected 1 range, kernel described " + std::to_string(view.ranges.size()));
    return out;
  }
  const AttestedRange& r = view.ranges[0];
  const std::string what = "instance " + std::to_string(belief.id) + " reservation [" +
                           Hex(belief.reservation.start) + ", " +
                           Hex(belief.reservation.start + belief.reservation.length) + ")";
  if (r.flags & kRangeHole) out.push_back(what + " is not entirely mapped");
  if (r.pkey != belief.pkey || (r.flags & kRangeMixedPkey)) {
    out.push_back(what + " carries key " + std::to_string(r.pkey) +
                  ((r.flags & kRangeMixedPkey) ? " and others" : "") + ", runtime tagged it " +
                  std::to_string(belief.pkey));
  }
  if (r.prot & kKernelProtExec) out.push_back(what + " is executable");
  return out;
}

std::vector<std::string> CompareLockedDown(const KernelView& view, const LockDownBelief& belief) {
  std::vector<std::string> out;
  constexpr uint32_t kSeccompModeFilter = 2;
  if (view.seccomp_mode != kSeccompModeFilter) {
    out.push_back("seccomp mode " + std::to_string(view.seccomp_mode) +
                  " in the kernel, but a filter was loaded");
  } else if (view.seccomp_filters < belief.min_filters) {
    out.push_back(std::to_string(view.seccomp_filters) + " seccomp filter(s) in the kernel, " +
                  std::to_string(belief.min_filters) + " loaded by the runtime");
  }
  return out;
}

Result<Unit, std::string> AttestDomainCreated(const DomainBelief& belief) {
  KernelAttestor* attestor = ProcessAttestor();
  if (attestor == nullptr) return Unit{};
  const MemoryRange ranges[] = {belief.reservation};
  auto view = attestor->Attest(ranges);
  if (!view) return Err("kernel attestation of a new MPK domain failed: " + view.error());
  std::vector<std::string> found = CompareProcess(view.value(), UserPkru());
  for (std::string& d : CompareDomain(view.value(), belief)) found.push_back(std::move(d));
  return Verdict("disagrees about a new MPK domain", *attestor, found);
}

Result<Unit, std::string> AttestLockedDown(const LockDownBelief& belief) {
  KernelAttestor* attestor = ProcessAttestor();
  if (attestor == nullptr) return Unit{};
  auto view = attestor->Attest({});
  if (!view) return Err("kernel attestation of the sandbox failed: " + view.error());
  std::vector<std::string> found = CompareProcess(view.value(), UserPkru());
  for (std::string& d : CompareLockedDown(view.value(), belief)) found.push_back(std::move(d));
  return Verdict("disagrees about the sandbox", *attestor, found);
}

Result<int, std::string> RegisterJitCode(const void* code, size_t size, std::string_view name) {
  KernelAttestor* attestor = ProcessAttestor();
  if (attestor == nullptr) return -1;
  return attestor->RegisterJitCode(code, size, name);
}

}  // namespace trinity::isolation
