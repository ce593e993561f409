// Loads observer.bpf.c (through its generated skeleton), pins its maps under a bpffs
// directory, and attaches it: one uprobe per Trinity USDT probe site in the chosen ELF
// objects, plus the kernel tracepoints. Destroying the Observer detaches everything and
// removes the pins it created, unless told to keep them.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bpf/observer_abi.h"
#include "runtime/result.h"

struct observer_bpf;
struct bpf_link;

namespace trinity::bpf {

inline constexpr char kDefaultPinRoot[] = "/sys/fs/bpf/trinity";

struct ObserverOptions {
  std::string pin_root = kDefaultPinRoot;
  // ELF objects (executables, shared libraries) whose Trinity probes to attach. Empty: the
  // objects mapped into `pid` that carry Trinity probes, or, without a pid, this program.
  std::vector<std::string> objects;
  pid_t pid = -1;                        // -1: every process that runs the objects
  uint32_t emit_mask = TRINITY_EMIT_ALL;  // event types sent through the ring buffer
  uint32_t ring_bytes = 4u << 20;        // a power of two, at least one page
};

struct AttachedProbe {
  std::string object;
  std::string probe;  // name in runtime/probes.h
};

class Observer {
 public:
  static Result<std::unique_ptr<Observer>, std::string> Start(const ObserverOptions& options);
  ~Observer();
  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;

  // Detaches every probe and tracepoint; the maps stay readable (drain the ring buffer
  // after this for an exact count). Idempotent; the destructor calls it.
  void Detach();
  // Leaves the pinned maps in place after destruction (`trinity audit --pin`).
  void KeepPins() { keep_pins_ = true; }

  int ring_fd() const;
  int map_fd(const char* name) const;  // a map of observer.bpf.c by name, or -1
  // Failed ring buffer reservations so far, per event type, summed over CPUs.
  std::array<uint64_t, EV_TYPE_COUNT> RingDrops() const;

  const std::vector<AttachedProbe>& probes() const { return probes_; }
  // What could not be attached here and why (e.g. a tracepoint this kernel lacks).
  const std::vector<std::string>& notices() const { return notices_; }
  const std::string& pin_root() const { return pin_root_; }

 private:
  Observer() = default;
  Result<Unit, std::string> Load(const ObserverOptions& options);
  Result<Unit, std::string> AttachKernelHooks();
  Result<Unit, std::string> AttachProbes(const ObserverOptions& options);

  observer_bpf* skel_ = nullptr;
  std::vector<bpf_link*> links_;
  std::vector<AttachedProbe> probes_;
  std::vector<std::string> notices_;
  std::vector<std::string> created_pins_;  // maps pinned by this observer
  std::string pin_root_;
  int lock_fd_ = -1;
  bool keep_pins_ = false;
};

// Removes the maps pinned under `pin_root` by an observer (`trinity audit --unpin`); an
// error when an observer is running there.
Result<Unit, std::string> RemovePins(const std::string& pin_root);

// Mounts bpffs on /sys/fs/bpf when nothing is mounted there, and creates `pin_root`.
Result<Unit, std::string> PreparePinRoot(const std::string& pin_root);

// The observer's map names, as pinned: each is `pin_root`/NAME.
inline constexpr const char* kPinnedMaps[] = {"events", "ev_drops", "procs", "insts", "threads",
                                              "pk_faults"};

}  // namespace trinity::bpf
