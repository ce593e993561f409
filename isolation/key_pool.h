// The process's protection keys and the protected table of isolation domains. A domain is
// one plugin instance's virtual key plus its memory reservation. Hardware keys are bound to
// domains when they enter and, when every key is taken, reclaimed from an idle domain
// (CLOCK, approximately least recently used) by re-tagging its reservation with the parked
// key — keys virtualised in the spirit of libmpk, so any number of instances can exist with
// 15 hardware keys — until the pool is sealed for a seccomp sandbox (key_pool.cc says why
// and what changes then).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "runtime/result.h"

namespace trinity::isolation {

// One domain's entry in the table. The table's pages carry the tables key, which a plugin
// domain may read but not write, so the PKRU values a gate loads and checks against
// cannot be forged by the code they restrict.
struct alignas(64) DomainRecord {
  static constexpr uint32_t kEvicting = 1u << 31;
  std::atomic<uint32_t> state{0};        // gate entries in progress, plus kEvicting
  std::atomic<int32_t> hardware_key{-1};  // -1 while parked
  std::atomic<uint32_t> plugin_pkru{0};   // valid while hardware_key >= 0
  std::atomic<uint32_t> host_pkru{0};     // the caller's PKRU at the latest entry
  std::atomic<uint32_t> referenced{0};    // CLOCK bit, set on every exit
  uint32_t id = 0;                        // instance id for probes and messages
};

class KeyPool {
 public:
  // One domain's memory: a contiguous range reserved (PROT_NONE) and tagged with the
  // domain's key when the domain opens; [base, base + committed) is readable and writable,
  // the rest stays PROT_NONE until Commit. The range never moves and never changes size,
  // so nothing but mprotect (which keeps a page's key) is needed while the domain lives.
  struct Reservation {
    char* base = nullptr;
    size_t length = 0;
    size_t committed = 0;
  };

  // The process-wide pool, created on first use (allocating the keys); an error naming
  // the missing feature when protection keys are unavailable, or saying that the sandbox
  // was sealed before the keys were allocated (SealProcess).
  static Result<KeyPool*, std::string> Get();

  // Prepares for a seccomp filter that refuses pkey_mprotect and pkey_alloc, in this
  // order: probes MPK support (the probe calls pkey_alloc), then seals the pool if it
  // exists (Seal), or else makes every later Get() fail with a message saying so. Each
  // spare reservation is `spare_bytes` long. Idempotent; irreversible.
  static Result<Unit, std::string> SealProcess(size_t spare_bytes);

  // New domain with a reservation of `reserve_bytes` (page-rounded). Before sealing the
  // domain is parked until its first entry; after, it takes a free hardware key for life
  // together with that key's spare reservation (at most spare_bytes of it), or fails
  // when every key is held. Returns its slot in the table.
  Result<uint32_t, std::string> OpenDomain(size_t reserve_bytes);
  // The domain must not be running and its memory must no longer be used. Unmaps its
  // reservation, or (a spare, after sealing) zeroes and decommits it for the key's next
  // domain.
  void CloseDomain(uint32_t slot);
  DomainRecord& record(uint32_t slot) const { return table_[slot]; }

  // Where the domain's memory lies; fixed for the domain's life.
  char* reservation_base(uint32_t slot) const { return reservations_[slot].base; }
  size_t reservation_length(uint32_t slot) const { return reservations_[slot].length; }
  // Makes the first `bytes` (page-rounded) of the reservation readable and writable with
  // mprotect, which both seccomp policies allow and which keeps the pages' key; under
  // the mutex, so a concurrent rotation re-tags exactly the committed part read-write.
  bool Commit(uint32_t slot, size_t bytes);

  // pkey_mprotect of memory outside every domain (host regions); an error once sealed.
  Result<Unit, std::string> TagHostMemory(void* base, size_t length, int prot, int key);

  bool sealed() const { return sealed_.load(std::memory_order_acquire); }

  // Gate bookkeeping around plugin execution. Pin makes sure `slot` holds a hardware key
  // for as long as it stays pinned (binding one, evicting an idle domain if needed) and
  // returns an error message if none can be had; Unpin marks the domain idle again.
  std::optional<std::string> Pin(uint32_t slot) {
    DomainRecord& r = table_[slot];
    uint32_t before = r.state.fetch_add(1, std::memory_order_acquire);
    if ((before & DomainRecord::kEvicting) == 0 &&
        r.hardware_key.load(std::memory_order_relaxed) >= 0) {
      return std::nullopt;
    }
    return BindSlow(slot);
  }
  void Unpin(uint32_t slot) {
    DomainRecord& r = table_[slot];
    r.referenced.store(1, std::memory_order_relaxed);
    r.state.fetch_sub(1, std::memory_order_release);
  }

  // The host domain's rights: every pool key readable and writable. A thread that existed
  // before the keys were allocated starts with them denied (the kernel's initial PKRU),
  // so every entry point of the isolation layer calls this; it writes PKRU once per thread.
  void EnsureHostAccess() {
    if (!t_host_ready) OpenHostAccess();
  }

  // Plugin-domain PKRU for a domain bound to `hardware_key`: key 0 and its own key
  // read-write, the tables key read-only, everything else denied.
  uint32_t PluginPkru(int hardware_key) const;

  int tables_key() const { return tables_key_; }
  int host_key() const { return host_key_; }
  int parked_key() const { return parked_key_; }
  size_t instance_key_count() const { return instance_keys_.size(); }

  // For trap messages: what memory `key` protects, seen from domain `slot`.
  std::string DescribeKey(int key, uint32_t slot) const;

  struct Stats {
    size_t live_domains = 0;
    size_t bound_domains = 0;   // domains holding a hardware key now
    size_t tracked_regions = 0; // reservations of live domains (one each)
    uint64_t bindings = 0;      // hardware keys bound over the pool's life
    uint64_t evictions = 0;     // of which taken from another domain
    bool sealed = false;
  };
  Stats stats() const;

  KeyPool(const KeyPool&) = delete;
  KeyPool& operator=(const KeyPool&) = delete;

 private:
  KeyPool() = default;
  static Result<KeyPool*, std::string> Create();
  Result<Unit, std::string> Seal(size_t spare_bytes);
  std::optional<std::string> BindSlow(uint32_t slot);
  int TakeKeyLocked(uint32_t slot);  // key index into instance_keys_, or -1
  void BindLocked(uint32_t slot, int index);
  void RetagLocked(uint32_t slot, int key);
  void OpenHostAccess();

  static thread_local bool t_host_ready;

  int tables_key_ = -1;
  int host_key_ = -1;
  int parked_key_ = -1;
  std::vector<int> instance_keys_;
  uint32_t host_mask_ = 0;  // PKRU bits of every pool key
  DomainRecord* table_ = nullptr;

  mutable std::mutex mu_;
  std::condition_variable key_released_;
  std::atomic<bool> sealed_{false};               // written under mu_
  std::vector<uint32_t> key_owner_;               // per instance key: slot + 1, or 0
  std::vector<uint32_t> free_keys_;               // indices into instance_keys_
  std::vector<Reservation> spares_;               // per instance key, once sealed
  size_t clock_hand_ = 0;
  std::vector<Reservation> reservations_;         // per slot; base == nullptr when closed
  std::vector<bool> uses_spare_;                  // per slot: reservation is a key's spare
  std::vector<uint32_t> free_slots_;
  uint32_t slots_used_ = 0;
  uint32_t next_id_ = 1;
  size_t live_domains_ = 0;
  uint64_t bindings_ = 0;
  uint64_t evictions_ = 0;
};

}  // namespace trinity::isolation
