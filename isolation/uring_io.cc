// The restricted ring behind plugin I/O, and its host functions. Completions are reaped
// by whichever waiting thread gets there first (leader/follower): there is no extra
// thread to create before lock-down, and no caller waits on another caller's I/O.
#include "isolation/uring_io.h"

#include <liburing.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace trinity::isolation {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kMaxRecv = 1u << 20;

// The whole allowlist of the ring. Anything else, including every opcode that opens,
// connects, or touches a descriptor by number, fails with -EACCES in the kernel.
constexpr uint8_t kAllowedOps[] = {IORING_OP_READ, IORING_OP_WRITE, IORING_OP_SEND,
                                   IORING_OP_RECV};

std::string ErrnoText(int negative_errno) { return std::strerror(-negative_errno); }

std::string_view FlagFor(Access access) {
  switch (access) {
    case Access::kRead: return "--allow-read";
    case Access::kWrite: return "--allow-write";
    case Access::kAppend: return "--allow-append";
    case Access::kSocket: return "a socket grant";
  }
  return "";
}

}  // namespace

class UringIo::Ring {
 public:
  ~Ring() {
    if (initialised) io_uring_queue_exit(&ring);
  }

  io_uring ring{};
  bool initialised = false;
  Capabilities capabilities;
  std::mutex mu;
  std::condition_variable reaped;
  bool reaping = false;
  uint64_t next_ticket = 1;
  std::unordered_map<uint64_t, int> done;
  std::vector<uint64_t> write_offsets;  // per grant index, for Access::kWrite
};

Result<std::unique_ptr<UringIo>, std::string> UringIo::Create(Capabilities capabilities,
                                                              Options options) {
  std::unique_ptr<UringIo> io(new UringIo());
  io->options_ = options;
  io->ring_ = std::make_unique<Ring>();
  Ring& r = *io->ring_;
  r.capabilities = std::move(capabilities);
  r.write_offsets.assign(r.capabilities.grants().size(), 0);

  io_uring_params params{};
  // Disabled until restricted: no submission can slip in before the allowlist holds.
  params.flags = IORING_SETUP_R_DISABLED;
  int rc = io_uring_queue_init_params(options.entries, &r.ring, &params);
  if (rc < 0) return Err("io_uring_setup failed: " + ErrnoText(rc));
  r.initialised = true;

  std::vector<int> fds;
  for (const Grant& g : r.capabilities.grants()) fds.push_back(g.fd);
  if (!fds.empty()) {
    rc = io_uring_register_files(&r.ring, fds.data(), static_cast<unsigned>(fds.size()));
    if (rc < 0) return Err("registering granted descriptors failed: " + ErrnoText(rc));
  }

  std::vector<io_uring_restriction> restrictions;
  for (uint8_t op : kAllowedOps) {
    io_uring_restriction res{};
    res.opcode = IORING_RESTRICTION_SQE_OP;
    res.sqe_op = op;
    restrictions.push_back(res);
  }
  io_uring_restriction flags{};
  flags.opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
  flags.sqe_flags = IOSQE_FIXED_FILE;
  restrictions.push_back(flags);
  // Required, not just allowed: a raw descriptor number never reaches the kernel.
  flags.opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED;
  restrictions.push_back(flags);
  // No IORING_RESTRICTION_REGISTER_OP rows: after enabling, every register call fails.
  // Through the generic register call: Debian's liburing 2.3 shared library does not
  // export io_uring_register_restrictions/io_uring_enable_rings (missing from its map).
  rc = io_uring_register(r.ring.ring_fd, IORING_REGISTER_RESTRICTIONS, restrictions.data(),
                         static_cast<unsigned>(restrictions.size()));
  if (rc < 0) return Err("restricting the ring failed: " + ErrnoText(rc));
  rc = io_uring_register(r.ring.ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0);
  if (rc < 0) return Err("enabling the ring failed: " + ErrnoText(rc));
  return io;
}

UringIo::~UringIo() = default;

const Capabilities& UringIo::capabilities() const { return ring_->capabilities; }

