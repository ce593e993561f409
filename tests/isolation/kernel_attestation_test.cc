// The /dev/trinity client against the real kernel module. It can only run where
// kmod/trinity.ko is loaded, which this project does in a QEMU guest
// (kmod/test_in_qemu.sh); elsewhere every test skips, saying so.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include "isolation/kernel_checks.h"
#include "isolation/mpk_isolation.h"
#include "isolation/pkru.h"
#include "isolation/seccomp_filter.h"
#include "isolation/trinity_device.h"
#include "kmod/trinity_uapi.h"
#include "tests/isolation/mpk_test_support.h"
#include "tests/isolation/sandbox_test_support.h"

namespace trinity::isolation {
namespace {

#define REQUIRE_DEVICE()                                                                  \
  do {                                                                                    \
    if (access(TRINITY_DEVICE_PATH, F_OK) != 0) {                                         \
      GTEST_SKIP() << "needs " TRINITY_DEVICE_PATH " (kmod/trinity.ko loaded; modules "   \
                      "load only in the guest of kmod/test_in_qemu.sh)";                  \
    }                                                                                     \
  } while (0)

// An anonymous page with `prot`, unmapped at scope exit.
struct Page {
  explicit Page(int prot)
      : at(mmap(nullptr, 4096, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) {}
  ~Page() { munmap(at, 4096); }
  void* at;
};

TEST(TrinityDevice, OpensWithTheVersionHandshake) {
  REQUIRE_DEVICE();
  auto device = TrinityDevice::Open(TRINITY_DEVICE_PATH);
  ASSERT_TRUE(device.ok()) << device.error();
  EXPECT_NE(device.value()->source().find("(API 1."), std::string::npos);
  EXPECT_TRUE(device.value()->features() & TRINITY_FEATURE_ATTEST);
  EXPECT_TRUE(device.value()->features() & TRINITY_FEATURE_JIT_CODE);
  EXPECT_NE(ProcessAttestor(), nullptr);
}

TEST(TrinityDevice, MissingDeviceIsReportedByName) {
  auto device = TrinityDevice::Open("/dev/trinity-does-not-exist");
  ASSERT_FALSE(device.ok());
  EXPECT_NE(device.error().find("/dev/trinity-does-not-exist: No such file"), std::string::npos)
      << device.error();
}

TEST(TrinityDevice, KernelSeesTheDomainKeyTheRuntimeTagged) {
  REQUIRE_DEVICE();
  TRINITY_REQUIRE_MPK();
  // Create() already had the kernel confirm it; ask again and look at the answer.
  auto domain = MpkDomain::Create(IsolationPolicy::kRequired);
  ASSERT_TRUE(domain.ok()) << domain.error();
  DomainBelief belief = domain.value()->belief();
  ASSERT_GT(belief.pkey, 0);
  const MemoryRange ranges[] = {belief.reservation};
  auto view = ProcessAttestor()->Attest(ranges);
  ASSERT_TRUE(view.ok()) << view.error();
  ASSERT_EQ(view->ranges.size(), 1u);
  EXPECT_EQ(view->ranges[0].pkey, belief.pkey);
  EXPECT_EQ(view->ranges[0].prot, 0u);  // reserved, nothing committed yet
  EXPECT_EQ(view->ranges[0].flags, 0u);
  EXPECT_TRUE(view->pkru_valid);
  EXPECT_EQ(view->pkru, ReadPkru());
  EXPECT_EQ(view->wx_mappings, 0u);
}

TEST(TrinityDevice, WritableExecutableMappingStopsDomainCreation) {
  REQUIRE_DEVICE();
  TRINITY_REQUIRE_MPK();
  {
    Page rwx(PROT_READ | PROT_WRITE | PROT_EXEC);
    ASSERT_NE(rwx.at, MAP_FAILED);
    auto domain = MpkDomain::Create(IsolationPolicy::kRequired);
    ASSERT_FALSE(domain.ok());
    EXPECT_NE(domain.error().find("1 writable+executable mapping(s), the first at ["),
              std::string::npos)
        << domain.error();
  }
  auto domain = MpkDomain::Create(IsolationPolicy::kRequired);
  EXPECT_TRUE(domain.ok()) << domain.error();
}

TEST(TrinityDevice, JitCodeMustBeReadExecuteOnly) {
  REQUIRE_DEVICE();
  Page code(PROT_READ | PROT_WRITE);
  ASSERT_NE(code.at, MAP_FAILED);
  static_cast<unsigned char*>(code.at)[0] = 0xc3;  // ret
  auto refused = RegisterJitCode(code.at, 1, "trace_writable");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("read+execute"), std::string::npos) << refused.error();
  ASSERT_EQ(mprotect(code.at, 4096, PROT_READ | PROT_EXEC), 0);
  auto key = RegisterJitCode(code.at, 1, "trace_ret");
  ASSERT_TRUE(key.ok()) << key.error();
  EXPECT_EQ(key.value(), 0);
  EXPECT_FALSE(RegisterJitCode(code.at, 1, std::string(64, 'n')).ok());
}

TEST(TrinityDevice, LockDownIsConfirmedByTheKernel) {
  REQUIRE_DEVICE();
  testing::ChildOutcome outcome = testing::RunInChild([] {
    auto installed = InstallSeccompPolicy(*FindPolicy("strict"));
    if (!installed.ok()) return installed.error();
    // The strict policy lets exactly this ioctl through.
    auto view = ProcessAttestor()->Attest({});
    if (!view.ok()) return view.error();
    if (view->seccomp_mode != 2 || view->seccomp_filters != 1) {
      return "kernel sees mode " + std::to_string(view->seccomp_mode) + " with " +
             std::to_string(view->seccomp_filters) + " filter(s)";
    }
    return std::string();
  });
  EXPECT_EQ(outcome.Describe(), "");
}

TEST(TrinityDevice, LockDownFailsWithAWritableExecutableMapping) {
  REQUIRE_DEVICE();
  testing::ChildOutcome outcome = testing::RunInChild([] {
    Page rwx(PROT_READ | PROT_WRITE | PROT_EXEC);
    auto installed = InstallSeccompPolicy(*FindPolicy("strict"));
    if (installed.ok()) return std::string("lock-down passed with an RWX page mapped");
    if (installed.error().find("disagrees about the sandbox: 1 writable+executable") ==
        std::string::npos) {
      return "unexpected error: " + installed.error();
    }
    return std::string();
  });
  EXPECT_EQ(outcome.Describe(), "");
}

}  // namespace
}  // namespace trinity::isolation
