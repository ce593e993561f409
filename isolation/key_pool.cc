// Protection-key allocation, the domain table, domains' reservations and key rotation.
// Every change to which key tags which memory happens under one mutex; the gates' fast
// path only touches the domain's own record (two atomic operations) and never the mutex.
//
// Sealing, for seccomp. Both policies refuse pkey_mprotect and pkey_alloc, and a filter
// binds every thread of the process (TSYNC) from the moment it loads: after lock-down no
// code in the process, host side included, can change a page's key or get a new one, so
// there is no "rotate on the host side" to fall back to. Therefore:
//  - memory never needs re-tagging to grow: a domain's whole reservation (heap limit plus
//    stack and frames, mpk_memory_provider.h) is mapped PROT_NONE and tagged when the
//    domain opens, and grows by mprotect, which both policies allow and which keeps the
//    pages' key;
//  - InstallSeccompPolicy seals the pool before loading the filter (SealProcess), while
//    pkey_mprotect still works: live parked domains get a free key each (slot order, while
//    keys last) and every instance key gets a spare reservation tagged with it;
//  - from then on keys never rotate. A domain keeps the key it holds; one that held none
//    at sealing cannot run (entries trap, saying why); a new domain takes a free key and
//    that key's spare, or fails with an error: sharing a key would let one instance read
//    another's memory. Closing it zeroes and decommits the spare for the key's next owner.
// A sandboxed process thus runs at most as many MPK instances at once as there are
// instance keys (11 when all 15 are free): the real capacity of MPK without pkey_mprotect.
#include "isolation/key_pool.h"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "isolation/mpk_support.h"
#include "isolation/pkru.h"

