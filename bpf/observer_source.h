// The BPF observer as an audit source: owns the Observer (observer.h) and reads its ring
// buffer, decoding each record into an AuditEvent.
#pragma once

#include <memory>
#include <string>

#include "bpf/audit_source.h"
#include "bpf/event_decode.h"
#include "bpf/observer.h"
#include "runtime/result.h"

struct ring_buffer;

namespace trinity::bpf {

class ObserverSource : public AuditSource {
 public:
  static Result<std::unique_ptr<ObserverSource>, std::string> Start(const ObserverOptions& options);
  ~ObserverSource() override;

  int fd() const override;
  size_t Drain(const Sink& sink) override;
  uint64_t lost() const override;
  void Stop() override { observer_->Detach(); }

  Observer& observer() { return *observer_; }

 private:
  ObserverSource() = default;
  static int OnRecord(void* self, void* data, size_t size);

  std::unique_ptr<Observer> observer_;
  ring_buffer* ring_ = nullptr;
  EventDecoder decoder_;
  const Sink* sink_ = nullptr;  // during Drain
};

}  // namespace trinity::bpf
