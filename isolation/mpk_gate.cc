// Gate implementation. Both directions write PKRU only through the checked helpers, which
// compare what RDPKRU returns with the value reloaded from the domain table; the table is
// read-only while the plugin's PKRU is in force, so plugin code cannot choose the value a
// gate accepts. The enter path also checks the value's shape (one writable key besides 0).
#include "isolation/mpk_gate.h"

#include <signal.h>

#include "isolation/domain_probes.h"
#include "isolation/fault_containment.h"
#include "isolation/key_pool.h"
#include "isolation/pkru.h"

namespace trinity::isolation {
namespace {

struct PluginCall {
  MpkGate* gate;
  DomainRecord* record;
  const std::function<void()>* body;
};

}  // namespace

MpkGate::MpkGate(KeyPool& pool, uint32_t slot) : pool_(pool), slot_(slot) {}

TRINITY_PROBE_FUNCTION void MpkGate::EnterPlugin(DomainRecord& r) {
  uint32_t plugin = r.plugin_pkru.load(std::memory_order_relaxed);
  TRINITY_PROBE_DOMAIN_ENTER(r.id, plugin);
  WritePkruChecked(plugin, r.plugin_pkru);
  if (__builtin_expect(!IsPluginShaped(plugin), 0)) PkruCheckFailed(plugin, ReadPkru());
}

TRINITY_PROBE_FUNCTION void MpkGate::ExitToHost(DomainRecord& r) {
  uint32_t host = r.host_pkru.load(std::memory_order_relaxed);
  WritePkruChecked(host, r.host_pkru);
  TRINITY_PROBE_DOMAIN_EXIT(r.id, host);
}

TRINITY_PROBE_FUNCTION std::optional<Trap> MpkGate::RunPlugin(const std::function<void()>& body) {
  pool_.EnsureHostAccess();
  DomainRecord& r = pool_.record(slot_);
  const uint32_t host = ReadPkru();
  if (std::optional<std::string> error = pool_.Pin(slot_)) {
    Trap trap;
    trap.kind = TrapKind::kIsolationViolation;
    trap.message = std::move(*error);
    return trap;
  }
  r.host_pkru.store(host, std::memory_order_relaxed);
  // One pointer of capture keeps std::function from allocating.
  PluginCall call{this, &r, &body};
  std::optional<ContainedFault> fault;
  try {
    fault = RunContained(
        [c = &call] {
          c->gate->EnterPlugin(*c->record);
          try {
            (*c->body)();
          } catch (...) {
            c->gate->ExitToHost(*c->record);
            throw;
          }
          c->gate->ExitToHost(*c->record);
        },
        host);
  } catch (...) {
    pool_.Unpin(slot_);
    throw;
  }
  if (!fault) {
    pool_.Unpin(slot_);
    return std::nullopt;
  }
  // RunContained has written `host` back; confirm it against the protected copy.
  uint32_t now = ReadPkru();
  if (now != r.host_pkru.load(std::memory_order_relaxed)) PkruCheckFailed(host, now);
  TRINITY_PROBE_DOMAIN_EXIT(r.id, now);
  std::string owner = fault->signal == SIGSEGV ? pool_.DescribeKey(fault->pkey, slot_) : "";
  pool_.Unpin(slot_);
  return TrapFromFault(*fault, owner);
}

void MpkGate::RunHost(const std::function<void()>& body) {
  DomainRecord& r = pool_.record(slot_);
  ContainmentSuspension suspended;
  ExitToHost(r);
  try {
    body();
  } catch (...) {
    EnterPlugin(r);
    throw;
  }
  EnterPlugin(r);
}

}  // namespace trinity::isolation
