// `trinity attest`: the kernel's view (through /dev/trinity) next to the runtime's, for an
// MPK domain created as `run` would create it and, with --sandbox, after lock-down. For
// operators checking a machine, and for the QEMU test of kmod/.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "isolation/kernel_attestor.h"
#include "isolation/kernel_checks.h"
#include "isolation/mpk_isolation.h"
#include "isolation/seccomp_policy.h"
#include "tools/cli_commands.h"
#include "tools/cli_sandbox.h"

namespace trinity::cli {
namespace {

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string Prot(uint32_t prot) {
  std::string s = "---";
  if (prot & isolation::kKernelProtRead) s[0] = 'r';
  if (prot & isolation::kKernelProtWrite) s[1] = 'w';
  if (prot & isolation::kKernelProtExec) s[2] = 'x';
  return s;
}

void Row(const std::string& what, const std::string& kernel, const std::string& runtime) {
  std::printf("  %-22s %-28s %s\n", what.c_str(), kernel.c_str(), runtime.c_str());
}

// Prints one moment's two views and returns its disagreements.
std::vector<std::string> ShowMoment(const char* moment, isolation::KernelAttestor* attestor,
                                    const isolation::MpkDomain* domain,
                                    const isolation::SeccompPolicy* policy) {
  const int64_t user_pkru = isolation::UserPkru();
  const isolation::DomainBelief belief = domain ? domain->belief() : isolation::DomainBelief{};
  const bool has_range = belief.reservation.length != 0;
  std::printf("%s:\n", moment);
  Row("", "kernel", "runtime");
  isolation::KernelView view;
  if (attestor != nullptr) {
    std::vector<isolation::MemoryRange> ranges;
    if (has_range) ranges.push_back(belief.reservation);
    auto attested = attestor->Attest(ranges);
    if (!attested) return {attested.error()};
    view = std::move(attested.value());
  }
  auto kernel = [&](const std::string& text) { return attestor ? text : std::string("-"); };
  Row("thread PKRU", kernel(view.pkru_valid ? Hex(view.pkru) : "no protection keys"),
      user_pkru >= 0 ? Hex(static_cast<uint64_t>(user_pkru)) : "no protection keys");
  Row("seccomp",
      kernel("mode " + std::to_string(view.seccomp_mode) + ", " +
             std::to_string(view.seccomp_filters) + " filter(s)"),
      policy ? "policy " + std::string(policy->name) + " loaded" : "no filter loaded");
  Row("W+X mappings",
      kernel(view.wx_mappings == 0 ? "none"
                                   : std::to_string(view.wx_mappings) + ", first at " +
                                         Hex(view.first_wx.start)),
      "none expected");
  if (has_range) {
    std::string k = "-";
    if (!view.ranges.empty()) {
      const isolation::AttestedRange& r = view.ranges[0];
      k = Prot(r.prot) + ", key " + std::to_string(r.pkey) +
          ((r.flags & isolation::kRangeHole) ? ", holes" : "");
    }
    Row("instance " + std::to_string(belief.id) + " memory", k,
        "key " + std::to_string(belief.pkey) + ", " +
            std::to_string(belief.reservation.length >> 20) + " MiB at " +
            Hex(belief.reservation.start));
  }
  if (attestor == nullptr) return {};
  std::vector<std::string> out = isolation::CompareProcess(view, user_pkru);
  std::vector<std::string> more;
  if (has_range) more = isolation::CompareDomain(view, belief);
  if (policy != nullptr) {
    for (std::string& d : isolation::CompareLockedDown(view, isolation::LockDownBelief{})) {
      more.push_back(std::move(d));
    }
  }
  for (std::string& d : more) out.push_back(std::move(d));
  return out;
}

}  // namespace

int AttestCommand(const CliArgs& args) {
  const SandboxPlan plan = PlanSandbox(args);
  isolation::KernelAttestor* attestor = isolation::ProcessAttestor();
  std::printf("trinity attest: kernel view from %s\n",
              attestor ? attestor->source().c_str()
                       : "nowhere: /dev/trinity is absent (load kmod/trinity.ko)");
  std::unique_ptr<isolation::MpkDomain> domain;
  if (plan.isolate == Isolate::kMpk) {
    auto created = isolation::MpkDomain::Create(isolation::IsolationPolicy::kPreferred);
    if (!created) return Report(Failure{kExitTrap, "trinity: " + created.error() + "\n"});
    domain = std::move(created.value());
  }
  std::vector<std::string> disagreements =
      ShowMoment("after creating an instance domain", attestor, domain.get(), nullptr);
  if (plan.policy != nullptr) {
    // LockDown attests too, and fails when the kernel disagrees.
    if (auto locked = LockDown(plan); !locked) return Report(locked.error());
    for (std::string& d : ShowMoment("after lock-down", attestor, domain.get(), plan.policy)) {
      disagreements.push_back(std::move(d));
    }
  }
  int status = kExitOk;
  if (attestor == nullptr) {
    std::puts("verdict: no kernel view to compare with");
    status = kExitUnavailable;
  } else if (disagreements.empty()) {
    std::puts("verdict: kernel and runtime agree");
  } else {
    for (const std::string& d : disagreements) std::printf("disagreement: %s\n", d.c_str());
    std::puts("verdict: kernel and runtime DISAGREE");
    status = kExitTrap;
  }
  std::fflush(stdout);
  if (plan.policy != nullptr) ExitLockedDown(status);
  return status;
}

}  // namespace trinity::cli
