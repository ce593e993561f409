// The output of `trinity audit`: one JSON object per line (schema in bpf/README.md), or a
// short text line per event without --json. Kernel timestamps are CLOCK_MONOTONIC and
// become RFC 3339 UTC times with nanoseconds through the offset taken when the clock is made.
#pragma once

#include <cstdint>
#include <string>

#include "bpf/audit_event.h"

namespace trinity::bpf {

class WallClock {
 public:
  WallClock();  // measures CLOCK_REALTIME - CLOCK_MONOTONIC now
  // "2026-12-02T10:11:12.123456789Z" for a CLOCK_MONOTONIC time in ns.
  std::string Rfc3339(uint64_t monotonic_ns) const;

 private:
  int64_t offset_ns_;
};

std::string TierName(int tier);

// {"type":"event", ...}
std::string EventJson(const AuditEvent& e, const WallClock& clock);
// {"type":"lost_events","count":N,"ring_full":R,"queue_full":Q}: N = R + Q events lost since
// the previous such line, R in the kernel's ring buffer, Q in `trinity audit`'s queue.
std::string LostEventsJson(uint64_t ring_full, uint64_t queue_full);

std::string EventText(const AuditEvent& e, const WallClock& clock);
std::string LostEventsText(uint64_t ring_full, uint64_t queue_full);

// A JSON string literal (quotes included); bytes that are not UTF-8 become U+FFFD.
std::string JsonString(std::string_view s);

}  // namespace trinity::bpf
