// LoadModule: the embedding API's entry for untrusted bytes — read, then verify, and only
// then hand out a module that instances may run.
#include "runtime/module_reader.h"
#include "runtime/trinity.h"
#include "runtime/verifier.h"

namespace trinity {

Result<std::shared_ptr<const Module>, LoadError> LoadModule(std::span<const uint8_t> bytes) {
  Result<Module, LoadError> read = ReadModule(bytes);
  if (!read.ok()) return Err(std::move(read).error());
  Result<Unit, LoadError> verified = VerifyModule(read.value());
  if (!verified.ok()) return Err(std::move(verified).error());
  return std::shared_ptr<const Module>(std::make_shared<Module>(std::move(read).value()));
}

}  // namespace trinity
