// The memory provider interface: every byte a running plugin allocates (heap objects,
// value stack, frames) comes from one of these, so the isolation layer can back a
// plugin with MPK-tagged regions without the runtime knowing about keys.
#pragma once

#include <cstddef>

namespace trinity {

class MemoryProvider {
 public:
  virtual ~MemoryProvider() = default;
  // Returns `size` bytes aligned to `align` (a power of two <= 4096), or nullptr.
  virtual void* Allocate(size_t size, size_t align) = 0;
  // Gives back a block from Allocate with the same size.
  virtual void Free(void* block, size_t size) = 0;
};

// malloc-backed provider shared by instances that do not ask for another one.
MemoryProvider& DefaultMemoryProvider();

}  // namespace trinity
