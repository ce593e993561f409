// Ring buffer reading for the observer source (see observer_source.h).
#include "bpf/observer_source.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>

namespace trinity::bpf {

Result<std::unique_ptr<ObserverSource>, std::string> ObserverSource::Start(const ObserverOptions& options) {
  std::unique_ptr<ObserverSource> s(new ObserverSource());
  auto observer = Observer::Start(options);
  if (!observer) return Err(observer.error());
  s->observer_ = std::move(observer.value());
  s->ring_ = ring_buffer__new(s->observer_->ring_fd(), &ObserverSource::OnRecord, s.get(), nullptr);
  if (s->ring_ == nullptr) return Err(std::string("cannot read the ring buffer: ") + std::strerror(errno));
  return s;
}

ObserverSource::~ObserverSource() {
  if (ring_ != nullptr) ring_buffer__free(ring_);
}

int ObserverSource::fd() const { return ring_buffer__epoll_fd(ring_); }

int ObserverSource::OnRecord(void* self, void* data, size_t size) {
  auto* s = static_cast<ObserverSource*>(self);
  if (size < sizeof(trinity_event) || s->sink_ == nullptr) return 0;
  trinity_event record;
  std::memcpy(&record, data, sizeof record);
  (*s->sink_)(s->decoder_.Decode(record));
  return 0;
}

size_t ObserverSource::Drain(const Sink& sink) {
  sink_ = &sink;
  int n = ring_buffer__consume(ring_);
  sink_ = nullptr;
  return n > 0 ? static_cast<size_t>(n) : 0;
}

uint64_t ObserverSource::lost() const {
  uint64_t total = 0;
  for (uint64_t n : observer_->RingDrops()) total += n;
  return total;
}

}  // namespace trinity::bpf
