// Error handling (try/catch, opcodes.h): which trap kinds a plugin can catch — exactly its
// own errors, never a limit — and that a catch leaves the instance in a clean state.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "tests/runtime/source_plugin.h"

namespace trinity {
namespace {

using H = HostValue;

// Every test runs on both interpreter tiers (the JIT and the differential oracle run the
// try_catch_*.tri conformance programs).
class TryCatch : public ::testing::TestWithParam<ExecutionTier> {
 protected:
  InstanceOptions Options() const {
    InstanceOptions o;
    o.tier = GetParam();
    return o;
  }
  std::unique_ptr<Instance> PluginInstance(std::string_view source, InstanceOptions o,
                                           const HostFunctions& host = {}) const {
    o.tier = GetParam();
    return testing::PluginInstance(source, o, host);
  }
  std::unique_ptr<Instance> PluginInstance(std::string_view source) const {
    return PluginInstance(source, Options());
  }
};

TEST(TryCatchKinds, CatchableKindsAreExactlyThePluginsOwnErrors) {
  struct Row {
    TrapKind kind;
    bool catchable;
  };
  const Row rows[] = {
      {TrapKind::kTypeError, true},          {TrapKind::kDivisionByZero, true},
      {TrapKind::kIndexOutOfRange, true},    {TrapKind::kKeyNotFound, true},
      {TrapKind::kError, true},              {TrapKind::kHostError, true},
      {TrapKind::kFuelExhausted, false},     {TrapKind::kOutOfMemory, false},
      {TrapKind::kStackOverflow, false},     {TrapKind::kDeadlineExceeded, false},
      {TrapKind::kIsolationViolation, false}, {TrapKind::kForbiddenSyscall, false},
      {TrapKind::kLinkError, false},         {TrapKind::kInternal, false},
  };
  static_assert(std::size(rows) == static_cast<size_t>(TrapKind::kInternal) + 1, "every kind listed");
  for (const Row& r : rows) EXPECT_EQ(IsCatchable(r.kind), r.catchable) << TrapKindName(r.kind);
}

// run() exhausts one limit inside a try block whose catch sets a global; caught() reads it.
constexpr const char* kLimitPlugin = R"(
let caught_kind = nil
fn recurse(n) { return recurse(n + 1) + 1 }
export fn run(which) {
  try {
    if which == "fuel" { while true {} }
    if which == "deadline" { while true {} }
    if which == "memory" { let s = "x"; while true { s = s + s } }
    if which == "stack" { recurse(0) }
    if which == "error" { error("mine") }
  } catch e {
    caught_kind = e.kind
    return "caught"
  }
  return "finished"
}
export fn caught() { return caught_kind }
)";

TEST_P(TryCatch, LimitTrapsAreNeverCaught) {
  struct Case {
    const char* which;
    TrapKind kind;
  };
  for (const Case& c : {Case{"fuel", TrapKind::kFuelExhausted}, Case{"deadline", TrapKind::kDeadlineExceeded},
                        Case{"memory", TrapKind::kOutOfMemory}, Case{"stack", TrapKind::kStackOverflow}}) {
    InstanceOptions o = Options();
    o.limits.fuel = std::string(c.which) == "fuel" ? 100000 : 0;
    o.limits.timeout = std::chrono::milliseconds(std::string(c.which) == "deadline" ? 50 : 0);
    o.limits.max_heap_bytes = 4u << 20;
    o.limits.max_depth = 100;
    auto inst = PluginInstance(kLimitPlugin, o);
    ASSERT_TRUE(inst);
    auto r = inst->Call("run", std::vector<H>{H::String(c.which)});
    ASSERT_FALSE(r.ok()) << c.which << " returned " << r.value().ToString();
    EXPECT_EQ(r.error().kind, c.kind) << r.error().ToString();
    // The catch block never ran.
    o.limits = Limits{};
    inst->set_limits(o.limits);
    auto flag = inst->Call("caught");
    ASSERT_TRUE(flag.ok()) << flag.error().ToString();
    EXPECT_EQ(flag.value(), H::Nil()) << c.which;
  }
  // The same plugin does catch its own error.
  auto inst = PluginInstance(kLimitPlugin);
  ASSERT_TRUE(inst);
  auto r = inst->Call("run", std::vector<H>{H::String("error")});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r.value(), H::String("caught"));
  EXPECT_EQ(inst->Call("caught").value(), H::String("error"));
}

