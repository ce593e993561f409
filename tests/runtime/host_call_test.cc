// Host calls: imports are linked by name, arguments and results cross the API, and wrong
// arity, wrong argument types, host errors and unresolved imports fail cleanly.
#include <gtest/gtest.h>

#include <stdexcept>

#include "tests/runtime/test_module_builder.h"

namespace trinity {
namespace {

using testing::MakeInstance;
using testing::ModuleBuilder;
using E = CodeEmitter;
using H = HostValue;

// call_add(a, b) calls host "add" with 2 args; call_add1(a) calls it with 1 arg.
std::shared_ptr<const Module> HostModule() {
  ModuleBuilder b;
  uint32_t add = b.Import("add");
  b.Func("call_add", 2, 2, [&](E& e) {
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kLoadLocal, 1);
    e.Emit(Op::kCallHost, add, 2);
    e.Emit(Op::kReturn);
  });
  b.Func("call_add1", 1, 1, [&](E& e) {
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kCallHost, add, 1);
    e.Emit(Op::kReturn);
  });
  return b.Load();
}

HostFunctions AddHost() {
  HostFunctions host;
  host.Register("add", 2, [](HostArgs args) -> Result<HostValue, std::string> {
    if (args.TypeOf(0) == H::Type::kString) {
      if (args.String(0) == "fail") return Err(std::string("asked to fail"));
      if (args.String(0) == "throw") throw std::runtime_error("oops");
      return H::String(std::string(args.String(0)) + std::string(args.String(1)));
    }
    return H::Int(args.Int(0) + args.Int(1));
  });
  return host;
}

TEST(HostCalls, ArgumentsAndResultsCrossTheBoundary) {
  auto inst = MakeInstance(HostModule(), AddHost());
  std::vector<H> ints{H::Int(2), H::Int(40)};
  EXPECT_EQ(inst->Call("call_add", ints).value(), H::Int(42));
  std::vector<H> strs{H::String("ab"), H::String("cd")};
  EXPECT_EQ(inst->Call("call_add", strs).value(), H::String("abcd"));
}

TEST(HostCalls, WrongArityTraps) {
  auto inst = MakeInstance(HostModule(), AddHost());
  std::vector<H> one{H::Int(1)};
  auto r = inst->Call("call_add1", one);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::kHostError);
  EXPECT_NE(r.error().message.find("expects 2"), std::string::npos);
  std::vector<H> ints{H::Int(2), H::Int(3)};
  EXPECT_EQ(inst->Call("call_add", ints).value(), H::Int(5));
}

TEST(HostCalls, WrongArgumentTypeTraps) {
  auto inst = MakeInstance(HostModule(), AddHost());
  std::vector<H> bad{H::Int(1), H::Float(2.5)};
  auto r = inst->Call("call_add", bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::kTypeError);
  EXPECT_NE(r.error().message.find("must be an int, got float"), std::string::npos);
  EXPECT_EQ(r.error().function, "call_add");
}

TEST(HostCalls, HostErrorsAndExceptionsBecomeTraps) {
  auto inst = MakeInstance(HostModule(), AddHost());
  std::vector<H> fail{H::String("fail"), H::String("")};
  auto r = inst->Call("call_add", fail);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::kHostError);
  EXPECT_EQ(r.error().message, "add: asked to fail");
  std::vector<H> thr{H::String("throw"), H::String("")};
  auto t = inst->Call("call_add", thr);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().kind, TrapKind::kHostError);
  EXPECT_NE(t.error().message.find("oops"), std::string::npos);
}

TEST(HostCalls, UnresolvedImportIsALinkError) {
  auto inst = Instance::Create(HostModule(), HostFunctions{});
  ASSERT_FALSE(inst.ok());
  EXPECT_NE(inst.error().find("'add'"), std::string::npos);
}

