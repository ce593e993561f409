// Where audit events come from. `trinity audit` multiplexes every source it has: today the
// BPF observer (observer_source.h); the kernel module can add its tracepoints as another
// source without touching the session, the queue or the output.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "bpf/audit_event.h"

namespace trinity::bpf {

class AuditSource {
 public:
  using Sink = std::function<void(AuditEvent&& event)>;
  virtual ~AuditSource() = default;
  // A descriptor that polls readable while events wait.
  virtual int fd() const = 0;
  // Hands every waiting event to `sink` without blocking; returns how many.
  virtual size_t Drain(const Sink& sink) = 0;
  // Events lost inside the source (before user space) so far.
  virtual uint64_t lost() const = 0;
  // Produces no new events once this returns; Drain still hands out what is waiting.
  virtual void Stop() = 0;
};

}  // namespace trinity::bpf
