// Plugin file and socket I/O through one io_uring owned by the runtime. The ring is
// created disabled, given the grants' descriptors as its fixed-file table, restricted to
// read/write/send/recv on fixed files only, and then enabled: it cannot open anything or
// reach a descriptor the operator did not grant, whatever a compromised VM submits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "isolation/capabilities.h"
#include "runtime/result.h"
#include "runtime/trinity.h"

struct io_uring_sqe;

namespace trinity::isolation {

class UringIo {
 public:
  struct Options {
    unsigned entries = 64;
    size_t max_read_bytes = 16u << 20;  // read_file refuses larger files
  };

  // Needs io_uring_setup/io_uring_register, so call it before seccomp lock-down.
  static Result<std::unique_ptr<UringIo>, std::string> Create(Capabilities capabilities,
                                                              Options options);
  static Result<std::unique_ptr<UringIo>, std::string> Create(Capabilities capabilities) {
    return Create(std::move(capabilities), Options{});
  }
  ~UringIo();
  UringIo(const UringIo&) = delete;
  UringIo& operator=(const UringIo&) = delete;

  // Submits `sqe` as given (user_data is replaced) and waits for its completion; returns
  // the completion's result (negative errno on failure). The ring's restrictions, not
  // this function, decide what is allowed. Threads may call it concurrently: whichever
  // waiter is reaping hands other threads their completions, so a slow socket read in one
  // instance does not hold up a file read in another.
  int Execute(const io_uring_sqe& sqe);

  // The plugin-facing operations; `name` is a grant's name. Errors are complete
  // sentences for a `host error` trap.
  Result<std::string, std::string> ReadFile(std::string_view name);
  Result<int64_t, std::string> WriteFile(std::string_view name, std::string_view data);
  Result<int64_t, std::string> AppendFile(std::string_view name, std::string_view data);
  Result<int64_t, std::string> Send(std::string_view name, std::string_view data);
  Result<std::string, std::string> Recv(std::string_view name, size_t max_bytes);

  const Capabilities& capabilities() const;

  class Ring;  // the liburing state, in uring_io.cc

 private:
  UringIo() = default;
  Result<const Grant*, std::string> Lookup(std::string_view op, std::string_view name,
                                           Access access) const;
  Result<int64_t, std::string> WriteAll(const Grant& grant, std::string_view data,
                                        bool at_tracked_offset, std::string_view op);

  std::unique_ptr<Ring> ring_;
  Options options_;
};

// read_file(name), write_file(name, data), append_file(name, data), send(name, data),
// recv(name, max): each a host function backed by `io`, which the functions keep alive.
void RegisterUringHostFunctions(std::shared_ptr<UringIo> io, HostFunctions& host);

}  // namespace trinity::isolation