TEST(HostCalls, BadCallsFromTheHost) {
  auto inst = MakeInstance(HostModule(), AddHost());
  auto missing = inst->Call("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, TrapKind::kLinkError);
  auto arity = inst->Call("call_add");
  ASSERT_FALSE(arity.ok());
  EXPECT_EQ(arity.error().kind, TrapKind::kLinkError);
}

TEST(HostCalls, ReentryFromAHostFunctionIsRefused) {
  ModuleBuilder b;
  uint32_t cb = b.Import("callback");
  b.Func("outer", 0, 0, [&](E& e) {
    e.Emit(Op::kCallHost, cb, 0);
    e.Emit(Op::kReturn);
  });
  b.Func("ok", 0, 0, [&](E& e) {
    e.Emit(Op::kPushInt, 1);
    e.Emit(Op::kReturn);
  });
  Instance* self = nullptr;
  HostFunctions host;
  host.Register("callback", 0, [&](HostArgs) -> Result<HostValue, std::string> {
    auto r = self->Call("ok");
    if (r.ok()) return H::String("re-entered");
    return H::String(std::string(TrapKindName(r.error().kind)));
  });
  auto inst = MakeInstance(b.Load(), host);
  self = inst.get();
  EXPECT_EQ(inst->Call("outer").value(), H::String("link error"));
}

TEST(HostCalls, NestedValuesRoundTrip) {
  ModuleBuilder b;
  b.Func("id", 1, 1, [](E& e) {
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kReturn);
  });
  auto inst = MakeInstance(b.Load());
  H map;
  map.type = H::Type::kMap;
  map.entries.emplace_back(H::String("k"), H::Array({H::Int(1), H::Float(2.5), H::Nil()}));
  map.entries.emplace_back(H::Int(7), H::Bool(true));
  std::vector<H> args{map};
  auto r = inst->Call("id", args);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), map);
  EXPECT_EQ(r.value().ToString(), "{\"k\": [1, 2.5, nil], 7: true}");
}

TEST(HostCalls, HostTextOfFloatsIsTheLanguagesText) {
  // HostValue::ToString is what hosts print (the CLI's log() and results): same as str().
  EXPECT_EQ(H::Float(0.0001).ToString(), "0.0001");
  EXPECT_EQ(H::Float(100000.0).ToString(), "100000.0");
  EXPECT_EQ(H::Float(1e15).ToString(), "1000000000000000.0");
  EXPECT_EQ(H::Float(1e16).ToString(), "1e+16");
  EXPECT_EQ(H::Array({H::Float(0.00001), H::Float(-0.0)}).ToString(), "[1e-05, -0.0]");
}

// build(levels) starts from an 8-int array and wraps it `levels` times as [x, x], so in
// `levels` steps the plugin makes a value whose deep copy has about 9 * 2^levels elements,
// and returns it; share(levels) passes the same value to host "take" instead.
std::shared_ptr<const Module> SharedStructureModule() {
  ModuleBuilder b;
  uint32_t take = b.Import("take");
  auto build = [](E& e) {  // levels in local 0; leaves the value in local 1
    for (int i = 0; i < 8; ++i) e.Emit(Op::kPushInt, i);
    e.Emit(Op::kNewArray, 8);
    e.Emit(Op::kStoreLocal, 1);
    auto top = e.NewLabel();
    auto done = e.NewLabel();
    e.Bind(top);
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kPushInt, 0);
    e.Emit(Op::kGt);
    e.EmitJump(Op::kJumpIfFalse, done);
    e.Emit(Op::kLoadLocal, 1);
    e.Emit(Op::kLoadLocal, 1);
    e.Emit(Op::kNewArray, 2);
    e.Emit(Op::kStoreLocal, 1);
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kPushInt, 1);
    e.Emit(Op::kSub);
    e.Emit(Op::kStoreLocal, 0);
    e.EmitJump(Op::kJump, top);
    e.Bind(done);
    e.Emit(Op::kLoadLocal, 1);
  };
  b.Func("build", 1, 2, [&](E& e) {
    build(e);
    e.Emit(Op::kReturn);
  });
  b.Func("share", 1, 2, [&](E& e) {
    build(e);
    e.Emit(Op::kCallHost, take, 1);
    e.Emit(Op::kReturn);
  });
  return b.Load();
}

size_t CountElements(const H& v) {
  size_t n = 1;
  for (const H& item : v.items) n += CountElements(item);
  return n;
}

// Host "take": copies its argument out (HostArgs::Get) when `copy` is set.
HostFunctions TakeHost(bool copy, size_t* copied, bool swallow_errors = false) {
  HostFunctions host;
  host.Register("take", 1, [=](HostArgs args) -> Result<HostValue, std::string> {
    if (!copy) return H::Nil();
    try {
      *copied = CountElements(args.Get(0));
    } catch (...) {
      if (!swallow_errors) throw;
    }
    return H::Nil();
  });
  return host;
}

TEST(HostCalls, SharedStructuresCannotExplodeInTheHost) {
  // 40 levels: about 9 * 2^40 elements if copied naively.
  size_t copied = 0;
  auto inst = MakeInstance(SharedStructureModule(), TakeHost(false, &copied));
  std::vector<H> levels{H::Int(40)};
  auto r = inst->Call("build", levels);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::kOutOfMemory);
  EXPECT_NE(r.error().message.find("too large to pass to the host"), std::string::npos);
}