namespace trinity::isolation {
namespace {

// Keys the pool leaves unallocated for other layers (the JIT's code pages).
constexpr int kKeysLeftForOthers = 1;
constexpr int kMaxKeysTaken = kKeyCount - 1 - kKeysLeftForOthers;
constexpr uint32_t kMaxDomains = 1u << 16;
// How long an entry waits for a hardware key when every key belongs to a running domain.
constexpr auto kKeyWait = std::chrono::milliseconds(200);

// Re-tagging is what keeps two domains from sharing a key; if the kernel refuses it
// (VMA limit, ENOMEM) the only safe answer is to stop.
void MustTag(void* base, size_t length, int prot, int key) {
  if (length == 0) return;
  if (pkey_mprotect(base, length, prot, key) != 0) {
    std::fprintf(stderr, "trinity: pkey_mprotect(%p, %zu, key %d) failed: %s; aborting\n", base,
                 length, key, std::strerror(errno));
    std::abort();
  }
}

// Address space only: no access, no commit charge, every page tagged with `key`.
char* Reserve(size_t length, int key) {
  void* base = mmap(nullptr, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) return nullptr;
  if (pkey_mprotect(base, length, PROT_NONE, key) != 0) {
    int why = errno;
    munmap(base, length);
    errno = why;
    return nullptr;
  }
  return static_cast<char*>(base);
}

// Orders the pool's creation against sealing: a pool created after the filter loaded
// could not allocate its keys (pkey_alloc is refused) and would die of SIGSYS trying.
std::mutex g_lifecycle;
KeyPool* g_pool = nullptr;
bool g_sealed_before_keys = false;

}  // namespace

thread_local bool KeyPool::t_host_ready = false;

Result<KeyPool*, std::string> KeyPool::Get() {
  static const Result<KeyPool*, std::string> pool = []() -> Result<KeyPool*, std::string> {
    const MpkSupport& support = ProbeMpkSupport();
    if (!support.available) return Err(support.reason);
    std::lock_guard<std::mutex> lock(g_lifecycle);
    if (g_sealed_before_keys) {
      return Err(std::string(
          "protection keys were not allocated before the seccomp sandbox was installed, and "
          "pkey_alloc is refused since; call InitializeMpk() before lock-down"));
    }
    Result<KeyPool*, std::string> created = Create();
    if (created.ok()) g_pool = created.value();
    return created;
  }();
  return pool;
}

Result<KeyPool*, std::string> KeyPool::Create() {
  const MpkSupport& support = ProbeMpkSupport();
  if (!support.available) return Err(support.reason);
  std::vector<int> keys;
  while (static_cast<int>(keys.size()) < kMaxKeysTaken) {
    int key = pkey_alloc(0, 0);
    if (key < 0) break;
    keys.push_back(key);
  }
  if (keys.size() < 4) {
    for (int key : keys) pkey_free(key);
    return Err("only " + std::to_string(keys.size()) +
               " protection keys are free; isolation needs at least 4");
  }
  auto* pool = new KeyPool();  // lives for the whole process
  pool->tables_key_ = keys[0];
  pool->host_key_ = keys[1];
  pool->parked_key_ = keys[2];
  pool->instance_keys_.assign(keys.begin() + 3, keys.end());
  for (int key : keys) pool->host_mask_ |= KeyBits(key, 3);
  pool->key_owner_.assign(pool->instance_keys_.size(), 0);
  for (size_t i = pool->instance_keys_.size(); i-- > 0;) {
    pool->free_keys_.push_back(static_cast<uint32_t>(i));
  }
  size_t table_bytes = sizeof(DomainRecord) * kMaxDomains;
  void* table = mmap(nullptr, table_bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (table == MAP_FAILED) return Err(std::string("cannot map the domain table: ") + std::strerror(errno));
  MustTag(table, table_bytes, PROT_READ | PROT_WRITE, pool->tables_key_);
  pool->table_ = static_cast<DomainRecord*>(table);
  pool->reservations_.resize(kMaxDomains);
  pool->uses_spare_.resize(kMaxDomains);
  pool->OpenHostAccess();
  return pool;
}

Result<Unit, std::string> KeyPool::SealProcess(size_t spare_bytes) {
  // Cached from now on: MpkAvailable() after lock-down must not call pkey_alloc.
  (void)ProbeMpkSupport();
  std::lock_guard<std::mutex> lock(g_lifecycle);
  if (g_pool != nullptr) return g_pool->Seal(spare_bytes);
  g_sealed_before_keys = true;
  return Unit{};
}

Result<Unit, std::string> KeyPool::Seal(size_t spare_bytes) {
  EnsureHostAccess();
  std::lock_guard<std::mutex> lock(mu_);
  if (sealed_.load(std::memory_order_relaxed)) return Unit{};
  // Spares first: if address space runs out, nothing has changed.
  const size_t length = PageRound(spare_bytes);
  std::vector<Reservation> spares;
  for (int key : instance_keys_) {
    char* base = Reserve(length, key);
    if (base == nullptr) {
      std::string why = std::strerror(errno);
      for (const Reservation& s : spares) munmap(s.base, s.length);
      return Err("cannot reserve " + std::to_string(length) + " bytes for protection key " +
                 std::to_string(key) + ": " + why);
    }
    spares.push_back(Reservation{base, length, 0});
  }
  spares_ = std::move(spares);
  // Parked domains can never be re-tagged later; the free keys go to them now. Nobody is
  // evicted: a bound domain may be running, and would only be stranded instead.
  for (uint32_t slot = 0; slot < slots_used_ && !free_keys_.empty(); ++slot) {
    if (reservations_[slot].base == nullptr) continue;
    if (table_[slot].hardware_key.load(std::memory_order_relaxed) >= 0) continue;
    int index = static_cast<int>(free_keys_.back());
    free_keys_.pop_back();
    BindLocked(slot, index);
  }
  sealed_.store(true, std::memory_order_release);
  return Unit{};
}

void KeyPool::OpenHostAccess() {
  WritePkruUnchecked(ReadPkru() & ~host_mask_);
  t_host_ready = true;
}

uint32_t KeyPool::PluginPkru(int hardware_key) const {
  return AllowReadOnly(AllowReadWrite(kDenyAllButKeyZero, hardware_key), tables_key_);
}

Result<uint32_t, std::string> KeyPool::OpenDomain(size_t reserve_bytes) {
  EnsureHostAccess();
  const size_t length = PageRound(reserve_bytes == 0 ? 1 : reserve_bytes);
  // Tagging happens under the mutex, which sealing takes too: no pkey_mprotect can come
  // after the filter loads.
  std::lock_guard<std::mutex> lock(mu_);
  const bool from_spare = sealed_.load(std::memory_order_relaxed);
  char* fresh = nullptr;
  if (!from_spare) {
    // Parked until its first entry.
    fresh = Reserve(length, parked_key_);
    if (fresh == nullptr) {
      return Err("cannot reserve " + std::to_string(length) +
                 " bytes for an isolation domain: " + std::strerror(errno));
    }
  } else if (free_keys_.empty()) {
    return Err("no protection key is free for another MPK instance: all " +
               std::to_string(instance_keys_.size()) +
               " are held by live instances, and keys are no longer shared out in turn "
               "once a seccomp policy refusing pkey_mprotect is installed; destroy an "
               "instance first");
  } else if (length > spares_[free_keys_.back()].length) {
    return Err("an isolation domain of " + std::to_string(length) + " bytes does not fit the " +
               std::to_string(spares_[free_keys_.back()].length) +
               " bytes reserved per protection key before the seccomp sandbox was installed");
  }
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else if (slots_used_ < kMaxDomains) {
    slot = slots_used_++;
  } else {
    if (fresh != nullptr) munmap(fresh, length);
    return Err("too many isolation domains (limit " + std::to_string(kMaxDomains) + ")");
  }
  DomainRecord* r = new (&table_[slot]) DomainRecord();
  r->id = next_id_++;
  ++live_domains_;
  uses_spare_[slot] = from_spare;
  if (!from_spare) {
    reservations_[slot] = Reservation{fresh, length, 0};
    return slot;
  }
  // For life: the spare already carries the key, so binding re-tags nothing.
  int index = static_cast<int>(free_keys_.back());
  free_keys_.pop_back();
  reservations_[slot] = Reservation{spares_[index].base, length, 0};
  BindLocked(slot, index);
  return slot;
}

void KeyPool::CloseDomain(uint32_t slot) {
  EnsureHostAccess();
  std::lock_guard<std::mutex> lock(mu_);
  DomainRecord& r = table_[slot];
  int key = r.hardware_key.load(std::memory_order_relaxed);
  if (key >= 0) {
    auto it = std::find(instance_keys_.begin(), instance_keys_.end(), key);
    size_t index = static_cast<size_t>(it - instance_keys_.begin());
    key_owner_[index] = 0;
    free_keys_.push_back(static_cast<uint32_t>(index));
  }
  Reservation& mine = reservations_[slot];
  if (uses_spare_[slot]) {
    // The key's next domain gets these pages: zero-filled on next touch, and uncharged.
    // madvise and mprotect are allowed by both policies; the key stays.
    if (mine.committed != 0) {
      madvise(mine.base, mine.committed, MADV_DONTNEED);
      mprotect(mine.base, mine.committed, PROT_NONE);
    }
  } else {
    munmap(mine.base, mine.length);
  }
  mine = Reservation{};
  uses_spare_[slot] = false;
  r.hardware_key.store(-1, std::memory_order_relaxed);
  r.state.store(0, std::memory_order_relaxed);
  free_slots_.push_back(slot);
  --live_domains_;
  key_released_.notify_all();
}

Result<Unit, std::string> KeyPool::TagHostMemory(void* base, size_t length, int prot, int key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (sealed_.load(std::memory_order_relaxed)) {
    return Err(std::string("memory cannot be re-tagged once a seccomp policy refusing "
                           "pkey_mprotect is installed; protect host regions before lock-down"));
  }
  if (pkey_mprotect(base, length, prot, key) != 0) {
    return Err(std::string("pkey_mprotect failed: ") + std::strerror(errno));
  }
  return Unit{};
}

bool KeyPool::Commit(uint32_t slot, size_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  Reservation& mine = reservations_[slot];
  bytes = std::min(PageRound(bytes), mine.length);
  if (bytes <= mine.committed) return true;
  if (mprotect(mine.base + mine.committed, bytes - mine.committed, PROT_READ | PROT_WRITE) != 0) {
    return false;
  }
  mine.committed = bytes;
  return true;
}

void KeyPool::RetagLocked(uint32_t slot, int key) {
  const Reservation& mine = reservations_[slot];
  MustTag(mine.base, mine.committed, PROT_READ | PROT_WRITE, key);
  MustTag(mine.base + mine.committed, mine.length - mine.committed, PROT_NONE, key);
}

void KeyPool::BindLocked(uint32_t slot, int index) {
  DomainRecord& r = table_[slot];
  int key = instance_keys_[index];
  if (!uses_spare_[slot]) RetagLocked(slot, key);
  key_owner_[index] = slot + 1;
  r.plugin_pkru.store(PluginPkru(key), std::memory_order_relaxed);
  r.hardware_key.store(key, std::memory_order_relaxed);
  ++bindings_;
}

int KeyPool::TakeKeyLocked(uint32_t slot) {
  if (!free_keys_.empty()) {
    int index = static_cast<int>(free_keys_.back());
    free_keys_.pop_back();
    return index;
  }
  // CLOCK: skip (and clear) recently used domains once; a running domain cannot be
  // claimed because its state is not zero, so the CAS below fails for it.
  size_t n = instance_keys_.size();
  for (size_t step = 0; step < 2 * n; ++step) {
    size_t index = clock_hand_;
    clock_hand_ = (clock_hand_ + 1) % n;
    uint32_t owner = key_owner_[index];
    if (owner == 0 || owner - 1 == slot) continue;
    DomainRecord& victim = table_[owner - 1];
    if (victim.referenced.exchange(0, std::memory_order_relaxed) != 0 && step < n) continue;
    uint32_t idle = 0;
    if (!victim.state.compare_exchange_strong(idle, DomainRecord::kEvicting,
                                              std::memory_order_acq_rel)) {
      continue;
    }
    victim.hardware_key.store(-1, std::memory_order_relaxed);
    RetagLocked(owner - 1, parked_key_);
    victim.state.fetch_and(~DomainRecord::kEvicting, std::memory_order_release);
    key_owner_[index] = 0;
    ++evictions_;
    return static_cast<int>(index);
  }
  return -1;
}

std::optional<std::string> KeyPool::BindSlow(uint32_t slot) {
  DomainRecord& r = table_[slot];
  std::unique_lock<std::mutex> lock(mu_);
  auto deadline = std::chrono::steady_clock::now() + kKeyWait;
  while (r.hardware_key.load(std::memory_order_relaxed) < 0) {
    if (sealed_.load(std::memory_order_relaxed)) {
      // Binding would re-tag the domain's memory, which the filter refuses.
      r.state.fetch_sub(1, std::memory_order_release);
      return "instance " + std::to_string(r.id) +
             " holds no protection key and cannot get one: keys are not shared out in turn "
             "once a seccomp policy refusing pkey_mprotect is installed, and all " +
             std::to_string(instance_keys_.size()) +
             " were taken then; create at most that many MPK instances before lock-down";
    }
    int index = TakeKeyLocked(slot);
    if (index >= 0) {
      BindLocked(slot, index);
      break;
    }
    // Every key belongs to a domain that is running right now; those finish soon.
    if (key_released_.wait_until(lock, std::min(deadline, std::chrono::steady_clock::now() +
                                                              std::chrono::milliseconds(1))) ==
            std::cv_status::timeout &&
        std::chrono::steady_clock::now() >= deadline) {
      r.state.fetch_sub(1, std::memory_order_release);
      return "no protection key became free: all " + std::to_string(instance_keys_.size()) +
             " are held by running instances";
    }
  }
  return std::nullopt;
}

std::string KeyPool::DescribeKey(int key, uint32_t slot) const {
  if (key == tables_key_) return "the runtime's protected tables";
  if (key == host_key_) return "host-protected memory";
  if (key == parked_key_) return "a parked instance's memory";
  if (key == 0) return "unprotected memory";
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < instance_keys_.size(); ++i) {
    if (instance_keys_[i] != key) continue;
    uint32_t owner = key_owner_[i];
    if (owner == 0) return "memory of no live instance";
    if (owner - 1 == slot) return "this instance's own memory";
    return "another instance's memory (instance " + std::to_string(table_[owner - 1].id) + ")";
  }
  return "memory protected by another component";
}

KeyPool::Stats KeyPool::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  Stats s;
  s.live_domains = live_domains_;
  for (uint32_t owner : key_owner_) s.bound_domains += owner != 0;
  for (uint32_t slot = 0; slot < slots_used_; ++slot) s.tracked_regions += reservations_[slot].base != nullptr;
  s.bindings = bindings_;
  s.evictions = evictions_;
  s.sealed = sealed_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace trinity::isolation
