// The table behind SyscallName: the system calls a plugin runtime is likely to see refused
// by a seccomp allowlist. Numbers are the x86-64 ABI's (asm/unistd_64.h).
#include "isolation/syscall_names.h"

#include <sys/syscall.h>

#include <iterator>

namespace trinity::isolation {
namespace {

struct Named {
  int number;
  const char* name;
};

#define TRINITY_SYSCALL(name) {SYS_##name, #name}
constexpr Named kSyscalls[] = {
    // Every call a seccomp policy names (seccomp_policy.cc), so each refusal reads by name.
    TRINITY_SYSCALL(acct), TRINITY_SYSCALL(add_key), TRINITY_SYSCALL(chroot),
    TRINITY_SYSCALL(clock_gettime), TRINITY_SYSCALL(clock_settime), TRINITY_SYSCALL(delete_module),
    TRINITY_SYSCALL(finit_module), TRINITY_SYSCALL(gettimeofday), TRINITY_SYSCALL(init_module),
    TRINITY_SYSCALL(ioperm), TRINITY_SYSCALL(iopl), TRINITY_SYSCALL(kcmp),
    TRINITY_SYSCALL(kexec_file_load), TRINITY_SYSCALL(kexec_load), TRINITY_SYSCALL(keyctl),
    TRINITY_SYSCALL(modify_ldt), TRINITY_SYSCALL(name_to_handle_at), TRINITY_SYSCALL(newfstatat),
    TRINITY_SYSCALL(open_by_handle_at), TRINITY_SYSCALL(perf_event_open), TRINITY_SYSCALL(personality),
    TRINITY_SYSCALL(pidfd_getfd), TRINITY_SYSCALL(pipe2), TRINITY_SYSCALL(pivot_root),
    TRINITY_SYSCALL(process_madvise), TRINITY_SYSCALL(reboot), TRINITY_SYSCALL(request_key),
    TRINITY_SYSCALL(restart_syscall), TRINITY_SYSCALL(rt_sigreturn), TRINITY_SYSCALL(sched_getaffinity),
    TRINITY_SYSCALL(sched_yield), TRINITY_SYSCALL(setns), TRINITY_SYSCALL(settimeofday),
    TRINITY_SYSCALL(sigaltstack), TRINITY_SYSCALL(swapoff), TRINITY_SYSCALL(swapon),
    TRINITY_SYSCALL(umount2), TRINITY_SYSCALL(unshare), TRINITY_SYSCALL(userfaultfd),
    TRINITY_SYSCALL(read),          TRINITY_SYSCALL(write),        TRINITY_SYSCALL(open),
    TRINITY_SYSCALL(close),         TRINITY_SYSCALL(stat),         TRINITY_SYSCALL(fstat),
    TRINITY_SYSCALL(lseek),         TRINITY_SYSCALL(mmap),         TRINITY_SYSCALL(mprotect),
    TRINITY_SYSCALL(munmap),        TRINITY_SYSCALL(brk),          TRINITY_SYSCALL(rt_sigaction),
    TRINITY_SYSCALL(rt_sigprocmask), TRINITY_SYSCALL(ioctl),       TRINITY_SYSCALL(pread64),
    TRINITY_SYSCALL(pwrite64),      TRINITY_SYSCALL(readv),        TRINITY_SYSCALL(writev),
    TRINITY_SYSCALL(access),        TRINITY_SYSCALL(pipe),         TRINITY_SYSCALL(mremap),
    TRINITY_SYSCALL(madvise),       TRINITY_SYSCALL(dup),          TRINITY_SYSCALL(dup2),
    TRINITY_SYSCALL(nanosleep),     TRINITY_SYSCALL(getpid),       TRINITY_SYSCALL(socket),
    TRINITY_SYSCALL(connect),       TRINITY_SYSCALL(accept),       TRINITY_SYSCALL(sendto),
    TRINITY_SYSCALL(recvfrom),      TRINITY_SYSCALL(sendmsg),      TRINITY_SYSCALL(recvmsg),
    TRINITY_SYSCALL(bind),          TRINITY_SYSCALL(listen),       TRINITY_SYSCALL(clone),
    TRINITY_SYSCALL(fork),          TRINITY_SYSCALL(vfork),        TRINITY_SYSCALL(execve),
    TRINITY_SYSCALL(exit),          TRINITY_SYSCALL(kill),         TRINITY_SYSCALL(uname),
    TRINITY_SYSCALL(fcntl),         TRINITY_SYSCALL(getdents64),   TRINITY_SYSCALL(chdir),
    TRINITY_SYSCALL(rename),        TRINITY_SYSCALL(mkdir),        TRINITY_SYSCALL(rmdir),
    TRINITY_SYSCALL(unlink),        TRINITY_SYSCALL(readlink),     TRINITY_SYSCALL(chmod),
    TRINITY_SYSCALL(chown),         TRINITY_SYSCALL(ptrace),       TRINITY_SYSCALL(getuid),
    TRINITY_SYSCALL(setuid),        TRINITY_SYSCALL(prctl),        TRINITY_SYSCALL(arch_prctl),
    TRINITY_SYSCALL(mount),         TRINITY_SYSCALL(gettid),       TRINITY_SYSCALL(tkill),
    TRINITY_SYSCALL(futex),         TRINITY_SYSCALL(exit_group),   TRINITY_SYSCALL(tgkill),
    TRINITY_SYSCALL(openat),        TRINITY_SYSCALL(mkdirat),      TRINITY_SYSCALL(unlinkat),
    TRINITY_SYSCALL(renameat),      TRINITY_SYSCALL(ppoll),        TRINITY_SYSCALL(process_vm_readv),
    TRINITY_SYSCALL(process_vm_writev), TRINITY_SYSCALL(seccomp),  TRINITY_SYSCALL(getrandom),
    TRINITY_SYSCALL(memfd_create),  TRINITY_SYSCALL(bpf),          TRINITY_SYSCALL(execveat),
    TRINITY_SYSCALL(pkey_mprotect), TRINITY_SYSCALL(pkey_alloc),   TRINITY_SYSCALL(pkey_free),
    TRINITY_SYSCALL(io_uring_setup), TRINITY_SYSCALL(io_uring_enter), TRINITY_SYSCALL(io_uring_register),
    TRINITY_SYSCALL(openat2),       TRINITY_SYSCALL(pidfd_open),   TRINITY_SYSCALL(clone3),
    // The nginx-worker policy's rows.
    TRINITY_SYSCALL(epoll_wait),    TRINITY_SYSCALL(epoll_pwait),  TRINITY_SYSCALL(epoll_ctl),
    TRINITY_SYSCALL(accept4),       TRINITY_SYSCALL(sendfile),     TRINITY_SYSCALL(preadv),
    TRINITY_SYSCALL(pwritev),       TRINITY_SYSCALL(shutdown),     TRINITY_SYSCALL(setsockopt),
    TRINITY_SYSCALL(getsockopt),    TRINITY_SYSCALL(getsockname),  TRINITY_SYSCALL(getpeername),
    TRINITY_SYSCALL(statx),         TRINITY_SYSCALL(setitimer),
};
#undef TRINITY_SYSCALL

}  // namespace

std::string SyscallName(int number) {
  for (const Named& s : kSyscalls) {
    if (s.number == number) return s.name;
  }
  return "syscall " + std::to_string(number);
}

}  // namespace trinity::isolation
