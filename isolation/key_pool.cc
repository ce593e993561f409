// Protection-key allocation, the domain table and key rotation. Every change to which key
// tags which memory happens under one mutex; the gates' fast path only touches the
// domain's own record (two atomic operations) and never the mutex.
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
void MustTag(void* base, size_t length, int key) {
  if (pkey_mprotect(base, length, PROT_READ | PROT_WRITE, key) != 0) {
    std::fprintf(stderr, "trinity: pkey_mprotect(%p, %zu, key %d) failed: %s; aborting\n", base,
                 length, key, std::strerror(errno));
    std::abort();
  }
}

}  // namespace

thread_local bool KeyPool::t_host_ready = false;

Result<KeyPool*, std::string> KeyPool::Get() {
  static const Result<KeyPool*, std::string> pool = Create();
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
  MustTag(table, table_bytes, pool->tables_key_);
  pool->table_ = static_cast<DomainRecord*>(table);
  pool->regions_.resize(kMaxDomains);
  pool->OpenHostAccess();
  return pool;
}

void KeyPool::OpenHostAccess() {
  WritePkruUnchecked(ReadPkru() & ~host_mask_);
  t_host_ready = true;
}

uint32_t KeyPool::PluginPkru(int hardware_key) const {
  return AllowReadOnly(AllowReadWrite(kDenyAllButKeyZero, hardware_key), tables_key_);
}

Result<uint32_t, std::string> KeyPool::OpenDomain() {
  EnsureHostAccess();
  std::lock_guard<std::mutex> lock(mu_);
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else if (slots_used_ < kMaxDomains) {
    slot = slots_used_++;
  } else {
    return Err("too many isolation domains (limit " + std::to_string(kMaxDomains) + ")");
  }
  DomainRecord* r = new (&table_[slot]) DomainRecord();
  r->id = next_id_++;
  regions_[slot].clear();
  ++live_domains_;
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
  // Memory the provider did not give back stays mapped; return it to key 0 so a later
  // owner of the hardware key cannot reach it.
  for (const Region& region : regions_[slot]) MustTag(region.base, region.length, 0);
  regions_[slot].clear();
  r.hardware_key.store(-1, std::memory_order_relaxed);
  r.state.store(0, std::memory_order_relaxed);
  free_slots_.push_back(slot);
  --live_domains_;
  key_released_.notify_all();
}

bool KeyPool::AddRegion(uint32_t slot, void* base, size_t length) {
  EnsureHostAccess();
  std::lock_guard<std::mutex> lock(mu_);
  int key = table_[slot].hardware_key.load(std::memory_order_relaxed);
  if (pkey_mprotect(base, length, PROT_READ | PROT_WRITE, key >= 0 ? key : parked_key_) != 0) {
    return false;
  }
  regions_[slot].push_back(Region{base, length});
  return true;
}

void KeyPool::RemoveRegion(uint32_t slot, void* base, size_t length) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Region>& list = regions_[slot];
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i].base == base && list[i].length == length) {
      list[i] = list.back();
      list.pop_back();
      return;
    }
  }
}

void KeyPool::RetagLocked(uint32_t slot, int key) {
  for (const Region& region : regions_[slot]) MustTag(region.base, region.length, key);
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
    int index = TakeKeyLocked(slot);
    if (index >= 0) {
      int key = instance_keys_[index];
      RetagLocked(slot, key);
      key_owner_[index] = slot + 1;
      r.plugin_pkru.store(PluginPkru(key), std::memory_order_relaxed);
      r.hardware_key.store(key, std::memory_order_relaxed);
      ++bindings_;
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
  for (uint32_t slot = 0; slot < slots_used_; ++slot) s.tracked_regions += regions_[slot].size();
  s.bindings = bindings_;
  s.evictions = evictions_;
  return s;
}

}  // namespace trinity::isolation
