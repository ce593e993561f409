// Runs `trinity audit`'s stream: a reader thread drains every source into a bounded queue
// (full queue: the event is dropped and counted), the calling thread writes each event as
// a line, and losses are reported in-band as lost_events lines. At the end every source is
// stopped and drained, so delivered + lost equals what the sources produced, exactly.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "bpf/audit_source.h"

namespace trinity::bpf {

struct AuditSessionOptions {
  bool json = true;
  size_t queue_capacity = 1u << 16;       // events
  pid_t follow_pid = -1;                  // end when this process exits
  std::chrono::milliseconds duration{0};  // end after this long; 0: no limit
};

struct AuditTotals {
  uint64_t delivered = 0;   // events written
  uint64_t ring_full = 0;   // lost inside the sources (kernel ring buffer full)
  uint64_t queue_full = 0;  // dropped because the writer fell behind
};

// Streams until `stop` turns true, the followed process exits or the duration passes (or
// writing to `out` fails); then stops and drains the sources and writes the last losses.
AuditTotals RunAuditSession(const std::vector<AuditSource*>& sources, const AuditSessionOptions& options,
                            const std::atomic<bool>& stop, FILE* out);

}  // namespace trinity::bpf