int UringIo::Execute(const io_uring_sqe& request) {
  Ring& r = *ring_;
  std::unique_lock<std::mutex> lock(r.mu);
  io_uring_sqe* sqe = io_uring_get_sqe(&r.ring);
  if (sqe == nullptr) {
    io_uring_submit(&r.ring);
    sqe = io_uring_get_sqe(&r.ring);
    if (sqe == nullptr) return -EBUSY;
  }
  *sqe = request;
  const uint64_t ticket = r.next_ticket++;
  io_uring_sqe_set_data64(sqe, ticket);
  int rc = io_uring_submit(&r.ring);
  if (rc < 0) return rc;
  for (;;) {
    if (auto it = r.done.find(ticket); it != r.done.end()) {
      int res = it->second;
      r.done.erase(it);
      return res;
    }
    if (r.reaping) {
      r.reaped.wait(lock);
      continue;
    }
    r.reaping = true;
    lock.unlock();
    io_uring_cqe* cqe = nullptr;
    int waited = io_uring_wait_cqe(&r.ring, &cqe);
    lock.lock();
    if (waited == 0) {
      unsigned head;
      unsigned seen = 0;
      io_uring_for_each_cqe(&r.ring, head, cqe) {
        r.done[io_uring_cqe_get_data64(cqe)] = cqe->res;
        ++seen;
      }
      io_uring_cq_advance(&r.ring, seen);
    }
    r.reaping = false;
    r.reaped.notify_all();
    if (waited < 0 && waited != -EINTR && waited != -EAGAIN) return waited;
  }
}

Result<const Grant*, std::string> UringIo::Lookup(std::string_view op, std::string_view name,
                                                  Access access) const {
  const Grant* grant = ring_->capabilities.Find(name);
  if (grant == nullptr) {
    return Err(std::string(op) + ": '" + std::string(name) +
               "' is not granted to this plugin (the operator grants it with " +
               std::string(FlagFor(access)) + ")");
  }
  if (grant->access != access) {
    return Err(std::string(op) + ": '" + std::string(name) + "' is granted for " +
               std::string(AccessName(grant->access)) + ", not " +
               std::string(AccessName(access)));
  }
  return grant;
}

namespace {
unsigned IndexOf(const Capabilities& caps, const Grant* grant) {
  return static_cast<unsigned>(grant - caps.grants().data());
}
}  // namespace

Result<std::string, std::string> UringIo::ReadFile(std::string_view name) {
  auto grant = Lookup("read_file", name, Access::kRead);
  if (!grant) return Err(grant.error());
  const unsigned index = IndexOf(ring_->capabilities, grant.value());
  std::string content;
  for (;;) {
    size_t at = content.size();
    if (at >= options_.max_read_bytes + 1) {
      return Err("read_file: '" + std::string(name) + "' is larger than " +
                 std::to_string(options_.max_read_bytes) + " bytes");
    }
    content.resize(at + kReadChunk);
    io_uring_sqe sqe{};
    io_uring_prep_read(&sqe, static_cast<int>(index), content.data() + at, kReadChunk, at);
    sqe.flags |= IOSQE_FIXED_FILE;
    int res = Execute(sqe);
    if (res < 0) {
      return Err("read_file: '" + std::string(name) + "': " + ErrnoText(res));
    }
    content.resize(at + static_cast<size_t>(res));
    if (res == 0) break;
  }
  if (content.size() > options_.max_read_bytes) {
    return Err("read_file: '" + std::string(name) + "' is larger than " +
               std::to_string(options_.max_read_bytes) + " bytes");
  }
  return content;
}

