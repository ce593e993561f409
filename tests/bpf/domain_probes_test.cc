// The MPK side of the observer: domain_enter/domain_exit events with the PKRU and key of
// every real domain switch (around a plugin call and around its host call), and a
// protection-key violation seen by the kernel (page fault with the PK bit, then
// SEGV_PKUERR, attested) and attributed to the running instance. Needs a CPU with PKU:
// where there is none it skips; tests/isolation/run_under_qemu_pku.sh runs it in a guest
// whose emulated CPU has protection keys.
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bpf/observer_source.h"
#include "gtest/gtest.h"
#include "isolation/key_pool.h"
#include "isolation/mpk_isolation.h"
#include "lang/compiler.h"
#include "runtime/module_writer.h"
#include "runtime/trinity.h"
#include "tests/bpf/bpf_test_support.h"

namespace trinity::bpf {
namespace {

std::vector<AuditEvent> Drain(ObserverSource& source) {
  std::vector<AuditEvent> events;
  const AuditSource::Sink sink = [&](AuditEvent&& e) { events.push_back(std::move(e)); };
  while (source.Drain(sink) > 0) {
  }
  return events;
}

class DomainProbes : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_WITHOUT_BPF();
    if (!isolation::MpkAvailable()) {
      GTEST_SKIP() << "MPK domain switches need protection keys: " << isolation::MpkUnavailableReason();
    }
    ObserverOptions o;
    o.pin_root = testing::TestPinRoot("domain");
    o.pid = getpid();
    auto source = ObserverSource::Start(o);
    ASSERT_TRUE(source.ok()) << source.error();
    source_ = std::move(source.value());
  }
  std::unique_ptr<ObserverSource> source_;
};

TEST_F(DomainProbes, EverySwitchIsAnEventWithPkruAndKey) {
  auto domain = isolation::MpkDomain::Create(isolation::IsolationPolicy::kRequired);
  ASSERT_TRUE(domain.ok()) << domain.error();
  auto compiled = lang::CompileSource("import fn h()\nexport fn f() { return h() }\n", "d.tri");
  ASSERT_TRUE(compiled.ok());
  auto module = LoadModule(WriteModule(compiled.value()));
  ASSERT_TRUE(module.ok());
  HostFunctions host;
  host.Register("h", 0, [](HostArgs) -> Result<HostValue, std::string> { return HostValue::Int(7); });
  InstanceOptions options;
  domain.value()->Configure(options);
  auto instance = Instance::Create(module.value(), host, options);
  ASSERT_TRUE(instance.ok()) << instance.error();
  ASSERT_TRUE(instance.value()->Call("f").ok());
  const int key = domain.value()->current_key();
  std::vector<std::string> names;
  std::vector<AuditEvent> switches;
  for (AuditEvent& e : Drain(*source_)) {
    if (e.instance != instance.value()->id()) continue;
    if (e.event == "call_entry" && e.call->function != "f") continue;  // skip top-level code
    names.push_back(e.event);
    if (e.domain) switches.push_back(e);
  }
  // Host -> plugin (entry, enter), plugin -> host function (host_call, exit), back (enter,
  // host_return), plugin -> host (exit, call_exit).
  const std::vector<std::string> expected = {"call_entry", "domain_enter", "host_call", "domain_exit",
                                             "domain_enter", "host_return", "domain_exit", "call_exit"};
  std::vector<std::string> tail(names.end() - std::min(names.size(), expected.size()), names.end());
  EXPECT_EQ(tail, expected);
  ASSERT_GE(switches.size(), 4u);
  for (const AuditEvent& e : switches) {
    EXPECT_EQ(e.domain->id, domain.value()->id());
    EXPECT_EQ(e.domain->pkey, key) << e.event;
  }
  const AuditEvent& enter = switches[switches.size() - 2];
  EXPECT_EQ(enter.event, "domain_enter");
  EXPECT_EQ(PluginKeyOf(enter.domain->pkru), key);  // the plugin's key is writable
  inst_key k{static_cast<uint32_t>(getpid()), 0, instance.value()->id()};
  inst_stats s{};
  ASSERT_EQ(bpf_map_lookup_elem(source_->observer().map_fd("insts"), &k, &s), 0);
  EXPECT_EQ(s.counters.domain_enters, s.counters.domain_exits);
  EXPECT_EQ(s.counters.domain_enters, 3u);  // top-level code; f, and again after its host call
}

TEST_F(DomainProbes, ProtectionKeyViolationIsSeenByTheKernel) {
  auto domain = isolation::MpkDomain::Create(isolation::IsolationPolicy::kRequired);
  ASSERT_TRUE(domain.ok()) << domain.error();
  auto* page = static_cast<int64_t*>(mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(page, MAP_FAILED);
  page[0] = 0x5ec2e7;  // present: the CPU, not the kernel's software check, refuses the read
  ASSERT_TRUE(isolation::ProtectHostRegion(page, 4096).ok());
  int64_t stolen = 0;
  auto trap = domain.value()->gate()->RunPlugin([&] { stolen = *static_cast<volatile int64_t*>(page + 1); });
  ASSERT_TRUE(trap.has_value());
  EXPECT_EQ(trap->kind, TrapKind::kIsolationViolation);
  (void)isolation::UnprotectHostRegion(page, 4096);
  const uint64_t addr = reinterpret_cast<uint64_t>(page + 1);
  const AuditEvent* fault = nullptr;
  const AuditEvent* signal = nullptr;
  std::vector<AuditEvent> events = Drain(*source_);
  for (const AuditEvent& e : events) {
    if (e.event == "kernel_pkey_fault" && e.fault->addr == addr) fault = &e;
    if (e.event == "kernel_pkuerr" && e.fault->addr == addr) signal = &e;
  }
  std::string seen;
  for (const AuditEvent& e : events) {
    seen += " " + e.event;
    if (e.fault) seen += "@" + std::to_string(e.fault->addr);
  }
  for (const std::string& n : source_->observer().notices()) seen += " [" + n + "]";
  ASSERT_NE(fault, nullptr) << "no page fault with the PK bit at " << addr << "; events:" << seen;
  EXPECT_TRUE(fault->attested);
  EXPECT_NE(*fault->fault->error_code & (1u << 5), 0u);
  ASSERT_NE(signal, nullptr) << "no SEGV_PKUERR";
  EXPECT_TRUE(signal->attested) << "the signal did not follow the fault";
  EXPECT_EQ(signal->fault->pkey, isolation::KeyPool::Get().value()->host_key());
  EXPECT_EQ(signal->process.tid, static_cast<uint32_t>(gettid()));
  munmap(page, 4096);
}

}  // namespace
}  // namespace trinity::bpf
