// The public entry of MPK isolation: policy (required / preferred), domain creation from
// the process's key pool, sealing it for seccomp, host-protected regions and process-wide
// statistics.
#include "isolation/mpk_isolation.h"

#include <unistd.h>

#include "isolation/containment_gate.h"
#include "isolation/key_pool.h"
#include "isolation/mpk_gate.h"
#include "isolation/mpk_memory_provider.h"
#include "isolation/mpk_support.h"

namespace trinity::isolation {
namespace {

Result<Unit, std::string> Retag(KeyPool& pool, void* base, size_t length, int prot, int key) {
  if (reinterpret_cast<uintptr_t>(base) % PageSize() != 0) {
    return Err(std::string("region must start on a page boundary"));
  }
  return pool.TagHostMemory(base, PageRound(length), prot, key);
}

}  // namespace

bool MpkAvailable() { return ProbeMpkSupport().available; }
const std::string& MpkUnavailableReason() { return ProbeMpkSupport().reason; }

Result<Unit, std::string> InitializeMpk() {
  Result<KeyPool*, std::string> pool = KeyPool::Get();
  if (!pool.ok()) return Err(pool.error());
  return Unit{};
}

void PrepareHostThread() {
  Result<KeyPool*, std::string> pool = KeyPool::Get();
  if (pool.ok()) pool.value()->EnsureHostAccess();
}

Result<Unit, std::string> SealMpkKeys() { return KeyPool::SealProcess(kLargestReservation); }

Result<std::unique_ptr<MpkDomain>, std::string> MpkDomain::Create(IsolationPolicy policy,
                                                                   const Limits& limits) {
  std::unique_ptr<MpkDomain> domain(new MpkDomain());
  Result<KeyPool*, std::string> pool = KeyPool::Get();
  if (!pool.ok()) {
    if (policy == IsolationPolicy::kRequired) {
      return Err("MPK isolation required but unavailable: " + pool.error());
    }
    NoteRunningUnisolated();
    domain->memory_ = &DefaultMemoryProvider();
    domain->gate_ = std::make_unique<ContainmentGate>();
    return domain;
  }
  KeyPool& keys = *pool.value();
  Result<uint32_t, std::string> slot = keys.OpenDomain(ReservationBytes(limits.max_heap_bytes));
  if (!slot.ok()) return Err(slot.error());
  domain->pool_ = &keys;
  domain->slot_ = slot.value();
  domain->id_ = keys.record(domain->slot_).id;
  domain->owned_memory_ = std::make_unique<MpkMemoryProvider>(keys, domain->slot_);
  domain->memory_ = domain->owned_memory_.get();
  domain->gate_ = std::make_unique<MpkGate>(keys, domain->slot_);
  if (auto attested = AttestDomainCreated(domain->belief()); !attested) {
    return Err(attested.error());
  }
  return domain;
}

DomainBelief MpkDomain::belief() const {
  if (pool_ == nullptr) return DomainBelief{};
  // Before sealing a new reservation is parked under the parked key; after, it holds its key.
  const int key = current_key();
  return DomainBelief{MemoryRange{reinterpret_cast<uintptr_t>(pool_->reservation_base(slot_)),
                                  pool_->reservation_length(slot_)},
                      key >= 0 ? key : pool_->parked_key(), id_};
}

MpkDomain::~MpkDomain() {
  gate_.reset();
  owned_memory_.reset();  // the pool unmaps or recycles the reservation after
  if (pool_ != nullptr) pool_->CloseDomain(slot_);
}

int MpkDomain::current_key() const {
  if (pool_ == nullptr) return -1;
  return pool_->record(slot_).hardware_key.load(std::memory_order_relaxed);
}

size_t MpkDomain::mapped_bytes() const {
  if (pool_ == nullptr) return 0;
  return static_cast<const MpkMemoryProvider*>(memory_)->mapped_bytes();
}

size_t MpkDomain::reserved_bytes() const {
  if (pool_ == nullptr) return 0;
  return static_cast<const MpkMemoryProvider*>(memory_)->reserved_bytes();
}

Result<IsolatedInstance, std::string> CreateIsolatedInstance(std::shared_ptr<const Module> module,
                                                             const HostFunctions& host,
                                                             InstanceOptions options,
                                                             IsolationPolicy policy) {
  Result<std::unique_ptr<MpkDomain>, std::string> domain = MpkDomain::Create(policy, options.limits);
  if (!domain.ok()) return Err(domain.error());
  domain.value()->Configure(options);
  auto instance = Instance::Create(std::move(module), host, std::move(options));
  if (!instance.ok()) return Err(instance.error());
  IsolatedInstance out;
  out.domain = std::move(domain).value();
  out.instance = std::move(instance).value();
  return out;
}

Result<Unit, std::string> ProtectHostRegion(void* base, size_t length, int prot) {
  Result<KeyPool*, std::string> pool = KeyPool::Get();
  if (!pool.ok()) return Err("cannot protect host memory: " + pool.error());
  pool.value()->EnsureHostAccess();
  return Retag(*pool.value(), base, length, prot, pool.value()->host_key());
}

Result<Unit, std::string> UnprotectHostRegion(void* base, size_t length, int prot) {
  Result<KeyPool*, std::string> pool = KeyPool::Get();
  if (!pool.ok()) return Err("cannot unprotect host memory: " + pool.error());
  return Retag(*pool.value(), base, length, prot, 0);
}

MpkStats GetMpkStats() {
  MpkStats out;
  out.mapped_bytes = MpkMemoryProvider::TotalMappedBytes();
  Result<KeyPool*, std::string> pool = KeyPool::Get();
  if (!pool.ok()) return out;
  KeyPool::Stats s = pool.value()->stats();
  out.live_domains = s.live_domains;
  out.bound_domains = s.bound_domains;
  out.tracked_regions = s.tracked_regions;
  out.bindings = s.bindings;
  out.evictions = s.evictions;
  out.instance_keys = pool.value()->instance_key_count();
  out.sealed = s.sealed;
  return out;
}

}  // namespace trinity::isolation