// A call that ends inside try blocks (here: out of fuel three frames deep, two handlers
// open) leaves no handler behind for the next call to jump to.
TEST_P(TryCatch, HandlersDoNotOutliveTheCall) {
  constexpr const char* kPlugin = R"(
fn spin() { while true {} }
fn middle() { try { spin() } catch e { return "middle caught" } return nil }
export fn run() { try { return middle() } catch e { return "run caught" } }
export fn fail() { error("plain") }
)";
  InstanceOptions o = Options();
  o.limits.fuel = 5000;
  auto inst = PluginInstance(kPlugin, o);
  ASSERT_TRUE(inst);
  auto r = inst->Call("run");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::kFuelExhausted);
  auto f = inst->Call("fail");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().kind, TrapKind::kError);
  EXPECT_EQ(f.error().message, "plain");
  EXPECT_EQ(f.error().function, "fail");
}

// Opening more handlers at once than the instance has room for (4 per allowed frame) is a
// stack overflow, which is not catchable either.
TEST_P(TryCatch, TooManyOpenHandlersIsAStackOverflow) {
  constexpr const char* kPlugin = R"(
fn nest(n) {
  try { try { try { try { try {
    if n > 0 { return nest(n - 1) }
  } catch e {} } catch e {} } catch e {} } catch e {} } catch e {}
  return 0
}
export fn run(n) { return nest(n) }
)";
  InstanceOptions o = Options();
  o.limits.max_depth = 40;
  auto inst = PluginInstance(kPlugin, o);
  ASSERT_TRUE(inst);
  // Room for 4 * (40 + 1) = 164 handlers. Five per nest() frame: 30 frames open 150,
  // which fits; 35 frames would open 175, which does not, though 36 frames are within the
  // depth limit.
  auto fits = inst->Call("run", std::vector<H>{H::Int(29)});
  ASSERT_TRUE(fits.ok()) << fits.error().ToString();
  auto r = inst->Call("run", std::vector<H>{H::Int(34)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::kStackOverflow);
  EXPECT_NE(r.error().message.find("try blocks open at once"), std::string::npos) << r.error().message;
}

// Catching in a loop allocates an error map each time; the collector reclaims them and the
// heap stays bounded.
TEST_P(TryCatch, ManyCaughtErrorsDoNotAccumulate) {
  constexpr const char* kPlugin = R"(
export fn run(n) {
  let count = 0
  for i in 0..n {
    try { let x = [1][i + 5] } catch e { count += 1 }
  }
  return count
}
)";
  InstanceOptions o = Options();
  o.limits.max_heap_bytes = 2u << 20;
  auto inst = PluginInstance(kPlugin, o);
  ASSERT_TRUE(inst);
  auto r = inst->Call("run", std::vector<H>{H::Int(200000)});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r.value(), H::Int(200000));
}

// The same holds when the limit runs out inside one library call or one host-side copy, a
// single instruction that does work proportional to its input: the trap it raises ends the
// call, whatever try blocks are open around it.
constexpr const char* kLibraryLimitPlugin = R"(
import fn take(v)
let caught_kind = nil
export fn run(which) {
  try {
    try {
      if which == "json fuel" { json.decode("[" + repeat("1,", 4000000) + "1]") }
      if which == "gsub deadline" {
        let s = repeat("x", 1 << 24)
        while true { s = re.gsub(s, "x", "x") }
      }
      if which == "format memory" {
        let s = repeat("x", 3 << 20)
        format("%s%s%s", s, s, s)
      }
      if which == "format display memory" {
        let v = [1, 2, 3]
        for i in 0..40 { v = [v, v] }
        format("%s", v)
      }
      if which == "encode memory" {
        let v = [1, 2, 3]
        for i in 0..40 { v = [v, v] }
        json.encode(v)
      }
      if which == "host copy memory" {
        let v = [1, 2, 3]
        for i in 0..40 { v = [v, v] }
        take(v)
      }
    } catch inner {
      caught_kind = inner.kind
      return "caught inside"
    }
  } catch e {
    caught_kind = e.kind
    return "caught"
  }
  return "finished"
}
export fn caught() { return caught_kind }
)";

