// MpkGate on real protection keys: the plugin domain's rights, the caller's PKRU restored
// on every path out (return, exception, contained fault, trap, fuel exhaustion, host
// error), host functions running in the host domain, and faults outside plugin code
// still crashing the process.
#include "isolation/mpk_gate.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "isolation/key_pool.h"
#include "isolation/mpk_isolation.h"
#include "isolation/pkru.h"
#include "tests/isolation/mpk_test_support.h"
#include "tests/runtime/test_module_builder.h"

namespace trinity::isolation {
namespace {

using trinity::testing::MakeInstance;
using trinity::testing::ModuleBuilder;

// A page of host memory holding a secret, tagged host-protected for the test's duration.
class ProtectedPage {
 public:
  ProtectedPage() {
    page_ = static_cast<int64_t*>(mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
                                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    page_[0] = 0x5ec2e7;
    auto r = ProtectHostRegion(page_, 4096);
    EXPECT_TRUE(r.ok()) << r.error();
  }
  ~ProtectedPage() {
    (void)UnprotectHostRegion(page_, 4096);
    munmap(page_, 4096);
  }
  int64_t* data() const { return page_; }

 private:
  int64_t* page_;
};

std::string Hex(const void* p) {
  char text[32];
  std::snprintf(text, sizeof text, "%#lx", static_cast<unsigned long>(reinterpret_cast<uintptr_t>(p)));
  return text;
}

TEST(MpkGateTest, PluginDomainSeesOnlyItsOwnKeyAndReadOnlyTables) {
  TRINITY_REQUIRE_MPK();
  KeyPool& pool = *KeyPool::Get().value();
  auto domain = MpkDomain::Create(IsolationPolicy::kRequired);
  ASSERT_TRUE(domain.ok()) << domain.error();
  const uint32_t before = ReadPkru();
  uint32_t inside = 0;
  auto trap = domain.value()->gate()->RunPlugin([&] { inside = ReadPkru(); });
  ASSERT_FALSE(trap.has_value()) << trap->ToString();
  EXPECT_EQ(ReadPkru(), before);
  int key = domain.value()->current_key();
  EXPECT_TRUE(IsPluginShaped(inside)) << std::hex << inside;
  EXPECT_TRUE(CanWrite(inside, 0));
  EXPECT_TRUE(CanWrite(inside, key));
  EXPECT_TRUE(CanRead(inside, pool.tables_key()));
  EXPECT_FALSE(CanWrite(inside, pool.tables_key()));
  EXPECT_FALSE(CanRead(inside, pool.host_key()));
  EXPECT_FALSE(CanRead(inside, pool.parked_key()));
  for (int other = 1; other < kKeyCount; ++other) {
    if (other != key && other != pool.tables_key()) {
      EXPECT_FALSE(CanRead(inside, other)) << other;
    }
  }
}

TEST(MpkGateTest, CallerPkruIsRestoredAfterReturnExceptionAndFault) {
  TRINITY_REQUIRE_MPK();
  auto domain = MpkDomain::Create(IsolationPolicy::kRequired);
  ASSERT_TRUE(domain.ok()) << domain.error();
  ProtectedPage page;
  // A caller PKRU the gate has no reason to produce: key 15 (never the pool's) denied.
  const uint32_t original = ReadPkru();
  const uint32_t caller = original | KeyBits(15, kAccessDisable);
  WritePkruUnchecked(caller);
  DomainGate* gate = domain.value()->gate();

  EXPECT_FALSE(gate->RunPlugin([] {}).has_value());
  EXPECT_EQ(ReadPkru(), caller);

  EXPECT_THROW(gate->RunPlugin([] { throw std::runtime_error("escaping"); }), std::runtime_error);
  EXPECT_EQ(ReadPkru(), caller);

  auto trap = gate->RunPlugin([&] { *static_cast<volatile int64_t*>(page.data()) = 1; });
  EXPECT_EQ(ReadPkru(), caller);
  WritePkruUnchecked(original);
  ASSERT_TRUE(trap.has_value());
  EXPECT_EQ(trap->kind, TrapKind::kIsolationViolation);
  EXPECT_EQ(page.data()[0], 0x5ec2e7) << "the write must not have happened";
}

TEST(MpkGateTest, HostProtectedMemoryFaultBecomesATrapNamingAddressAndKey) {
  TRINITY_REQUIRE_MPK();
  KeyPool& pool = *KeyPool::Get().value();
  auto domain = MpkDomain::Create(IsolationPolicy::kRequired);
  ASSERT_TRUE(domain.ok()) << domain.error();
  ProtectedPage page;
  int64_t stolen = 0;
  auto trap = domain.value()->gate()->RunPlugin(
      [&] { stolen = *static_cast<volatile int64_t*>(page.data() + 3); });
  ASSERT_TRUE(trap.has_value());
  EXPECT_EQ(stolen, 0);
  EXPECT_EQ(trap->kind, TrapKind::kIsolationViolation);
  EXPECT_NE(trap->message.find("read of address " + Hex(page.data() + 3)), std::string::npos)
      << trap->message;
  EXPECT_NE(trap->message.find("protection key " + std::to_string(pool.host_key())),
            std::string::npos)
      << trap->message;
  EXPECT_NE(trap->message.find("host-protected memory"), std::string::npos) << trap->message;
  // The host carries on, the gate too.
  EXPECT_EQ(page.data()[0], 0x5ec2e7);
  EXPECT_FALSE(domain.value()->gate()->RunPlugin([] {}).has_value());
}

TEST(MpkGateTest, TablesAreReadOnlyAndOtherInstancesUnreachable) {
  TRINITY_REQUIRE_MPK();
  KeyPool& pool = *KeyPool::Get().value();
  auto a = MpkDomain::Create(IsolationPolicy::kRequired);
  auto b = MpkDomain::Create(IsolationPolicy::kRequired);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_FALSE(b.value()->gate()->RunPlugin([] {}).has_value());  // b holds a hardware key
  auto* secret = static_cast<int64_t*>(b.value()->memory()->Allocate(64, 16));
  *secret = 777;

  DomainRecord& record = pool.record(0);
  uint32_t read_back = 0;
  auto reading = a.value()->gate()->RunPlugin([&] { read_back = record.id; });
  EXPECT_FALSE(reading.has_value()) << "plugins may read the tables";
  auto writing = a.value()->gate()->RunPlugin(
      [&] { record.plugin_pkru.store(0, std::memory_order_relaxed); });
  ASSERT_TRUE(writing.has_value());
  EXPECT_NE(writing->message.find("write of address"), std::string::npos) << writing->message;
  EXPECT_NE(writing->message.find("the runtime's protected tables"), std::string::npos)
      << writing->message;

  int64_t stolen = 0;
  auto peeking = a.value()->gate()->RunPlugin([&] { stolen = *static_cast<volatile int64_t*>(secret); });
  ASSERT_TRUE(peeking.has_value());
  EXPECT_EQ(stolen, 0);
  EXPECT_NE(peeking->message.find("another instance's memory (instance " +
                                  std::to_string(b.value()->id()) + ")"),
            std::string::npos)
      << peeking->message;
  b.value()->memory()->Free(secret, 64);
}

// Programs for the instance-level checks: a trap, a fuel-eating loop, host calls.
std::shared_ptr<const Module> GateProgram() {
  ModuleBuilder b;
  uint32_t host_probe = b.Import("probe");
  uint32_t host_fail = b.Import("fail");
  uint32_t host_throw = b.Import("throw");
  b.Func("divide_by_zero", 0, 0, [](CodeEmitter& e) {
    e.Emit(Op::kPushInt, 1);
    e.Emit(Op::kPushInt, 0);
    e.Emit(Op::kDiv);
    e.Emit(Op::kReturn);
  });
  b.Func("spin", 0, 0, [](CodeEmitter& e) {
    auto top = e.NewLabel();
    e.Bind(top);
    e.EmitJump(Op::kJump, top);
  });
  for (auto [name, import] : {std::pair{"probe", host_probe}, {"fail", host_fail}, {"throw", host_throw}}) {
    b.Func(name, 0, 0, [import = import](CodeEmitter& e) {
      e.Emit(Op::kCallHost, import, 0);
      e.Emit(Op::kReturn);
    });
  }
  return b.Load();
}

TEST(MpkGateTest, TrapsFuelAndHostErrorsLeavePkruAsItWas) {
  TRINITY_REQUIRE_MPK();
  uint32_t in_host = 0;
  HostFunctions host;
  host.Register("probe", 0, [&](HostArgs) -> Result<HostValue, std::string> {
    in_host = ReadPkru();
    return HostValue::Int(1);
  });
  host.Register("fail", 0, [](HostArgs) -> Result<HostValue, std::string> { return Err(std::string("no")); });
  host.Register("throw", 0, [](HostArgs) -> Result<HostValue, std::string> {
    throw std::runtime_error("boom");
  });
  InstanceOptions options;
  options.limits.fuel = 10000;
  auto isolated = CreateIsolatedInstance(GateProgram(), host, options, IsolationPolicy::kRequired);
  ASSERT_TRUE(isolated.ok()) << isolated.error();
  Instance& instance = *isolated.value().instance;
  const uint32_t before = ReadPkru();

  auto r = instance.Call("probe");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(in_host, before) << "host functions run with the caller's PKRU";
  EXPECT_EQ(ReadPkru(), before);

  struct Case {
    const char* fn;
    TrapKind kind;
  };
  for (Case c : {Case{"divide_by_zero", TrapKind::kDivisionByZero}, Case{"spin", TrapKind::kFuelExhausted},
                 Case{"fail", TrapKind::kHostError}, Case{"throw", TrapKind::kHostError}}) {
    auto t = instance.Call(c.fn);
    ASSERT_FALSE(t.ok()) << c.fn;
    EXPECT_EQ(t.error().kind, c.kind) << c.fn << ": " << t.error().ToString();
    EXPECT_EQ(ReadPkru(), before) << c.fn;
  }
}

// Faults outside plugin code are not contained: the process dies as it would without MPK.
TEST(MpkGateDeathTest, FaultOutsidePluginExecutionStillCrashes) {
  TRINITY_REQUIRE_MPK();
  ::testing::FLAGS_gtest_death_test_style = "threadsafe";
  auto domain = MpkDomain::Create(IsolationPolicy::kRequired);
  ASSERT_TRUE(domain.ok()) << domain.error();
  auto deny_and_touch = [] {
    int key = pkey_alloc(0, PKEY_DISABLE_ACCESS);
    auto* p = static_cast<volatile int*>(mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
                                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    pkey_mprotect(const_cast<int*>(p), 4096, PROT_READ | PROT_WRITE, key);
    *p = 1;
  };
  // Plain host code, after the handler is installed.
  ASSERT_FALSE(domain.value()->gate()->RunPlugin([] {}).has_value());
  EXPECT_DEATH(deny_and_touch(), "");
  // Host code called from plugin code (a host function).
  EXPECT_DEATH(domain.value()->gate()->RunPlugin(
                   [&] { domain.value()->gate()->RunHost(deny_and_touch); }),
               "");
}

}  // namespace
}  // namespace trinity::isolation
