// The output channel of a process-tier worker. print() text gathers in a small buffer the
// worker shares with its supervisor and goes out in frames (when the buffer fills, when
// it has waited 50 ms, before a host call, at the end of a request), so printing costs
// no system call per line; and when a worker is killed or crashes, the supervisor takes
// what was still in the buffer from the shared memory, so no output is lost.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace trinity::isolation {

// Mapped shared by the supervisor before it forks the worker. Stream offsets count the
// request's output bytes: the buffer holds bytes [base, produced). Written only by the
// worker; the supervisor reads it only once the worker is dead, and trusts none of it.
struct SharedOutput {
  static constexpr size_t kCapacity = size_t{64} << 10;
  uint64_t base;
  uint64_t produced;
  char data[kCapacity];
};

// A SharedOutput mapping (MAP_SHARED | MAP_ANONYMOUS), or nullptr; and its release.
SharedOutput* MapSharedOutput();
void UnmapSharedOutput(SharedOutput* shared);

// Worker side. Sending failures end the worker (its supervisor is gone).
class WorkerOutput {
 public:
  WorkerOutput(int fd, SharedOutput* shared) : fd_(fd), shared_(shared) {}

  void StartRequest();
  void Print(std::string_view text);
  // Sends whatever is buffered (before host calls and at the end of a request).
  void Flush();

 private:
  void SendFrame(uint64_t offset, std::string_view text);

  int fd_;
  SharedOutput* shared_;
  std::chrono::steady_clock::time_point first_pending_{};
};

// Supervisor side, after the worker died: the buffered bytes past `received` (what the
// output frames already delivered), or nothing when the buffer is inconsistent.
std::string_view UnsentOutput(const SharedOutput& shared, uint64_t received);

}  // namespace trinity::isolation
