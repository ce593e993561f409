// More instances than hardware keys: 1,000 isolated instances created, called and
// destroyed concurrently from two threads. Keys are rotated among them (evictions happen),
// every instance keeps its own state across rotations, PKRU is unchanged afterwards on
// both threads, and nothing leaks: no live domain, no tracked region, no mapped byte.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "isolation/mpk_isolation.h"
#include "isolation/pkru.h"
#include "tests/isolation/mpk_test_support.h"
#include "tests/runtime/test_module_builder.h"

namespace trinity::isolation {
namespace {

using trinity::testing::ModuleBuilder;

constexpr int kInstances = 1000;
constexpr int kThreads = 2;
constexpr int kRounds = 3;

// bump(n): appends n to a global array (heap allocation in the instance's memory) and
// returns the sum of everything appended so far.
std::shared_ptr<const Module> Counter() {
  ModuleBuilder b;
  uint32_t items = b.Global("items");
  uint32_t init = b.Func("init", 0, 0, [&](CodeEmitter& e) {
    e.Emit(Op::kNewArray, 0);
    e.Emit(Op::kStoreGlobal, items);
    e.Emit(Op::kPushNil);
    e.Emit(Op::kReturn);
  }, /*exported=*/false);
  b.Start(init);
  b.Func("bump", 1, 3, [&](CodeEmitter& e) {
    // items.push(n); sum = 0; for (_, v in items) sum += v; return sum
    e.Emit(Op::kLoadGlobal, items);
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kArrayPush);
    e.Emit(Op::kPushInt, 0);
    e.Emit(Op::kStoreLocal, 0);
    e.Emit(Op::kLoadGlobal, items);
    e.Emit(Op::kStoreLocal, 1);
    e.Emit(Op::kPushInt, 0);
    e.Emit(Op::kStoreLocal, 2);
    auto done = e.NewLabel();
    auto loop = e.NewLabel();
    e.Bind(loop);
    e.EmitIterNext(1, done);
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kAdd);
    e.Emit(Op::kStoreLocal, 0);
    e.Emit(Op::kPop);
    e.EmitJump(Op::kJump, loop);
    e.Bind(done);
    e.Emit(Op::kLoadLocal, 0);
    e.Emit(Op::kReturn);
  });
  return b.Load();
}

TEST(MpkManyInstancesTest, ThousandInstancesOnTwoThreadsRotateKeysWithoutLeaking) {
  TRINITY_REQUIRE_MPK();
  ASSERT_TRUE(InitializeMpk().ok());
  const MpkStats start = GetMpkStats();
  ASSERT_LT(start.instance_keys, static_cast<size_t>(kInstances));
  std::shared_ptr<const Module> module = Counter();
  ASSERT_TRUE(module);
  std::atomic<int> failures{0};
  std::atomic<int> pkru_changed{0};

  auto worker = [&](int t) {
    const uint32_t pkru = ReadPkru();
    std::vector<IsolatedInstance> mine;
    for (int i = 0; i < kInstances / kThreads; ++i) {
      auto created = CreateIsolatedInstance(module, {}, {}, IsolationPolicy::kRequired);
      if (!created.ok()) {
        ADD_FAILURE() << created.error();
        ++failures;
        return;
      }
      mine.push_back(std::move(created).value());
    }
    // Every round touches every instance, so each entry needs a key some idle neighbour
    // (possibly the other thread's) holds.
    for (int round = 1; round <= kRounds; ++round) {
      for (size_t i = 0; i < mine.size(); ++i) {
        int64_t n = static_cast<int64_t>(i) * 10 + t;
        HostValue arg[] = {HostValue::Int(n)};
        auto r = mine[i].instance->Call("bump", arg);
        if (!r.ok() || r.value().i != n * round) {
          if (failures++ < 5) {
            ADD_FAILURE() << "instance " << i << " round " << round << ": "
                          << (r.ok() ? std::to_string(r.value().i) : r.error().ToString());
          }
        }
        if (ReadPkru() != pkru) ++pkru_changed;
      }
    }
    mine.clear();  // destroys instances, then domains
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(worker, t);
  for (auto& th : threads) th.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(pkru_changed.load(), 0);
  const MpkStats end = GetMpkStats();
  EXPECT_GE(end.evictions - start.evictions, static_cast<uint64_t>(kInstances))
      << "keys must have been taken back from idle instances";
  EXPECT_EQ(end.live_domains, start.live_domains);
  EXPECT_EQ(end.bound_domains, 0u);
  EXPECT_EQ(end.tracked_regions, start.tracked_regions);
  EXPECT_EQ(end.mapped_bytes, start.mapped_bytes);
}

}  // namespace
}  // namespace trinity::isolation
