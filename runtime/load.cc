// LoadModule: the embedding API's entry for untrusted bytes — read, then verify, then
// translate for the fast tier, and only then hand out a module that instances may run.
#include <vector>

#include "runtime/fast_translate.h"
#include "runtime/module_reader.h"
#include "runtime/trinity.h"
#include "runtime/verifier.h"

namespace trinity {

Result<std::shared_ptr<const Module>, LoadError> LoadModule(std::span<const uint8_t> bytes) {
  Result<Module, LoadError> read = ReadModule(bytes);
  if (!read.ok()) return Err(std::move(read).error());
  std::vector<std::vector<uint16_t>> stack_heights;
  Result<Unit, LoadError> verified = VerifyModule(read.value(), &stack_heights);
  if (!verified.ok()) return Err(std::move(verified).error());
  auto module = std::make_shared<Module>(std::move(read).value());
  // The translation points into the module's functions, so it is made from the module's
  // final home.
  auto fast = TranslateModule(*module, std::move(stack_heights), FastHandlerTable());
  if (!fast.ok()) return Err(std::move(fast).error());
  module->executable.set_fast(std::move(fast).value());
  return std::shared_ptr<const Module>(std::move(module));
}

}  // namespace trinity
