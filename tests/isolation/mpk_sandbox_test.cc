// MPK domains under a seccomp sandbox. Once a policy is loaded, pkey_mprotect and
// pkey_alloc are refused for the whole process, so a heap must grow inside the
// reservation tagged when its domain opened, and keys stop rotating (key_pool.cc). Each
// case runs in a forked child (sandbox_test_support.h) under strict and under server.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "isolation/containment_gate.h"
#include "isolation/mpk_isolation.h"
#include "isolation/mpk_memory_provider.h"
#include "isolation/seccomp_filter.h"
#include "tests/isolation/mpk_test_support.h"
#include "tests/isolation/sandbox_test_support.h"

namespace trinity::isolation {
namespace {

using testing::Compile;
using testing::RunInChild;

// grow(n) keeps n strings of 4 KiB and more alive, plus one of 3 MiB: about 11 MiB of
// heap, far past the provider's first 64 KiB chunk, in small blocks and page runs.
constexpr const char* kPlugin = R"(
export fn grow(n) {
  let parts = []
  let total = 0
  for i in 0..n {
    let s = repeat("ab", 2048 + i)
    push(parts, s)
    total += len(s)
  }
  let big = repeat("x", 3145728)
  return total + len(big)
}
export fn answer() { return 42 }
)";
constexpr int64_t kSteps = 1500;
constexpr int64_t kGrown = 4096 * kSteps + kSteps * (kSteps - 1) + 3145728;
constexpr size_t kHeapLimit = 64u << 20;
constexpr const char* kPolicies[] = {"strict", "server"};

InstanceOptions Options() {
  InstanceOptions options;
  options.limits.max_heap_bytes = kHeapLimit;
  return options;
}

std::string Install(const char* policy) {
  // Landlock is not what this test is about; kernels without it still load the filter.
  auto installed = InstallSeccompPolicy(*FindPolicy(policy), ViolationResponse::kTrap,
                                        WithoutLandlock::kLoad);
  return installed ? "" : "install: " + installed.error() + "; ";
}

// Runs `body(policy)` in a forked child once per policy; a non-empty result fails.
void ExpectUnderEachPolicy(const std::function<std::string(const char*)>& body) {
  for (const char* policy : kPolicies) {
    auto outcome = RunInChild([&body, policy] { return body(policy); });
    EXPECT_TRUE(outcome.Passed()) << policy << ": " << outcome.Describe();
  }
}

// "" when grow() ran to the end with no seccomp violation anywhere in the process.
std::string Grow(Instance& instance, const std::string& who) {
  const uint64_t violations = SeccompViolationCount();
  HostValue n[] = {HostValue::Int(kSteps)};
  auto r = instance.Call("grow", n);
  if (!r.ok()) return who + ": grow trapped: " + r.error().ToString() + "; ";
  if (r.value().i != kGrown) return who + ": grow returned " + r.value().ToString() + "; ";
  if (SeccompViolationCount() != violations) {
    return who + ": refused system call " + std::to_string(LastRefusedSyscall()) + "; ";
  }
  return "";
}

// Without protection keys: the reservation logic alone, as the unisolated path would use
// it. Every page the heap needs is committed by mprotect inside the reservation.
TEST(MpkSandboxTest, UntaggedReservationServesAGrowingHeapUnderEachPolicy) {
  ExpectUnderEachPolicy([](const char* policy) -> std::string {
    auto memory = MpkMemoryProvider::Untagged(ReservationBytes(kHeapLimit));
    if (!memory) return "no reservation";
    ContainmentGate gate;
    InstanceOptions options = Options();
    options.memory = memory.get();
    options.gate = &gate;
    auto instance = Instance::Create(Compile(kPlugin), {}, options);
    if (!instance.ok()) return "instance: " + instance.error();
    const size_t at_start = memory->mapped_bytes();
    if (std::string failed = Install(policy); !failed.empty()) return failed;
    std::string fails = Grow(*instance.value(), policy);
    if (memory->mapped_bytes() < at_start + (8u << 20)) {
      fails += "the heap did not grow (" + std::to_string(memory->mapped_bytes()) + " bytes); ";
    }
    return fails;
  });
}

// The way `trinity run --isolate=mpk --sandbox=...` runs: instance created, then lock-down,
// then plugin code, whose first entry and whole heap growth need no key change. A second
// instance created under the filter gets a key and memory tagged before lock-down.
TEST(MpkSandboxTest, MpkInstanceGrowsItsHeapUnderEachPolicy) {
  TRINITY_REQUIRE_MPK();
  ExpectUnderEachPolicy([](const char* policy) -> std::string {
    if (auto init = InitializeMpk(); !init) return "InitializeMpk: " + init.error();
    auto module = Compile(kPlugin);
    auto before = CreateIsolatedInstance(module, {}, Options(), IsolationPolicy::kRequired);
    if (!before.ok()) return "instance: " + before.error();
    if (std::string failed = Install(policy); !failed.empty()) return failed;
    if (!GetMpkStats().sealed) return "installing the policy did not seal the key pool";
    std::string fails = Grow(*before.value().instance, "created before lock-down");
    if (before.value().domain->current_key() < 0) fails += "no key after running; ";
    if (before.value().domain->mapped_bytes() < (8u << 20)) fails += "the heap did not grow; ";
    auto after = CreateIsolatedInstance(module, {}, Options(), IsolationPolicy::kRequired);
    if (!after.ok()) return fails + "instance after lock-down: " + after.error();
    fails += Grow(*after.value().instance, "created after lock-down");
    if (after.value().domain->current_key() == before.value().domain->current_key()) {
      fails += "two live instances share a key; ";
    }
    return fails;
  });
}

// Keys cannot be rotated under the filter, so each key serves one live instance: those
// created before lock-down beyond the keys cannot run (and say why), a creation beyond
// them fails with an error, and a key freed by destroying an instance serves the next
// one, with the previous owner's data gone.
TEST(MpkSandboxTest, MoreInstancesThanKeysUnderEachPolicy) {
  TRINITY_REQUIRE_MPK();
  ExpectUnderEachPolicy([](const char* policy) -> std::string {
    if (auto init = InitializeMpk(); !init) return "InitializeMpk: " + init.error();
    const size_t keys = GetMpkStats().instance_keys;
    auto module = Compile(kPlugin);
    std::vector<IsolatedInstance> early;
    for (size_t i = 0; i < keys + 2; ++i) {
      auto created = CreateIsolatedInstance(module, {}, Options(), IsolationPolicy::kRequired);
      if (!created.ok()) return "instance " + std::to_string(i) + ": " + created.error();
      early.push_back(std::move(created).value());
    }
    if (std::string failed = Install(policy); !failed.empty()) return failed;
    std::string fails;
    if (GetMpkStats().bound_domains != keys) fails += "sealing did not hand out every key; ";
    size_t ran = 0;
    size_t stranded = 0;
    for (IsolatedInstance& isolated : early) {
      auto r = isolated.instance->Call("answer");
      if (r.ok() && r.value().i == 42) {
        ++ran;
      } else if (!r.ok() && r.error().kind == TrapKind::kIsolationViolation &&
                 r.error().message.find("holds no protection key") != std::string::npos) {
        ++stranded;
      } else {
        fails += "unexpected outcome: " + (r.ok() ? r.value().ToString() : r.error().ToString()) + "; ";
      }
    }
    if (ran != keys || stranded != 2) {
      fails += std::to_string(ran) + " ran and " + std::to_string(stranded) + " had no key; ";
    }

    auto extra = CreateIsolatedInstance(module, {}, Options(), IsolationPolicy::kRequired);
    if (extra.ok()) {
      fails += "a domain was created with every key held; ";
    } else if (extra.error().find("no protection key is free") == std::string::npos) {
      fails += "unclear error: " + extra.error() + "; ";
    }

    auto keyed = std::find_if(early.begin(), early.end(),
                              [](const IsolatedInstance& i) { return i.domain->current_key() >= 0; });
    const int freed_key = keyed->domain->current_key();
    keyed->instance.reset();  // instance first, then its domain
    keyed->domain.reset();
    {
      auto fresh = CreateIsolatedInstance(module, {}, Options(), IsolationPolicy::kRequired);
      if (!fresh.ok()) return fails + "no instance after freeing a key: " + fresh.error();
      if (fresh.value().domain->current_key() != freed_key) fails += "the freed key was not reused; ";
      fails += Grow(*fresh.value().instance, "created on a freed key");
    }

    // The same key and the same pages for the next domain: zeroed in between.
    constexpr size_t kBlock = 64 * 1024;
    char* secret = nullptr;
    {
      auto first = MpkDomain::Create(IsolationPolicy::kRequired, Options().limits);
      if (!first.ok()) return fails + "domain: " + first.error();
      secret = static_cast<char*>(first.value()->memory()->Allocate(kBlock, 16));
      std::memset(secret, 0x5a, kBlock);
    }
    auto second = MpkDomain::Create(IsolationPolicy::kRequired, Options().limits);
    if (!second.ok()) return fails + "domain: " + second.error();
    auto* reused = static_cast<char*>(second.value()->memory()->Allocate(kBlock, 16));
    if (reused != secret) {
      fails += "expected the key's pages again; ";
    } else if (!std::all_of(reused, reused + kBlock, [](char c) { return c == 0; })) {
      fails += "the previous domain's data survived; ";
    }

    // Re-tagging host memory is refused by the filter: an error, not SIGSYS.
    void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    auto protect = ProtectHostRegion(page, 4096);
    if (protect.ok() || protect.error().find("pkey_mprotect") == std::string::npos) {
      fails += "ProtectHostRegion after lock-down: " +
               (protect.ok() ? std::string("succeeded") : protect.error()) + "; ";
    }
    return fails;
  });
}

// No key was allocated before lock-down (nothing in this test binary's parent process
// allocates any): pkey_alloc is refused from then on, so MPK is reported unavailable
// with the reason instead of the process dying of SIGSYS on its first domain.
TEST(MpkSandboxTest, KeysNotAllocatedBeforeLockDownLeaveMpkOffWithAReason) {
  TRINITY_REQUIRE_MPK();
  auto outcome = RunInChild([]() -> std::string {
    if (std::string failed = Install("strict"); !failed.empty()) return failed;
    auto required = MpkDomain::Create(IsolationPolicy::kRequired);
    if (required.ok()) return "a domain was created without keys";
    if (required.error().find("InitializeMpk") == std::string::npos) {
      return "unclear error: " + required.error();
    }
    return "";
  });
  EXPECT_TRUE(outcome.Passed()) << outcome.Describe();
}

}  // namespace
}  // namespace trinity::isolation
