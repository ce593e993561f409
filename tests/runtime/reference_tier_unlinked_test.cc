// A program that does not link //runtime:reference_tier (a minimal embedding) runs the fast
// tier and refuses the reference tier with an error that names the library to link.
#include <gtest/gtest.h>

#include "tests/runtime/test_module_builder.h"

namespace trinity {
namespace {

TEST(ReferenceTierUnlinked, CreateNamesTheLibraryAndTheFastTierStillRuns) {
  testing::ModuleBuilder b;
  b.Func("main", 0, 0, [](CodeEmitter& e) {
    e.Emit(Op::kPushInt, 7);
    e.Emit(Op::kReturn);
  });
  auto module = b.Load();
  ASSERT_TRUE(module);
  InstanceOptions reference;
  reference.tier = ExecutionTier::kReference;
  auto refused = Instance::Create(module, HostFunctions{}, reference);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("//runtime:reference_tier"), std::string::npos) << refused.error();
  auto fast = Instance::Create(module, HostFunctions{}, InstanceOptions{});
  ASSERT_TRUE(fast.ok()) << fast.error();
  auto r = fast.value()->Call("main");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), HostValue::Int(7));
}

}  // namespace
}  // namespace trinity
