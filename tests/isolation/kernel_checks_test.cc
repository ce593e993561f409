// Kernel cross-checks without a kernel module: the comparisons on made-up kernel views,
// and the isolation layer's moments (domain creation, lock-down, JIT registration) asking
// a fake attestor that records each question and answers what the test says.
#include "isolation/kernel_checks.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <functional>

#include "isolation/mpk_isolation.h"
#include "isolation/pkru.h"
#include "isolation/seccomp_filter.h"
#include "tests/isolation/mpk_test_support.h"
#include "tests/isolation/sandbox_test_support.h"

namespace trinity::isolation {
namespace {

class FakeAttestor final : public KernelAttestor {
 public:
  std::function<KernelView(std::span<const MemoryRange>)> answer = [](auto) { return KernelView{}; };
  std::vector<std::vector<MemoryRange>> asked;
  std::vector<std::string> jit_names;

  std::string source() const override { return "fake"; }
  Result<KernelView, std::string> Attest(std::span<const MemoryRange> ranges) override {
    asked.emplace_back(ranges.begin(), ranges.end());
    return answer(ranges);
  }
  Result<int, std::string> RegisterJitCode(const void*, size_t, std::string_view name) override {
    jit_names.emplace_back(name);
    return 7;
  }
};

// Installs the fake for one test; afterwards the process has no attestor.
class KernelChecks : public ::testing::Test {
 protected:
  void SetUp() override { UseAttestor(&fake_); }
  void TearDown() override { UseAttestor(nullptr); }
  FakeAttestor fake_;
};

std::string Joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

KernelView AgreeingView(const DomainBelief& belief) {
  KernelView view;
  view.pkru_valid = true;
  view.pkru = 0x55555550u & ~(3u << (2 * belief.pkey));
  view.ranges.push_back(AttestedRange{belief.reservation, 0, belief.pkey, 0, 1});
  return view;
}

const DomainBelief kBelief{MemoryRange{0x7f0000000000, 1 << 20}, 5, 3};

TEST(KernelCompare, AgreementFindsNothing) {
  KernelView view = AgreeingView(kBelief);
  EXPECT_EQ(Joined(CompareProcess(view, view.pkru)), "");
  EXPECT_EQ(Joined(CompareDomain(view, kBelief)), "");
}

TEST(KernelCompare, ThreadStateDisagreements) {
  KernelView view = AgreeingView(kBelief);
  EXPECT_NE(Joined(CompareProcess(view, 0x55555554)).find("kernel 0x55555150, runtime 0x55555554"),
            std::string::npos)
      << Joined(CompareProcess(view, 0x55555554));
  EXPECT_NE(Joined(CompareProcess(view, -1)).find("runtime found none"), std::string::npos);
  view.pkru_valid = false;
  EXPECT_NE(Joined(CompareProcess(view, 0x55555554)).find("kernel reports none"), std::string::npos);
  view = AgreeingView(kBelief);
  view.pkru |= 1u << (2 * kBelief.pkey);  // the host may no longer read the domain's key
  EXPECT_NE(Joined(CompareDomain(view, kBelief)).find("denies the host key 5 of instance 3"),
            std::string::npos);
}

TEST(KernelCompare, WritableExecutableMappingIsReported) {
  KernelView view = AgreeingView(kBelief);
  view.wx_mappings = 2;
  view.first_wx = MemoryRange{0x400000, 0x1000};
  std::string found = Joined(CompareProcess(view, view.pkru));
  EXPECT_NE(found.find("2 writable+executable mapping(s), the first at [0x400000, 0x401000)"),
            std::string::npos)
      << found;
}

TEST(KernelCompare, ReservationDisagreements) {
  KernelView view = AgreeingView(kBelief);
  view.ranges[0].pkey = 0;
  EXPECT_NE(Joined(CompareDomain(view, kBelief)).find("carries key 0, runtime tagged it 5"),
            std::string::npos);
  view = AgreeingView(kBelief);
  view.ranges[0].flags = kRangeMixedPkey | kRangeHole;
  std::string found = Joined(CompareDomain(view, kBelief));
  EXPECT_NE(found.find("carries key 5 and others"), std::string::npos) << found;
  EXPECT_NE(found.find("is not entirely mapped"), std::string::npos) << found;
  view = AgreeingView(kBelief);
  view.ranges[0].prot = kKernelProtRead | kKernelProtExec;
  EXPECT_NE(Joined(CompareDomain(view, kBelief)).find("is executable"), std::string::npos);
  view.ranges.clear();
  EXPECT_NE(Joined(CompareDomain(view, kBelief)).find("kernel described 0"), std::string::npos);
}

TEST(KernelCompare, SeccompDisagreements) {
  KernelView view;
  EXPECT_NE(Joined(CompareLockedDown(view, LockDownBelief{1})).find("seccomp mode 0"),
            std::string::npos);
  view.seccomp_mode = 2;
  view.seccomp_filters = 1;
  EXPECT_EQ(Joined(CompareLockedDown(view, LockDownBelief{1})), "");
  EXPECT_NE(Joined(CompareLockedDown(view, LockDownBelief{2})).find("2 loaded by the runtime"),
            std::string::npos);
}

TEST_F(KernelChecks, DomainCreationAsksAboutTheReservationAndFailsClosed) {
  // Key 0 is every thread's, so the answer agrees on any machine, with or without PKU.
  const DomainBelief belief{MemoryRange{0x7f0000000000, 1 << 20}, 0, 3};
  fake_.answer = [](std::span<const MemoryRange> ranges) {
    KernelView view;
    view.pkru_valid = MpkAvailable();
    view.pkru = MpkAvailable() ? ReadPkru() : 0;
    view.ranges.push_back(AttestedRange{ranges[0], kKernelProtRead | kKernelProtWrite, 0, 0, 1});
    return view;
  };
  auto agreed = AttestDomainCreated(belief);
  EXPECT_TRUE(agreed.ok()) << agreed.error();
  ASSERT_EQ(fake_.asked.size(), 1u);
  ASSERT_EQ(fake_.asked[0].size(), 1u);
  EXPECT_EQ(fake_.asked[0][0].start, belief.reservation.start);
  EXPECT_EQ(fake_.asked[0][0].length, belief.reservation.length);
  DomainBelief other = belief;
  other.pkey = 9;
  auto refused = AttestDomainCreated(other);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("kernel attestation (fake) disagrees about a new MPK domain"),
            std::string::npos)
      << refused.error();
  EXPECT_NE(refused.error().find("carries key 0, runtime tagged it 9"), std::string::npos)
      << refused.error();
}

TEST_F(KernelChecks, MpkDomainCreationFailsWhenTheKernelDisagrees) {
  TRINITY_REQUIRE_MPK();
  fake_.answer = [](std::span<const MemoryRange> ranges) {
    KernelView view;
    view.pkru_valid = true;
    view.pkru = ReadPkru();
    view.wx_mappings = 1;
    view.first_wx = MemoryRange{0x1000, 0x1000};
    view.ranges.push_back(AttestedRange{ranges[0], 0, -1, kRangeHole, 0});
    return view;
  };
  auto domain = MpkDomain::Create(IsolationPolicy::kRequired);
  ASSERT_FALSE(domain.ok());
  EXPECT_NE(domain.error().find("writable+executable"), std::string::npos) << domain.error();
  EXPECT_NE(domain.error().find("carries key -1"), std::string::npos) << domain.error();
  EXPECT_EQ(GetMpkStats().live_domains, 0u);
}

TEST_F(KernelChecks, LockDownFailsWhenTheKernelSeesNoFilter) {
  // fake_ answers seccomp mode 0 whatever happened.
  testing::ChildOutcome outcome = testing::RunInChild([] {
    auto installed = InstallSeccompPolicy(*FindPolicy("strict"));
    if (installed.ok()) return std::string("lock-down passed though the kernel saw no filter");
    if (installed.error().find("seccomp mode 0 in the kernel") == std::string::npos) {
      return "unexpected error: " + installed.error();
    }
    return std::string();
  });
  EXPECT_EQ(outcome.Describe(), "");
}

TEST_F(KernelChecks, LockDownPassesWhenTheKernelSeesTheFilter) {
  fake_.answer = [](std::span<const MemoryRange>) {
    KernelView view;
    view.pkru_valid = MpkAvailable();
    view.pkru = MpkAvailable() ? ReadPkru() : 0;
    view.seccomp_mode = 2;
    view.seccomp_filters = 1;
    return view;
  };
  testing::ChildOutcome outcome = testing::RunInChild([] {
    auto installed = InstallSeccompPolicy(*FindPolicy("strict"));
    return installed.ok() ? std::string() : installed.error();
  });
  EXPECT_EQ(outcome.Describe(), "");
}

TEST_F(KernelChecks, JitRegistrationGoesToTheAttestor) {
  static const unsigned char code[] = {0xc3};
  auto key = RegisterJitCode(code, sizeof code, "trace_7");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key.value(), 7);
  EXPECT_EQ(fake_.jit_names, std::vector<std::string>{"trace_7"});
}

TEST(KernelChecksWithoutAttestor, EverythingPasses) {
  UseAttestor(nullptr);
  EXPECT_TRUE(AttestDomainCreated(kBelief).ok());
  EXPECT_TRUE(AttestLockedDown(LockDownBelief{1}).ok());
  auto key = RegisterJitCode(nullptr, 1, "x");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key.value(), -1);
}

}  // namespace
}  // namespace trinity::isolation
