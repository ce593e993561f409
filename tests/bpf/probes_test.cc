// The probe points themselves, without BPF: every probe in runtime/probes.h is compiled
// into the libraries that fire it, each note names a semaphore, and with no tracer attached
// every semaphore reads 0 (so a detached probe is a load and a not-taken branch).
#include <unistd.h>

#include <set>
#include <string>

#include "bpf/usdt_notes.h"
#include "gtest/gtest.h"
#include "runtime/probes.h"

namespace trinity::bpf {
namespace {

// The objects of this test process that carry Trinity probes (the test links the runtime,
// the isolation layer and the process tier, statically or as shared libraries).
std::vector<std::string> Objects() {
  auto objects = ObjectsWithTrinityProbes(getpid());
  EXPECT_TRUE(objects.ok()) << objects.error();
  return objects.ok() ? objects.value() : std::vector<std::string>{};
}

TEST(Probes, EveryListedProbeIsCompiledInWithASemaphore) {
  std::set<std::string> found;
  for (const std::string& object : Objects()) {
    auto notes = ReadUsdtNotes(object);
    ASSERT_TRUE(notes.ok()) << notes.error();
    for (const UsdtNote& n : notes.value()) {
      if (n.provider != "trinity") continue;
      found.insert(n.name);
      EXPECT_NE(n.semaphore, 0u) << n.name << " in " << object << " has no semaphore";
      EXPECT_FALSE(n.arguments.empty()) << n.name;
    }
  }
  for (const probes::ProbeInfo& p : probes::kAllProbes) {
    EXPECT_TRUE(found.count(p.name)) << "no note for trinity:" << p.name << " (" << p.fired_by << ")";
  }
  EXPECT_EQ(found.size(), std::size(probes::kAllProbes));
}

TEST(Probes, SemaphoresReadZeroWithNoTracerAttached) {
  size_t checked = 0;
  for (const std::string& object : Objects()) {
    auto notes = ReadUsdtNotes(object);
    ASSERT_TRUE(notes.ok()) << notes.error();
    for (const UsdtNote& n : notes.value()) {
      if (n.provider != "trinity") continue;
      std::optional<uint16_t> value = ReadSemaphore(getpid(), object, n.semaphore);
      ASSERT_TRUE(value.has_value()) << n.name << ": semaphore not found in this process's memory";
      EXPECT_EQ(*value, 0) << n.name;
      ++checked;
    }
  }
  EXPECT_GE(checked, std::size(probes::kAllProbes));
}

}  // namespace
}  // namespace trinity::bpf
