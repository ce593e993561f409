// MPK isolation for embedders: one MpkDomain per plugin instance supplies the instance's
// memory provider (protection-key-tagged regions) and domain gate (checked WRPKRU switches
// with fault containment). While plugin code runs, the CPU forbids every access outside
// that instance's memory, key-0 memory (the VM's code, native stack, libc, the Module)
// and read-only access to the runtime's protected tables.
//
//   InstanceOptions options;                                        // limits set first
//   auto domain = MpkDomain::Create(IsolationPolicy::kRequired, options.limits);
//   domain.value()->Configure(options);
//   auto instance = Instance::Create(module, host, options);        // outlived by domain
//
// or, owning both in the right order: CreateIsolatedInstance(module, host, options, policy).
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "isolation/kernel_checks.h"
#include "runtime/domain_gate.h"
#include "runtime/memory.h"
#include "runtime/result.h"
#include "runtime/trinity.h"

namespace trinity::isolation {

class KeyPool;

enum class IsolationPolicy {
  kRequired,   // refuse to create a domain without MPK
  kPreferred,  // without MPK, say so once on stderr and run unisolated (faults contained)
};

// Whether protection keys work here; the reason names the missing feature when not.
bool MpkAvailable();
const std::string& MpkUnavailableReason();

// Allocates the process's protection keys now. A thread's PKRU is inherited by the
// threads it creates, so calling this early in main() (before worker threads start)
// gives every thread host access to isolated memory from birth; threads that existed
// before get it on their first call into this layer, or by calling PrepareHostThread().
Result<Unit, std::string> InitializeMpk();
void PrepareHostThread();

// For a seccomp filter that refuses pkey_mprotect or pkey_alloc (both shipped policies do):
// InstallSeccompPolicy calls it right before loading such a filter; an embedder loading
// one by other means must call it first. From then on protection keys are never rotated
// among instances (key_pool.cc explains why and what that means): domains created before
// keep their key (parked ones get a free key now, while keys last), and each domain
// created after takes a free key for life or fails to be created. When the keys were not
// allocated yet, MPK stays off for the rest of the process; call InitializeMpk() before.
// Irreversible; safe to call again.
Result<Unit, std::string> SealMpkKeys();

class MpkDomain {
 public:
  // Reserves and tags all the memory an instance with `limits` may get (its heap limit,
  // stack and frames; ReservationBytes in mpk_memory_provider.h), so running it never
  // needs to map or re-tag memory. Pass the limits the instance will be created with.
  // Where /dev/trinity exists, the kernel must confirm the reservation's key and the
  // absence of writable+executable mappings, or creation fails (kernel_checks.h).
  static Result<std::unique_ptr<MpkDomain>, std::string> Create(
      IsolationPolicy policy = IsolationPolicy::kPreferred, const Limits& limits = Limits{});
  ~MpkDomain();
  MpkDomain(const MpkDomain&) = delete;
  MpkDomain& operator=(const MpkDomain&) = delete;

  // For InstanceOptions::memory and ::gate. The instance must be destroyed first.
  MemoryProvider* memory() const { return memory_; }
  DomainGate* gate() const { return gate_.get(); }
  void Configure(InstanceOptions& options) const {
    options.memory = memory();
    options.gate = gate();
  }

  bool isolated() const { return pool_ != nullptr; }
  uint32_t id() const { return id_; }  // the instance id in probes and messages; 0 if unisolated
  // The hardware key bound right now (-1 while parked or unisolated); for tests and tools.
  int current_key() const;
  // Where its memory lies and which key the layer tagged it with (the parked key until
  // its first entry, before sealing), as the kernel cross-checks compare them.
  DomainBelief belief() const;
  // Bytes of tagged memory this domain's provider has committed, and has reserved.
  size_t mapped_bytes() const;
  size_t reserved_bytes() const;

 private:
  MpkDomain() = default;
  KeyPool* pool_ = nullptr;
  uint32_t slot_ = 0;
  uint32_t id_ = 0;
  std::unique_ptr<MemoryProvider> owned_memory_;
  MemoryProvider* memory_ = nullptr;
  std::unique_ptr<DomainGate> gate_;
};

// An instance together with its domain (reserved for options.limits), destroyed in the
// right order (instance first).
struct IsolatedInstance {
  std::unique_ptr<MpkDomain> domain;
  std::unique_ptr<Instance> instance;
};
Result<IsolatedInstance, std::string> CreateIsolatedInstance(
    std::shared_ptr<const Module> module, const HostFunctions& host, InstanceOptions options = {},
    IsolationPolicy policy = IsolationPolicy::kPreferred);

// Tags page-aligned host memory with the host-protected key: readable and writable
// (per `prot`) by host code, inaccessible while any plugin domain is active. `length` is
// rounded up to whole pages. Unprotect returns the pages to key 0. Both fail once MPK is
// sealed for a seccomp sandbox (SealMpkKeys), since they need pkey_mprotect.
Result<Unit, std::string> ProtectHostRegion(void* base, size_t length,
                                            int prot = PROT_READ | PROT_WRITE);
Result<Unit, std::string> UnprotectHostRegion(void* base, size_t length,
                                              int prot = PROT_READ | PROT_WRITE);

// Process-wide numbers for tests, tools and leak checks.
struct MpkStats {
  size_t live_domains = 0;
  size_t bound_domains = 0;
  size_t tracked_regions = 0;  // reservations of live domains
  size_t mapped_bytes = 0;     // committed in those reservations
  uint64_t bindings = 0;
  uint64_t evictions = 0;
  size_t instance_keys = 0;  // hardware keys the pool rotates among instances
  bool sealed = false;       // SealMpkKeys ran: keys no longer rotate
};
MpkStats GetMpkStats();

}  // namespace trinity::isolation
