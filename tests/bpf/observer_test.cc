// The observer attached to this test process for real (uprobes on its own probes, pid
// filter so no other process is touched): events for each boundary crossing, counters in
// the pinned maps, semaphores raised only while attached, the jit_emit probe, counters
// mode, and exact loss accounting with a tiny ring buffer and a blocked writer.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include <atomic>
#include <cstring>
#include <set>
#include <thread>

#include "bpf/audit_session.h"
#include "bpf/observer_source.h"
#include "bpf/usdt_notes.h"
#include "gtest/gtest.h"
#include "lang/compiler.h"
#include "runtime/module_writer.h"
#include "runtime/probes.h"
#include "runtime/trinity.h"
#include "tests/bpf/bpf_test_support.h"

namespace trinity::bpf {
namespace {

constexpr const char* kPlugin = R"(
import fn twice(x)
let calls = 0
export fn work(n) {
  calls = calls + 1
  return twice(n) + twice(1)
}
export fn same(x) { return x }
export fn divide(a, b) { return a / b }
)";

std::unique_ptr<Instance> NewInstance() {
  auto compiled = lang::CompileSource(kPlugin, "observer_test.tri");
  EXPECT_TRUE(compiled.ok());
  auto module = LoadModule(WriteModule(compiled.value()));
  EXPECT_TRUE(module.ok());
  HostFunctions host;
  host.Register("twice", 1, [](HostArgs a) -> Result<HostValue, std::string> {
    return HostValue::Int(2 * a.Int(0));
  });
  auto instance = Instance::Create(module.value(), host);
  EXPECT_TRUE(instance.ok());
  return std::move(instance.value());
}

std::unique_ptr<ObserverSource> StartObserver(uint32_t emit_mask = TRINITY_EMIT_ALL,
                                              uint32_t ring_bytes = 1u << 20) {
  ObserverOptions o;
  o.pin_root = testing::TestPinRoot("observer");
  o.pid = getpid();  // objects: the ones this process maps that carry Trinity probes
  o.emit_mask = emit_mask;
  o.ring_bytes = ring_bytes;
  auto source = ObserverSource::Start(o);
  EXPECT_TRUE(source.ok()) << source.error();
  return source.ok() ? std::move(source.value()) : nullptr;
}

std::vector<AuditEvent> Drain(ObserverSource& source) {
  std::vector<AuditEvent> events;
  const AuditSource::Sink sink = [&](AuditEvent&& e) { events.push_back(std::move(e)); };
  while (source.Drain(sink) > 0) {
  }
  return events;
}

std::vector<AuditEvent> OfInstance(const std::vector<AuditEvent>& events, uint64_t id) {
  std::vector<AuditEvent> out;
  for (const AuditEvent& e : events) {
    if (e.instance == id) out.push_back(e);
  }
  return out;
}

inst_stats ReadInstance(const Observer& o, uint64_t id) {
  inst_key key{static_cast<uint32_t>(getpid()), 0, id};
  inst_stats value{};
  EXPECT_EQ(bpf_map_lookup_elem(o.map_fd("insts"), &key, &value), 0) << "instance " << id << " not in insts";
  return value;
}

proc_stats ReadProcess(const Observer& o) {
  uint32_t pid = static_cast<uint32_t>(getpid());
  proc_stats value{};
  EXPECT_EQ(bpf_map_lookup_elem(o.map_fd("procs"), &pid, &value), 0) << "this process is not in procs";
  return value;
}

// (object, note) of every Trinity probe this process maps.
std::vector<std::pair<std::string, UsdtNote>> TrinityNotes() {
  std::vector<std::pair<std::string, UsdtNote>> all;
  auto objects = ObjectsWithTrinityProbes(getpid());
  EXPECT_TRUE(objects.ok());
  for (const std::string& object : objects.value()) {
    auto notes = ReadUsdtNotes(object);
    EXPECT_TRUE(notes.ok()) << notes.error();
    if (!notes.ok()) continue;
    for (const UsdtNote& n : notes.value()) {
      if (n.provider == "trinity") all.emplace_back(object, n);
    }
  }
  return all;
}

class ObserverTest : public ::testing::Test {
 protected:
  void SetUp() override { SKIP_WITHOUT_BPF(); }
};

TEST_F(ObserverTest, EveryBoundaryCrossingIsAnEventInOrder) {
  auto source = StartObserver();
  ASSERT_NE(source, nullptr);
  uint64_t id = 0;
  {
    auto instance = NewInstance();
    id = instance->id();
    ASSERT_TRUE(instance->Call("work", std::vector<HostValue>{HostValue::Int(3)}).ok());
    auto trapped = instance->Call("divide", std::vector<HostValue>{HostValue::Int(1), HostValue::Int(0)});
    ASSERT_FALSE(trapped.ok());
  }
  std::vector<AuditEvent> events = OfInstance(Drain(*source), id);
  std::vector<std::string> names;
  for (const AuditEvent& e : events) names.push_back(e.event);
  const std::vector<std::string> expected = {
      "instance_create", "call_entry", "call_exit",                         // top-level code
      "call_entry", "host_call", "host_return", "host_call", "host_return", "call_exit",  // work
      "call_entry", "trap", "call_exit",                                    // divide
      "instance_destroy"};
  ASSERT_EQ(names, expected);
  for (const AuditEvent& e : events) {
    EXPECT_EQ(e.source, "usdt");
    EXPECT_EQ(e.process.pid, static_cast<uint32_t>(getpid()));
    EXPECT_EQ(e.process.tid, static_cast<uint32_t>(gettid()));
    EXPECT_FALSE(e.process.comm.empty());
    EXPECT_NE(e.process.start_time_ns, 0u);
    EXPECT_EQ(e.tier, 1) << e.event;  // the fast interpreter, the default tier
  }
  EXPECT_EQ(events[3].call->function, "work");
  EXPECT_EQ(events[4].host->name, "twice");
  EXPECT_FALSE(events[8].call->trap_kind.has_value());
  EXPECT_EQ(events[9].call->function, "divide");
  EXPECT_EQ(events[10].trap->kind, static_cast<int>(TrapKind::kDivisionByZero));
  EXPECT_EQ(events[10].trap->message, "integer division by zero");
  EXPECT_EQ(events[11].call->trap_kind, static_cast<int>(TrapKind::kDivisionByZero));

  inst_stats s = ReadInstance(source->observer(), id);
  EXPECT_EQ(s.live, 0u);
  EXPECT_EQ(s.tier, 1);
  EXPECT_EQ(s.counters.instances_created, 1u);
  EXPECT_EQ(s.counters.instances_destroyed, 1u);
  EXPECT_EQ(s.counters.plugin_entries, 3u);
  EXPECT_EQ(s.counters.plugin_exits, 3u);
  EXPECT_EQ(s.counters.host_calls, 2u);
  EXPECT_EQ(s.counters.host_returns, 2u);
  EXPECT_EQ(s.counters.traps.division_by_zero, 1u);
  EXPECT_EQ(s.counters.traps.type_error, 0u);
  proc_stats p = ReadProcess(source->observer());
  EXPECT_GE(p.counters.plugin_entries, 3u);
  EXPECT_GE(p.counters.traps.division_by_zero, 1u);
}

TEST_F(ObserverTest, SemaphoresAreRaisedWhileAttachedAndZeroAfterDetach) {
  auto notes = TrinityNotes();
  ASSERT_FALSE(notes.empty());
  for (const auto& [object, n] : notes) {
    EXPECT_EQ(ReadSemaphore(getpid(), object, n.semaphore), 0) << n.name << " before attaching";
  }
  auto source = StartObserver();
  ASSERT_NE(source, nullptr);
  std::set<std::pair<std::string, std::string>> distinct;
  for (const auto& [object, n] : notes) distinct.emplace(object, n.name);
  EXPECT_EQ(source->observer().probes().size(), distinct.size());
  std::set<std::string> names;
  for (const auto& [object, name] : distinct) names.insert(name);
  EXPECT_EQ(names.size(), std::size(probes::kAllProbes)) << "every probe of runtime/probes.h";
  size_t raised = 0;
  for (const auto& [object, n] : notes) {
    std::optional<uint16_t> v = ReadSemaphore(getpid(), object, n.semaphore);
    ASSERT_TRUE(v.has_value()) << n.name;
    EXPECT_GT(*v, 0) << n.name << " in " << object << " while attached";
    raised += *v > 0;
  }
  EXPECT_EQ(raised, notes.size());
  source->Stop();  // detach
  for (const auto& [object, n] : notes) {
    EXPECT_EQ(ReadSemaphore(getpid(), object, n.semaphore), 0) << n.name << " after detaching";
  }
}

TEST_F(ObserverTest, JitEmitProbeReportsExecutableCode) {
  auto source = StartObserver();
  ASSERT_NE(source, nullptr);
  auto instance = NewInstance();
  void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(page, MAP_FAILED);
  std::memset(page, 0xc3, 32);  // ret
  ASSERT_EQ(mprotect(page, 4096, PROT_READ | PROT_EXEC), 0);
  probes::ReportJitCode(instance->id(), page, 32, "trace work:5");
  reinterpret_cast<void (*)()>(page)();
  std::vector<AuditEvent> events = Drain(*source);
  const AuditEvent* jit = nullptr;
  for (const AuditEvent& e : events) {
    if (e.event == "jit_emit") jit = &e;
  }
  ASSERT_NE(jit, nullptr);
  EXPECT_EQ(jit->instance, instance->id());
  EXPECT_EQ(jit->tier, 2);  // jit
  EXPECT_EQ(jit->jit->addr, reinterpret_cast<uint64_t>(page));
  EXPECT_EQ(jit->jit->size, 32u);
  EXPECT_EQ(jit->jit->name, "trace work:5");
  inst_stats s = ReadInstance(source->observer(), instance->id());
  EXPECT_EQ(s.counters.jit_emits, 1u);
  EXPECT_EQ(s.counters.jit_bytes, 32u);
  munmap(page, 4096);
}

TEST_F(ObserverTest, CountersModeCountsEverythingAndStreamsOnlySecurityEvents) {
  auto source = StartObserver(TRINITY_EMIT_SECURITY);
  ASSERT_NE(source, nullptr);
  auto instance = NewInstance();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(instance->Call("same", std::vector<HostValue>{HostValue::Int(i)}).ok());
  ASSERT_FALSE(instance->Call("divide", std::vector<HostValue>{HostValue::Int(1), HostValue::Int(0)}).ok());
  std::vector<AuditEvent> events = OfInstance(Drain(*source), instance->id());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event, "trap");
  inst_stats s = ReadInstance(source->observer(), instance->id());
  EXPECT_EQ(s.counters.plugin_entries, 12u);  // top-level code, 10 x same, divide
  EXPECT_EQ(s.counters.traps.division_by_zero, 1u);
}

