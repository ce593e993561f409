// The observer's loader (see observer.h), libbpf-bootstrap style: open the skeleton, size
// and configure it, load with pinning by name, attach the kernel hooks, then the USDT
// probes of each chosen object.
#include "bpf/observer.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "bpf/observer.skel.h"
#include "bpf/usdt_notes.h"
#include "runtime/probes.h"

namespace trinity::bpf {
namespace {

constexpr char kBpffs[] = "/sys/fs/bpf";

std::string Errno(int err) { return std::strerror(err < 0 ? -err : err); }

// The program behind each probe of runtime/probes.h.
bpf_program* ProgramFor(observer_bpf* skel, std::string_view probe) {
  struct Entry {
    const char* probe;
    bpf_program* program;
  };
  const Entry table[] = {
      {"instance_create", skel->progs.inst_create},
      {"instance_destroy", skel->progs.inst_destroy},
      {"call_entry", skel->progs.call_entry},
      {"call_exit", skel->progs.call_exit},
      {"trap", skel->progs.trap},
      {"host_call", skel->progs.host_call},
      {"host_return", skel->progs.host_return},
      {"jit_emit", skel->progs.jit_emit},
      {"domain_enter", skel->progs.domain_enter},
      {"domain_exit", skel->progs.domain_exit},
      {"seccomp_violation", skel->progs.seccomp_viol},
      {"worker_call_entry", skel->progs.worker_entry},
      {"worker_call_exit", skel->progs.worker_exit},
  };
  for (const Entry& e : table) {
    if (probe == e.probe) return e.program;
  }
  return nullptr;
}

// Exclusive use of a pin root: two observers sharing one ring buffer would split events.
Result<int, std::string> LockPinRoot(const std::string& pin_root) {
  int fd = open(pin_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Err("cannot open " + pin_root + ": " + Errno(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    close(fd);
    if (err == EWOULDBLOCK) return Err("another trinity audit is using " + pin_root);
    return Err("cannot lock " + pin_root + ": " + Errno(err));
  }
  return fd;
}

std::string SelfExecutable() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "";
  return std::string(buf, static_cast<size_t>(n));
}

bool KernelHas(const btf* vmlinux, const char* tracepoint) {
  std::string name = std::string("btf_trace_") + tracepoint;
  return vmlinux != nullptr && btf__find_by_name_kind(vmlinux, name.c_str(), BTF_KIND_TYPEDEF) >= 0;
}

}  // namespace

Result<Unit, std::string> PreparePinRoot(const std::string& pin_root) {
  struct statfs fs;
  if (statfs(kBpffs, &fs) != 0 || fs.f_type != BPF_FS_MAGIC) {
    if (mount("bpf", kBpffs, "bpf", 0, nullptr) != 0) {
      return Err(std::string("no bpffs on ") + kBpffs + " and mounting one failed: " + Errno(errno));
    }
  }
  // mkdir -p
  for (size_t slash = 1; slash != std::string::npos;) {
    slash = pin_root.find('/', slash + 1);
    std::string dir = pin_root.substr(0, slash);
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return Err("cannot create " + dir + ": " + Errno(errno));
    }
  }
  return Unit{};
}

Result<std::unique_ptr<Observer>, std::string> Observer::Start(const ObserverOptions& options) {
  if (options.pin_root.find('.') != std::string::npos) {
    return Err("pin root " + options.pin_root + " contains '.', which bpffs paths must not");
  }
  if (auto prepared = PreparePinRoot(options.pin_root); !prepared) return Err(prepared.error());
  std::unique_ptr<Observer> o(new Observer());
  o->pin_root_ = options.pin_root;
  auto lock = LockPinRoot(options.pin_root);
  if (!lock) return Err(lock.error());
  o->lock_fd_ = lock.value();
  if (auto loaded = o->Load(options); !loaded) return Err(loaded.error());
  if (auto hooked = o->AttachKernelHooks(); !hooked) return Err(hooked.error());
  if (auto attached = o->AttachProbes(options); !attached) return Err(attached.error());
  return o;
}

Result<Unit, std::string> Observer::Load(const ObserverOptions& options) {
  std::vector<bool> existed;
  for (const char* name : kPinnedMaps) {
    existed.push_back(access((pin_root_ + "/" + name).c_str(), F_OK) == 0);
  }
  bpf_object_open_opts open_opts{};
  open_opts.sz = sizeof open_opts;
  open_opts.pin_root_path = pin_root_.c_str();
  skel_ = observer_bpf__open_opts(&open_opts);
  if (skel_ == nullptr) return Err("cannot open the BPF object: " + Errno(errno));
  skel_->rodata->emit_mask = options.emit_mask;
  skel_->rodata->wakeup_bytes = options.ring_bytes / 8;
  if (int err = bpf_map__set_max_entries(skel_->maps.events, options.ring_bytes); err != 0) {
    return Err("ring buffer size " + std::to_string(options.ring_bytes) + ": " + Errno(err));
  }
  btf* vmlinux = btf__load_vmlinux_btf();
  for (const char* tp : {"page_fault_user"}) {
    if (!KernelHas(vmlinux, tp)) {
      bpf_program__set_autoload(skel_->progs.pf_user, false);
      notices_.push_back(std::string("kernel has no ") + tp +
                         " tracepoint: protection-key page faults are not observed");
    }
  }
  btf__free(vmlinux);
  if (int err = observer_bpf__load(skel_); err != 0) {
    std::string why = "cannot load the BPF programs: " + Errno(err);
    if (err == -EPERM || err == -EACCES) why += " (needs root: CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN)";
    for (bool e : existed) {
      if (e) {
        why += "; maps pinned under " + pin_root_ +
               " by an earlier run may not match (remove them: trinity audit --unpin)";
        break;
      }
    }
    return Err(why);
  }
  for (size_t i = 0; i < std::size(kPinnedMaps); ++i) {
    if (!existed[i]) created_pins_.push_back(pin_root_ + "/" + kPinnedMaps[i]);
  }
  return Unit{};
}

Result<Unit, std::string> Observer::AttachKernelHooks() {
  for (bpf_program* prog : {skel_->progs.sig_generate, skel_->progs.pf_user, skel_->progs.proc_fork}) {
    if (!bpf_program__autoload(prog)) continue;
    bpf_link* link = bpf_program__attach(prog);
    if (link == nullptr) {
      return Err(std::string("cannot attach ") + bpf_program__name(prog) + ": " + Errno(errno));
    }
    links_.push_back(link);
  }
  return Unit{};
}

Result<Unit, std::string> Observer::AttachProbes(const ObserverOptions& options) {
  std::vector<std::string> objects = options.objects;
  if (objects.empty() && options.pid > 0) {
    auto found = ObjectsWithTrinityProbes(options.pid);
    if (!found) return Err(found.error());
    objects = found.value();
    if (objects.empty()) {
      return Err("process " + std::to_string(options.pid) + " maps no object with Trinity probes");
    }
  }
  if (objects.empty()) objects.push_back(SelfExecutable());
  for (const std::string& object : objects) {
    auto probes = TrinityProbesIn(object);
    if (!probes) return Err(probes.error());
    if (probes.value().empty()) return Err(object + " has no Trinity USDT probes");
    for (const std::string& probe : probes.value()) {
      bpf_program* prog = ProgramFor(skel_, probe);
      if (prog == nullptr) {
        notices_.push_back(object + ": probe trinity:" + probe + " is unknown to this observer");
        continue;
      }
      bpf_link* link = bpf_program__attach_usdt(prog, options.pid, object.c_str(), "trinity",
                                                probe.c_str(), nullptr);
      if (link == nullptr) {
        return Err("cannot attach to trinity:" + probe + " in " + object + ": " + Errno(errno));
      }
      links_.push_back(link);
      probes_.push_back(AttachedProbe{object, probe});
    }
  }
  return Unit{};
}

void Observer::Detach() {
  for (bpf_link* link : links_) bpf_link__destroy(link);
  links_.clear();
}

Observer::~Observer() {
  Detach();
  if (!keep_pins_) {
    for (const std::string& pin : created_pins_) unlink(pin.c_str());
  }
  if (skel_ != nullptr) observer_bpf__destroy(skel_);
  if (!keep_pins_) rmdir(pin_root_.c_str());  // only succeeds when nothing is left in it
  if (lock_fd_ >= 0) close(lock_fd_);
}

int Observer::ring_fd() const { return bpf_map__fd(skel_->maps.events); }

int Observer::map_fd(const char* name) const {
  bpf_map* map = bpf_object__find_map_by_name(skel_->obj, name);
  return map == nullptr ? -1 : bpf_map__fd(map);
}

std::array<uint64_t, EV_TYPE_COUNT> Observer::RingDrops() const {
  std::array<uint64_t, EV_TYPE_COUNT> totals{};
  int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return totals;
  static_assert(sizeof(event_counts) == EV_TYPE_COUNT * sizeof(__u64));
  std::vector<event_counts> per_cpu(static_cast<size_t>(cpus));
  uint32_t zero = 0;
  if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.ev_drops), &zero, per_cpu.data()) != 0) return totals;
  for (const event_counts& c : per_cpu) {
    const auto* fields = reinterpret_cast<const __u64*>(&c);
    for (size_t type = 0; type < EV_TYPE_COUNT; ++type) totals[type] += fields[type];
  }
  return totals;
}

Result<Unit, std::string> RemovePins(const std::string& pin_root) {
  if (access(pin_root.c_str(), F_OK) != 0) return Unit{};
  auto lock = LockPinRoot(pin_root);
  if (!lock) return Err(lock.error());
  std::string failed;
  for (const char* name : kPinnedMaps) {
    std::string path = pin_root + "/" + name;
    if (unlink(path.c_str()) != 0 && errno != ENOENT) failed += " " + path + ": " + Errno(errno) + ";";
  }
  close(lock.value());
  if (!failed.empty()) return Err("cannot remove" + failed);
  rmdir(pin_root.c_str());
  return Unit{};
}

}  // namespace trinity::bpf