Result<int64_t, std::string> UringIo::WriteAll(const Grant& grant, std::string_view data,
                                               bool at_tracked_offset, std::string_view op) {
  Ring& r = *ring_;
  const unsigned index = IndexOf(r.capabilities, &grant);
  uint64_t offset = 0;
  if (at_tracked_offset) {
    // Reserved up front, so concurrent writers never interleave inside one call's data.
    std::lock_guard<std::mutex> lock(r.mu);
    offset = r.write_offsets[index];
    r.write_offsets[index] += data.size();
  }
  size_t written = 0;
  while (written < data.size()) {
    io_uring_sqe sqe{};
    const char* from = data.data() + written;
    unsigned length = static_cast<unsigned>(std::min<size_t>(data.size() - written, 1u << 30));
    if (grant.access == Access::kSocket) {
      io_uring_prep_send(&sqe, static_cast<int>(index), from, length, MSG_NOSIGNAL);
    } else {
      // -1: the file position, which O_APPEND moves to the end for every write.
      uint64_t at = at_tracked_offset ? offset + written : static_cast<uint64_t>(-1);
      io_uring_prep_write(&sqe, static_cast<int>(index), from, length, at);
    }
    sqe.flags |= IOSQE_FIXED_FILE;
    int res = Execute(sqe);
    if (res < 0) return Err(std::string(op) + ": '" + grant.name + "': " + ErrnoText(res));
    if (res == 0) return Err(std::string(op) + ": '" + grant.name + "': no progress");
    written += static_cast<size_t>(res);
  }
  return static_cast<int64_t>(written);
}

Result<int64_t, std::string> UringIo::WriteFile(std::string_view name, std::string_view data) {
  auto grant = Lookup("write_file", name, Access::kWrite);
  if (!grant) return Err(grant.error());
  return WriteAll(*grant.value(), data, true, "write_file");
}

Result<int64_t, std::string> UringIo::AppendFile(std::string_view name, std::string_view data) {
  auto grant = Lookup("append_file", name, Access::kAppend);
  if (!grant) return Err(grant.error());
  return WriteAll(*grant.value(), data, false, "append_file");
}

Result<int64_t, std::string> UringIo::Send(std::string_view name, std::string_view data) {
  auto grant = Lookup("send", name, Access::kSocket);
  if (!grant) return Err(grant.error());
  return WriteAll(*grant.value(), data, false, "send");
}

Result<std::string, std::string> UringIo::Recv(std::string_view name, size_t max_bytes) {
  auto grant = Lookup("recv", name, Access::kSocket);
  if (!grant) return Err(grant.error());
  if (max_bytes == 0 || max_bytes > kMaxRecv) {
    return Err("recv: max must be between 1 and " + std::to_string(kMaxRecv));
  }
  std::string buffer(max_bytes, '\0');
  io_uring_sqe sqe{};
  io_uring_prep_recv(&sqe, static_cast<int>(IndexOf(ring_->capabilities, grant.value())),
                     buffer.data(), buffer.size(), 0);
  sqe.flags |= IOSQE_FIXED_FILE;
  int res = Execute(sqe);
  if (res < 0) return Err("recv: '" + std::string(name) + "': " + ErrnoText(res));
  buffer.resize(static_cast<size_t>(res));
  return buffer;
}

void RegisterUringHostFunctions(std::shared_ptr<UringIo> io, HostFunctions& host) {
  using R = Result<HostValue, std::string>;
  host.Register("read_file", 1, [io](HostArgs args) -> R {
    auto content = io->ReadFile(args.String(0));
    if (!content) return Err(std::move(content.error()));
    return HostValue::String(std::move(content.value()));
  });
  host.Register("write_file", 2, [io](HostArgs args) -> R {
    auto n = io->WriteFile(args.String(0), args.String(1));
    if (!n) return Err(std::move(n.error()));
    return HostValue::Int(n.value());
  });
  host.Register("append_file", 2, [io](HostArgs args) -> R {
    auto n = io->AppendFile(args.String(0), args.String(1));
    if (!n) return Err(std::move(n.error()));
    return HostValue::Int(n.value());
  });
  host.Register("send", 2, [io](HostArgs args) -> R {
    auto n = io->Send(args.String(0), args.String(1));
    if (!n) return Err(std::move(n.error()));
    return HostValue::Int(n.value());
  });
  host.Register("recv", 2, [io](HostArgs args) -> R {
    int64_t max = args.Int(1);
    auto data = io->Recv(args.String(0), max < 0 ? 0 : static_cast<size_t>(max));
    if (!data) return Err(std::move(data.error()));
    return HostValue::String(std::move(data.value()));
  });
}

}  // namespace trinity::isolation