// A 4 KiB ring buffer filled before anyone reads it, then a burst while the writer is
// blocked on a full pipe with a 4-event queue (the reader's next poll takes a full ring):
// every event is delivered or counted lost, in the kernel (ring full) or in user space
// (queue full).
TEST_F(ObserverTest, TinyRingAndBlockedWriterLoseNothingUncounted) {
  auto source = StartObserver(TRINITY_EMIT_ALL, 4096);
  ASSERT_NE(source, nullptr);
  constexpr int kBefore = 100, kDuring = 2000;
  auto instance = NewInstance();  // create; top-level code runs on the first call
  auto call = [&](int i) { return instance->Call("same", std::vector<HostValue>{HostValue::Int(i)}).ok(); };
  for (int i = 0; i < kBefore; ++i) ASSERT_TRUE(call(i));

  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  // Fill the pipe, so the writer blocks on its first line.
  ASSERT_EQ(fcntl(pipe_fds[1], F_SETFL, O_NONBLOCK), 0);
  while (write(pipe_fds[1], "#\n", 2) == 2) {
  }
  ASSERT_EQ(fcntl(pipe_fds[1], F_SETFL, 0), 0);
  FILE* out = fdopen(pipe_fds[1], "w");
  ASSERT_NE(out, nullptr);
  std::atomic<bool> stop{false};
  AuditSessionOptions options;
  options.json = true;
  options.queue_capacity = 4;
  AuditTotals totals;
  std::vector<AuditSource*> sources = {source.get()};
  std::thread session([&] { totals = RunAuditSession(sources, options, stop, out); });
  for (int i = 0; i < kDuring; ++i) ASSERT_TRUE(call(i));
  instance.reset();  // destroy
  // The reader polls every 100 ms: it takes the full ring into the queue the blocked writer
  // cannot empty. Only then does anyone read the output.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::string text;
  std::thread reader([&] {
    char buf[65536];
    ssize_t n;
    while ((n = read(pipe_fds[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  session.join();
  std::fclose(out);
  reader.join();
  close(pipe_fds[0]);

  const uint64_t generated = 1 + 2 + 2 * (kBefore + kDuring) + 1;  // create, top level, calls, destroy
  proc_stats p = ReadProcess(source->observer());
  EXPECT_EQ(p.counters.instances_created + p.counters.instances_destroyed + p.counters.plugin_entries +
                p.counters.plugin_exits,
            generated);
  EXPECT_GT(totals.ring_full, 0u);
  EXPECT_GT(totals.queue_full, 0u);
  EXPECT_GT(totals.delivered, 0u);
  EXPECT_EQ(totals.delivered + totals.ring_full + totals.queue_full, generated)
      << "delivered " << totals.delivered << ", ring full " << totals.ring_full << ", queue full "
      << totals.queue_full;
  // The same numbers, as the stream tells them.
  uint64_t event_lines = 0, lost_in_band = 0;
  for (const std::string& line : testing::Lines(text)) {
    if (line.find("\"type\":\"event\"") != std::string::npos) ++event_lines;
    size_t at = line.find("{\"type\":\"lost_events\",\"count\":");
    if (at != std::string::npos) lost_in_band += std::stoull(line.substr(at + 30));
  }
  EXPECT_EQ(event_lines, totals.delivered);
  EXPECT_EQ(lost_in_band, totals.ring_full + totals.queue_full);
}

}  // namespace
}  // namespace trinity::bpf
