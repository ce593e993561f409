// Encoding of process-tier messages (process_wire.h). A Reader stops at the first short
// or oversized field and reports it, so a corrupt reply becomes an error, not a crash.
#include "isolation/process_wire.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace trinity::isolation {
namespace {

class Writer {
 public:
  void U8(uint8_t v) { bytes_.push_back(v); }
  void U32(uint32_t v) {
    for (int i = 0; i < 4; ++i) bytes_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void U64(uint64_t v) {
    for (int i = 0; i < 8; ++i) bytes_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void Bytes(const void* data, size_t n) {
    U32(static_cast<uint32_t>(n));
    const auto* p = static_cast<const uint8_t*>(data);
    bytes_.insert(bytes_.end(), p, p + n);
  }
  void Str(const std::string& s) { Bytes(s.data(), s.size()); }
  void OptStr(const std::optional<std::string>& s) {
    U8(s ? 1 : 0);
    if (s) Str(*s);
  }
  std::vector<uint8_t> Take() { return std::move(bytes_); }

 private:
  std::vector<uint8_t> bytes_;
};

class Reader {
 public:
  explicit Reader(const std::vector<uint8_t>& bytes) : bytes_(bytes) {}
  bool ok() const { return ok_; }
  bool AtEnd() const { return pos_ == bytes_.size(); }
  uint8_t U8() { return Need(1) ? bytes_[pos_++] : 0; }
  uint32_t U32() {
    if (!Need(4)) return 0;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(bytes_[pos_++]) << (8 * i);
    return v;
  }
  uint64_t U64() {
    if (!Need(8)) return 0;
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(bytes_[pos_++]) << (8 * i);
    return v;
  }
  std::string Str() {
    uint32_t n = U32();
    if (!Need(n)) return {};
    std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  std::optional<std::string> OptStr() {
    if (U8() == 0) return std::nullopt;
    return Str();
  }

 private:
  bool Need(size_t n) {
    if (!ok_ || bytes_.size() - pos_ < n) ok_ = false;
    return ok_;
  }
  const std::vector<uint8_t>& bytes_;
  size_t pos_ = 0;
  bool ok_ = true;
};

void PutLimits(Writer& w, const Limits& l) {
  w.U64(l.fuel);
  w.U64(l.max_heap_bytes);
  w.U32(l.max_depth);
  w.U64(l.max_stack_bytes);
  w.U64(static_cast<uint64_t>(l.timeout.count()));
}

Limits GetLimits(Reader& r) {
  Limits l;
  l.fuel = r.U64();
  l.max_heap_bytes = static_cast<size_t>(r.U64());
  l.max_depth = r.U32();
  l.max_stack_bytes = static_cast<size_t>(r.U64());
  // Clamped like the CLI does, so deadline arithmetic in the VM cannot overflow.
  l.timeout = std::chrono::milliseconds(static_cast<int64_t>(std::min<uint64_t>(r.U64(), uint64_t{1} << 40)));
  return l;
}

// Reads exactly n bytes; false on end of stream or error (errno says which, 0 for EOF).
bool ReadExactly(int fd, void* out, size_t n) {
  auto* p = static_cast<uint8_t*>(out);
  while (n > 0) {
    ssize_t got = read(fd, p, n);
    if (got == 0) {
      errno = 0;
      return false;
    }
    if (got < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

}  // namespace

std::vector<uint8_t> EncodeRequest(const ProcessRequest& q) {
  Writer w;
  w.Bytes(q.module.data(), q.module.size());
  w.Str(q.entry);
  w.U32(static_cast<uint32_t>(q.args.size()));
  for (const std::string& a : q.args) w.Str(a);
  PutLimits(w, q.limits);
  return w.Take();
}

Result<ProcessRequest, std::string> DecodeRequest(const std::vector<uint8_t>& bytes) {
  Reader r(bytes);
  ProcessRequest q;
  std::string module = r.Str();
  q.module.assign(module.begin(), module.end());
  q.entry = r.Str();
  uint32_t n = r.U32();
  for (uint32_t i = 0; i < n && r.ok(); ++i) q.args.push_back(r.Str());
  q.limits = GetLimits(r);
  if (!r.ok() || !r.AtEnd()) return Err(std::string("malformed request"));
  return q;
}

std::vector<uint8_t> EncodeOutput(uint64_t offset, std::string_view text) {
  Writer w;
  w.U8(static_cast<uint8_t>(ReplyKind::kOutput));
  w.U64(offset);
  w.Bytes(text.data(), text.size());
  return w.Take();
}

std::vector<uint8_t> EncodeResult(const ProcessResult& res) {
  Writer w;
  w.U8(static_cast<uint8_t>(ReplyKind::kResult));
  w.Str(res.output);
  w.OptStr(res.result);
  w.OptStr(res.setup_error);
  w.U8(res.trap ? 1 : 0);
  if (res.trap) {
    const Trap& t = *res.trap;
    w.U8(static_cast<uint8_t>(t.kind));
    w.Str(t.message);
    w.Str(t.function);
    w.U32(t.line);
    w.U32(static_cast<uint32_t>(t.stack.size()));
    for (const TrapFrame& f : t.stack) {
      w.Str(f.function);
      w.U32(f.line);
    }
  }
  return w.Take();
}

Result<Reply, std::string> DecodeReply(const std::vector<uint8_t>& bytes) {
  Reader r(bytes);
  Reply reply;
  uint8_t kind = r.U8();
  if (kind == static_cast<uint8_t>(ReplyKind::kOutput)) {
    reply.kind = ReplyKind::kOutput;
    reply.offset = r.U64();
    reply.output = r.Str();
    if (!r.ok() || !r.AtEnd() || reply.output.size() > kMaxOutputChunk) {
      return Err(std::string("malformed output"));
    }
    return reply;
  }
  if (kind != static_cast<uint8_t>(ReplyKind::kResult)) return Err(std::string("malformed reply kind"));
  reply.kind = ReplyKind::kResult;
  ProcessResult& res = reply.result;
  res.output = r.Str();
  res.result = r.OptStr();
  res.setup_error = r.OptStr();
  if (r.U8() != 0) {
    Trap t;
    uint8_t kind = r.U8();
    if (kind > static_cast<uint8_t>(TrapKind::kInternal)) return Err(std::string("malformed trap kind"));
    t.kind = static_cast<TrapKind>(kind);
    t.message = r.Str();
    t.function = r.Str();
    t.line = r.U32();
    uint32_t frames = r.U32();
    for (uint32_t i = 0; i < frames && r.ok(); ++i) {
      TrapFrame f;
      f.function = r.Str();
      f.line = r.U32();
      t.stack.push_back(std::move(f));
    }
    res.trap = std::move(t);
  }
  if (!r.ok() || !r.AtEnd()) return Err(std::string("malformed result"));
  return reply;
}

Result<Unit, std::string> WriteFrame(int fd, const std::vector<uint8_t>& payload,
                                     FrameWrite mode) {
  if (payload.size() > kMaxFrameBytes) return Err(std::string("message too large"));
  std::vector<uint8_t> frame(4 + payload.size());
  uint32_t n = static_cast<uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i) frame[i] = static_cast<uint8_t>(n >> (8 * i));
  std::memcpy(frame.data() + 4, payload.data(), payload.size());
  size_t sent = 0;
  while (sent < frame.size()) {
    // MSG_NOSIGNAL: for the supervisor a dead worker is an error value, not SIGPIPE.
    // Workers use plain write, the one call the strict policy allows for this.
    ssize_t put = mode == FrameWrite::kSendNoSignal
                      ? send(fd, frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL)
                      : write(fd, frame.data() + sent, frame.size() - sent);
    if (put < 0) {
      if (errno == EINTR) continue;
      return Err(std::string("write failed: ") + std::strerror(errno));
    }
    sent += static_cast<size_t>(put);
  }
  return Unit{};
}

Result<Unit, std::string> WriteOutputFrame(int fd, uint64_t offset, std::string_view text) {
  if (text.size() > kMaxOutputChunk) return Err(std::string("output chunk too large"));
  // Frame length, then what EncodeOutput lays out: kind, offset, string length.
  uint8_t header[4 + 1 + 8 + 4];
  uint32_t frame = static_cast<uint32_t>(1 + 8 + 4 + text.size());
  uint32_t length = static_cast<uint32_t>(text.size());
  for (int i = 0; i < 4; ++i) header[i] = static_cast<uint8_t>(frame >> (8 * i));
  header[4] = static_cast<uint8_t>(ReplyKind::kOutput);
  for (int i = 0; i < 8; ++i) header[5 + i] = static_cast<uint8_t>(offset >> (8 * i));
  for (int i = 0; i < 4; ++i) header[13 + i] = static_cast<uint8_t>(length >> (8 * i));
  iovec parts[2] = {{header, sizeof header}, {const_cast<char*>(text.data()), text.size()}};
  size_t left = sizeof header + text.size();
  iovec* next = parts;
  int count = 2;
  while (left > 0) {
    ssize_t put = writev(fd, next, count);
    if (put < 0) {
      if (errno == EINTR) continue;
      return Err(std::string("write failed: ") + std::strerror(errno));
    }
    left -= static_cast<size_t>(put);
    // Skip what was written: whole parts, then into the part it stopped in.
    size_t done = static_cast<size_t>(put);
    while (count > 0 && done >= next->iov_len) {
      done -= next->iov_len;
      ++next;
      --count;
    }
    if (count > 0) {
      next->iov_base = static_cast<char*>(next->iov_base) + done;
      next->iov_len -= done;
    }
  }
  return Unit{};
}

Result<std::vector<uint8_t>, std::string> ReadFrame(int fd) {
  uint8_t header[4];
  if (!ReadExactly(fd, header, 4)) {
    return Err(errno == 0 ? std::string() : std::string("read failed: ") + std::strerror(errno));
  }
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n |= static_cast<uint32_t>(header[i]) << (8 * i);
  if (n > kMaxFrameBytes) return Err(std::string("frame too large"));
  std::vector<uint8_t> payload(n);
  if (!ReadExactly(fd, payload.data(), n)) {
    return Err(std::string("truncated frame") + (errno ? std::string(": ") + std::strerror(errno) : ""));
  }
  return payload;
}

}  // namespace trinity::isolation
