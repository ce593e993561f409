// The default MemoryProvider: plain aligned allocation from the C heap. The isolation
// layer supplies providers backed by protection-key-tagged regions instead.
#include "runtime/memory.h"

#include <cstdlib>

namespace trinity {
namespace {

class MallocMemoryProvider final : public MemoryProvider {
 public:
  void* Allocate(size_t size, size_t align) override {
    if (align <= alignof(std::max_align_t)) return std::malloc(size);
    // aligned_alloc needs the size to be a multiple of the alignment.
    size_t rounded = (size + align - 1) & ~(align - 1);
    return std::aligned_alloc(align, rounded);
  }
  void Free(void* block, size_t) override { std::free(block); }
};

}  // namespace

MemoryProvider& DefaultMemoryProvider() {
  static MallocMemoryProvider provider;
  return provider;
}

}  // namespace trinity
