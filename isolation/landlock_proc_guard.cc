// Builds the Landlock ruleset that hides /proc (landlock_proc_guard.h). Landlock is an
// allowlist without deny rules, so /proc is hidden by granting every sibling of it
// instead of the root, and by refusing to start where procfs is reachable elsewhere.
#include "isolation/landlock_proc_guard.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <linux/magic.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace trinity::isolation {
namespace {

// Rights newer than the installed linux/landlock.h; the values are kernel ABI.
constexpr uint64_t kAccessFsTruncate = 1ULL << 14;   // ABI 3
constexpr uint64_t kAccessFsIoctlDev = 1ULL << 15;   // ABI 5

// Rights a rule on a non-directory may carry; the kernel rejects any other with EINVAL.
constexpr uint64_t kFileRightsAbi1 =
    LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE;

// Handling a right the kernel does not know fails the whole ruleset, so the set follows
// the ABI; every right handled is also granted outside /proc, so nothing else changes.
uint64_t HandledFsRights(int abi) {
  uint64_t rights = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;  // ABI 1: EXECUTE .. MAKE_SYM
  if (abi >= 2) rights |= LANDLOCK_ACCESS_FS_REFER;
  if (abi >= 3) rights |= kAccessFsTruncate;
  if (abi >= 5) rights |= kAccessFsIoctlDev;
  return rights;
}

uint64_t FileRights(int abi) {
  return HandledFsRights(abi) & (kFileRightsAbi1 | kAccessFsTruncate | kAccessFsIoctlDev);
}

std::string ErrnoText(std::string_view what, int err) {
  return std::string(what) + ": " + std::strerror(err);
}

// Closes on every return path.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

Result<Unit, std::string> AddRule(int ruleset, int parent, uint64_t rights, std::string_view path) {
  landlock_path_beneath_attr rule{};
  rule.allowed_access = rights;
  rule.parent_fd = parent;
  if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) != 0) {
    return Err(ErrnoText("landlock_add_rule on " + std::string(path), errno));
  }
  return Unit{};
}

// A procfs mounted anywhere but at or under /proc would sit under a granted top-level
// entry, where an allowlist cannot take it away again.
Result<Unit, std::string> ProcfsOnlyAtProc() {
  std::ifstream mountinfo("/proc/self/mountinfo");
  if (!mountinfo) return Err(std::string("cannot read /proc/self/mountinfo to find procfs mounts"));
  std::string line;
  while (std::getline(mountinfo, line)) {
    // "id parent dev root MOUNTPOINT options [optional...] - FSTYPE source super-options"
    size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    if (line.compare(dash + 3, 5, "proc ") != 0) continue;
    std::istringstream fields(line);  // spaces in mount points are escaped as \040
    std::string skip, mount_point;
    fields >> skip >> skip >> skip >> skip >> mount_point;
    if (mount_point != "/proc" && mount_point.rfind("/proc/", 0) != 0) {
      return Err("procfs is also mounted at " + mount_point +
                 ", outside /proc: its mem files would stay reachable there");
    }
  }
  return Unit{};
}

// One rule per top-level entry but /proc. Entries that cannot be opened stay hidden too.
Result<Unit, std::string> GrantEverythingButProc(int ruleset, int abi) {
  struct stat root {};
  if (stat("/", &root) != 0) return Err(ErrnoText("stat /", errno));
  DIR* dir = opendir("/");
  if (dir == nullptr) return Err(ErrnoText("opendir /", errno));
  Result<Unit, std::string> result = Unit{};
  while (dirent* entry = readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name == "." || name == ".." || name == "proc") continue;
    // Following symlinks grants their targets (bin -> usr/bin); the checks below stop a
    // link that leads back to / or into procfs.
    Fd fd(openat(dirfd(dir), entry->d_name, O_PATH | O_CLOEXEC));
    if (fd.get() < 0) continue;
    struct stat st {};
    struct statfs fs {};
    if (fstat(fd.get(), &st) != 0 || fstatfs(fd.get(), &fs) != 0) continue;
    if (fs.f_type == PROC_SUPER_MAGIC) continue;
    if (st.st_dev == root.st_dev && st.st_ino == root.st_ino) continue;
    uint64_t rights = S_ISDIR(st.st_mode) ? HandledFsRights(abi) : FileRights(abi);
    result = AddRule(ruleset, fd.get(), rights, "/" + std::string(name));
    if (!result) break;
  }
  closedir(dir);
  return result;
}

// The rule matches the inode, and procfs makes a fresh inode for /proc/<pid>/maps
// whenever its dentry was evicted; the descriptor is kept open so the dentry, and with it
// the rule, lasts. It is an O_PATH descriptor to a file the process may read anyway.
Result<Unit, std::string> GrantOwnMaps(int ruleset) {
  Fd maps(open("/proc/self/maps", O_PATH | O_CLOEXEC));
  if (maps.get() < 0) return Err(ErrnoText("open /proc/self/maps", errno));
  auto added = AddRule(ruleset, maps.get(), LANDLOCK_ACCESS_FS_READ_FILE, "/proc/self/maps");
  if (!added) return added;
  (void)maps.release();
  return Unit{};
}

}  // namespace

Result<int, std::string> LandlockAbi() {
  long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  if (abi >= 1) return static_cast<int>(abi);
  int err = errno;
  if (err == ENOSYS) {
    return Err(std::string("Landlock is missing: this kernel has no landlock_create_ruleset"));
  }
  if (err == EOPNOTSUPP) {
    return Err(std::string("Landlock is missing: the kernel has it but it is disabled at boot "
                           "(not in the lsm= list)"));
  }
  return Err(ErrnoText("Landlock is missing: landlock_create_ruleset", err));
}

Result<Unit, std::string> HideProcFromThisThread() {
  auto abi = LandlockAbi();
  if (!abi) return Err(abi.error());
  if (auto only = ProcfsOnlyAtProc(); !only) return only;

  landlock_ruleset_attr attr{};
  attr.handled_access_fs = HandledFsRights(abi.value());
  Fd ruleset(static_cast<int>(syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0)));
  if (ruleset.get() < 0) return Err(ErrnoText("landlock_create_ruleset", errno));
  if (auto granted = GrantEverythingButProc(ruleset.get(), abi.value()); !granted) return granted;
  if (auto maps = GrantOwnMaps(ruleset.get()); !maps) return maps;

  // Landlock demands it of unprivileged callers; seccomp needs it anyway.
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Err(ErrnoText("PR_SET_NO_NEW_PRIVS", errno));
  if (syscall(SYS_landlock_restrict_self, ruleset.get(), 0) != 0) {
    return Err(ErrnoText("landlock_restrict_self", errno));
  }
  return Unit{};
}

}  // namespace trinity::isolation
