// The fallback where protection keys are missing. TRINITY_DISABLE_MPK is set before
// anything probes, so this runs the unisolated path on every machine: a required domain
// is refused with the reason, a preferred one runs plugins unisolated (with a one-time
// notice) and protecting host memory reports that it cannot.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "isolation/mpk_isolation.h"
#include "tests/runtime/test_module_builder.h"

namespace trinity::isolation {
namespace {

using trinity::testing::ModuleBuilder;

const bool kDisabled = setenv("TRINITY_DISABLE_MPK", "1", 1) == 0;

TEST(MpkFallbackTest, RequiredIsRefusedPreferredRunsUnisolated) {
  ASSERT_TRUE(kDisabled);
  EXPECT_FALSE(MpkAvailable());
  EXPECT_NE(MpkUnavailableReason().find("TRINITY_DISABLE_MPK"), std::string::npos);

  auto required = MpkDomain::Create(IsolationPolicy::kRequired);
  ASSERT_FALSE(required.ok());
  EXPECT_NE(required.error().find("required but unavailable"), std::string::npos) << required.error();

  ModuleBuilder b;
  b.Func("answer", 0, 0, [](CodeEmitter& e) {
    e.Emit(Op::kPushInt, 42);
    e.Emit(Op::kReturn);
  });
  ::testing::internal::CaptureStderr();
  auto a = CreateIsolatedInstance(b.Load(), {}, {}, IsolationPolicy::kPreferred);
  auto second = MpkDomain::Create(IsolationPolicy::kPreferred);
  std::string notice = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(a.ok()) << a.error();
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(a.value().domain->isolated());
  EXPECT_EQ(a.value().domain->current_key(), -1);
  EXPECT_EQ(notice,
            "trinity: memory protection keys disabled by TRINITY_DISABLE_MPK; running plugins "
            "without MPK isolation\n")
      << "said once, for two domains";
  auto r = a.value().instance->Call("answer");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r.value().i, 42);

  int64_t word = 0;
  EXPECT_FALSE(ProtectHostRegion(&word, sizeof word).ok());
  EXPECT_FALSE(InitializeMpk().ok());
}

}  // namespace
}  // namespace trinity::isolation
