// The audit stream (see audit_session.h): reader thread -> bounded queue -> writer.
#include "bpf/audit_session.h"

#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "bpf/audit_json.h"

namespace trinity::bpf {
namespace {

constexpr int kPollMs = 100;

class EventQueue {
 public:
  explicit EventQueue(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  void Push(AuditEvent&& e) {
    std::lock_guard<std::mutex> lock(mu_);
    if (events_.size() >= capacity_) {
      ++dropped_;
      return;
    }
    events_.push_back(std::move(e));
    ready_.notify_one();
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    ready_.notify_one();
  }
  enum class Pop { kEvent, kTimeout, kClosed };
  Pop Take(AuditEvent& out, std::chrono::milliseconds wait) {
    std::unique_lock<std::mutex> lock(mu_);
    ready_.wait_for(lock, wait, [&] { return closed_ || !events_.empty(); });
    if (events_.empty()) return closed_ ? Pop::kClosed : Pop::kTimeout;
    out = std::move(events_.front());
    events_.pop_front();
    return Pop::kEvent;
  }
  uint64_t dropped() {
    std::lock_guard<std::mutex> lock(mu_);
    return dropped_;
  }

 private:
  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<AuditEvent> events_;
  size_t capacity_;
  uint64_t dropped_ = 0;
  bool closed_ = false;
};

// Reads the sources until told to end, then stops and drains them and closes the queue.
void ReadSources(const std::vector<AuditSource*>& sources, const AuditSessionOptions& options,
                 const std::atomic<bool>& stop, const std::atomic<bool>& writer_failed,
                 EventQueue& queue) {
  const AuditSource::Sink push = [&](AuditEvent&& e) { queue.Push(std::move(e)); };
  int ep = epoll_create1(EPOLL_CLOEXEC);
  for (AuditSource* s : sources) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    epoll_ctl(ep, EPOLL_CTL_ADD, s->fd(), &ev);
  }
  int pidfd = -1;
  if (options.follow_pid > 0) {
    pidfd = static_cast<int>(syscall(SYS_pidfd_open, options.follow_pid, 0));
    if (pidfd >= 0) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = pidfd;
      epoll_ctl(ep, EPOLL_CTL_ADD, pidfd, &ev);
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + options.duration;
  bool followed_exited = options.follow_pid > 0 && pidfd < 0;  // already gone
  while (!stop.load() && !writer_failed.load() && !followed_exited) {
    if (options.duration.count() > 0 && std::chrono::steady_clock::now() >= deadline) break;
    epoll_event ready[8];
    int n = epoll_wait(ep, ready, 8, kPollMs);
    for (int i = 0; i < n; ++i) {
      if (pidfd >= 0 && ready[i].data.fd == pidfd) followed_exited = true;
    }
    for (AuditSource* s : sources) s->Drain(push);
  }
  for (AuditSource* s : sources) s->Stop();
  for (AuditSource* s : sources) {
    while (s->Drain(push) > 0) {
    }
  }
  if (pidfd >= 0) close(pidfd);
  close(ep);
  queue.Close();
}

}  // namespace

AuditTotals RunAuditSession(const std::vector<AuditSource*>& sources, const AuditSessionOptions& options,
                            const std::atomic<bool>& stop, FILE* out) {
  EventQueue queue(options.queue_capacity);
  std::atomic<bool> writer_failed{false};
  std::thread reader([&] { ReadSources(sources, options, stop, writer_failed, queue); });
  const WallClock clock;
  AuditTotals totals;
  uint64_t reported_ring = 0, reported_queue = 0;
  auto report_losses = [&] {
    uint64_t ring = 0;
    for (AuditSource* s : sources) ring += s->lost();
    uint64_t dropped = queue.dropped();
    if (ring == reported_ring && dropped == reported_queue) return;
    std::string line = options.json ? LostEventsJson(ring - reported_ring, dropped - reported_queue)
                                    : LostEventsText(ring - reported_ring, dropped - reported_queue);
    line += '\n';
    if (std::fwrite(line.data(), 1, line.size(), out) != line.size()) writer_failed = true;
    reported_ring = ring;
    reported_queue = dropped;
  };
  auto last_check = std::chrono::steady_clock::now();
  AuditEvent event;
  for (;;) {
    EventQueue::Pop got = queue.Take(event, std::chrono::milliseconds(kPollMs));
    if (got == EventQueue::Pop::kClosed) break;
    if (got == EventQueue::Pop::kEvent && !writer_failed) {
      std::string line = options.json ? EventJson(event, clock) : EventText(event, clock);
      line += '\n';
      if (std::fwrite(line.data(), 1, line.size(), out) == line.size()) {
        ++totals.delivered;
      } else {
        writer_failed = true;
      }
    }
    auto now = std::chrono::steady_clock::now();
    if (got == EventQueue::Pop::kTimeout || now - last_check >= std::chrono::milliseconds(kPollMs)) {
      report_losses();
      if (std::fflush(out) != 0) writer_failed = true;
      last_check = now;
    }
  }
  reader.join();
  report_losses();
  std::fflush(out);
  totals.ring_full = reported_ring;
  totals.queue_full = reported_queue;
  return totals;
}

}  // namespace trinity::bpf
