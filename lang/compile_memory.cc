// CompileMemory (compile_memory.h): one counter, one error message.
#include "lang/compile_memory.h"

#include <string>

namespace trinity::lang {

void CompileMemory::Charge(size_t bytes, uint32_t line, uint32_t col) {
  if (bytes > limit_ || used_ > limit_ - bytes) {
    diags_.Error(line, col, "program too large to compile: it needs more than " +
                                std::to_string(limit_) +
                                " bytes of compiler memory (CompileLimits::max_memory_bytes)");
    throw CompileMemoryExhausted{};
  }
  used_ += bytes;
  if (used_ > peak_) peak_ = used_;
}

}  // namespace trinity::lang
