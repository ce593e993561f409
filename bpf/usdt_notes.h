// Reads the USDT probe notes (.note.stapsdt) of ELF files: which Trinity probes an
// executable or shared library carries and where their semaphores are, so the observer
// knows what to attach to and tests can read a semaphore the way the kernel updates it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/result.h"

namespace trinity::bpf {

struct UsdtNote {
  std::string provider;
  std::string name;
  uint64_t pc = 0;         // link-time address of the probe's NOP
  uint64_t semaphore = 0;  // link-time address of its semaphore; 0 when it has none
  std::string arguments;   // e.g. "8@%rdx -4@$0"
};

// Every USDT note of `path`, in file order.
Result<std::vector<UsdtNote>, std::string> ReadUsdtNotes(const std::string& path);

// The probes of provider `trinity` in `path`, by name, each once.
Result<std::vector<std::string>, std::string> TrinityProbesIn(const std::string& path);

// Files mapped into process `pid` that carry Trinity probes (its executable, shared
// libraries), from /proc/PID/maps.
Result<std::vector<std::string>, std::string> ObjectsWithTrinityProbes(pid_t pid);

// The current value of the semaphore at link-time address `semaphore` of `path` in process
// `pid` (read from /proc/PID/mem); nullopt when `path` is not mapped there.
std::optional<uint16_t> ReadSemaphore(pid_t pid, const std::string& path, uint64_t semaphore);

}  // namespace trinity::bpf
