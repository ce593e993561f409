// A compromised plugin under MPK. This binary links a test-only build of the runtime with
// __peek/__poke, an unchecked 8-byte read/write at any address — a stand-in for a VM bug.
// Without isolation the primitive really reads host memory; under MPK, reading or
// writing host-protected memory or another instance's memory ends the call with an
// isolation-violation trap instead of the data, and the host carries on.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstdio>

#include "isolation/key_pool.h"
#include "isolation/mpk_isolation.h"
#include "isolation/pkru.h"
#include "runtime/builtins.h"
#include "tests/isolation/mpk_test_support.h"
#include "tests/runtime/test_module_builder.h"

namespace trinity::isolation {
namespace {

using trinity::testing::MakeInstance;
using trinity::testing::ModuleBuilder;

// peek(addr) returns 8 bytes at addr; poke(addr, v) stores v there.
std::shared_ptr<const Module> CompromisedPlugin() {
  ModuleBuilder b;
  b.Func("peek", 1, 1, [](CodeEmitter& e) {
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kCallBuiltin, static_cast<int>(Builtin::kTestPeek), 1);
    e.Emit(Op::kReturn);
  });
  b.Func("poke", 2, 2, [](CodeEmitter& e) {
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kLoadLocal, 1);
    e.Emit(Op::kCallBuiltin, static_cast<int>(Builtin::kTestPoke), 2);
    e.Emit(Op::kReturn);
  });
  return b.Load();
}

HostValue Address(const void* p) { return HostValue::Int(static_cast<int64_t>(reinterpret_cast<uintptr_t>(p))); }

std::string Hex(const void* p) {
  char text[32];
  std::snprintf(text, sizeof text, "%#lx", static_cast<unsigned long>(reinterpret_cast<uintptr_t>(p)));
  return text;
}

int64_t* NewPage(int64_t secret) {
  auto* page = static_cast<int64_t*>(mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
                                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  page[0] = secret;
  return page;
}

TEST(MpkContainmentTest, WithoutIsolationThePrimitiveReallyReadsAndWritesHostMemory) {
  auto instance = MakeInstance(CompromisedPlugin());
  ASSERT_TRUE(instance);
  int64_t* page = NewPage(0x5ec2e7);
  HostValue at[] = {Address(page)};
  auto r = instance->Call("peek", at);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r.value().i, 0x5ec2e7);
  HostValue store[] = {Address(page), HostValue::Int(1)};
  ASSERT_TRUE(instance->Call("poke", store).ok());
  EXPECT_EQ(page[0], 1);
  munmap(page, 4096);
}

TEST(MpkContainmentTest, ReadingOrWritingHostProtectedMemoryTraps) {
  TRINITY_REQUIRE_MPK();
  auto isolated = CreateIsolatedInstance(CompromisedPlugin(), {}, {}, IsolationPolicy::kRequired);
  ASSERT_TRUE(isolated.ok()) << isolated.error();
  Instance& plugin = *isolated.value().instance;
  int64_t* page = NewPage(0x5ec2e7);
  ASSERT_TRUE(ProtectHostRegion(page, 4096).ok());
  const uint32_t pkru = ReadPkru();

  HostValue at[] = {Address(page + 1)};
  auto read = plugin.Call("peek", at);
  ASSERT_FALSE(read.ok()) << "got the data: " << read.value().i;
  EXPECT_EQ(read.error().kind, TrapKind::kIsolationViolation);
  EXPECT_EQ(TrapKindName(read.error().kind), "isolation violation");
  EXPECT_NE(read.error().message.find("read of address " + Hex(page + 1)), std::string::npos)
      << read.error().message;
  EXPECT_NE(read.error().message.find("host-protected memory"), std::string::npos);
  EXPECT_EQ(ReadPkru(), pkru);

  HostValue store[] = {Address(page), HostValue::Int(666)};
  auto write = plugin.Call("poke", store);
  ASSERT_FALSE(write.ok());
  EXPECT_EQ(write.error().kind, TrapKind::kIsolationViolation);
  EXPECT_NE(write.error().message.find("write of address " + Hex(page)), std::string::npos)
      << write.error().message;
  EXPECT_EQ(ReadPkru(), pkru);
  EXPECT_EQ(page[0], 0x5ec2e7) << "the host's data is untouched and the host carries on";

  // The instance itself is usable again (reset): its own memory is still its own.
  auto* own = static_cast<int64_t*>(isolated.value().domain->memory()->Allocate(16, 16));
  *own = 4242;
  HostValue mine[] = {Address(own)};
  auto ok = plugin.Call("peek", mine);
  ASSERT_TRUE(ok.ok()) << ok.error().ToString();
  EXPECT_EQ(ok.value().i, 4242);
  isolated.value().domain->memory()->Free(own, 16);
  ASSERT_TRUE(UnprotectHostRegion(page, 4096).ok());
  munmap(page, 4096);
}

