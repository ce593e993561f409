// The Landlock guard that keeps /proc/self/mem closed under policies that allow opening
// files: alone and as part of the `server` policy, on the real kernel, each in a forked
// child (sandbox_test_support.h) because the restriction is irreversible.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "isolation/landlock_proc_guard.h"
#include "isolation/seccomp_filter.h"
#include "isolation/seccomp_policy.h"
#include "tests/isolation/sandbox_test_support.h"

namespace trinity::isolation {
namespace {

using testing::RunInChild;

#define SKIP_WITHOUT_LANDLOCK()                       \
  do {                                                \
    auto abi = LandlockAbi();                         \
    if (!abi) GTEST_SKIP() << abi.error();            \
  } while (false)

std::string TmpDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

// "" when opening `path` with `flags` fails with EACCES.
std::string ExpectRefused(const std::string& path, int flags) {
  int fd = open(path.c_str(), flags | O_CLOEXEC);
  if (fd >= 0) {
    close(fd);
    return path + " opened; ";
  }
  if (errno != EACCES) return path + ": " + std::strerror(errno) + " instead of EACCES; ";
  return "";
}

// "" when the file opens for reading and yields at least one byte.
std::string ExpectReadable(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return path + ": " + std::strerror(errno) + "; ";
  char byte;
  ssize_t n = read(fd, &byte, 1);
  close(fd);
  return n == 1 ? "" : path + " read nothing; ";
}

// "" when a fresh file under the test's temporary directory can be created, written and
// read back: everything outside /proc keeps its rights.
std::string ExpectTmpUsable(const std::string& name) {
  std::string path = TmpDir() + "/" + name + "." + std::to_string(getpid());
  int fd = open(path.c_str(), O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) return path + ": " + std::strerror(errno) + "; ";
  std::string fails;
  if (write(fd, "ok", 2) != 2) fails += path + ": write failed; ";
  if (ftruncate(fd, 1) != 0) fails += path + ": truncate failed; ";
  close(fd);
  fails += ExpectReadable(path);
  if (unlink(path.c_str()) != 0) fails += path + ": unlink failed; ";
  return fails;
}

// Every way a hidden /proc must stay closed, and what must still work, from the calling
// thread.
std::string CheckProcHidden() {
  std::string fails;
  const std::string own = "/proc/" + std::to_string(getpid());
  fails += ExpectRefused("/proc/self/mem", O_RDWR);
  fails += ExpectRefused("/proc/self/mem", O_RDONLY);  // reads bypass PKRU too
  fails += ExpectRefused(own + "/mem", O_RDWR);
  fails += ExpectRefused("/proc/thread-self/mem", O_RDWR);
  fails += ExpectRefused("/proc/self/task/" + std::to_string(gettid()) + "/mem", O_RDWR);
  // O_PATH is not an access Landlock checks, but reopening through the magic link is.
  int path_fd = open("/proc/self/mem", O_PATH | O_CLOEXEC);
  if (path_fd >= 0) {
    fails += ExpectRefused("/proc/self/fd/" + std::to_string(path_fd), O_RDWR);
    close(path_fd);
  }
  // The rest of /proc is hidden as well; only the maps file stays readable.
  fails += ExpectRefused("/proc/self/status", O_RDONLY);
  fails += ExpectReadable("/proc/self/maps");
  fails += ExpectReadable("/etc/passwd");
  fails += ExpectTmpUsable("landlock_test");
  return fails;
}

// Without this the tests below could pass on a system where /proc/self/mem never opens.
std::string ExpectMemOpensBeforehand() {
  int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
  if (fd < 0) return std::string("/proc/self/mem does not open even before the guard: ") +
                     std::strerror(errno) + "; ";
  close(fd);
  return "";
}

TEST(LandlockProcGuard, HidesProcMemAndKeepsTheRestOfTheFileSystem) {
  SKIP_WITHOUT_LANDLOCK();
  auto outcome = RunInChild([]() -> std::string {
    std::string fails = ExpectMemOpensBeforehand();
    auto hidden = HideProcFromThisThread();
    if (!hidden) return "guard: " + hidden.error();
    return fails + CheckProcHidden();
  });
  EXPECT_TRUE(outcome.Passed()) << outcome.Describe();
}

TEST(LandlockProcGuard, LaterThreadsAndChildrenInheritIt) {
  SKIP_WITHOUT_LANDLOCK();
  auto outcome = RunInChild([]() -> std::string {
    auto hidden = HideProcFromThisThread();
    if (!hidden) return "guard: " + hidden.error();
    std::string fails;
    std::thread later([&] { fails += ExpectRefused("/proc/self/mem", O_RDWR); });
    later.join();
    pid_t pid = fork();
    if (pid == 0) _exit(ExpectRefused("/proc/self/mem", O_RDWR).empty() ? 0 : 1);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fails += "forked child opened mem; ";
    return fails;
  });
  EXPECT_TRUE(outcome.Passed()) << outcome.Describe();
}

TEST(LandlockProcGuard, ServerPolicyHidesProc) {
  SKIP_WITHOUT_LANDLOCK();
  ASSERT_TRUE(FindPolicy("server")->hides_proc);
  auto outcome = RunInChild([]() -> std::string {
    std::string fails = ExpectMemOpensBeforehand();
    auto installed = InstallSeccompPolicy(*FindPolicy("server"));
    if (!installed) return "install: " + installed.error();
    return fails + CheckProcHidden();
  });
  EXPECT_TRUE(outcome.Passed()) << outcome.Describe();
}

// strict refuses every open* through seccomp and runs where Landlock does not.
TEST(LandlockProcGuard, OnlyPoliciesThatAllowOpeningUseIt) {
  EXPECT_FALSE(FindPolicy("strict")->hides_proc);
  for (const SeccompPolicy* policy : AllPolicies()) {
    bool allows_openat = policy->default_action == SyscallAction::kAllow;
    for (const PolicyRule& rule : policy->rules) {
      if (rule.syscall == "openat") allows_openat = rule.action == SyscallAction::kAllow;
    }
    EXPECT_EQ(policy->hides_proc, allows_openat) << policy->name;
  }
}

TEST(LandlockProcGuard, PolicyShowSaysSo) {
  std::string text = FormatPolicy(*FindPolicy("server"));
  EXPECT_NE(text.find("landlock: /proc hidden"), std::string::npos) << text;
  EXPECT_NE(text.find("/proc/self/mem, whose writes bypass PKRU, fails with EACCES"),
            std::string::npos) << text;
  EXPECT_EQ(text.find("NOT closed"), std::string::npos) << text;
  EXPECT_EQ(FormatPolicy(*FindPolicy("strict")).find("landlock:"), std::string::npos);
}

}  // namespace
}  // namespace trinity::isolation