TEST_P(TryCatch, LimitTrapsInsideLibraryCallsAndHostCopiesAreNeverCaught) {
  HostFunctions host;
  host.Register("take", 1, [](HostArgs args) -> Result<HostValue, std::string> {
    args.Get(0);  // the deep copy is what runs into the limit
    return HostValue::Nil();
  });
  struct Case {
    const char* which;
    TrapKind kind;
  };
  for (const Case& c : {Case{"json fuel", TrapKind::kFuelExhausted},
                        Case{"gsub deadline", TrapKind::kDeadlineExceeded},
                        Case{"format memory", TrapKind::kOutOfMemory},
                        Case{"format display memory", TrapKind::kOutOfMemory},
                        Case{"encode memory", TrapKind::kOutOfMemory},
                        Case{"host copy memory", TrapKind::kOutOfMemory}}) {
    std::string which = c.which;
    InstanceOptions o = Options();
    o.limits.fuel = which == "json fuel" ? 2000 : 0;
    o.limits.timeout = std::chrono::milliseconds(which == "gsub deadline" ? 100 : 0);
    o.limits.max_heap_bytes = which == "json fuel" || which == "gsub deadline" ? 256u << 20 : 8u << 20;
    auto inst = PluginInstance(kLibraryLimitPlugin, o, host);
    ASSERT_TRUE(inst);
    auto r = inst->Call("run", std::vector<H>{H::String(c.which)});
    ASSERT_FALSE(r.ok()) << c.which << " returned " << r.value().ToString();
    EXPECT_EQ(r.error().kind, c.kind) << c.which << ": " << r.error().ToString();
    inst->set_limits(Limits{});
    auto flag = inst->Call("caught");
    ASSERT_TRUE(flag.ok()) << flag.error().ToString();
    EXPECT_EQ(flag.value(), H::Nil()) << c.which;
  }
}

// Open try blocks count against max_stack_bytes with the value stack and the frames (16
// bytes each): one frame that opens 40 nested blocks needs about 640 bytes more than one
// that opens 8, so a 600-byte budget takes the second and not the first — by depth and
// handler count both would fit — and that stack overflow is not catchable either.
std::string NestedTries(const char* name, int n) {
  std::string body = "1";
  for (int i = 0; i < n; ++i) body = "try { " + body + " } catch { }";
  return std::string("export fn ") + name + "() { " + body + "\n return 0 }\n";
}

TEST_P(TryCatch, OpenHandlersCountAgainstTheStackBudget) {
  std::string source = NestedTries("eight", 8) + NestedTries("forty", 40);
  InstanceOptions o = Options();
  o.limits.max_stack_bytes = 600;
  auto inst = PluginInstance(source, o);
  ASSERT_TRUE(inst);
  auto eight = inst->Call("eight");
  ASSERT_TRUE(eight.ok()) << eight.error().ToString();
  auto r = inst->Call("forty");
  ASSERT_FALSE(r.ok()) << r.value().ToString();
  EXPECT_EQ(r.error().kind, TrapKind::kStackOverflow) << r.error().ToString();
  EXPECT_NE(r.error().message.find("open try blocks"), std::string::npos) << r.error().message;
  // The same module with the default budget runs both.
  auto roomy = PluginInstance(source);
  ASSERT_TRUE(roomy);
  auto ok = roomy->Call("forty");
  ASSERT_TRUE(ok.ok()) << ok.error().ToString();
}

TEST_P(TryCatch, HostErrorsAreCaughtWithTheHostsMessage) {
  HostFunctions host;
  host.Register("fetch", 1, [](HostArgs args) -> Result<HostValue, std::string> {
    if (args.String(0) == "down") return Err(std::string("connection refused"));
    return HostValue::String("ok");
  });
  constexpr const char* kPlugin = R"(
import fn fetch(what)
export fn get(what) {
  try { return fetch(what) } catch e { return e.kind + ": " + e.message }
}
)";
  auto inst = PluginInstance(kPlugin, Options(), host);
  ASSERT_TRUE(inst);
  EXPECT_EQ(inst->Call("get", std::vector<H>{H::String("up")}).value(), H::String("ok"));
  EXPECT_EQ(inst->Call("get", std::vector<H>{H::String("down")}).value(),
            H::String("host error: fetch: connection refused"));
}

INSTANTIATE_TEST_SUITE_P(Tiers, TryCatch,
                         ::testing::Values(ExecutionTier::kFast, ExecutionTier::kReference),
                         [](const ::testing::TestParamInfo<ExecutionTier>& info) {
                           return info.param == ExecutionTier::kFast ? std::string("Fast")
                                                                     : std::string("Reference");
                         });

}  // namespace
}  // namespace trinity
