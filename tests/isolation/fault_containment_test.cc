// Fault containment without protection keys: a seccomp SECCOMP_RET_TRAP refusal inside
// contained code becomes a forbidden-syscall trap naming the call, while the same
// refusal outside contained code (or in host code called from it) still kills the process.
// Each case installs its filter in a child process, since filters cannot be removed.
#include "isolation/fault_containment.h"

#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "isolation/syscall_names.h"

namespace trinity::isolation {
namespace {

// Traps uname(2), allows everything else.
bool RefuseUname() {
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_uname, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog program{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
  return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) == 0;
}

void CallUname() {
  utsname name;
  syscall(SYS_uname, &name);
}

// Runs `child` in a fork; returns its wait status.
template <typename F>
int InChild(F child) {
  pid_t pid = fork();
  if (pid == 0) _exit(child());
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

TEST(FaultContainmentTest, SeccompTrapInContainedCodeBecomesAForbiddenSyscallTrap) {
  int status = InChild([] {
    if (!RefuseUname()) return 10;
    std::optional<ContainedFault> fault = RunContained(CallUname);
    if (!fault || fault->signal != SIGSYS || fault->syscall != SYS_uname) return 11;
    Trap trap = TrapFromFault(*fault);
    if (trap.kind != TrapKind::kForbiddenSyscall) return 12;
    if (trap.message != "system call uname (63) refused by the seccomp filter") return 13;
    // Contained again, and the thread still works normally afterwards.
    if (!RunContained(CallUname)) return 14;
    if (RunContained([] { (void)getpid(); })) return 15;
    return 0;
  });
  ASSERT_TRUE(WIFEXITED(status)) << "child died with signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(FaultContainmentTest, SeccompTrapOutsideContainedCodeStillKills) {
  int plain = InChild([] {
    if (!RefuseUname()) return 10;
    (void)RunContained([] {});  // handler installed
    CallUname();
    return 0;
  });
  EXPECT_TRUE(WIFSIGNALED(plain) && WTERMSIG(plain) == SIGSYS) << plain;

  int in_host = InChild([] {
    if (!RefuseUname()) return 10;
    (void)RunContained([] {
      ContainmentSuspension host_code;
      CallUname();
    });
    return 0;
  });
  EXPECT_TRUE(WIFSIGNALED(in_host) && WTERMSIG(in_host) == SIGSYS) << in_host;
}

TEST(FaultContainmentTest, ExceptionsPropagateAndDisarm) {
  EXPECT_THROW(RunContained([] { throw 7; }), int);
  EXPECT_FALSE(RunContained([] {}).has_value());
}

TEST(SyscallNamesTest, KnownAndUnknownNumbers) {
  EXPECT_EQ(SyscallName(SYS_openat), "openat");
  EXPECT_EQ(SyscallName(SYS_process_vm_writev), "process_vm_writev");
  EXPECT_EQ(SyscallName(99999), "syscall 99999");
}

}  // namespace
}  // namespace trinity::isolation
