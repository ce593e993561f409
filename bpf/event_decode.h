// Turns the observer's ring buffer records (struct trinity_event, observer_abi.h) into
// AuditEvents. Keeps one piece of state: the protection key each MPK domain was last seen
// entering with, so a domain_exit can name the key it leaves.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <utility>

#include "bpf/audit_event.h"
#include "bpf/observer_abi.h"

namespace trinity::bpf {

// The event's name in the JSON schema: "call_entry", "kernel_sigsys", ...
const char* EventTypeName(uint32_t type);

// The one protection key besides 0 that `pkru` leaves writable, if there is exactly one.
std::optional<int> PluginKeyOf(uint32_t pkru);

class EventDecoder {
 public:
  AuditEvent Decode(const trinity_event& e);

 private:
  std::map<std::pair<uint32_t, uint32_t>, int> domain_keys_;  // (pid, domain id) -> pkey
};

}  // namespace trinity::bpf
