// What the operator grants a plugin beyond computation: files to read, files to write or
// append to, connected sockets. Each grant is opened here, at start-up, before lock-down;
// afterwards nothing can be opened, so a grant is the only way a plugin reaches a file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/result.h"

namespace trinity::isolation {

enum class Access : uint8_t {
  kRead,    // read_file(name)
  kWrite,   // write_file(name, data): emptied at grant time, the plugin writes it in order
  kAppend,  // append_file(name, data): existing content kept
  kSocket,  // send(name, data) / recv(name, max): a connected stream socket
};

std::string_view AccessName(Access access);  // "read", "write", "append", "socket"

struct Grant {
  std::string name;  // what the plugin passes: the path as the operator wrote it
  Access access = Access::kRead;
  int fd = -1;       // owned by the Capabilities that made the grant
};

class Capabilities {
 public:
  Capabilities() = default;
  ~Capabilities();
  Capabilities(Capabilities&& other) noexcept;
  Capabilities& operator=(Capabilities&& other) noexcept;
  Capabilities(const Capabilities&) = delete;
  Capabilities& operator=(const Capabilities&) = delete;

  // A file, or a directory: then every regular file directly inside it, named
  // "DIR/FILE" (at most kMaxFilesPerDirectory; files created later are not reachable).
  Result<Unit, std::string> AllowRead(const std::string& path);
  // A file, created if missing (mode 0644) and emptied.
  Result<Unit, std::string> AllowWrite(const std::string& path);
  // A file, created if missing; writes go to its end.
  Result<Unit, std::string> AllowAppend(const std::string& path);
  // A connected stream socket; takes ownership of `fd`.
  Result<Unit, std::string> AllowSocket(const std::string& name, int fd);

  const std::vector<Grant>& grants() const { return grants_; }
  const Grant* Find(std::string_view name) const;

  static constexpr size_t kMaxFilesPerDirectory = 1024;

 private:
  Result<Unit, std::string> Add(const std::string& name, Access access, int fd);
  std::vector<Grant> grants_;
};

}  // namespace trinity::isolation
