// LoadError: why the loader or verifier rejected a module. Part of the embedding API
// (trinity.h re-exports it); lives here so the core library needs no other header.
#pragma once

#include <cstddef>
#include <string>

namespace trinity {

struct LoadError {
  std::string function;  // function being checked, empty for module-level problems
  size_t offset = 0;     // byte offset: into the code of `function`, else into the file
  std::string reason;
  // "function 'fib' at byte 12: jump target 40 is outside the function"
  std::string ToString() const;
};

}  // namespace trinity
