// Hiding /proc with Landlock: writes through /proc/self/mem bypass PKRU, and seccomp
// cannot see paths, so a policy that lets the process open files (the `server` policy)
// needs a path-based guard to keep /proc/self/mem and /proc/<pid>/mem closed.
#pragma once

#include <string>

#include "runtime/result.h"

namespace trinity::isolation {

// The Landlock ABI version the running kernel offers, or an error naming the missing
// feature (no Landlock in the kernel, or Landlock left out of the boot-time LSM list).
Result<int, std::string> LandlockAbi();

// Restricts the calling thread, irreversibly, to every top-level entry of / except /proc,
// with all the file-system rights the kernel's ABI knows; under /proc only
// /proc/self/maps stays readable (glibc reads it for the main thread's stack bounds, and
// the sanitizers through it). Opening anything else under /proc, /proc/self/mem
// included, fails with EACCES. Also sets no_new_privs.
//
// Landlock has no TSYNC: threads that already exist stay unrestricted, threads and
// processes created afterwards inherit the restriction. Call it before starting the
// threads that may run plugin code, or on each of them.
//
// Side effects a server should know about: / itself can no longer be listed or written,
// and one O_PATH descriptor to /proc/self/maps stays open for the life of the process
// (it pins the file, so the rule keeps matching; see the .cc file). A /proc/self/maps
// opened by a process forked later names another file and is refused.
//
// Fails closed, loading nothing, when Landlock is missing (the error names it) or when
// procfs is also mounted outside /proc, where a grant on its parent would expose it.
Result<Unit, std::string> HideProcFromThisThread();

}  // namespace trinity::isolation