// An isolation violation is never catchable: the plugin's try block around the bad
// access would return -1 from its catch block; the call traps instead.
TEST(MpkContainmentTest, IsolationViolationIsNotCatchable) {
  TRINITY_REQUIRE_MPK();
  ModuleBuilder b;
  // guarded(addr): try { return __peek(addr) } catch { return -1 }
  b.Func("guarded", 1, 1, [&](CodeEmitter& e) {
    auto handler = e.NewLabel();
    e.EmitJump(Op::kTryBegin, handler);
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kCallBuiltin, static_cast<int>(Builtin::kTestPeek), 1);
    e.Emit(Op::kTryEnd);
    e.Emit(Op::kReturn);
    e.Bind(handler);
    e.Emit(Op::kPop);
    e.Emit(Op::kPushInt, -1);
    e.Emit(Op::kReturn);
  });
  auto isolated = CreateIsolatedInstance(b.Load(), {}, {}, IsolationPolicy::kRequired);
  ASSERT_TRUE(isolated.ok()) << isolated.error();
  Instance& plugin = *isolated.value().instance;
  int64_t* page = NewPage(0x5ec2e7);
  ASSERT_TRUE(ProtectHostRegion(page, 4096).ok());
  HostValue at[] = {Address(page)};
  auto r = plugin.Call("guarded", at);
  ASSERT_FALSE(r.ok()) << "got " << r.value().ToString();
  EXPECT_EQ(r.error().kind, TrapKind::kIsolationViolation);
  ASSERT_TRUE(UnprotectHostRegion(page, 4096).ok());
  munmap(page, 4096);
}

TEST(MpkContainmentTest, AnotherInstancesHeapIsOutOfReach) {
  TRINITY_REQUIRE_MPK();
  auto attacker = CreateIsolatedInstance(CompromisedPlugin(), {}, {}, IsolationPolicy::kRequired);
  auto victim = CreateIsolatedInstance(CompromisedPlugin(), {}, {}, IsolationPolicy::kRequired);
  ASSERT_TRUE(attacker.ok() && victim.ok());
  // The victim runs once, so it holds a hardware key like a live neighbour would.
  auto* secret = static_cast<int64_t*>(victim.value().domain->memory()->Allocate(64, 16));
  *secret = 0x7e57;
  HostValue own[] = {Address(secret)};
  ASSERT_TRUE(victim.value().instance->Call("peek", own).ok());

  HostValue at[] = {Address(secret)};
  auto read = attacker.value().instance->Call("peek", at);
  ASSERT_FALSE(read.ok()) << "read another instance's data: " << read.value().i;
  EXPECT_EQ(read.error().kind, TrapKind::kIsolationViolation);
  EXPECT_NE(read.error().message.find("instance"), std::string::npos) << read.error().message;

  HostValue store[] = {Address(secret), HostValue::Int(0)};
  auto write = attacker.value().instance->Call("poke", store);
  ASSERT_FALSE(write.ok());
  EXPECT_EQ(write.error().kind, TrapKind::kIsolationViolation);
  EXPECT_EQ(*secret, 0x7e57);
  victim.value().domain->memory()->Free(secret, 64);
}

TEST(MpkContainmentTest, DomainTableCannotBeRewrittenByThePlugin) {
  TRINITY_REQUIRE_MPK();
  auto isolated = CreateIsolatedInstance(CompromisedPlugin(), {}, {}, IsolationPolicy::kRequired);
  ASSERT_TRUE(isolated.ok()) << isolated.error();
  HostValue nothing[] = {Address(isolated.value().domain->memory()->Allocate(16, 16))};
  ASSERT_TRUE(isolated.value().instance->Call("peek", nothing).ok());
  // The classic attack on a gate: overwrite the PKRU value it will load next time with
  // one that opens every key. The record is readable, not writable, from the plugin.
  DomainRecord& record = KeyPool::Get().value()->record(0);
  HostValue at[] = {Address(&record.plugin_pkru)};
  auto read = isolated.value().instance->Call("peek", at);
  EXPECT_TRUE(read.ok()) << read.error().ToString();
  const uint32_t before = record.plugin_pkru.load();
  HostValue store[] = {Address(&record.plugin_pkru), HostValue::Int(0)};
  auto write = isolated.value().instance->Call("poke", store);
  ASSERT_FALSE(write.ok());
  EXPECT_EQ(write.error().kind, TrapKind::kIsolationViolation);
  EXPECT_NE(write.error().message.find("the runtime's protected tables"), std::string::npos)
      << write.error().message;
  EXPECT_EQ(record.plugin_pkru.load(), before);
}

}  // namespace
}  // namespace trinity::isolation