TEST(HostCalls, ValuesCopiedToTheHostAreChargedAsFuel) {
  std::vector<H> levels{H::Int(12)};
  InstanceOptions o;
  o.limits.fuel = 10'000'000;
  size_t copied = 0;
  auto without_copy = MakeInstance(SharedStructureModule(), TakeHost(false, &copied), o);
  ASSERT_TRUE(without_copy->Call("share", levels).ok());
  auto with_copy = MakeInstance(SharedStructureModule(), TakeHost(true, &copied), o);
  ASSERT_TRUE(with_copy->Call("share", levels).ok());
  EXPECT_EQ(copied, size_t{9} * 4096 + 4095);
  // One unit per KiB, as for heap allocation: each element is at least one HostValue.
  EXPECT_GE(with_copy->fuel_used(), without_copy->fuel_used() + copied * sizeof(H) / 1024);
}

TEST(HostCalls, CopyToTheHostStopsWhenTheFuelRunsOut) {
  // 9 * 2^40 elements: without metering the copy would run until the element cap,
  // doing about a million elements of work for one call_host under a 10,000 fuel limit.
  std::vector<H> levels{H::Int(40)};
  InstanceOptions o;
  o.limits.fuel = 10'000;
  for (bool swallow : {false, true}) {
    size_t copied = 0;
    auto inst = MakeInstance(SharedStructureModule(), TakeHost(true, &copied, swallow), o);
    auto r = inst->Call("share", levels);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, TrapKind::kFuelExhausted) << r.error().ToString();
    EXPECT_NE(r.error().message.find("passing a value to the host"), std::string::npos);
    EXPECT_EQ(inst->fuel_used(), 10'001u);
    EXPECT_EQ(copied, 0u);
  }
}

TEST(HostCalls, CopiesToTheHostAreBoundedByTheHeapLimit) {
  // 16 levels: about 600,000 elements (tens of MB as HostValues) from a few hundred bytes
  // of heap. Under a 1 MiB heap limit the copy must stop before it is built, with no
  // fuel limit to stop it either.
  InstanceOptions o;
  o.limits.max_heap_bytes = 1 << 20;
  size_t copied = 0;
  auto inst = MakeInstance(SharedStructureModule(), TakeHost(true, &copied), o);
  std::vector<H> big{H::Int(16)};
  auto r = inst->Call("share", big);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::kOutOfMemory) << r.error().ToString();
  EXPECT_NE(r.error().message.find("its copy would need more than 1048576 bytes (the heap limit)"),
            std::string::npos)
      << r.error().message;
  EXPECT_EQ(copied, 0u);
  // A value whose copy fits is copied whole.
  std::vector<H> small{H::Int(6)};
  ASSERT_TRUE(inst->Call("share", small).ok());
  EXPECT_EQ(copied, size_t{9} * 64 + 63);
  // Results for the host are bounded the same way.
  auto result = inst->Call("build", big);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, TrapKind::kOutOfMemory);
  EXPECT_NE(result.error().message.find("(the heap limit)"), std::string::npos) << result.error().message;
}

TEST(HostCalls, TextOfAnArgumentIsStrAndBounded) {
  std::string seen;
  HostFunctions host;
  host.Register("take", 1, [&](HostArgs args) -> Result<HostValue, std::string> {
    seen = args.Text(0);
    return H::Nil();
  });
  InstanceOptions o;
  o.limits.max_heap_bytes = 1 << 20;
  auto inst = MakeInstance(SharedStructureModule(), host, o);
  std::vector<H> one{H::Int(1)};
  ASSERT_TRUE(inst->Call("share", one).ok());
  EXPECT_EQ(seen, "[[0, 1, 2, 3, 4, 5, 6, 7], [0, 1, 2, 3, 4, 5, 6, 7]]");
  seen.clear();
  std::vector<H> big{H::Int(18)};  // about 6 MB of text
  auto r = inst->Call("share", big);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, TrapKind::kOutOfMemory);
  EXPECT_NE(r.error().message.find("its text would need more than"), std::string::npos) << r.error().message;
  EXPECT_EQ(seen, "");
}

TEST(HostCalls, HostTextQuotesStringsAsStrDoes) {
  H v = H::Array({H::String("a\n\"b\"\x01")});
  EXPECT_EQ(v.ToString(), "[\"a\\n\\\"b\\\"\\x01\"]");
}

}  // namespace
}  // namespace trinity
