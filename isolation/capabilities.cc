// Opening grants at start-up. Descriptors are O_CLOEXEC (a grant never leaks into a
// program the host runs) and never O_PATH-like: what is opened is exactly the access
// granted, so the kernel refuses a write on a read grant even if the runtime did not.
#include "isolation/capabilities.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace trinity::isolation {
namespace {

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

std::string TrimSlashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

}  // namespace

std::string_view AccessName(Access access) {
  switch (access) {
    case Access::kRead: return "read";
    case Access::kWrite: return "write";
    case Access::kAppend: return "append";
    case Access::kSocket: return "socket";
  }
  return "?";
}

Capabilities::~Capabilities() {
  for (const Grant& g : grants_) close(g.fd);
}

Capabilities::Capabilities(Capabilities&& other) noexcept : grants_(std::move(other.grants_)) {
  other.grants_.clear();
}

Capabilities& Capabilities::operator=(Capabilities&& other) noexcept {
  if (this != &other) {
    for (const Grant& g : grants_) close(g.fd);
    grants_ = std::move(other.grants_);
    other.grants_.clear();
  }
  return *this;
}

const Grant* Capabilities::Find(std::string_view name) const {
  auto it = std::find_if(grants_.begin(), grants_.end(),
                         [&](const Grant& g) { return g.name == name; });
  return it == grants_.end() ? nullptr : &*it;
}

Result<Unit, std::string> Capabilities::Add(const std::string& name, Access access, int fd) {
  // One name, one grant: two accesses under one name would make the plugin's call ambiguous.
  if (Find(name) != nullptr) {
    close(fd);
    return Err("'" + name + "' is granted twice");
  }
  grants_.push_back(Grant{name, access, fd});
  return Unit{};
}

Result<Unit, std::string> Capabilities::AllowRead(const std::string& given) {
  const std::string path = TrimSlashes(given);
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Err(Errno("cannot open", path));
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    std::string e = Errno("cannot stat", path);
    close(fd);
    return Err(e);
  }
  if (!S_ISDIR(st.st_mode)) return Add(path, Access::kRead, fd);

  DIR* dir = fdopendir(fd);  // takes fd
  if (dir == nullptr) {
    std::string e = Errno("cannot list", path);
    close(fd);
    return Err(e);
  }
  std::vector<std::string> names;
  while (dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    struct stat fst {};
    if (fstatat(dirfd(dir), name.c_str(), &fst, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISREG(fst.st_mode)) names.push_back(name);
  }
  if (names.size() > kMaxFilesPerDirectory) {
    closedir(dir);
    return Err(path + " holds " + std::to_string(names.size()) + " files; at most " +
               std::to_string(kMaxFilesPerDirectory) + " can be granted per directory");
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    // NOFOLLOW: a symlink swapped in after the listing must not redirect the grant.
    int file = openat(dirfd(dir), name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (file < 0) {
      std::string e = Errno("cannot open", path + "/" + name);
      closedir(dir);
      return Err(e);
    }
    auto added = Add(path + "/" + name, Access::kRead, file);
    if (!added) {
      closedir(dir);
      return added;
    }
  }
  closedir(dir);
  return Unit{};
}

Result<Unit, std::string> Capabilities::AllowWrite(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Err(Errno("cannot open for writing", path));
  return Add(path, Access::kWrite, fd);
}

Result<Unit, std::string> Capabilities::AllowAppend(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Err(Errno("cannot open for appending", path));
  return Add(path, Access::kAppend, fd);
}

Result<Unit, std::string> Capabilities::AllowSocket(const std::string& name, int fd) {
  if (fd < 0) return Err("socket grant '" + name + "' has no descriptor");
  return Add(name, Access::kSocket, fd);
}

}  // namespace trinity::isolation
